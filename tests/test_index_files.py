"""The index file in the cache is ritual's own: a link, FIFO or folder planted at its
name, or at its folder's, is never written through; a busy, damaged or full index
is told apart and handled (wait and say so, rebuild, keep it in memory)."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest

from assistant.core.errors import JournalError
from assistant.journal.folder import JournalFolder
from assistant.journal.index import JournalIndex, fts_query, index_path
from tests.test_failing_writes import tiny_disk
from tests.test_journal_index import write

DAY = date(2026, 11, 30)


@pytest.fixture
def folder(tmp_path: Path) -> JournalFolder:
    journal = JournalFolder(tmp_path / "journal")
    write(journal, DAY, "evening", "Grateful for tea.")
    return journal


def indexed(folder: JournalFolder, cache: Path) -> list[str]:
    """What a search for 'tea' finds through a fresh index object."""
    with JournalIndex.open(folder, cache) as index:
        index.refresh()
        return [hit.path.name for hit in index.search(fts_query(["tea"]))]


def planted_at(folder: JournalFolder, cache: Path) -> Path:
    path = index_path(cache, folder.root)
    path.parent.mkdir(parents=True)
    return path


def another_programs_database(path: Path) -> bytes:
    """Another program's SQLite file (mode 0644) at ``path``; its bytes."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('owner', 'someone else')")
    db.commit()
    db.close()
    os.chmod(path, 0o644)
    return path.read_bytes()


def test_a_link_to_another_database_is_replaced_and_the_database_left_alone(
    folder: JournalFolder, tmp_path: Path
) -> None:
    other = tmp_path / "other.sqlite3"
    before = another_programs_database(other)
    path = planted_at(folder, tmp_path / "cache")
    path.symlink_to(other)
    assert indexed(folder, tmp_path / "cache") == ["2026-11-30-evening.md"]
    assert other.read_bytes() == before and stat.S_IMODE(other.stat().st_mode) == 0o644
    assert stat.S_ISREG(path.lstat().st_mode)


def test_a_dangling_link_or_a_link_to_text_writes_nothing_where_it_points(
    folder: JournalFolder, tmp_path: Path
) -> None:
    path = planted_at(folder, tmp_path / "cache")
    nowhere = tmp_path / "elsewhere" / "diary-copy.sqlite3"
    nowhere.parent.mkdir()
    path.symlink_to(nowhere)
    assert indexed(folder, tmp_path / "cache") == ["2026-11-30-evening.md"]
    assert not nowhere.exists()
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    os.chmod(notes, 0o644)
    path.unlink()
    path.symlink_to(notes)
    assert indexed(folder, tmp_path / "cache") == ["2026-11-30-evening.md"]
    assert notes.read_text() == "mine\n" and stat.S_IMODE(notes.stat().st_mode) == 0o644


def test_a_fifo_at_the_index_or_its_journal_does_not_hang(
    folder: JournalFolder, tmp_path: Path
) -> None:
    path = planted_at(folder, tmp_path / "cache")
    os.mkfifo(path)
    assert indexed(folder, tmp_path / "cache") == ["2026-11-30-evening.md"]  # in memory
    assert stat.S_ISFIFO(path.lstat().st_mode)
    path.unlink()
    outside = tmp_path / "outside-journal"
    outside.write_bytes(b"kept")
    Path(f"{path}-journal").symlink_to(outside)
    assert indexed(folder, tmp_path / "cache") == ["2026-11-30-evening.md"]
    assert outside.read_bytes() == b"kept"


def test_a_linked_index_folder_is_refused_and_the_index_kept_in_memory(
    folder: JournalFolder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chmod(elsewhere, 0o755)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "journal-index").symlink_to(elsewhere)
    with caplog.at_level(logging.WARNING):
        assert indexed(folder, tmp_path / "cache") == ["2026-11-30-evening.md"]
    assert list(elsewhere.iterdir()) == [] and stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    assert "cannot keep the journal index" in caplog.text


def test_an_index_another_command_is_writing_is_busy_not_broken(
    folder: JournalFolder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    assert indexed(folder, cache) == ["2026-11-30-evening.md"]
    path = index_path(cache, folder.root)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")  # what a reindex holds while it writes
    monkeypatch.setattr(JournalIndex, "BUSY_SECONDS", 0.2)
    try:
        with pytest.raises(JournalError, match="busy"):
            indexed(folder, cache)
        assert path.exists()  # not deleted as if it were corrupt
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with JournalIndex.open(folder, cache) as index:
        assert index.refresh().read == 0  # the index that was there, still there


def test_a_damaged_page_that_only_listing_reads_is_found_and_rebuilt(
    folder: JournalFolder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    for day in range(1, 30):
        write(folder, date(2026, 10, day), "evening", f"Day {day}.")
    assert indexed(folder, cache) == ["2026-11-30-evening.md"]
    path = index_path(cache, folder.root)
    with sqlite3.connect(path) as db:
        (page,) = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'files_by_day'"
        ).fetchone()
    with open(path, "r+b") as f:  # the index by day: refresh does not read it, list does
        f.seek((page - 1) * 4096)
        f.write(b"\xff" * 4096)
    with caplog.at_level(logging.INFO), JournalIndex.open(folder, cache) as index:
        index.refresh()
        assert len(index.entries()) == 30 and len(index.facts()) == 30
    assert "unreadable" in caplog.text


def test_a_full_cache_disk_keeps_the_index_in_memory(
    folder: JournalFolder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for day in range(1, 29):
        write(folder, date(2026, 10, day), "evening", f"Day {day}. " + "many words " * 400)
    with (
        tiny_disk(tmp_path / "disk", "64k") as cache,
        caplog.at_level(logging.WARNING),
        JournalIndex.open(folder, cache) as index,
    ):
        index.refresh()
        assert len(index.entries()) == 29 and index.path is None
        found = [h.path.name for h in index.search(fts_query(["tea"]))]
        assert found == ["2026-11-30-evening.md"]
    assert "no room for the journal index" in caplog.text


def test_a_hard_link_at_the_index_or_its_journal_is_unlinked_not_written(
    folder: JournalFolder, tmp_path: Path
) -> None:
    other = tmp_path / "other.sqlite3"
    before = another_programs_database(other)
    path = planted_at(folder, tmp_path / "cache")
    os.link(other, path)
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7" + b"mine" * 200)  # a journal's magic
    os.link(notes, f"{path}-journal")
    assert indexed(folder, tmp_path / "cache") == ["2026-11-30-evening.md"]
    assert other.read_bytes() == before and stat.S_IMODE(other.stat().st_mode) == 0o644
    assert notes.read_bytes().endswith(b"mine" * 200) and other.stat().st_nlink == 1
