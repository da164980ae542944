"""Typed rituals at a real terminal, as a person types and pastes (issue 20)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.journal import parse_entry
from tests.cli import isolated_env, run_cli
from tests.terminal import ritual_in_terminal
from tests.test_cli import journal_files

RITUAL = """\
title: Short check
language: en-us
steps:
  - say: "Take a breath and follow my voice."
    typed: "Take a breath and read along."
  - ask: "How are you?"
    id: feeling
  - ask: "Tell me what's on your mind."
    id: journal
    max_seconds: 900
  - ask: "Anything else?"
    id: more
"""


@pytest.fixture()
def ritual(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(RITUAL)
    return path


def test_a_long_answer_takes_lines_until_an_empty_one(tmp_path: Path, ritual: Path) -> None:
    journal = tmp_path / "journal"
    env = isolated_env(tmp_path)
    term = ritual_in_terminal(env, "run", str(ritual), "--text", "--journal", str(journal))
    assert "read along" in term.expect("How are you?")
    term.expect("> ")
    term.type("Fine.\n")
    term.expect("on your mind.")
    term.expect("an empty line or 'done' ends it")
    term.type("The first thought.\n")
    term.type("A second line, typed.\n")
    term.type("Pasted one.\nPasted two.\n")
    term.type("\n")
    term.expect("Anything else?")
    term.type("done\n")
    assert term.finish() == 0, term.screen
    [path] = journal_files(journal)
    entry = parse_entry(path.read_text())
    assert entry.answer("journal").text == (  # type: ignore[union-attr]
        "The first thought.\nA second line, typed.\nPasted one.\nPasted two."
    )
    assert "follow my voice" not in term.screen


def test_a_paste_is_one_answer_and_nothing_is_left_for_the_shell(
    tmp_path: Path, ritual: Path
) -> None:
    journal = tmp_path / "journal"
    env = isolated_env(tmp_path)
    term = ritual_in_terminal(
        env, "run", str(ritual), "--text", "--journal", str(journal), then_shell=True
    )
    term.expect("How are you?")
    term.expect("> ")
    term.type("Tired but fine.\nrm -rf notes\n")
    term.expect("on your mind.")
    term.type("stop\n")
    assert term.finish() == 0, term.screen
    assert "LEFT[]" in term.screen
    [path] = journal_files(journal)
    answer = parse_entry(path.read_text()).answer("feeling")
    assert answer is not None and answer.text == "Tired but fine.\nrm -rf notes"


@pytest.mark.parametrize("how", ["ctrl-c", "stop"])
def test_stopping_before_the_first_answer_keeps_nothing(
    tmp_path: Path, ritual: Path, how: str
) -> None:
    journal = tmp_path / "journal"
    env = isolated_env(tmp_path)
    term = ritual_in_terminal(env, "run", str(ritual), "--text", "--journal", str(journal))
    term.expect("How are you?")
    term.expect("> ")
    term.type("\x03" if how == "ctrl-c" else "stop\n")
    status = term.finish()
    assert status == (130 if how == "ctrl-c" else 0), term.screen
    assert "Traceback" not in term.screen
    assert journal_files(journal) == []
    listed = run_cli("journal", "list", "--journal", str(journal), env=env)
    assert "stopped" not in listed.stdout
    stats = run_cli("journal", "stats", "--journal", str(journal), env=env)
    assert "0/0" not in stats.stdout and "stopped" not in stats.stdout


def test_passphrases_are_asked_again_not_given_up_on(tmp_path: Path) -> None:
    pytest.importorskip("pyrage", reason="encryption needs pyrage")
    env = isolated_env(tmp_path)
    term = ritual_in_terminal(env, "key", "init")
    term.expect("A passphrase for the journal's key: ")
    term.type("one thing\n")
    term.expect("The same passphrase again: ")
    term.type("another\n")
    term.expect("The two passphrases differ. Try again.")
    term.expect("A passphrase for the journal's key: ")
    term.type("the quiet hour\n")
    term.expect("The same passphrase again: ")
    term.type("the quiet hour\n")
    assert term.finish() == 0, term.screen
    public = term.screen.split("Its public key, now in ")[1].split("\n")[1].strip()
    assert public.startswith("age1")
    config = tmp_path / "config" / "ritual" / "config.yaml"
    config.write_text("name: Sam\n")  # encryption switched off by hand
    off = run_cli("key", "show", env=env).stdout
    assert "ritual key show --unlock" in off
    term = ritual_in_terminal(env, "key", "show", "--unlock")
    term.expect("Passphrase for the journal's key: ")
    term.type("the loud hour\n")
    term.expect("Wrong passphrase; try again: ")
    term.type("the quiet hour\n")
    assert term.finish() == 0, term.screen
    assert public in term.screen
