"""Tidying what the recogniser heard into journal text."""

from __future__ import annotations

import pytest

from assistant.core.transcript import tidy_sentence, tidy_transcript


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
