"""Numbers in speech: a number on a scale heard in an answer, and numbers said in words."""

from __future__ import annotations

from typing import Optional

import pytest

from assistant.core.numbers import in_a_row, number_in, number_words, scale_words, spoken_number


@pytest.mark.parametrize(
    ("said", "number"),
    [
        ("four", 4),
        ("Four.", 4),
        ("I'd say a four", 4),
        ("four out of five", 4),
        ("a solid 3/5", 3),
        ("2", 2),
        ("for", 4),  # what a recogniser makes of a lone "four"
        ("thanks for asking, three", 3),  # "for" inside a sentence is a word
        ("one", 1),
        ("five, a really good day", 5),
        ("three or four", None),  # two numbers: ask again
        ("pretty good", None),
        ("", None),
        ("seven", None),  # outside the scale
        ("I went to bed at 11, so a 2", 2),  # 11 is not on the scale
    ],
)
def test_english_answers_on_a_scale_of_one_to_five(said: str, number: Optional[int]) -> None:
    assert number_in(said, "en-us", 1, 5) == number


@pytest.mark.parametrize(
    ("said", "number"),
    [
        ("넷", 4),
        ("넷이요", 4),
        ("다섯이에요", 5),
        ("오늘은 셋", 3),
        ("4점", 4),
        ("사", 4),  # Sino-Korean, alone
        ("사 점", 4),
        ("네 점", 4),  # the counting form before 점
        ("네", None),  # alone it is "yes"
        ("일이 많았어요", None),  # 일 is "work" in a sentence
        ("하나도 안 좋아요", None),  # 하나도: "not at all", not a number
        ("둘이서 산책했어요", None),
        ("셋 아니면 넷", None),
    ],
)
def test_korean_answers_on_a_scale_of_one_to_five(said: str, number: Optional[int]) -> None:
    assert number_in(said, "ko", 1, 5) == number


def test_a_scale_from_zero_to_ten() -> None:
    assert number_in("zero", "en", 0, 10) == 0
    assert number_in("ten out of ten", "en", 0, 10) == 10
    assert number_in("열", "ko", 0, 10) == 10


def test_what_a_recogniser_listens_for_on_a_scale() -> None:
    assert scale_words("en-us", 1, 5) == ("one", "two", "three", "four", "five")
    assert scale_words("ko", 1, 3) == ("하나", "둘", "셋", "일", "이", "삼")
    assert scale_words("fr", 1, 2) == ("one", "two")  # a language without words: English


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (12, "twelve"),
        (40, "forty"),
        (99, "ninety-nine"),
        (100, "one hundred"),
        (365, "three hundred sixty-five"),
        (3652, "three thousand six hundred fifty-two"),
        (1_000_001, "one million one"),
    ],
)
def test_numbers_in_english_words(n: int, words: str) -> None:
    assert number_words(n) == words


def test_a_streak_as_spoken() -> None:
    assert in_a_row(12, "evening", "en-us") == "twelve evenings in a row"
    assert in_a_row(1, "morning", "en") == "one morning, a fine start"
    assert in_a_row(12, "evening", "ko") == "12일 연속"


def test_a_number_in_a_prompt_is_said_as_the_language_says_it() -> None:
    assert spoken_number(4, "en-us") == "four"
    assert spoken_number(4, "fr") == "four"  # prompts in English: numbers in English too
    assert spoken_number(4, "ko") == "4"  # the Korean voice reads digits itself
