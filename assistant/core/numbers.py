"""Numbers in speech: hearing a number on a scale ("four", "넷"), saying one in words.

An answer to "how is your mood, from one to five?" is free speech: "I'd say a
four", "four out of five", "넷이요", "4점". ``number_in`` finds the one number
it gives, or None (nothing, or two different numbers: the conductor then asks
again). Words that are also ordinary words ("for", "to", Korean 이 "this", 네
"yes", 일 "work") count only when they are the whole answer, or stand before 점
("points") in Korean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Optional

from assistant.core.language import for_language

_EN_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

SPOKEN: dict[str, dict[str, int]] = {
    "en": {word: n for n, word in enumerate(_EN_ONES)} | {"twenty": 20},
    # Native Korean numbers first: they are what people say for a mood ("넷"), and
    # each is a word of its own; Sino-Korean ones are single syllables (below).
    "ko": {
        "영": 0,
        "하나": 1,
        "둘": 2,
        "셋": 3,
        "넷": 4,
        "다섯": 5,
        "여섯": 6,
        "일곱": 7,
        "여덟": 8,
        "아홉": 9,
    },
}
"""words that say a number wherever they stand in an answer"""

ALONE: dict[str, dict[str, int]] = {
    "en": {"oh": 0, "won": 1, "to": 2, "too": 2, "tree": 3, "for": 4, "fore": 4, "ate": 8},
    "ko": {
        "공": 0,
        "일": 1,
        "이": 2,
        "삼": 3,
        "사": 4,
        "오": 5,
        "육": 6,
        "칠": 7,
        "팔": 8,
        "구": 9,
        "열": 10,
        "십": 10,
    },
}
"""words that are a number only when they are the whole answer (or, in Korean,
come before 점): elsewhere they are ordinary words, or what a recogniser makes of
one ("for", "to")"""

BEFORE_POINTS = {"한": 1, "두": 2, "세": 3, "네": 4}
"""Korean counting forms: a number only before 점 ("네 점", four points); alone, 네
is "yes" """

_KO_ENDINGS = (
    "점이에요",
    "점이요",
    "점입니다",
    "점",
    "이에요",
    "예요",
    "이요",
    "입니다",
    "요",
    "쯤",
)
"""Korean endings after a number: "points", "it is", "about" (never particles like
도 or 이서, which make 하나 or 둘 part of another phrase)"""
_OUT_OF = re.compile(r"\b(?:out of|of|over|outta)\s+(\w+)\s*$|/\s*\d+\s*$")
_TOKEN = re.compile(r"[^\W_]+|\d+")
_DIGITS = re.compile(r"^\d+$")


def _words(language: str) -> tuple[Mapping[str, int], Mapping[str, int]]:
    spoken = for_language(SPOKEN, language) or SPOKEN["en"]
    alone = for_language(ALONE, language) or ALONE["en"]
    return spoken, alone


def _strip_ending(token: str) -> tuple[str, bool]:
    """A Korean token without its ending, and whether the ending was 점 ("points")."""
    for ending in _KO_ENDINGS:
        if token.endswith(ending) and len(token) > len(ending):
            return token[: -len(ending)], ending.startswith("점")
    return token, False


def number_in(text: str, language: str, low: int, high: int) -> Optional[int]:
    """The one number from ``low`` to ``high`` that ``text`` gives, or None."""
    spoken, alone = _words(language)
    said = text.lower().replace("’", "'").strip()
    said = _OUT_OF.sub("", said)  # "four out of five": the five is the scale, not the answer
    tokens = _TOKEN.findall(said)
    found: set[int] = set()
    for i, token in enumerate(tokens):
        word, points = _strip_ending(token)
        points = points or (i + 1 < len(tokens) and tokens[i + 1].startswith("점"))
        if _DIGITS.match(word):
            found.add(int(word))
        elif word in spoken:
            found.add(spoken[word])
        elif word in alone and (points or len(tokens) == 1):
            found.add(alone[word])
        elif word in BEFORE_POINTS and points and language.startswith("ko"):
            found.add(BEFORE_POINTS[word])
    in_range = {n for n in found if low <= n <= high}
    return in_range.pop() if len(in_range) == 1 else None


def scale_words(language: str, low: int, high: int) -> tuple[str, ...]:
    """What a recogniser should listen for on a scale: each number's own word
    (and in Korean its Sino-Korean syllable too: people say both)."""
    spoken, alone = _words(language)
    words = [w for w, n in spoken.items() if low <= n <= high]
    if language.startswith("ko"):
        sino = {"일", "이", "삼", "사", "오", "육", "칠", "팔", "구", "십", "열"}
        words += [w for w, n in alone.items() if low <= n <= high and w in sino]
    return tuple(words)


def spoken_number(n: int, language: str) -> str:
    """``n`` as a prompt says it: in English words where numbers are English (the
    language has no number words of its own here), else digits, which the language's
    voice reads in its own words."""
    return number_words(n) if _english(language) else str(n)


def _english(language: str) -> bool:
    return (for_language(SPOKEN, language) or SPOKEN["en"]) is SPOKEN["en"]


def number_words(n: int) -> str:
    """``n`` in English words: 12 -> "twelve", 3652 -> "three thousand six hundred fifty-two"."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _EN_ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")
    for size, name in ((1_000_000, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            head, rest = divmod(n, size)
            return f"{number_words(head)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def in_a_row(n: int, unit: str, language: str) -> str:
    """A streak as spoken: "twelve evenings in a row", "one evening, a fine start";
    Korean "12일 연속"."""
    if not _english(language):  # Korean: the only other language with number words here
        return f"{n}일 연속" if n > 1 else "첫날"
    if n == 1:
        return f"one {unit}, a fine start"
    return f"{number_words(n)} {unit}s in a row"
