"""Rituals: the data model (steps, how an answer is heard) and placeholders.

Ritual files are read and validated by ``ritual_file``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Optional, Union, get_args

from assistant.core.endpoint import DEFAULT_MAX_SECONDS, DEFAULT_SILENCE
from assistant.core.voice_commands import Command
from assistant.core.voice_spec import VoiceSpec

PLACEHOLDERS = ("name", "weekday", "date", "time_of_day")
RecallWhen = Literal["today", "yesterday", "latest"]
"""which day's answer a recall reads back (latest: the most recent one)"""
AffirmPick = Literal["day", "random", "all"]
"""one affirmation per day, one at random, or all of them"""
RECALL_WHEN: tuple[RecallWhen, ...] = get_args(RecallWhen)
AFFIRM_PICKS: tuple[AffirmPick, ...] = get_args(AffirmPick)
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Listening:
    """How an answer is heard; shared by ``ask`` and a ``recall`` that has an id."""

    id: str
    silence: float = DEFAULT_SILENCE
    """seconds of quiet after speech that end the answer"""
    max_seconds: float = DEFAULT_MAX_SECONDS
    reframe: bool = False
    confirm: bool = False


@dataclass(frozen=True)
class Say:
    text: str
    line: int = 0


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
    id: str
    when: RecallWhen
    text: str
    """spoken when an answer was found; may use {answer}"""
    otherwise: Optional[str] = None
    """spoken when nothing was found; None says nothing"""
    listening: Optional[Listening] = None
    """when set, the recall also listens for an answer, like an ask"""
    line: int = 0


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
    path: Optional[Path] = None

    @property
    def questions(self) -> list[Union[Ask, Recall]]:
        return [
            s for s in self.steps if isinstance(s, Ask) or (isinstance(s, Recall) and s.listening)
        ]


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace known ``{placeholders}``; anything else is left as written."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def time_of_day(moment: datetime) -> str:
    hour = moment.hour
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def placeholder_values(moment: datetime, name: str) -> dict[str, str]:
    """What ``{name}``, ``{weekday}``, ``{date}`` and ``{time_of_day}`` say at ``moment``."""
    return {
        "name": name,
        "weekday": moment.strftime("%A"),
        "date": f"{moment:%B} {moment.day}",
        "time_of_day": time_of_day(moment),
    }
