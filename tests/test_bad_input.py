"""Odd input anywhere gets a clear message and exit 1, never a traceback or lost words."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from assistant.core.journal import parse_entry
from tests.cli import ROOT, isolated_env, run_cli


def test_a_note_that_is_not_an_entry_is_passed_over(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    journal = tmp_path / "journal"
    run_cli("run", "journal", "--text", "--journal", str(journal), env=env, stdin="Hello.\n")
    stray = journal / "2026" / "11" / "2026-11-01-notes.md"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text("just my own notes\n")
    listed = run_cli("journal", "list", "--journal", str(journal), env=env)
    assert listed.status == 0 and "1/1 answered" in listed.stdout
    assert "passing over" in listed.stderr and "notes.md" in listed.stderr
    evening = run_cli(
        "run", "evening", "--text", "--journal", str(journal), env=env, stdin="Fine.\nstop\n"
    )
    assert evening.status == 0, evening.stderr


def test_undecodable_typed_input_is_kept_not_a_crash(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "run", "journal", "--text", "--journal", str(journal)],
        input=b"caf\xe9 and \xff bytes\n",
        capture_output=True,
        cwd=ROOT,
        env={**isolated_env(tmp_path), "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    [entry] = list(journal.glob("*/*/*.md"))
    assert parse_entry(entry.read_text()).answers[0].text == "caf\ufffd and \ufffd bytes"


def test_a_config_that_is_not_text(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(b"\xff\xfe: 1\n")
    result = run_cli("list", "--config", str(config), env=isolated_env(tmp_path))
    assert result.status == 1 and "not UTF-8 text" in result.stderr


def test_a_config_with_odd_keys(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("1: a\nfoo: b\n")
    result = run_cli("list", "--config", str(config), env=isolated_env(tmp_path))
    assert result.status == 1 and "unknown setting '1'" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_to_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    result = run_cli(
        "journal", "export", "--output", str(tmp_path / "nowhere" / "x.md"),
        "--journal", str(tmp_path / "j"), env=isolated_env(tmp_path),
    )  # fmt: skip
    assert result.status == 1 and "cannot write" in result.stderr


def test_the_events_file_is_private(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    run_cli(
        "run", "journal", "--text", "--journal", str(tmp_path / "j"), "--events", str(events),
        env=isolated_env(tmp_path), stdin="A secret.\n",
    )  # fmt: skip
    assert stat.S_IMODE(events.stat().st_mode) == 0o600
    assert "A secret." in events.read_text()


def test_an_unwritable_events_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli(
        "run", "journal", "--text", "--journal", str(tmp_path / "j"),
        "--events", str(tmp_path / "missing" / "e.jsonl"), env=isolated_env(tmp_path),
    )  # fmt: skip
    assert result.status == 1 and "cannot write events to" in result.stderr


def test_check_takes_a_ritual_by_name_as_run_does(tmp_path: Path) -> None:
    rituals = tmp_path / "config" / "ritual" / "rituals"
    rituals.mkdir(parents=True)
    (rituals / "late.yaml").write_text('title: Late\nsteps:\n  - ask: "Hi?"\n    silence: 9999\n')
    env = isolated_env(tmp_path)
    named = run_cli("check", "late", env=env)
    assert named.status == 1
    assert f"{rituals / 'late.yaml'}:4: silence must be" in named.stderr
    assert run_cli("check", "morning", env=env).stdout.strip() == "1 file(s) OK"
    missing = run_cli("check", "nowhere", env=env)
    assert missing.status == 1 and "nowhere: no such file" in missing.stderr


def test_an_ascii_only_terminal_keeps_a_korean_answer_and_shows_it_escaped(
    tmp_path: Path,
) -> None:
    env = {**isolated_env(tmp_path), "PYTHONIOENCODING": "ascii", "PYTHONPATH": str(ROOT)}

    def ritual(*args: str, typed: str = "") -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "assistant", *args, "--journal", str(tmp_path / "j")],
            env=env, input=typed.encode("utf-8"), capture_output=True, timeout=60,
        )  # fmt: skip

    ran = ritual("run", "journal", "--text", typed="희망이 있어요\n\n")
    assert ran.returncode == 0, ran.stderr
    [entry] = (tmp_path / "j").rglob("*.md")
    assert "희망이 있어요" in entry.read_text(encoding="utf-8")
    shown = ritual("journal", "show", "today")
    assert shown.returncode == 0 and b"\\ud76c\\ub9dd" in shown.stdout, shown.stderr
