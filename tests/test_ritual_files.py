"""Ritual file validation: every malformed file gets file:line and exit 1, no traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.core.errors import RitualFileError
from assistant.core.ritual import Ask, Breathe, Recall, Scale
from assistant.core.ritual_file import load_ritual, parse_ritual
from tests.cli import ROOT, isolated_env, run_cli

BROKEN = sorted((ROOT / "tests" / "data" / "broken").glob("*.yaml"))
BUNDLED = sorted((ROOT / "rituals").glob("*.yaml"))


def expectation(path: Path) -> tuple[int, str]:
    match = re.match(r"# expect: (\d+): (.*)", path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path} needs a first line '# expect: LINE: message'"
    return int(match.group(1)), match.group(2)


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_problem_is_named_with_file_and_line(path: Path) -> None:
    line, message = expectation(path)
    with pytest.raises(RitualFileError) as caught:
        load_ritual(path)
    assert f"{path}:{line}: {message}" in [
        str(p)[: len(f"{path}:{line}: {message}")] for p in caught.value.problems
    ]
    assert len(caught.value.problems) == 1, caught.value.problems


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_check_exits_1_without_a_traceback(path: Path, tmp_path: Path) -> None:
    line, message = expectation(path)
    result = run_cli("check", str(path), env=isolated_env(tmp_path))
    assert result.status == 1
    assert f"{path}:{line}: {message}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_run_of_a_broken_ritual_exits_1_naming_the_line(tmp_path: Path) -> None:
    path = ROOT / "tests/data/broken/unknown-step.yaml"
    result = run_cli(
        "run", str(path), "--text", "--journal", str(tmp_path / "j"), env=isolated_env(tmp_path)
    )
    assert result.status == 1
    assert f"{path}:5: unknown step kind 'aks'" in result.stderr
    assert not (tmp_path / "j").exists()


def test_all_problems_of_a_file_are_listed_at_once() -> None:
    text = "title: T\nsteps:\n  - say: ''\n  - pause: -1\n  - ask: 'Q {x}'\n"
    with pytest.raises(RitualFileError) as caught:
        parse_ritual(text, path="many.yaml")
    assert [p.line for p in caught.value.problems] == [3, 4, 5]


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path / "nope.yaml"), env=isolated_env(tmp_path))
    assert result.status == 1
    assert "nope.yaml: no such file" in result.stderr


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_rituals_are_valid(path: Path, tmp_path: Path) -> None:
    result = run_cli("check", str(path), env=isolated_env(tmp_path))
    assert result.status == 0, result.stderr


def test_defaults_and_shapes() -> None:
    ritual = parse_ritual(
        """
title: Shapes
steps:
  - breathe: 2
  - ask: "A?"
  - ask: "B?"
    silence: 4.5
    confirm: true
  - recall: {ritual: morning, id: intention}
    say: "You said {answer}."
""",
        path="shapes.yaml",
    )
    assert ritual.id == "shapes" and ritual.language == "en-us"
    breathe, a, b, recall = ritual.steps
    assert isinstance(breathe, Breathe) and breathe.count == 2 and breathe.breathe_out == 6
    assert isinstance(a, Ask) and a.listening.id == "q1" and a.listening.silence == 3
    assert isinstance(b, Ask) and b.listening.id == "q2" and b.listening.confirm
    assert isinstance(recall, Recall) and recall.when == ("latest",) and recall.listening is None


def test_morning_intention_is_what_the_evening_recalls() -> None:
    morning = load_ritual(ROOT / "rituals/morning.yaml")
    evening = load_ritual(ROOT / "rituals/evening.yaml")
    recalls = [s for s in evening.steps if isinstance(s, Recall)]
    assert recalls and recalls[0].ritual == "morning"
    assert recalls[0].id in {q.listening.id for q in morning.questions if q.listening}


def test_a_scale_a_list_of_days_to_recall_and_the_journal_placeholders() -> None:
    ritual = parse_ritual(
        """
title: Looking back
steps:
  - say: "That's {streak}."
  - ask: "Your mood, from one to five?"
    id: mood
    scale: [1, 5]
  - recall: {ritual: evening, id: gratitude, when: [a year ago, a week ago]}
    say: "{when}, you were grateful for {answer}."
""",
        path="back.yaml",
    )
    _, ask, recall = ritual.steps
    assert isinstance(ask, Ask) and ask.listening.scale == Scale(1, 5)
    assert isinstance(recall, Recall) and recall.when == ("a year ago", "a week ago")
