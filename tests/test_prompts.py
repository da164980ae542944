"""The prompts a speaker renders ahead: every non-private prompt the conductor
can speak is in the list, and nothing private ever is."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest

from assistant.core.conductor import Conductor
from assistant.core.prompts import prompts_ahead, ritual_prompts, upcoming_values
from assistant.core.ritual import placeholder_values
from assistant.core.ritual_file import load_ritual, parse_ritual
from tests.cli import ROOT
from tests.fakes import (
    EventLog,
    FakeSpeaker,
    FixedAnswers,
    FixedClock,
    MemorySink,
    ScriptedListener,
)
from tests.test_conductor import REFRAMES

MORNING = datetime(2026, 11, 30, 7, 5, tzinfo=timezone.utc)
RITUAL = """
title: Everything
steps:
  - say: "Good {time_of_day}, {name}. Happy {weekday}."
  - breathe: {count: 2, in: 1, hold: 1, out: 1}
  - affirm: ["One.", "Two.", "Three."]
  - ask: "How are you?"
    id: how
    reframe: true
  - ask: "What will you do?"
    id: plan
    confirm: true
  - recall: {ritual: morning, id: plan, when: today}
    say: "You said: {answer}. Did it happen?"
    otherwise: "What did you do today?"
    id: review
  - recall: {ritual: morning, id: plan, when: yesterday}
    say: "Yesterday: {answer}."
  - say: "Bye, {name}."
"""
SCRIPTS: dict[str, list[Any]] = {
    "plain answers, keep": ["Fine.", "Call my sister.", "keep", "It did."],
    "silence, reframe, redo, add": [
        None, "I am not good enough.", None, None,
        "Walk.", "redo", "A long walk.", "add", "In the park.", "done", "mumble", "mumble",
        "Yes.",
    ],
    "pause, back, repeat": [
        "pause", "resume", "repeat", "Fine.", "back", "back", "Good.", "Run.", "keep", "skip",
    ],
    "stop": ["stop"],
}  # fmt: skip


def run(script: list[Any], answers: dict[Any, str]) -> tuple[FakeSpeaker, list[str]]:
    speaker = FakeSpeaker()
    ritual = parse_ritual(RITUAL, path="everything.yaml")
    Conductor(
        ritual=ritual,
        speaker=speaker,
        listener=ScriptedListener(script),
        sink=MemorySink(),
        clock=FixedClock(MORNING),
        events=EventLog(),
        reframes=REFRAMES,
        answers=FixedAnswers(answers),
        name="Sam",
    ).run()
    listed = ritual_prompts(ritual, placeholder_values(MORNING, "Sam"), REFRAMES)
    return speaker, listed


@pytest.mark.parametrize("found", [True, False], ids=["recalled", "nothing-to-recall"])
@pytest.mark.parametrize("script", list(SCRIPTS), ids=list(SCRIPTS))
def test_every_prompt_spoken_in_public_was_listed_and_no_private_one(
    script: str, found: bool
) -> None:
    today, yesterday = date(2026, 11, 30), date(2026, 11, 29)
    answers = {("morning", "plan", today): "Call my sister", ("morning", "plan", yesterday): "Rest"}
    speaker, listed = run(list(SCRIPTS[script]), answers if found else {})
    public = [t for t in speaker.said if t not in speaker.private]
    assert set(public) <= set(listed)
    assert not set(speaker.private) & set(listed)
    # the conductor asked for exactly this list, once, at the start
    assert speaker.prepared == ritual_prompts(
        parse_ritual(RITUAL, path="e.yaml"),
        placeholder_values(MORNING, "Sam"),
        REFRAMES,
        affirm_day=today.toordinal(),
    )
    if found and script == "plain answers, keep":
        assert "You said: Call my sister. Did it happen?" in speaker.private
        assert "Yesterday: Rest." in speaker.private


def test_the_main_path_comes_first_and_the_days_affirmation_before_the_others() -> None:
    ritual = parse_ritual(RITUAL, path="everything.yaml")
    values = placeholder_values(MORNING, "Sam")
    day = date(2026, 11, 30).toordinal()
    listed = ritual_prompts(ritual, values, REFRAMES, affirm_day=day)
    todays = ("One.", "Two.", "Three.")[day % 3]
    assert listed[:6] == [
        "Good morning, Sam. Happy Monday.",
        "Breathe in.",
        "Hold.",
        "And breathe out.",
        todays,
        "How are you?",
    ]
    later = listed.index("Take your time. How are you?")
    assert listed.index("What did you do today?") < later
    assert listed.index("Bye, Sam.") < later
    assert "And something you respect about yourself?" in listed[later:]
    assert len(listed) == len(set(listed))


def test_prompts_ahead_cover_each_time_of_day_of_the_coming_days() -> None:
    ritual = load_ritual(ROOT / "rituals" / "morning.yaml")
    texts = prompts_ahead(ritual, upcoming_values(MORNING, "Sam", days=2))
    greetings = [t for t in texts if t.startswith("Good ")]
    assert len(greetings) == 6  # 3 greetings (night greets as evening) x Monday and Tuesday
    assert "Good evening, Sam. Welcome to your Tuesday." in greetings
    assert not any(g.startswith("Good night") for g in greetings)  # a farewell, not a hello
    assert not any("{" in t for t in texts)
    # every affirmation of the list, whatever the day
    assert "Small steps still carry you forward." in texts


def test_a_ritual_without_questions_has_no_conductor_phrases() -> None:
    ritual = parse_ritual('title: T\nsteps:\n  - say: "Hi."\n', path="t.yaml")
    assert ritual_prompts(ritual, {}) == ["Hi."]


def test_a_streak_is_said_as_it_is_spoken_never_rendered_ahead() -> None:
    ritual = load_ritual(ROOT / "rituals" / "evening.yaml")
    texts = prompts_ahead(ritual, upcoming_values(MORNING, "Sam", days=2))
    assert texts and not any("{" in t for t in texts)
    assert not any("came back to yourself" in t for t in texts)
