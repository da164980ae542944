"""No file outside the journal is ever touched: planted symlinks, hard links and odd
export targets are replaced, refused or written through, never followed blindly."""

from __future__ import annotations

import os
import socket
import stat
from datetime import date, datetime
from pathlib import Path

import pytest

from assistant.audio.wav import read_wav
from assistant.core.errors import JournalError
from assistant.core.journal import Entry, audio_dirname
from assistant.journal.answer_audio import StreamingAnswerAudio
from assistant.journal.folder import EntryFile, JournalFolder
from tests.cli import isolated_env, run_cli
from tests.test_cli import run_typed

DAY = date(2026, 11, 30)


def export(tmp_path: Path, target: Path) -> tuple[int, str]:
    env = isolated_env(tmp_path)
    journal = tmp_path / "journal"
    if not journal.exists():
        assert run_typed("journal", journal, env, ["An exported answer."]).status == 0
    result = run_cli("journal", "export", "-o", str(target), "--journal", str(journal), env=env)
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    return result.status, result.stderr


def test_export_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "notes" / "export.md"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "export-link.md"
    link.symlink_to(real)
    status, err = export(tmp_path, link)
    assert status == 0, err
    assert link.is_symlink() and "An exported answer." in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in real.parent.iterdir()) == ["export.md"]  # no temp files


def test_export_into_a_fifo_writes_through_it(tmp_path: Path) -> None:
    fifo = tmp_path / "export.fifo"
    os.mkfifo(fifo)
    # A reader that is already there (without blocking); the export fits the pipe.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        status, err = export(tmp_path, fifo)
        assert status == 0, err
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        assert b"An exported answer." in os.read(reader, 65536)
    finally:
        os.close(reader)


def char_device(path: Path, major: int, minor: int) -> Path:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    return path


def test_export_into_a_full_device_is_a_clear_error_and_the_device_stays(tmp_path: Path) -> None:
    # Our own node for /dev/full (1, 7): the test must never risk the real one.
    full = char_device(tmp_path / "full", 1, 7)
    status, err = export(tmp_path, full)
    assert status == 1 and "No space left on device" in err
    assert stat.S_ISCHR(full.lstat().st_mode)


def test_export_into_a_null_device_succeeds_and_the_device_stays(tmp_path: Path) -> None:
    null = char_device(tmp_path / "null", 1, 3)
    status, err = export(tmp_path, null)
    assert status == 0, err
    assert stat.S_ISCHR(null.lstat().st_mode)


def test_export_refuses_a_folder_and_a_socket(tmp_path: Path) -> None:
    status, err = export(tmp_path, tmp_path)
    assert status == 1 and "is a folder" in err
    with socket.socket(socket.AF_UNIX) as server:
        path = tmp_path / "s.sock"
        server.bind(str(path))
        status, err = export(tmp_path, path)
        assert status == 1 and "not a file" in err
        assert stat.S_ISSOCK(path.lstat().st_mode)


def test_export_replaces_a_regular_file_atomically_and_privately(tmp_path: Path) -> None:
    target = tmp_path / "export.md"
    target.write_text("old\n")
    target.chmod(0o644)
    hard = tmp_path / "hard-link.md"
    os.link(target, hard)
    status, err = export(tmp_path, target)
    assert status == 0, err
    assert "An exported answer." in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert hard.read_text() == "old\n"  # replaced, not written through


# -- the journal's own files ---------------------------------------------------------------


def started_entry(tmp_path: Path) -> tuple[EntryFile, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    sink = EntryFile(JournalFolder(tmp_path / "journal"))
    sink.save(Entry("morning", "Morning", datetime(2026, 11, 30, 7, 0)))
    return sink, outside


def test_a_symlink_planted_at_an_answers_wav_is_replaced_not_followed(tmp_path: Path) -> None:
    sink, outside = started_entry(tmp_path)
    victim = outside / "victim.txt"
    victim.write_text("keep me\n")
    victim.chmod(0o644)
    wav = sink.audio_file(1, "feeling")
    assert wav is not None
    wav.symlink_to(victim)
    with StreamingAnswerAudio(wav) as writer:
        writer.write(b"\x01\x00" * 1600)
    assert victim.read_text() == "keep me\n" and stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not wav.is_symlink() and read_wav(wav).seconds == pytest.approx(0.1)
    assert stat.S_IMODE(wav.stat().st_mode) == 0o600


def test_a_hard_link_planted_at_an_answers_wav_is_not_written_through(tmp_path: Path) -> None:
    sink, outside = started_entry(tmp_path)
    victim = outside / "victim.txt"
    victim.write_text("keep me\n")
    wav = sink.audio_file(1, "feeling")
    assert wav is not None
    os.link(victim, wav)
    with StreamingAnswerAudio(wav) as writer:
        writer.write(b"\x01\x00" * 160)
    assert victim.read_text() == "keep me\n"


def test_a_symlinked_audio_folder_is_refused_and_nothing_lands_outside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink, outside = started_entry(tmp_path)
    (sink.path.parent / audio_dirname(sink.path.name)).symlink_to(outside)
    assert sink.audio_file(1, "feeling") is None  # the answer is still heard, not kept
    assert "not keeping audio" in caplog.text
    with pytest.raises(JournalError, match="symlink"):
        sink.save_details({"feeling": [{"text": "x"}]})
    # Even when the store is bypassed, the writer will not open a symlinked folder.
    with pytest.raises(OSError):
        StreamingAnswerAudio(sink.path.parent / audio_dirname(sink.path.name) / "01-x.wav")
    assert list(outside.iterdir()) == []


def test_a_symlinked_month_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "journal"
    (root / "2026").mkdir(parents=True)
    (root / "2026" / "11").symlink_to(outside)
    with pytest.raises(JournalError, match="symlink"):
        JournalFolder(root).reserve(DAY, "morning")
    assert list(outside.iterdir()) == []


def test_a_symlink_planted_at_the_entry_or_transcript_is_replaced(tmp_path: Path) -> None:
    sink, outside = started_entry(tmp_path)
    victim = outside / "victim.txt"
    victim.write_text("keep me\n")
    sink.path.unlink()
    sink.path.symlink_to(victim)
    audio = sink.path.parent / audio_dirname(sink.path.name)
    audio.mkdir()
    (audio / "transcript.json").symlink_to(victim)
    sink.save(Entry("morning", "Morning", datetime(2026, 11, 30, 7, 0)))
    sink.save_details({"feeling": []})
    assert victim.read_text() == "keep me\n"
    assert not sink.path.is_symlink() and not (audio / "transcript.json").is_symlink()


def test_a_journal_root_that_is_a_symlink_is_the_users_choice(tmp_path: Path) -> None:
    real = tmp_path / "synced" / "journal"
    real.mkdir(parents=True)
    (tmp_path / "journal").symlink_to(real)
    result = run_typed("journal", tmp_path / "journal", isolated_env(tmp_path), ["Kept."])
    assert result.status == 0, result.stderr
    assert len(list(real.glob("*/*/*.md"))) == 1
