"""Tidying what the recogniser heard into journal text."""

from __future__ import annotations

import pytest

from assistant.core.ports import Word
from assistant.core.transcript import (
    sentences_from_words,
    tidy_heard,
    tidy_sentence,
    tidy_transcript,
)


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("i feel rested today", "I feel rested today."),
        ("i'm tired but i've slept", "I'm tired but I've slept."),
        ("i'll try and i'd like that", "I'll try and I'd like that."),
        ("it is fine i think", "It is fine I think."),
        ("hi it's idle time in india", "Hi it's idle time in india."),
        ("what do i need", "What do I need."),
        ("  extra   spaces  ", "Extra spaces."),
        ("[unk] good morning [unk]", "Good morning."),
        ("[noise]", ""),
        ("", ""),
        ("오늘 은 좋은 하루 였어요", "오늘 은 좋은 하루 였어요."),
        ("적 [4] 위 다", "적 위 다."),
        ("already done.", "Already done."),
    ],
)
def test_a_sentence(raw: str, tidy: str) -> None:
    assert tidy_sentence(raw) == tidy


def test_a_full_stop_per_recogniser_result() -> None:
    results = ["i slept well", "", "[unk]", "and i'm ready for the day"]
    assert tidy_transcript(results) == "I slept well. And I'm ready for the day."


def test_nothing_heard_is_empty() -> None:
    assert tidy_transcript([]) == ""


def timed(*spans: tuple[str, float, float]) -> tuple[Word, ...]:
    return tuple(Word(text, start, end, 1.0) for text, start, end in spans)


def test_a_pause_between_words_ends_a_sentence_and_a_short_one_is_a_comma() -> None:
    words = timed(
        ("i", 0.1, 0.2), ("slept", 0.2, 0.6), ("badly", 0.6, 1.0),  # breath: 0.8 s
        ("but", 1.8, 1.9), ("today", 2.3, 2.7), ("i", 2.7, 2.8), ("feel", 2.8, 3.1),
        ("ready", 3.1, 3.5),
    )  # fmt: skip
    text = "i slept badly but today i feel ready"
    assert sentences_from_words(text, words) == ["i slept badly", "but, today i feel ready"]
    assert tidy_heard([(text, words)]) == "I slept badly. But, today I feel ready."


def test_unknown_words_and_mismatched_timings_leave_the_result_whole() -> None:
    words = timed(("[unk]", 0.0, 0.3), ("fine", 1.5, 1.9), ("thanks", 2.8, 3.2))
    assert sentences_from_words("[unk] fine thanks", words) == ["fine", "thanks"]
    assert sentences_from_words("fine thank you", words) == ["fine thank you"]
    assert tidy_heard([("fine thanks", ()), ("", ())]) == "Fine thanks."
