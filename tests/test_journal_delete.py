"""``journal delete`` and ``retention:``: entries go with their audio, transcripts and
index rows; nothing outside the journal is ever touched; a terminal is asked first."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from assistant.core.errors import JournalError
from assistant.journal.deletion import contained_entry, removal, remove
from assistant.journal.folder import JournalFolder
from assistant.journal.index import index_path
from assistant.journal.recall_state import PendingRecalls
from tests.cli import Result, isolated_env, run_cli
from tests.test_journal_index import write

DAY = date(2026, 11, 30)


def with_audio(entry: Path, *names: str) -> Path:
    audio = entry.parent / entry.name.removesuffix(".md")
    audio.mkdir(mode=0o700)
    for name in names:
        (audio / name).write_bytes(b"kept")
    return audio


@pytest.fixture
def journal(tmp_path: Path) -> JournalFolder:
    folder = JournalFolder(tmp_path / "journal")
    morning = write(folder, DAY, "morning", "Hopeful about the sea.")
    with_audio(morning, "01-feeling.wav", "02-need.wav", "transcript.json")
    write(folder, DAY, "evening", "Grateful for the harbour.")
    write(folder, DAY - timedelta(days=1), "evening", "A quiet day.")
    return folder


def delete(folder: JournalFolder, *args: str, typed: str = "", typing: bool = False) -> Result:
    home = folder.root.parent
    return run_cli(
        "journal", "delete", *args, "--journal", str(folder.root),
        env=isolated_env(home), stdin=typed, typing=typing,
    )  # fmt: skip


def names(folder: JournalFolder) -> list[str]:
    return sorted(str(p.relative_to(folder.root)) for p in folder.root.rglob("*") if p.is_file())


def test_a_dry_run_and_a_missing_yes_delete_nothing(journal: JournalFolder) -> None:
    before = names(journal)
    dry = delete(journal, DAY.isoformat(), "--dry-run")
    assert dry.status == 0
    assert "entry 2026/11/2026-11-30-morning.md (2 recordings)" in dry.stdout
    assert "2026-11-30-evening.md" in dry.stdout and "2026-11-29" not in dry.stdout
    piped = delete(journal, DAY.isoformat())
    assert piped.status == 2 and "add --yes" in piped.stderr
    declined = delete(journal, DAY.isoformat(), typed="n\n", typing=True)
    assert declined.status == 0 and "Nothing deleted" in declined.stdout
    assert names(journal) == before


def test_a_day_goes_with_its_audio_transcripts_and_index_rows_once_confirmed(
    journal: JournalFolder,
) -> None:
    env = isolated_env(journal.root.parent)
    found = run_cli("journal", "search", "harbour", "--journal", str(journal.root), env=env)
    assert "harbour" in found.stdout
    index = index_path(journal.root.parent / "cache" / "ritual", journal.root)
    assert b"harbour" in index.read_bytes()
    done = delete(journal, DAY.isoformat(), "--ritual", "evening", typed="y\n", typing=True)
    assert done.status == 0, done.stderr
    assert names(journal) == [
        "2026/11/2026-11-29-evening.md",
        "2026/11/2026-11-30-morning.md",
        "2026/11/2026-11-30-morning/01-feeling.wav",
        "2026/11/2026-11-30-morning/02-need.wav",
        "2026/11/2026-11-30-morning/transcript.json",
    ]
    assert b"harbour" not in index.read_bytes()  # the index's rows, and their words
    assert delete(journal, "2026-11-30", "--yes").status == 0
    assert names(journal) == ["2026/11/2026-11-29-evening.md"]
    assert not (journal.root / "2026" / "11" / "2026-11-30-morning").exists()


def test_audio_only_keeps_the_entry_and_its_transcript(journal: JournalFolder) -> None:
    entry = journal.root / "2026" / "11" / "2026-11-30-morning.md"
    done = delete(journal, str(entry), "--audio-only", "--yes")
    assert done.status == 0 and "audio of 2026/11/2026-11-30-morning.md" in done.stdout
    assert "2026/11/2026-11-30-morning/transcript.json" in names(journal)
    assert not list(journal.root.rglob("*.wav")) and entry.exists()


def test_nothing_outside_the_journal_is_deleted(journal: JournalFolder, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "2026" / "11"
    outside.mkdir(parents=True)
    stranger = outside / "2026-11-30-morning.md"
    stranger.write_text("not the journal's")
    refused = delete(journal, str(stranger), "--yes")
    assert refused.status == 1 and "is not an entry of the journal" in refused.stderr
    # a month folder that is a symlink to somewhere else
    os.symlink(outside, journal.root / "2026" / "10")
    linked = delete(journal, str(journal.root / "2026" / "10" / stranger.name), "--yes")
    assert linked.status == 1 and stranger.exists()
    odd = delete(journal, str(journal.root / "2026" / "11" / "notes.md"), "--yes")
    assert odd.status == 1 and "not an entry" in odd.stderr


def test_deleting_an_entry_forgets_what_it_left_for_a_recall(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path / "journal")
    write(folder, DAY, "morning", "Be brave.")
    state = PendingRecalls(tmp_path / "state" / "ritual" / "pending-recalls.json", lambda: DAY)
    state.keep("morning", "intention", DAY, "be brave")
    assert delete(folder, DAY.isoformat(), "--yes").status == 0
    assert state.take("morning", "intention", DAY) is None


def test_retention_deletes_old_audio_and_entries_at_ritual_start(tmp_path: Path) -> None:
    today = date.today()
    folder = JournalFolder(tmp_path / "journal")
    old = write(folder, today - timedelta(days=40), "morning", "Long ago.")
    with_audio(old, "01-feeling.wav")
    recent = write(folder, today - timedelta(days=10), "morning", "Last week.")
    with_audio(recent, "01-feeling.wav", "transcript.json")
    fresh = write(folder, today - timedelta(days=2), "morning", "Two days ago.")
    with_audio(fresh, "01-feeling.wav")
    config = tmp_path / "config.yaml"
    config.write_text("retention:\n  audio_days: 7\n  entries_days: 30\n")
    env = isolated_env(tmp_path, RITUAL_CONFIG=str(config))
    journal = ["--journal", str(folder.root)]
    dry = run_cli("journal", "retention", "--dry-run", *journal, env=env)
    assert dry.status == 0
    assert dry.stdout.count("\n  ") == 2 and f"entry {old.relative_to(folder.root)}" in dry.stdout
    assert f"audio of {recent.relative_to(folder.root)} (1 recording)" in dry.stdout
    assert old.exists()
    ran = run_cli("run", "morning", "--text", *journal, env=env, stdin="fine\n" * 12)
    assert ran.status == 0, ran.stderr
    said = f"Retention: deleted 1 entry older than 30 days (before {today - timedelta(days=30)})"
    assert said + " and the recordings of 1 entry older than 7 days" in ran.stderr
    assert not old.exists() and not old.with_suffix("").exists()
    assert recent.exists() and not (recent.with_suffix("") / "01-feeling.wav").exists()
    assert (recent.with_suffix("") / "transcript.json").exists()
    assert (fresh.with_suffix("") / "01-feeling.wav").exists()
    quiet = run_cli("journal", "retention", *journal, env=env)
    assert "Nothing is older" in quiet.stdout


def test_retention_never_deletes_through_a_symlinked_month(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path / "journal")
    write(folder, date.today(), "morning", "Today.")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    victim = outside / "2001-01-01-morning.md"
    victim.write_text("not the journal's")
    (folder.root / "2001").mkdir()
    os.symlink(outside, folder.root / "2001" / "01")
    config = tmp_path / "config.yaml"
    config.write_text("retention:\n  entries_days: 30\n")
    env = isolated_env(tmp_path, RITUAL_CONFIG=str(config))
    ran = run_cli("journal", "retention", "--journal", str(folder.root), env=env)
    assert ran.status == 0 and victim.exists()


def test_delete_by_date_never_follows_a_symlinked_month(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path / "journal")
    write(folder, date(2026, 11, 30), "morning", "Kept.")
    outside = tmp_path / "elsewhere"
    victim = outside / "2001-01-01-morning.md"
    outside.mkdir()
    with_audio(victim, "01-feeling.wav")
    victim.write_text("not the journal's")
    (folder.root / "2001").mkdir()
    os.symlink(outside, folder.root / "2001" / "01")
    ran = delete(folder, "2001-01-01", "--yes")
    assert ran.status == 0 and "passing over" in ran.stderr
    assert victim.exists() and (outside / "2001-01-01-morning" / "01-feeling.wav").exists()


def test_a_month_swapped_for_a_link_after_the_check_is_not_deleted_through(
    tmp_path: Path,
) -> None:
    folder = JournalFolder(tmp_path / "journal")
    entry = write(folder, DAY, "morning", "Checked, then swapped.")
    planned = [removal(contained_entry(folder, entry), audio_only=False)]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / entry.name).write_text("not the journal's")
    month = entry.parent
    month.rename(tmp_path / "moved")
    os.symlink(outside, month)
    with pytest.raises(JournalError, match="cannot delete"):
        remove(planned, folder.root)
    assert (outside / entry.name).read_text() == "not the journal's"


def test_an_entry_deleted_while_its_ritual_runs_stays_deleted(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from assistant.core.journal import Answer, Entry
    from assistant.journal.folder import EntryFile

    folder = JournalFolder(tmp_path / "journal")
    entry = Entry("morning", "Morning", datetime.now(timezone.utc).astimezone())
    session = EntryFile(folder)
    path = session.save(entry.with_answer(Answer("q1", "How?", "First answer.")))
    assert delete(folder, "today", "--yes").status == 0 and not path.exists()
    session.save(entry.with_answer(Answer("q2", "And?", "Second answer.")))
    assert session.deleted and not path.exists()
    assert session.open_audio(2, "q2") is None
    assert not list(folder.root.rglob("*.md"))
