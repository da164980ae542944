"""Barge-in in the pure core: a command said over a prompt acts at once, a word of
the prompt itself is never listened for, and nothing else said over a prompt is
taken as an answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.barge_in import BargeIn, barge_in_for, parse_barge_in, prompt_commands
from assistant.core.conductor import Conductor
from assistant.core.journal import AnswerState
from assistant.core.ritual_file import parse_ritual
from assistant.core.voice_commands import Command, commands_for
from tests.cli import isolated_env, run_cli
from tests.fakes import EventLog, FakeBargeInSpeaker, FixedClock, MemorySink, ScriptedListener

RITUAL = """
title: Test
steps:
  - say: "Breathe slowly and let the day go."
  - ask: "What went well today?"
    id: well
  - ask: "Say skip to skip this one. What was hard?"
    id: hard
  - say: "Good night."
"""


def run(
    over: dict[str, str], script: list[object]
) -> tuple[Conductor, FakeBargeInSpeaker, ScriptedListener, MemorySink]:
    speaker, listener, sink = FakeBargeInSpeaker(over), ScriptedListener(script), MemorySink()
    conductor = Conductor(
        ritual=parse_ritual(RITUAL),
        speaker=speaker,
        listener=listener,
        sink=sink,
        clock=FixedClock(),
        events=EventLog(),
        barge_in=speaker,
    )
    conductor.run()
    return conductor, speaker, listener, sink


def test_stop_said_over_a_prompt_ends_the_ritual_before_it_listens() -> None:
    _, speaker, listener, sink = run({"What went well today?": "stop"}, [])
    assert listener.requests == []  # it never listened after the prompt
    assert sink.discarded and sink.last.answers == ()  # stopped before any answer: none kept
    assert speaker.cut == ["What went well today?"]


def test_skip_over_a_question_skips_it_and_over_a_say_skips_the_step() -> None:
    over = {"Breathe slowly and let the day go.": "next", "What went well today?": "skip"}
    _, _, listener, sink = run(over, ["it was hard", None, None])
    answer = sink.last.answer("well")
    assert answer is not None and answer.state is AnswerState.SKIPPED
    assert listener.requests[0].step == "hard"
    hard = sink.last.answer("hard")
    assert hard is not None and hard.text == "it was hard"


def test_repeat_over_a_prompt_says_it_again() -> None:
    _, speaker, _, _ = run({"What went well today?": "repeat"}, ["tea", "rain"])
    assert speaker.said.count("What went well today?") == 2


def test_a_word_of_the_prompt_is_not_listened_for_during_it() -> None:
    _, speaker, _, sink = run(
        {"Say skip to skip this one. What was hard?": "skip"}, ["tea", "rain"]
    )
    hard = speaker.listened_for[speaker.said.index("Say skip to skip this one. What was hard?")]
    assert "skip" not in hard.get(Command.SKIP, ())
    assert "next" in hard[Command.SKIP]  # the command is still there by its other words
    assert speaker.cut == []
    assert sink.last.answer("hard").text == "rain"  # type: ignore[union-attr]


def test_an_answer_said_over_a_prompt_is_not_an_answer() -> None:
    _, _, _, sink = run({"What went well today?": "the walk in the park"}, ["tea", "rain"])
    assert sink.last.answer("well").text == "tea"  # type: ignore[union-attr]
    assert "park" not in str(sink.last.answers)


def test_only_the_commands_that_make_sense_during_a_prompt() -> None:
    listened = prompt_commands(commands_for("en"), list(Command), "Hello there.")
    assert set(listened) == {
        Command.STOP,
        Command.SKIP,
        Command.REPEAT,
        Command.PAUSE,
        Command.BACK,
    }
    # "go back" shares "go" with the prompt: only the phrases without it are left
    back = prompt_commands(commands_for("en"), [Command.BACK], "Go on, go back.")
    assert back == {Command.BACK: ("previous question",)}


@pytest.mark.parametrize(
    ("value", "setting"),
    [(True, BargeIn.ON), (False, BargeIn.OFF), ("headset", BargeIn.HEADSET), ("loud", None)],
)
def test_the_setting_reads_yaml_booleans(value: object, setting: BargeIn | None) -> None:
    assert parse_barge_in(value) is setting


def test_a_wrong_barge_in_is_named_by_file_and_line(tmp_path: Path) -> None:
    ritual = tmp_path / "late.yaml"
    ritual.write_text("title: Late\nbarge_in: sometimes\nsteps:\n  - say: Hi.\n")
    config = tmp_path / "config.yaml"
    config.write_text("name: Sam\nbarge_in: loud\n")
    env = isolated_env(tmp_path)
    checked = run_cli("check", str(ritual), env=env)
    assert checked.status == 1
    assert f"{ritual}:2: barge_in must be one of off, on, headset" in checked.stderr
    listed = run_cli("list", "--config", str(config), env=env)
    assert listed.status == 1 and f"{config}:2: barge_in is one of" in listed.stderr


def test_a_ritual_says_off_or_on_and_a_headset_in_the_config_wins_for_on() -> None:
    assert parse_ritual("title: T\nbarge_in: on\nsteps: [{say: Hi.}]\n").barge_in is BargeIn.ON
    assert barge_in_for(BargeIn.OFF, BargeIn.ON) is BargeIn.ON
    assert barge_in_for(BargeIn.ON, BargeIn.OFF) is BargeIn.OFF
    assert barge_in_for(BargeIn.HEADSET, BargeIn.ON) is BargeIn.HEADSET
    assert barge_in_for(BargeIn.HEADSET, None) is BargeIn.HEADSET
