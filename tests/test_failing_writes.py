"""A full disk, a full device or a closed stream: the diary is kept, the message is clear.

These use real conditions: /dev/full, a tiny tmpfs mounted for the test (root
only; skipped with the reason otherwise), a process started with stdin closed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Callable, Optional, Union

import pytest

from assistant.core.journal import parse_entry
from tests.cli import ROOT, isolated_env, run_cli
from tests.test_cli import answer_typed_morning, journal_files, run_typed

FIVE_QUESTIONS = "title: Five\nsteps:\n" + "".join(
    f"  - ask: Question number {n}?\n    id: q{n}\n" for n in range(1, 6)
)


def ritual_process(
    tmp_path: Path,
    *args: str,
    stdout: Union[int, IO[str]] = subprocess.PIPE,
    preexec_fn: Optional[Callable[[], None]] = None,
) -> tuple[int, str]:
    """``python -m assistant ARGS`` in its own process: its status and its stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**isolated_env(tmp_path), "PYTHONPATH": str(ROOT)},
        timeout=60,
        preexec_fn=preexec_fn,
        text=True,
    )
    return proc.returncode, proc.stderr


def no_traceback(stderr: str) -> bool:
    return not any(w in stderr for w in ("Traceback", "unexpected error", "Exception ignored"))


# -- events and standard output -----------------------------------------------------------


def test_an_events_file_on_a_full_device_leaves_the_ritual_going(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    result = run_cli(
        "run", "journal", "--text", "--journal", str(journal), "--events", "/dev/full",
        env=isolated_env(tmp_path), stdin="Still kept.\n",
    )  # fmt: skip
    assert result.status == 0 and no_traceback(result.stderr), result.stderr
    assert "stopped writing events (No space left on device)" in result.stderr
    entry = parse_entry(journal_files(journal)[0].read_text())
    assert entry.status == "complete" and entry.answers[0].text == "Still kept."


def test_text_mode_with_stdout_on_a_full_device_stops_cleanly(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    with open("/dev/full", "w") as full:
        status, err = ritual_process(
            tmp_path, "run", "journal", "--text", "--journal", str(journal), stdout=full
        )
    assert status == 1 and no_traceback(err), err
    assert "cannot write the prompts (No space left on device)" in err
    assert journal_files(journal) == []  # stopped before any answer: no empty entry


def test_a_journal_command_with_stdout_on_a_full_device(tmp_path: Path) -> None:
    run_typed("journal", tmp_path / "journal", isolated_env(tmp_path), ["One."])
    with open("/dev/full", "w") as full:
        status, err = ritual_process(
            tmp_path, "journal", "list", "--journal", str(tmp_path / "journal"), stdout=full
        )
    assert status == 1 and no_traceback(err), err
    assert "cannot write the output (No space left on device)" in err


def test_text_mode_with_stdin_closed_says_so(tmp_path: Path) -> None:
    status, err = ritual_process(
        tmp_path, "run", "journal", "--text", "--journal", str(tmp_path / "j"),
        preexec_fn=lambda: os.close(0),
    )  # fmt: skip
    assert status == 1 and no_traceback(err), err
    assert "standard input, and it is closed" in err


def test_sighup_saves_the_entry_as_stopped(tmp_path: Path) -> None:
    proc = answer_typed_morning(tmp_path, ["Kept answer."])
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130 and no_traceback(err), err
    entry = parse_entry(journal_files(tmp_path / "journal")[0].read_text())
    assert entry.status == "stopped" and entry.answers[0].text == "Kept answer."


# -- a full disk ----------------------------------------------------------------------------


@contextlib.contextmanager
def tiny_disk(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()}); needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_keeps_the_last_good_entry_and_says_what_was_lost(tmp_path: Path) -> None:
    ritual = tmp_path / "five.yaml"
    ritual.write_text(FIVE_QUESTIONS)
    # Each answer is 16 KB; on a 64 KB disk the entry and its temporary copy stop
    # fitting at the third answer.
    answers = [f"Answer {n}. " + "word " * 3200 for n in range(1, 6)]
    with tiny_disk(tmp_path / "disk", "64k") as disk:
        journal = disk / "journal"
        result = run_cli(
            "run", str(ritual), "--text", "--journal", str(journal),
            env=isolated_env(tmp_path), stdin="".join(a + "\n" for a in answers),
        )  # fmt: skip
        assert result.status == 1 and no_traceback(result.stderr), result.stderr
        [path] = journal_files(journal)
        assert "No space left on device" in result.stderr
        assert 'Not saved: your answer to "Question number 3?"' in result.stderr
        assert f"{path} keeps the rest" in result.stderr
        entry = parse_entry(path.read_text())
        assert [a.text[:9] for a in entry.answers] == ["Answer 1.", "Answer 2."]
        assert entry.status == "stopped"
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left
