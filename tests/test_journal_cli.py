"""``ritual journal list | show --on-this-day | search | stats | reindex`` on a crafted journal."""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest

from assistant.journal.folder import JournalFolder
from tests.cli import Result, isolated_env, run_cli
from tests.test_journal_index import write


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    """Evenings from 1 to 29 November 2026 with a mood (3, then 4 from the 16th), and
    on 30 November in 2024 and 2025; mornings on the last three days of November 2026;
    one hand-edited file whose front matter does not parse."""
    folder = JournalFolder(tmp_path / "journal")
    for n in range(29):
        day = date(2026, 11, 1) + timedelta(days=n)
        write(folder, day, "evening", f"Evening {n + 1}: tea.", mood=3 if day.day < 16 else 4)
    for year in (2024, 2025):
        write(folder, date(year, 11, 30), "evening", f"Grateful for the sea in {year}.")
    for day in (28, 29, 30):
        write(folder, date(2026, 11, day), "morning", "Hopeful about the week.")
    odd = folder.root / "2026" / "11" / "2026-11-15-morning.md"
    odd.write_text("---\nritual: morning\nstarted: soon\n---\n", encoding="utf-8")
    return folder.root


def journal_cli(journal: Path, *args: str, terminal: bool = False, **env: str) -> Result:
    home = journal.parent
    return run_cli(
        "journal", *args, "--journal", str(journal),
        env=isolated_env(home, **env), terminal=terminal,
    )  # fmt: skip


def test_list_with_filters_and_a_warning_for_the_odd_file(
    journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = journal_cli(journal, "list")
    assert listed.status == 0 and len(listed.stdout.splitlines()) == 34
    assert "passing over" in listed.stderr and "2026-11-15-morning.md" in listed.stderr
    assert "'started' is not a date and time" in listed.stderr
    mornings = journal_cli(journal, "list", "--ritual", "morning", "--since", "2026-11-29")
    assert [line[:16] for line in mornings.stdout.splitlines()] == [
        "2026-11-29 07:00",
        "2026-11-30 07:00",
    ]
    bad = journal_cli(journal, "list", "--since", "someday")
    assert bad.status == 2 and "'someday' is not a date" in capsys.readouterr().err


def test_show_on_this_day_reads_back_earlier_years(journal: Path) -> None:
    shown = journal_cli(journal, "show", "2026-11-30", "--on-this-day")
    assert shown.status == 0
    out = shown.stdout
    assert out.index("# Sunday 2025-11-30, 1 year ago") < out.index("the sea in 2025")
    assert out.index("the sea in 2025") < out.index("# Saturday 2024-11-30, 2 years ago")
    assert "the sea in 2024" in out and "Hopeful" not in out  # not this year's own
    nothing = journal_cli(journal, "show", "2026-11-20", "--on-this-day")
    assert nothing.stdout == "Nothing from November 20 in earlier years yet.\n"


def test_show_latest_day_in_the_order_begun(journal: Path) -> None:
    shown = journal_cli(journal, "show", "--raw").stdout
    assert shown.startswith("<!-- ") and "2026-11-30-morning.md" in shown.splitlines()[0]


def test_search_ranks_and_highlights_only_on_a_terminal(journal: Path) -> None:
    piped = journal_cli(journal, "search", "sea")
    assert sorted(piped.stdout.splitlines()) == [
        "    Grateful for the sea in 2024.",
        "    Grateful for the sea in 2025.",
        "2024-11-30 evening: Question 1?",
        "2025-11-30 evening: Question 1?",
    ]
    assert "\x1b" not in piped.stdout
    coloured = journal_cli(journal, "search", "sea", terminal=True)
    assert "the \x1b[1;31msea\x1b[0m in" in coloured.stdout
    no_colour = journal_cli(journal, "search", "sea", terminal=True, NO_COLOR="1")
    assert "\x1b" not in no_colour.stdout
    limited = journal_cli(journal, "search", "tea", "--limit", "3", "--until", "2026-11-10")
    assert len(limited.stdout.splitlines()) == 6
    assert journal_cli(journal, "search", "zebra").stdout == "Nothing found.\n"
    assert "passing over" in piped.stderr


def test_stats_for_the_crafted_journal(journal: Path) -> None:
    done = journal_cli(journal, "stats", "--until", "2026-11-30", "--weeks", "5")
    assert done.status == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "34 entries from 2024-11-30 to 2026-11-30"
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:5]}
    # entries, streak now, longest, a week over the last 12 weeks, answered
    assert rows["evening"] == ["31", "29", "29", "2.4", "100%"]
    assert rows["morning"] == ["3", "3", "3", "0.2", "100%"]
    assert "mood by month, the last 1 (Nov 2026 – Nov 2026, 3 to 4):" in done.stdout
    assert "3.5 in November, steady" in done.stdout
    assert "The last 5 weeks:" in done.stdout and "less · ░ ▒ ▓ █ more" in done.stdout
    assert "\x1b" not in done.stdout
    assert "passing over" in done.stderr


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_stats_plot_draws_a_real_picture(journal: Path, suffix: str) -> None:
    pytest.importorskip(
        "matplotlib", reason="--plot needs matplotlib (./setup --plot; ./setup test does)"
    )
    picture = journal.parent / f"journal{suffix}"
    done = journal_cli(journal, "stats", "--until", "2026-11-30", "--plot", str(picture))
    assert done.status == 0, done.stderr
    assert f"Drew {picture}" in done.stderr
    assert stat.S_IMODE(picture.stat().st_mode) == 0o600  # moods are private, as exports are
    data = picture.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    else:
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 50


def test_stats_plot_wants_png_or_svg(journal: Path) -> None:
    done = journal_cli(journal, "stats", "--plot", str(journal.parent / "x.jpg"))
    assert done.status == 2 and "draws a .png or an .svg" in done.stderr


def test_reindex_says_what_it_did(journal: Path) -> None:
    done = journal_cli(journal, "reindex")
    assert done.status == 0
    assert done.stdout.startswith("Indexed 34 entries in ")
    assert "(1 files passed over)" in done.stdout


def test_an_empty_journal(tmp_path: Path) -> None:
    empty = tmp_path / "journal"
    for action in ("list", "stats"):
        assert journal_cli(empty, action).stdout == f"No entries yet in {empty}.\n"
    assert journal_cli(empty, "search", "tea").stdout == "Nothing found.\n"
    assert journal_cli(empty, "show").stdout == f"No entries yet in {empty}.\n"
