"""The week as a whole: days checked in, mood against last week, the streak, the
words used most, as figures and as the language says them.

Pure: the wiring reads the last fourteen days of the journal (``WeekFacts``),
this module sums them up (``summarise``) and words them (``spoken_figures`` for
the ``{week_...}`` placeholders, ``summary_text`` for ``journal stats --week``).
The most used words are counted here, with each language's stop words: no
cloud, no language model, only lists of the small words every answer has.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from assistant.core.language import for_language
from assistant.core.numbers import in_a_row, number_words
from assistant.core.ritual import WEEK_DAYS, week_start_for
from assistant.core.stop_words import EN_STOP_WORDS, KO_STOP_WORDS

MOOD = "mood"
"""the answer id whose number is the mood"""
TOP_WORDS = 3
MIN_USES = 2
"""a word said once is not among the words used most, however few there are"""
SAME = 0.25
"""a mood that moved less than this between two weeks is about the same"""
CLEARLY = 0.75
"""a change of at least this is more than "a little" """


@dataclass(frozen=True)
class DayEntry:
    """What the week needs of one entry."""

    day: date
    ritual: str
    numbers: Mapping[str, int] = field(default_factory=dict)
    texts: tuple[str, ...] = ()
    """the answers' words (follow-ups included)"""
    properties: Mapping[str, str] = field(default_factory=dict)
    """answers kept as front-matter properties (the week's goals: ``goal_physical``)"""


@dataclass(frozen=True)
class WeekFacts:
    """The journal's last fourteen days, up to ``through`` (read by the wiring)."""

    through: date
    days: frozenset[date] = frozenset()
    """days with an entry (from the files' names: encrypted entries count too)"""
    entries: tuple[DayEntry, ...] = ()
    """the entries that could be read"""
    streak: int = 0
    """days in a row with an entry, up to ``through`` (or the day before)"""


@dataclass(frozen=True)
class WeekSummary:
    days: int
    """days with an entry among the last seven"""
    mood: Optional[float]
    """the average mood of the last seven days; None when none was given"""
    last_mood: Optional[float]
    """the same for the seven days before"""
    streak: int
    words: tuple[str, ...]
    """the most used words this week, the most used first"""
    properties: Mapping[str, str] = field(default_factory=dict)
    """this week's answers kept as properties, the latest of each key"""

    @property
    def mood_change(self) -> Optional[float]:
        if self.mood is None or self.last_mood is None:
            return None
        return self.mood - self.last_mood


def summarise(facts: WeekFacts, mood: str = MOOD) -> WeekSummary:
    this_start = week_start_for(facts.through)
    last_start = this_start - timedelta(days=WEEK_DAYS)
    this = [e for e in facts.entries if this_start <= e.day <= facts.through]
    last = [e for e in facts.entries if last_start <= e.day < this_start]
    return WeekSummary(
        days=sum(this_start <= d <= facts.through for d in facts.days),
        mood=_average(e.numbers[mood] for e in this if mood in e.numbers),
        last_mood=_average(e.numbers[mood] for e in last if mood in e.numbers),
        streak=facts.streak,
        words=top_words((t for e in this for t in e.texts), TOP_WORDS),
        properties={k: v for e in this for k, v in e.properties.items()},
    )


def _average(values: Iterable[int]) -> Optional[float]:
    found = list(values)
    return sum(found) / len(found) if found else None


# -- the words used most -----------------------------------------------------------

_EN_STOP = frozenset(EN_STOP_WORDS.split())
_KO_STOP = frozenset(KO_STOP_WORDS.split())

_KO_PARTICLES = (
    ("에서는", ""),
    ("으로는", ""),
    ("이랑", ""),
    ("에서", ""),
    ("에게", ""),
    ("한테", ""),
    ("까지", ""),
    ("부터", ""),
    ("처럼", ""),
    ("보다", ""),
    ("하고", ""),
    ("으로", "final"),
    ("은", "final"),
    ("을", "final"),
    ("과", "final"),
    ("는", "open"),
    ("를", "open"),
    ("와", "open"),
    ("랑", "open"),
    ("로", "open"),
    ("가", "open"),
    ("에", ""),
    ("도", ""),
    ("의", ""),
)
"""particles taken off a Korean word before it is counted (친구를, 친구와 -> 친구). A
one-syllable particle that goes only after a final consonant ("final") or only
after none ("open") is taken off only where it fits, so 가을 (autumn) and 사과
(apple) stay whole."""

_KO_AMBIGUOUS = frozenset("가로와도의에랑")
"""one-syllable particles that also end many two-syllable nouns"""

_KO_VERB_ENDINGS = (
    "요",
    "다",
    "니다",
    "어서",
    "아서",
    "해서",
    "지만",
    "는데",
    "으면",
    "면서",
    "했고",
    "하고",
    "해",
    "했어",
    "겠어",
)
"""endings of a Korean verb or adjective (했어요, 좋았다): the word is a saying, not a
subject, and is not counted"""

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


_HANGUL = re.compile("[\uac00-\ud7a3]")


def _hangul(word: str) -> bool:
    return _HANGUL.search(word) is not None


def _has_final(syllable: str) -> bool:
    """Whether a Hangul syllable ends in a consonant (받침)."""
    return "\uac00" <= syllable <= "\ud7a3" and (ord(syllable) - 0xAC00) % 28 != 0


def korean_stem(word: str) -> str:
    """A Korean word without the particle after it (one at most)."""
    for particle, goes_after in _KO_PARTICLES:
        stem = word[: -len(particle)]
        if not word.endswith(particle) or not stem:
            continue
        if len(word) < 3 and particle in _KO_AMBIGUOUS:
            continue  # 휴가, 포도, 회의: a two-syllable word ending like a particle is kept
        if goes_after == "final" and not _has_final(stem[-1]):
            continue
        if goes_after == "open" and _has_final(stem[-1]):
            continue
        return stem
    return word


def counted_word(token: str) -> Optional[str]:
    """The word a token counts as, or None for a word not worth counting."""
    word = token.lower().replace("’", "'")
    if _hangul(word):
        if word in _KO_STOP or word.endswith(_KO_VERB_ENDINGS):
            return None
        stem = korean_stem(word)
        return None if stem in _KO_STOP else stem
    if word.endswith("'s"):
        word = word[:-2]  # my sister's call: the sister
    if len(word) < 3 or word in _EN_STOP or word.split("'")[0] in _EN_STOP:
        return None
    return word


def top_words(texts: Iterable[str], n: int) -> tuple[str, ...]:
    """The ``n`` words used most in ``texts`` (at least twice each), most used first
    (ties: the word first used earlier). Each language's words by its own rules: a
    journal may hold both."""
    said: Counter[str] = Counter()
    for text in texts:
        said.update(_WORD.findall(text.lower().replace("’", "'")))
    counts: Counter[str] = Counter()
    for token, times in said.items():  # each distinct word judged once: a week is thousands
        word = counted_word(token)
        if word:
            counts[word] += times
    return tuple(w for w, count in counts.most_common(n) if count >= MIN_USES)


# -- in words ------------------------------------------------------------------------

KO_DAYS = ("하루도", "하루", "이틀", "사흘", "나흘", "닷새", "엿새", "일주일 내내")
"""Korean counts days with words of their own: 하루, 이틀 … (one day, two days …)"""


def spoken_figures(summary: WeekSummary, language: str) -> dict[str, str]:
    """The ``{week_...}`` placeholders as ``language`` says them; a figure with
    nothing behind it is said as such, never as a zero or a blank."""
    words = for_language(_SAYERS, language) or _SAYERS["en"]
    return words(summary, language)


def _english(s: WeekSummary, language: str) -> dict[str, str]:
    return {
        "week_days": (
            "all seven days"
            if s.days >= WEEK_DAYS
            else f"{number_words(s.days) if s.days else 'no'} day{'' if s.days == 1 else 's'}"
            " out of seven"
        ),
        "week_mood": "not given" if s.mood is None else _en_mood(s.mood),
        "mood_change": _en_change(s),
        "week_words": _en_list(s.words) if s.words else "none yet",
        "checkin_streak": in_a_row(s.streak, "day", language) if s.streak else "not started yet",
    }


def _halves(value: float) -> tuple[int, bool, bool]:
    """``value`` to the nearest half: whole part, a half or not, and whether that was
    exact (else it is "about")."""
    doubled = round(value * 2)
    return doubled // 2, bool(doubled % 2), abs(doubled / 2 - value) < 0.01


def _en_mood(mood: float) -> str:
    whole, half, exact = _halves(mood)
    said = number_words(whole) + (" and a half" if half else "")
    return said if exact else f"about {said}"


def _en_change(s: WeekSummary) -> str:
    change = s.mood_change
    if change is None:
        return "with nothing to compare" if s.mood is None else "with no mood last week to compare"
    if abs(change) < SAME:
        return "about the same as last week"
    size = "" if abs(change) >= CLEARLY else "a little "
    return f"{size}{'brighter' if change > 0 else 'lower'} than last week"


def _en_list(words: Sequence[str]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


def _korean(s: WeekSummary, language: str) -> dict[str, str]:
    return {
        "week_days": KO_DAYS[min(s.days, WEEK_DAYS)],
        "week_mood": "기록 없음" if s.mood is None else _ko_mood(s.mood),
        "mood_change": _ko_change(s),
        "week_words": ", ".join(s.words) if s.words else "아직 없어요",
        "checkin_streak": in_a_row(s.streak, "day", language) if s.streak else "아직 시작 전",
    }


def _ko_mood(mood: float) -> str:
    # digits: the Korean voice reads 4점 as 사 점, as a score is said
    whole, half, exact = _halves(mood)
    said = f"{whole}점" + (" 반" if half else "")
    return said if exact else f"약 {said}"


def _ko_change(s: WeekSummary) -> str:
    change = s.mood_change
    if change is None:
        return "비교할 기록이 없어요" if s.mood is None else "지난주 기록이 없어 비교할 수 없어요"
    if abs(change) < SAME:
        return "지난주와 비슷해요"
    size = "" if abs(change) >= CLEARLY else "조금 "
    return f"지난주보다 {size}{'좋아졌어요' if change > 0 else '낮아졌어요'}"


_SAYERS = {"en": _english, "ko": _korean}


def summary_text(summary: WeekSummary, through: date) -> str:
    """What ``journal stats --week`` prints: the same figures, as text."""
    start = week_start_for(through)

    def mood(value: Optional[float]) -> str:
        return "–" if value is None else f"{value:.1f}"

    change = summary.mood_change
    lines = [
        f"The week {start.isoformat()} to {through.isoformat()}:",
        f"  days checked in   {summary.days} of {WEEK_DAYS}",
        f"  mood this week    {mood(summary.mood)}"
        + ("" if change is None else f" ({change:+.1f} on last week's {mood(summary.last_mood)})"),
        f"  mood last week    {mood(summary.last_mood)}",
        f"  streak            {summary.streak} day{'' if summary.streak == 1 else 's'} in a row",
        f"  words used most   {', '.join(summary.words) if summary.words else '–'}",
    ]
    if summary.properties:
        width = max(len(k) for k in summary.properties) + 2
        lines += ["", "Kept this week:"]
        lines += [f"  {key:<{width}}{value}" for key, value in summary.properties.items()]
    return "\n".join(lines)
