"""Hands-free settings: wake phrases and scheduled offers, read from the config file.

```yaml
wake:                           # phrase -> ritual, per language; replaces the defaults
  en:
    "ritual, good morning": morning
    "ritual, good night": evening
schedule:                       # at the time, offer the ritual unless it was done today
  - {ritual: evening, time: "21:30", weekdays: [mon, tue, wed, thu, fri]}
offers: {snooze_minutes: 10, snoozes: 3, grace_minutes: 20}
```

Every problem names ``file:line``. A wake phrase starts with a name word ("ritual,
...") so that ordinary talk does not match it; phrases are compared after
``normalize`` (lower case, no punctuation).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any, Optional

import yaml

from assistant.core.errors import Problem, RitualFileError
from assistant.core.language import for_language, normalize_language
from assistant.core.ranges import GRACE_MINUTES, SNOOZE_MINUTES, SNOOZES, Range
from assistant.core.ritual_file import yaml_problem
from assistant.core.voice_commands import normalize

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""a day may also be written out in full (Monday); anything else is not a day"""
KEYS = ("wake", "schedule", "offers")
"""the config keys this module reads"""
OFFER_KEYS = ("snooze_minutes", "snoozes", "grace_minutes")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_RITUAL = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

DEFAULT_WAKE: dict[str, dict[str, str]] = {
    "en": {
        "ritual good morning": "morning",
        "ritual good evening": "evening",
        "ritual good night": "evening",
        "ritual let's journal": "journal",
    },
    # 의식 is "ritual": "ritual, begin", "ritual, wrap up", "ritual, a note". Chosen by
    # measurement (bench/wake.py): these three are heard from espeak-ng at every
    # speed tried, and ten minutes of unrelated Korean talk never woke them.
    "ko": {
        "의식 시작": "morning",
        "의식 마무리": "evening",
        "의식 메모": "journal",
    },
}
"""each phrase starts with the name word, so that ordinary talk does not wake ritual"""
WAKE_SYLLABLES = 10
"""the most syllables a wake phrase may have: the wake listener stops listening to
speech that goes on past 2.5 s (a conversation), and at an unhurried four syllables
a second a longer phrase would never be heard whole"""
_VOWELS = re.compile(r"[aeiouyàáâäèéêëìíîïòóôöùúûü]+")


def syllables(phrase: str) -> int:
    """About how many syllables ``phrase`` has when said: a Hangul block is one, a
    run of vowels in another word is one (each word at least one)."""
    count = 0
    for word in phrase.split():
        hangul = sum("\uac00" <= c <= "\ud7a3" for c in word)
        rest = "".join(c for c in word.lower() if not "\uac00" <= c <= "\ud7a3")
        latin = len(_VOWELS.findall(rest)) if any(c.isalpha() for c in rest) else 0
        count += max(1, hangul + latin)
    return count


@dataclass(frozen=True)
class Offer:
    """A ritual offered at a time of day."""

    ritual: str
    at: time
    weekdays: frozenset[int] = frozenset(range(7))
    """0 is Monday, as ``date.weekday()``"""


@dataclass(frozen=True)
class OfferRules:
    snooze_minutes: float = 10.0
    """"later" asks again after this long"""
    snoozes: int = 3
    """how many times "later" is honoured; then the offer is let go for the day"""
    grace_minutes: float = 20.0
    """an offer found due more than this late (the device was off) is not made"""


@dataclass(frozen=True)
class HandsFree:
    wake: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_WAKE)
    """language -> normalized phrase -> ritual"""
    schedule: tuple[Offer, ...] = ()
    offers: OfferRules = field(default_factory=OfferRules)

    def wake_phrases(self, language: str) -> Mapping[str, str]:
        """The phrases that wake ritual in ``language`` (phrase -> ritual)."""
        return for_language(self.wake, language) or {}


def name_word(language: str) -> str:
    """The word every wake phrase of ``language`` starts with ("" for a language
    ritual has no phrases of its own for: any first word is taken)."""
    defaults = for_language(DEFAULT_WAKE, language) or {}
    return next(iter(defaults), "").split(" ", 1)[0]


def _starts_with_name(said: str, language: str) -> bool:
    name = name_word(language)
    return not name or said.split(" ", 1)[0] == name


class _Reader:
    def __init__(self, path: str, known_rituals: Optional[Collection[str]]) -> None:
        self.path = path
        self.known = known_rituals
        self.problems: list[Problem] = []

    def problem(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(self.path, node.start_mark.line + 1, message))

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping")
            return []
        return list(node.value)

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        try:
            return yaml.SafeLoader("").construct_object(node)
        except (yaml.YAMLError, ValueError):
            return None

    def ritual(self, node: yaml.Node, what: str) -> Optional[str]:
        value = self.scalar(node)
        if not isinstance(value, str) or not _RITUAL.match(value):
            self.problem(node, f"{what} must name a ritual (like morning), not {value!r}")
            return None
        if self.known is not None and value not in self.known:
            self.problem(node, f"there is no ritual called {value!r} (`ritual list` shows them)")
        return value

    def number(self, node: yaml.Node, what: str, allowed: Range) -> Optional[float]:
        value = self.scalar(node)
        if not allowed.holds(value):
            self.problem(node, f"{what} must be {allowed}, not {value!r}")
            return None
        assert isinstance(value, (int, float))
        return float(value)

    # -- the keys --------------------------------------------------------------------------
    def wake(self, node: yaml.Node) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for lang_node, phrases_node in self.mapping(node, "wake (language -> phrases)"):
            language = self.scalar(lang_node)
            if not isinstance(language, str) or not language.strip():
                self.problem(lang_node, "wake: each key is a language, like en or ko")
                continue
            phrases: dict[str, str] = {}
            for phrase_node, ritual_node in self.mapping(phrases_node, f"wake: {language}"):
                phrase = self.scalar(phrase_node)
                said = normalize(phrase) if isinstance(phrase, str) else ""
                ritual = self.ritual(ritual_node, f"the ritual for {phrase!r}")
                if len(said.split()) < 2:
                    self.problem(
                        phrase_node,
                        f"a wake phrase needs two or more words, starting with a name word "
                        f"(like 'ritual, good morning'), not {phrase!r}",
                    )
                elif not _starts_with_name(said, language):
                    name = name_word(language)
                    self.problem(
                        phrase_node,
                        f"a wake phrase starts with the name word '{name}' (like '{name}, "
                        f"{said}'), so that ordinary talk does not wake ritual; not {phrase!r}",
                    )
                elif said in phrases:
                    self.problem(phrase_node, f"the wake phrase {phrase!r} appears twice")
                elif syllables(said) > WAKE_SYLLABLES:
                    self.problem(
                        phrase_node,
                        f"the wake phrase {phrase!r} is too long to be heard: about "
                        f"{syllables(said)} syllables, at most {WAKE_SYLLABLES} (2.5 seconds)",
                    )
                elif ritual:
                    phrases[said] = ritual
            out[normalize_language(language)] = phrases
        return out

    def schedule(self, node: yaml.Node) -> tuple[Offer, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, "schedule must be a list of {ritual, time, weekdays}")
            return ()
        offers = []
        for item in node.value:
            offer = self.offer(item)
            if offer is not None:
                offers.append(offer)
        return tuple(offers)

    def offer(self, node: yaml.Node) -> Optional[Offer]:
        items = {self.scalar(k): (k, v) for k, v in self.mapping(node, "a schedule entry")}
        for key, (key_node, _) in items.items():
            if key not in ("ritual", "time", "weekdays"):
                self.problem(key_node, f"unknown key {key!r} in a schedule entry")
        if "ritual" not in items or "time" not in items:
            self.problem(node, "a schedule entry needs a ritual and a time (HH:MM)")
            return None
        ritual = self.ritual(items["ritual"][1], "ritual")
        at = self.time(items["time"][1])
        weekdays = self.weekdays(items["weekdays"][1]) if "weekdays" in items else None
        if ritual is None or at is None:
            return None
        return Offer(ritual, at, weekdays if weekdays is not None else frozenset(range(7)))

    def time(self, node: yaml.Node) -> Optional[time]:
        value = self.scalar(node)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            # YAML 1.1 reads an unquoted 21:30 as the sexagesimal number 1290.
            return time(value // 60, value % 60)
        match = _TIME.match(value) if isinstance(value, str) else None
        if match is None:
            self.problem(node, f"time is HH:MM on a 24-hour clock (like '21:30'), not {value!r}")
            return None
        return time(int(match.group(1)), int(match.group(2)))

    def weekdays(self, node: yaml.Node) -> Optional[frozenset[int]]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.problem(node, f"weekdays is a list of days: {', '.join(WEEKDAYS)}")
            return None
        days = set()
        for item in node.value:
            value = self.scalar(item)
            day = value.lower() if isinstance(value, str) else ""
            day = WEEKDAYS[DAY_NAMES.index(day)] if day in DAY_NAMES else day
            if day not in WEEKDAYS:
                self.problem(item, f"{value!r} is not a day; use {', '.join(WEEKDAYS)}")
                continue
            days.add(WEEKDAYS.index(day))
        return frozenset(days)

    def offers(self, node: yaml.Node) -> OfferRules:
        values: dict[str, Any] = {}
        limits = {
            "snooze_minutes": SNOOZE_MINUTES,
            "snoozes": SNOOZES,
            "grace_minutes": GRACE_MINUTES,
        }
        for key_node, value_node in self.mapping(node, "offers"):
            key = self.scalar(key_node)
            if key not in OFFER_KEYS:
                self.problem(key_node, f"unknown key {key!r} in offers; known: {OFFER_KEYS}")
                continue
            number = self.number(value_node, f"offers: {key}", limits[key])
            if number is not None:
                values[key] = int(number) if key == "snoozes" else number
        return OfferRules(**values)


def parse_hands_free(
    text: str, path: str = "config.yaml", *, known_rituals: Optional[Collection[str]] = None
) -> HandsFree:
    """The hands-free part of a config file; RitualFileError lists every problem
    (with ``known_rituals``, a ritual it names that is not among them is one)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        raise RitualFileError([yaml_problem(path, e)]) from None
    if not isinstance(root, yaml.MappingNode):
        return HandsFree()
    reader = _Reader(path, known_rituals)
    found = {reader.scalar(k): v for k, v in root.value}
    hands_free = HandsFree(
        wake=reader.wake(found["wake"]) if "wake" in found else DEFAULT_WAKE,
        schedule=reader.schedule(found["schedule"]) if "schedule" in found else (),
        offers=reader.offers(found["offers"]) if "offers" in found else OfferRules(),
    )
    if reader.problems:
        raise RitualFileError(reader.problems)
    return hands_free
