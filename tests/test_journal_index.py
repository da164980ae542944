"""The journal's index: consistent with the files through edits, deletions, a corrupt
or missing index; search (Korean too); the files always the truth."""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.core.journal import Answer, Entry, EntryStatus, render_entry
from assistant.journal.folder import EntryFile, JournalFolder
from assistant.journal.index import JournalIndex, fts_query, index_path

TZ = timezone(timedelta(hours=9))


def write(
    folder: JournalFolder, day: date, ritual: str, *answers: str, mood: int | None = None
) -> Path:
    entry = Entry(ritual, ritual.title(), datetime(day.year, day.month, day.day, 7, tzinfo=TZ))
    entry = entry.with_answer(Answer("mood", "Mood?", "A number.", number=mood)) if mood else entry
    for n, text in enumerate(answers):
        entry = entry.with_answer(Answer(f"q{n + 1}", f"Question {n + 1}?", text))
    entry = Entry(**{**entry.__dict__, "status": EntryStatus.COMPLETE})
    sink = EntryFile(folder)
    sink.save(entry)
    return sink.path


def touch_later(path: Path) -> None:
    """Move the file's mtime on, as an editor's save a moment later would."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


@pytest.fixture
def folder(tmp_path: Path) -> JournalFolder:
    return JournalFolder(tmp_path / "journal")


@pytest.fixture
def index(folder: JournalFolder, tmp_path: Path) -> Iterator[JournalIndex]:
    # Closed here: Python 3.13 warns about a SQLite connection left to the collector.
    with JournalIndex.open(folder, tmp_path / "cache") as opened:
        yield opened


def found(index: JournalIndex, *words: str) -> list[str]:
    return [hit.path.name for hit in index.search(fts_query(words))]


def test_the_index_is_private_and_lives_in_the_cache(
    folder: JournalFolder, index: JournalIndex, tmp_path: Path
) -> None:
    write(folder, date(2026, 11, 30), "morning", "Calm.")
    index.refresh()
    assert index.path == index_path(tmp_path / "cache", folder.root)
    assert stat.S_IMODE(index.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(index.path.parent.stat().st_mode) == 0o700
    assert not list(folder.root.rglob("*.sqlite3"))  # nothing of it in the journal


def test_only_new_and_changed_files_are_read_again(
    folder: JournalFolder, index: JournalIndex
) -> None:
    for n in range(5):
        write(folder, date(2026, 11, 1) + timedelta(days=n), "evening", f"Day {n}.")
    assert index.refresh().read == 5
    assert index.refresh().read == 0
    write(folder, date(2026, 11, 6), "evening", "A new day.")
    done = index.refresh()
    assert (done.read, done.removed, done.total) == (1, 0, 6)


def test_an_entry_edited_by_hand_is_found_by_its_new_words(
    folder: JournalFolder, index: JournalIndex
) -> None:
    path = write(folder, date(2026, 11, 30), "evening", "I walked by the river.")
    index.refresh()
    assert found(index, "river") == [path.name]
    path.write_text(path.read_text().replace("river", "harbour"), encoding="utf-8")
    touch_later(path)
    index.refresh()
    assert found(index, "harbour") == [path.name]
    assert found(index, "river") == []


def test_a_deleted_entry_disappears(folder: JournalFolder, index: JournalIndex) -> None:
    kept = write(folder, date(2026, 11, 29), "evening", "Rain all day.")
    gone = write(folder, date(2026, 11, 30), "evening", "Rain again.")
    index.refresh()
    gone.unlink()
    assert index.refresh().removed == 1
    assert found(index, "rain") == [kept.name]
    assert [e.path for e in index.entries()] == [kept]


def test_words_deleted_or_edited_away_leave_no_trace_in_the_index_file(
    folder: JournalFolder, index: JournalIndex
) -> None:
    kept = write(folder, date(2026, 11, 29), "evening", "An ordinary day.")
    secret = write(folder, date(2026, 11, 30), "evening", "Zanzibarish confession.")
    edited = write(folder, date(2026, 12, 1), "evening", "Quixotical plans.")
    index.refresh()
    assert index.path is not None
    assert b"anzibarish" in index.path.read_bytes()  # the index does hold the text
    secret.unlink()
    edited.write_text(edited.read_text().replace("Quixotical", "Modest"), encoding="utf-8")
    touch_later(edited)
    index.refresh()
    data = index.path.read_bytes()
    assert b"anzibarish" not in data and b"uixotical" not in data
    assert found(index, "ordinary") == [kept.name] and found(index, "modest") == [edited.name]


def test_a_corrupt_index_is_built_again(
    folder: JournalFolder, index: JournalIndex, tmp_path: Path
) -> None:
    path = write(folder, date(2026, 11, 30), "evening", "Grateful for tea.")
    index.refresh()
    index.close()
    assert index.path is not None
    index.path.write_bytes(b"this is not a database at all" * 100)
    with JournalIndex.open(folder, tmp_path / "cache") as again:
        assert again.refresh().read == 1
        assert found(again, "tea") == [path.name]


def test_an_index_found_corrupt_in_the_middle_of_a_search_is_built_again(
    folder: JournalFolder, index: JournalIndex, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(folder, date(2026, 11, 30), "evening", "Grateful for tea.")
    index.refresh()
    index.close()
    assert index.path is not None
    pages = index.path.stat().st_size // 4096
    with open(index.path, "r+b") as f:  # the last pages: the text index, read only by search
        f.seek((pages - 2) * 4096)
        f.write(b"\xff" * 4096 * 2)
    with JournalIndex.open(folder, tmp_path / "cache") as again, caplog.at_level(logging.INFO):
        again.refresh()
        assert found(again, "tea") == [path.name]
    assert "unreadable" in caplog.text and "building it again" in caplog.text


def test_a_missing_index_and_reindex_give_the_same_answers(
    folder: JournalFolder, index: JournalIndex, tmp_path: Path
) -> None:
    write(folder, date(2026, 11, 29), "morning", "Slow breakfast.", mood=3)
    write(folder, date(2026, 11, 30), "morning", "Slow walk.", mood=4)
    index.refresh()
    before = (found(index, "slow"), index.facts())
    index.close()
    assert index.path is not None
    index.path.unlink()
    with JournalIndex.open(folder, tmp_path / "cache") as again:
        again.refresh()
        assert (found(again, "slow"), again.facts()) == before
        assert again.rebuild().read == 2
        assert (found(again, "slow"), again.facts()) == before
    assert [f.numbers for f in before[1]] == [{"mood": 3}, {"mood": 4}]


def test_odd_front_matter_is_passed_over_with_a_warning_everywhere(
    folder: JournalFolder, index: JournalIndex, caplog: pytest.LogCaptureFixture
) -> None:
    good = write(folder, date(2026, 11, 30), "evening", "Grateful for tea.")
    odd = good.parent / "2026-11-29-evening.md"
    odd.write_text("---\nritual: [unclosed\n---\n\n## Q\n\nTea.\n", encoding="utf-8")
    note = good.parent / "shopping list.md"
    note.write_text("- tea\n", encoding="utf-8")
    empty = good.parent / "2026-11-28-evening.md"
    empty.touch()  # just claimed by a session: no warning
    index.refresh()
    assert [e.path for e in index.entries()] == [good]
    assert found(index, "tea") == [good.name]
    assert len(index.facts()) == 1
    with caplog.at_level(logging.WARNING):
        index.warn_passed_over()
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2 and all(m.startswith("passing over ") for m in warned)
    assert any(str(odd) in m and "not valid YAML" in m for m in warned)
    assert any(str(note) in m for m in warned)


def test_korean_is_found_by_its_stem(folder: JournalFolder, index: JournalIndex) -> None:
    hopeful = write(folder, date(2026, 11, 29), "evening", "오늘은 희망적이었어요.")
    thanks = write(folder, date(2026, 11, 30), "evening", "가족과 함께 감사한 하루였어요.")
    index.refresh()
    assert found(index, "희망") == [hopeful.name]  # the stem, its ending attached in the text
    assert found(index, "감사") == [thanks.name]
    assert found(index, "하루") == [thanks.name]
    assert found(index, "가족과 함께") == [thanks.name]  # one argument with a space: its words
    assert found(index, "희망", "감사") == []  # every word must be found


def test_phrases_filters_ranking_and_snippets(folder: JournalFolder, index: JournalIndex) -> None:
    once = write(folder, date(2025, 11, 30), "evening", "Grateful for my sister and the sea.")
    often = write(folder, date(2026, 11, 30), "evening", "Sister, sister, my sister called. " * 3)
    morning = write(folder, date(2026, 11, 30), "morning", "My sister is visiting.")
    index.refresh()
    assert found(index, "sister")[0] == often.name  # the answer most about it first
    assert found(index, '"grateful for my sister"') == [once.name]
    assert found(index, '"sister grateful"') == []
    # `search "sister sea"`: the shell ate the quotes; the words are what was meant
    assert found(index, "sister sea") == found(index, "sister", "sea") == [once.name]
    hits = index.search(fts_query(["sister"]), ritual="morning")
    assert [h.path for h in hits] == [morning]
    assert [h.path for h in index.search(fts_query(["sister"]), until=date(2026, 1, 1))] == [once]
    since = index.search(fts_query(["sister"]), since=date(2026, 11, 30), ritual="evening")
    assert [h.path for h in since] == [often]
    [hit] = index.search(fts_query(["sea"]))
    assert hit.snippet == "Grateful for my sister and the \x02sea\x03."
    assert hit.prompt == "Question 1?" and hit.started.startswith("2025-11-30T07:00")


def test_typed_words_are_never_query_syntax() -> None:
    assert fts_query(["hope"]) == '"hope" *'
    assert fts_query(["of"]) == '"of"'  # too short to find every word that begins so
    assert fts_query(["꿈"]) == '"꿈" *'  # a Korean syllable is a word's beginning
    assert fts_query(['"grateful for" tea']) == '"grateful for" * AND "tea" *'
    assert fts_query(["NOT", "a*b", 'say "hi']) == '"NOT" * AND "a*b" * AND "say" * AND "hi"'
    assert fts_query(['""', " "]) == ""


def test_an_unwritable_cache_keeps_the_index_in_memory(
    folder: JournalFolder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(folder, date(2026, 11, 30), "evening", "Tea.")
    blocked = tmp_path / "cache-is-a-file"
    blocked.write_text("")
    with caplog.at_level(logging.WARNING), JournalIndex.open(folder, blocked) as index:
        assert index.path is None
        index.refresh()
        assert found(index, "tea") == ["2026-11-30-evening.md"]
    assert "cannot keep the journal index" in caplog.text


def test_entries_read_through_the_one_function_given(folder: JournalFolder) -> None:
    """An encrypted journal hands in its own reader (and keeps the index in memory)."""
    write(folder, date(2026, 11, 30), "evening", "Tea.")
    seen: list[Path] = []

    def read(path: Path) -> Entry:
        seen.append(path)
        return folder.read(path)

    with JournalIndex(folder, None, read=read) as index:
        index.refresh()
        assert [p.name for p in seen] == ["2026-11-30-evening.md"]
        assert found(index, "tea") == ["2026-11-30-evening.md"]


def test_two_indexes_of_one_journal_refresh_in_turn(folder: JournalFolder, tmp_path: Path) -> None:
    write(folder, date(2026, 11, 30), "evening", "Tea.")
    with (
        JournalIndex.open(folder, tmp_path / "cache") as one,
        JournalIndex.open(folder, tmp_path / "cache") as two,
    ):
        one.refresh()
        assert two.refresh().read == 0
        write(folder, date(2026, 12, 1), "evening", "Coffee.")
        time.sleep(0.01)
        assert two.refresh().read == 1 and one.refresh().read == 0
        assert len(one.entries()) == 2


def test_render_keeps_the_number_as_a_front_matter_property() -> None:
    entry = Entry("evening", "E", datetime(2026, 11, 30, 21, tzinfo=TZ)).with_answer(
        Answer("mood", "Mood?", "Four.", number=4)
    )
    assert "\nmood: 4\n" in render_entry(entry)
