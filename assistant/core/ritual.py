"""Rituals: the data model (steps, how an answer is heard) and placeholders.

Ritual files are read and validated by ``ritual_file``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal, Optional, Union, get_args

from assistant.core.barge_in import BargeIn
from assistant.core.endpoint import DEFAULT_MAX_SECONDS, DEFAULT_SILENCE
from assistant.core.voice_commands import Command
from assistant.core.voice_spec import VoiceSpec

WEEK_FIGURES = ("week_days", "week_mood", "mood_change", "week_words", "checkin_streak")
"""figures of the last seven days, said in words (``core.week``); read from the journal
only when a text uses one"""
PLACEHOLDERS = ("name", "weekday", "date", "time_of_day", "greeting", "streak", *WEEK_FIGURES)
RECALL_PLACEHOLDERS = ("answer", "when")
"""known only in a recall's ``say``: the answer found, and when it was given"""
RecallWhen = Literal[
    "today", "yesterday", "a week ago", "a month ago", "a year ago", "this week", "latest"
]
"""which day's answer a recall reads back (this week: the latest entry of the last
seven days, today included; latest: the most recent one)"""
AffirmPick = Literal["day", "random", "all"]
"""one affirmation per day, one at random, or all of them"""
RecallPick = Literal["day", "random"]
"""of a recall's several ids: the next one each day after the entry, or one at random"""
RECALL_WHEN: tuple[RecallWhen, ...] = get_args(RecallWhen)
RECALL_PICKS: tuple[RecallPick, ...] = get_args(RecallPick)
AFFIRM_PICKS: tuple[AffirmPick, ...] = get_args(AffirmPick)
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Scale:
    """An answer that is a whole number from ``low`` to ``high`` (a mood from 1 to 5)."""

    low: int
    high: int


@dataclass(frozen=True)
class Listening:
    """How an answer is heard; shared by ``ask`` and a ``recall`` that has an id."""

    id: str
    silence: float = DEFAULT_SILENCE
    """seconds of quiet after speech that end the answer"""
    max_seconds: float = DEFAULT_MAX_SECONDS
    reframe: bool = False
    confirm: bool = False
    scale: Optional[Scale] = None
    """the answer gives a number on this scale, kept in the entry's front matter"""
    property_key: Optional[str] = None
    """a front-matter key that also keeps the answer's words (``goal_physical``)"""

    @property
    def long(self) -> bool:
        """More time than an ordinary answer gets: a free talk, or a typed page."""
        return self.max_seconds > DEFAULT_MAX_SECONDS


@dataclass(frozen=True)
class Say:
    text: str
    line: int = 0
    typed: str = ""
    """what to print instead in a typed ritual ("" for the same text)"""


@dataclass(frozen=True)
class Pause:
    seconds: float
    line: int = 0


@dataclass(frozen=True)
class Breathe:
    count: int = 3
    breathe_in: float = 4.0
    """seconds"""
    hold: float = 2.0
    """seconds"""
    breathe_out: float = 6.0
    """seconds"""
    line: int = 0


@dataclass(frozen=True)
class Affirm:
    texts: tuple[str, ...]
    pick: AffirmPick = "day"
    line: int = 0


@dataclass(frozen=True)
class Ask:
    text: str
    listening: Listening
    line: int = 0


@dataclass(frozen=True)
class Recall:
    ritual: str
    ids: tuple[str, ...]
    """the answers to look for; with more than one, ``pick`` chooses which is read back"""
    when: tuple[RecallWhen, ...]
    """the days to look at, in turn: the first that has an answer is read back"""
    text: str
    """spoken when an answer was found; may use {answer} and {when}"""
    otherwise: Optional[str] = None
    """spoken when nothing was found; None says nothing"""
    listening: Optional[Listening] = None
    """when set, the recall also listens for an answer, like an ask"""
    line: int = 0
    pick: RecallPick = "day"
    """of several ids, which answer: a new one each day, or one at random"""

    @property
    def id(self) -> str:
        """The first (or only) answer looked for."""
        return self.ids[0]


Step = Union[Say, Pause, Breathe, Affirm, Ask, Recall]


@dataclass(frozen=True)
class Ritual:
    id: str
    title: str
    steps: tuple[Step, ...]
    language: str = "en-us"
    voice: VoiceSpec = field(default_factory=VoiceSpec)
    commands: Mapping[Command, tuple[str, ...]] = field(default_factory=dict)
    """the ritual's own command phrases, replacing the language's defaults"""
    barge_in: Optional[BargeIn] = None
    """whether a command may cut a prompt short; None: as the config says"""
    path: Optional[Path] = None

    @property
    def questions(self) -> list[Union[Ask, Recall]]:
        return [
            s for s in self.steps if isinstance(s, Ask) or (isinstance(s, Recall) and s.listening)
        ]


def has_week_figures(text: str) -> bool:
    """Whether ``text`` says a figure of the week: such a text is spoken privately (it
    holds the user's words, or their mood) and never rendered ahead."""
    return any(name in WEEK_FIGURES for name in PLACEHOLDER.findall(text))


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace known ``{placeholders}``; anything else is left as written."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def still_to_fill(text: str) -> bool:
    """Whether ``text`` (after ``fill``) still holds a placeholder of ours, one known
    only as it is spoken (``{streak}`` depends on today's session)."""
    return any(m.group(1) in PLACEHOLDERS for m in PLACEHOLDER.finditer(text))


TIMES_OF_DAY = ("morning", "afternoon", "evening", "night")


def time_of_day(moment: datetime) -> str:
    hour = moment.hour
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


WEEK_DAYS = 7
"""this week: today and the six days before"""


def week_start_for(today: date) -> date:
    """The first day ``this week`` looks at: six days before ``today``."""
    return today - timedelta(days=WEEK_DAYS - 1)


def picked_index(count: int, days_since: int) -> int:
    """Which of ``count`` answers a ``pick: day`` recall reads, ``days_since`` days after
    the entry that gave them: the first on the next day (or the same day), then the
    second, and round again."""
    return (max(days_since, 1) - 1) % count


def recall_day(when: RecallWhen, today: date) -> Optional[date]:
    """The day a recall looks at (None: any day, the latest answer; for this week,
    see ``week_start_for``).

    A month or a year ago is the same day of the month, or the month's last day
    when it has fewer (a year before 29 February is 28 February)."""
    if when in ("latest", "this week"):
        return None
    if when in ("today", "yesterday", "a week ago"):
        return today - timedelta(days={"today": 0, "yesterday": 1, "a week ago": 7}[when])
    months = 12 if when == "a year ago" else 1
    year, month0 = divmod(today.year * 12 + today.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(today.day, last_day))


def spoken_when(when: RecallWhen) -> str:
    """What ``{when}`` says in a recall: "a year ago", "last time" for the latest."""
    return "last time" if when == "latest" else when


def placeholder_values(moment: datetime, name: str) -> dict[str, str]:
    """What ``{name}``, ``{weekday}``, ``{date}``, ``{time_of_day}`` and ``{greeting}``
    say at ``moment``."""
    return {
        "name": name,
        "weekday": moment.strftime("%A"),
        "date": f"{moment:%B} {moment.day}",
        **time_values(time_of_day(moment)),
    }


def time_values(part_of_day: str) -> dict[str, str]:
    """``{time_of_day}`` and the greeting that goes with it: "good night" is a
    farewell, so late at night the greeting is "Good evening"."""
    greeting = "Good evening" if part_of_day == "night" else f"Good {part_of_day}"
    return {"time_of_day": part_of_day, "greeting": greeting}
