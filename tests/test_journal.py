"""Journal entries: golden files, round trips, and the folder on disk."""

from __future__ import annotations

import os
import stat
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.core.errors import JournalError
from assistant.core.journal import (
    Answer,
    AnswerState,
    Entry,
    EntryName,
    EntryStatus,
    FollowUp,
    entry_name,
    parse_entry,
    render_entry,
)
from assistant.journal.folder import EntryFile, JournalFolder
from assistant.safe_files import replace_file as atomic_write
from tests.cli import ROOT

GOLDEN = ROOT / "tests" / "data" / "golden"
TZ = timezone(timedelta(hours=1))


def sample_entry() -> Entry:
    entry = Entry(
        ritual="morning",
        title="Morning check-in",
        started=datetime(2026, 11, 30, 7, 2, 11, tzinfo=TZ),
        status=EntryStatus.COMPLETE,
        ended=datetime(2026, 11, 30, 7, 9, 40, tzinfo=TZ),
        model="vosk-model-small-en-us-0.15",
        tags=("ritual", "morning"),
    )
    for answer in (
        Answer(
            "feeling",
            "How are you feeling right now?",
            "Tired, but hopeful.\n\nA bit restless too.",
            audio=("2026-11-30-morning/01-feeling.wav",),
        ),
        Answer("need", "What do you need right now?", state=AnswerState.NO_ANSWER),
        Answer("good_day", "What would make today good?", state=AnswerState.SKIPPED),
        Answer(
            "intention",
            "What is your intention for today?",
            "I'm not good enough for this job.",
            follow_up=FollowUp(
                "And something you value about yourself?", "I keep my word.", rule="self-critical"
            ),
        ),
        Answer("tricky", "Anything else?", "# not a heading\n---\n_(not a marker)_"),
    ):
        entry = entry.with_answer(answer)
    return entry


def test_render_matches_the_golden_file() -> None:
    assert render_entry(sample_entry()) == (GOLDEN / "morning.md").read_text(encoding="utf-8")


def test_golden_file_parses_back_to_the_same_entry() -> None:
    parsed = parse_entry((GOLDEN / "morning.md").read_text(encoding="utf-8"))
    expected = sample_entry()
    assert parsed.answers[:3] == expected.answers[:3]
    assert parsed.answers[3].follow_up is not None
    assert parsed.answers[3].follow_up.text == "I keep my word."
    assert parsed.answers[4].text == expected.answers[4].text
    assert (parsed.started, parsed.ended, parsed.status) == (
        expected.started,
        expected.ended,
        EntryStatus.COMPLETE,
    )


def test_front_matter_is_plain_yaml_with_the_contract_keys() -> None:
    import yaml

    text = render_entry(sample_entry())
    front = yaml.safe_load(text.split("---\n")[1])
    for key in ("ritual", "date", "started", "ended", "status", "model", "tags"):
        assert key in front
    assert front["date"] == date(2026, 11, 30)


def test_a_hand_edited_entry_keeps_unknown_front_matter() -> None:
    text = render_entry(sample_entry()).replace("tags:", "mood: calm\ntags:", 1)
    entry = parse_entry(text)
    assert entry.extra == {"mood": "calm"}
    assert "mood: calm" in render_entry(entry)


def test_broken_entries_raise_a_journal_error() -> None:
    with pytest.raises(JournalError, match="no front matter"):
        parse_entry("just text\n", "x.md")
    with pytest.raises(JournalError, match="no 'ritual'"):
        parse_entry("---\ntitle: x\n---\n", "x.md")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folders_are_0700_files_0600_and_a_second_session_gets_its_own_file(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        folder = JournalFolder(tmp_path / "journal")
        first = folder.reserve(date(2026, 11, 30), "morning")
        second = folder.reserve(date(2026, 11, 30), "morning")
    finally:
        os.umask(old)
    assert first == tmp_path / "journal/2026/11/2026-11-30-morning.md"
    assert second.name == "2026-11-30-morning-2.md"
    for d in (tmp_path / "journal", tmp_path / "journal/2026", tmp_path / "journal/2026/11"):
        assert mode(d) == 0o700
    EntryFile(folder, first).save(sample_entry())
    assert mode(first) == 0o600
    EntryFile(folder, second).save(sample_entry())
    assert first.read_text() == render_entry(sample_entry())  # untouched by the second


def test_atomic_write_leaves_no_temp_files_and_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "e.md"
    atomic_write(target, "one\n")
    atomic_write(target, "two\n")
    assert target.read_text() == "two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["e.md"]


def test_find_answer_takes_the_latest_answer_of_that_day(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path)
    day = date(2026, 11, 30)
    for text in ("First intention.", "Second intention."):
        entry = Entry("morning", "M", datetime(2026, 11, 30, 7, tzinfo=TZ)).with_answer(
            Answer("intention", "Q?", text)
        )
        EntryFile(folder, folder.reserve(day, "morning")).save(entry)
    assert folder.find_answer("morning", "intention", day) == "Second intention."
    assert folder.find_answer("morning", "intention", date(2026, 11, 29)) is None
    assert folder.find_answer("morning", "intention", None) == "Second intention."
    assert folder.find_answer("evening", "intention", day) is None


def save(folder: JournalFolder, day: date, ritual: str, text: str = "Yes.") -> Path:
    entry = Entry(ritual, ritual, datetime(day.year, day.month, day.day, 7, tzinfo=TZ))
    sink = EntryFile(folder)
    sink.save(entry.with_answer(Answer("intention", "Q?", text)))
    return sink.path


def test_a_recall_reads_only_the_folder_of_its_day(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = JournalFolder(tmp_path)
    save(folder, date(2025, 11, 30), "evening", "A year ago.")
    broken = tmp_path / "2026" / "10" / "2026-10-01-evening.md"
    broken.parent.mkdir(parents=True)
    broken.write_text("---\nritual: [\n---\n")  # would be warned about if it were read
    assert folder.find_answer("evening", "intention", date(2025, 11, 30)) == "A year ago."
    assert folder.find_answer("evening", "intention", date(2025, 11, 29)) is None
    assert "passing over" not in caplog.text


def test_the_latest_answer_is_looked_for_newest_first_by_file_name(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path)
    save(folder, date(2024, 3, 1), "morning", "Oldest.")
    save(folder, date(2026, 11, 2), "morning", "Newest.")
    save(folder, date(2026, 11, 30), "evening", "Not a morning.")
    assert folder.find_answer("morning", "intention", None) == "Newest."
    assert [p.name for p in folder.newest_first("morning")] == [
        "2026-11-02-morning.md",
        "2024-03-01-morning.md",
    ]
    assert folder.latest_day() == date(2026, 11, 30)
    assert JournalFolder(tmp_path / "none").latest_day() is None


def test_streaks_come_from_file_names_month_by_month(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path)
    for n in range(40):  # 23 October to 1 December
        save(folder, date(2026, 12, 1) - timedelta(days=n), "evening")
    save(folder, date(2026, 10, 21), "evening")  # after a day missed
    save(folder, date(2026, 12, 1), "evening")  # a second session the same day: -2
    save(folder, date(2026, 12, 1), "morning")
    assert folder.streak("evening", date(2026, 12, 1)) == 40
    assert folder.streak("evening", date(2026, 11, 15)) == 24
    assert folder.streak("evening", date(2026, 12, 2)) == 0
    assert folder.streak("morning", date(2026, 12, 1)) == 1
    assert folder.streak("weekly-vision", date(2026, 12, 1)) == 0


def test_entry_names_read_back() -> None:
    assert entry_name("2026-11-30-morning.md") == EntryName(date(2026, 11, 30), "morning", 1)
    assert entry_name("2026-11-30-weekly-vision-3.md") == EntryName(
        date(2026, 11, 30), "weekly-vision", 3
    )
    assert entry_name("2026-13-30-morning.md") is None
    assert entry_name("shopping list.md") is None


def test_a_number_round_trips_through_the_front_matter() -> None:
    entry = sample_entry().with_answer(Answer("mood", "Mood?", "A four.", number=4))
    text = render_entry(entry)
    assert "\nmood: 4\n" in text
    parsed = parse_entry(text)
    assert parsed.answer("mood") == entry.answer("mood")
    assert "mood" not in parsed.extra
    by_hand = parse_entry(text.replace("mood: 4", "mood: four"))
    assert by_hand.answer("mood").number is None  # type: ignore[union-attr]
    assert by_hand.extra["mood"] == "four"  # kept as written


@pytest.mark.parametrize(
    "odd", ["audio: 5", "questions: 5", "started: 2026-13-01", "ended: yes", "[a, b]"]
)
def test_odd_front_matter_never_stops_a_recall(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, odd: str
) -> None:
    folder = JournalFolder(tmp_path)
    save(folder, date(2026, 11, 30), "morning", "Kept.")
    hand = tmp_path / "2026" / "11" / "2026-11-30-morning-2.md"
    front = odd if odd.startswith("[") else f"ritual: morning\nstarted: 2026-11-30\n{odd}"
    hand.write_text(f"---\n{front}\n---\n\n## Q?\n\nHand-written.\n", encoding="utf-8")
    assert folder.find_answer("morning", "intention", date(2026, 11, 30)) == "Kept."
    assert folder.find_answer("morning", "intention", None) == "Kept."
    # Passed over, or read with the odd key left aside: either way with a warning.
    assert str(hand) in caplog.text


def test_entries_of_one_day_come_back_in_the_order_they_were_begun(tmp_path: Path) -> None:
    # Names sort "apple" first and a folder may list either first (tmpfs lists the
    # newest file first): only the time each was begun may decide.
    folder = JournalFolder(tmp_path)
    day = date(2026, 11, 30)
    for ritual, hour in (("zebra", 21), ("apple", 22), ("zebra", 7)):
        entry = Entry(ritual, ritual, datetime(2026, 11, 30, hour, tzinfo=TZ))
        EntryFile(folder, folder.reserve(day, ritual)).save(entry)
    save(folder, date(2026, 11, 29), "zebra")
    # Begun in the same second ("started" keeps no more): the one written first leads.
    for ritual, written in (("yak", 2), ("bee", 3)):
        entry = Entry(ritual, ritual, datetime(2026, 11, 29, 7, tzinfo=TZ))
        path = EntryFile(folder, folder.reserve(date(2026, 11, 29), ritual)).save(entry)
        os.utime(path, (written, written))
    begun = [(e.ritual, e.started.hour, p.name) for p, e in folder.read_all()]
    assert begun == [
        ("yak", 7, "2026-11-29-yak.md"),
        ("bee", 7, "2026-11-29-bee.md"),
        ("zebra", 7, "2026-11-29-zebra.md"),  # written now, long after 1970
        ("zebra", 7, "2026-11-30-zebra-2.md"),
        ("zebra", 21, "2026-11-30-zebra.md"),
        ("apple", 22, "2026-11-30-apple.md"),
    ]
