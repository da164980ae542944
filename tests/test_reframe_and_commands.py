"""Reframe rules (the bundled ones) and whole-utterance command matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.errors import RitualFileError
from assistant.core.reframe import load_reframes, parse_reframes
from assistant.core.voice_commands import Command, commands_for, match_command, normalize, only
from tests.cli import ROOT

RULES = load_reframes([ROOT / "rituals" / "reframes.yaml"])

SELF_CRITICAL = [
    "I'm not good enough",
    "im not good enough for this",
    "i am not good enough",
    "I always mess up",
    "i cant do anything right",
    "I'm a failure",
    "i'm so stupid",
    "I hate myself sometimes",
    "i never get it right",
    "I'm useless at this",
    "what's wrong with me",
    "I should have known better",
]
WORRIED = [
    "what if it all falls apart",
    "I'm afraid of the meeting",
    "im scared",
    "I'm worried about money",
    "it will all fall apart",
    "everything will go wrong",
    "i can't cope",
    "I'll never finish",
    "something bad will happen",
]
NEUTRAL = [
    "I want to stop worrying",
    "I had a good day",
    "The walk was lovely and the coffee was good",
    "I am good at listening",
    "tomorrow I will cook",
]


@pytest.mark.parametrize("answer", SELF_CRITICAL)
def test_self_critical_statements(answer: str) -> None:
    rule = RULES.match(answer, "en-us")
    assert rule is not None and rule.name == "self-critical", answer


@pytest.mark.parametrize("answer", WORRIED)
def test_worried_statements(answer: str) -> None:
    rule = RULES.match(answer, "en-us")
    assert rule is not None and rule.name == "worried", answer


@pytest.mark.parametrize("answer", NEUTRAL)
def test_neutral_statements_are_left_alone(answer: str) -> None:
    assert RULES.match(answer, "en-us") is None


def test_korean_rules_exist_and_match() -> None:
    assert RULES.match("나는 부족해", "ko") is not None
    assert RULES.match("오늘 좋았어요", "ko") is None


def test_unknown_language_has_no_rules() -> None:
    assert RULES.match("I'm not good enough", "xx") is None


def test_bad_reframes_file_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(
        RitualFileError, match=r"reframes.yaml:2: a reframe rule needs a 'follow_up'"
    ):
        parse_reframes("en:\n  - name: x\n    triggers: [a]\n", "reframes.yaml")
    with pytest.raises(RitualFileError, match=r"r.yaml:2: bad pattern"):
        parse_reframes("en:\n  - name: x\n    follow_up: y\n    patterns: ['(']\n", "r.yaml")


def test_commands_only_when_the_whole_utterance_is_one() -> None:
    words = commands_for("en-us")
    assert match_command("Stop.", words) == "stop"
    assert match_command("  that's all ", words) == "done"
    assert match_command("thats all", words) == "done"
    assert match_command("Say that again", words) == "repeat"
    assert match_command("next", words) == "skip"
    assert match_command("I want to stop worrying", words) is None
    assert match_command("stop stop", words) is None
    assert match_command("", words) is None


def test_only_the_commands_that_make_sense_now() -> None:
    words = only(commands_for("en"), (Command.RESUME, Command.STOP))
    assert match_command("skip", words) is None
    assert match_command("continue", words) is Command.RESUME


def test_ritual_commands_replace_defaults_and_other_languages() -> None:
    words = commands_for("ko", {Command.STOP: ("중지",)})
    assert words[Command.STOP] == ("중지",)
    assert match_command("중지", words) is Command.STOP
    assert commands_for("de")[Command.STOP] == commands_for("en")[Command.STOP]
    assert normalize("That’s ALL!") == "that's all"
