"""ritual touches only files it owns. Every place it writes (the journal, the cache,
the state folder, the runtime folder, the config folder, the systemd folder) is
planted with symlinks out of it, FIFOs and folders, every writing command runs,
and nothing outside changes, nothing hangs, nothing is an unexpected error.
Leftovers of an interrupted write are shredded by the next writing command."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import stat
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import FrameType

import pytest

from assistant.journal.folder import JournalFolder
from assistant.journal.index import index_path
from assistant.journal.leftovers import clear_leftovers
from assistant.journal.recall_state import PendingRecalls
from tests.cli import isolated_env, run_cli
from tests.test_journal_index import write

CONFIG = "name: Sam\nschedule:\n  - {ritual: evening, time: '21:30'}\n"
OLD_DAY = "2001-01-01"
KINDS = ("link", "dangling link", "hard link", "fifo", "folder")


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Everything about a tree that a write, chmod or delete would change."""
    seen: dict[str, tuple[object, ...]] = {}
    for folder, subfolders, names in os.walk(root):
        for name in ["", *subfolders, *names]:
            path = Path(folder, name)
            info = path.lstat()
            what: object = None
            if stat.S_ISREG(info.st_mode):
                what = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                what = os.readlink(path)
            seen[str(path.relative_to(root))] = (info.st_mode, info.st_ino, what)
    return seen


def plant(path: Path, kind: str, outside: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "link":
        path.symlink_to(outside / ("folder" if path.suffix == "" else "victim.txt"))
    elif kind == "dangling link":
        path.symlink_to(outside / "nothing-here")
    elif kind == "hard link":
        if path.suffix == "":  # a folder's name: no hard link to a folder
            path.symlink_to(outside / "folder")
        else:
            os.link(outside / "victim.txt", path)
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()


class Hung(BaseException):
    """Raised in a command that waits too long (no OSError: nothing may take it for one)."""


@contextlib.contextmanager
def no_hang(seconds: int) -> Iterator[None]:
    def stuck(signum: int, frame: FrameType | None) -> None:
        raise Hung(f"a command hung for {seconds} s")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def places(home: Path) -> list[Path]:
    """The names ritual writes at (or makes folders at) in one home."""
    journal = home / "data" / "ritual" / "journal"
    cache = home / "cache" / "ritual"
    today = date.today()
    month = journal / f"{today:%Y}" / f"{today:%m}"
    return [
        index_path(cache, journal),
        cache / "speech",
        home / "state" / "ritual" / "pending-recalls.json",
        home / "runtime" / "ritual" / "listen.lock",
        home / "config" / "systemd" / "user" / "ritual-listen.service",
        month / f"{today.isoformat()}-morning.md",
        month / f"{today.isoformat()}-morning",
        journal / "2001" / "01",
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_what_is_planted_where_ritual_writes_never_leads_it_outside(
    tmp_path: Path, kind: str
) -> None:
    home, outside = tmp_path / "home", tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "folder" / f"{OLD_DAY}-morning.md").write_text("someone else's\n")
    (outside / "victim.txt").write_text("precious\n")
    for path in (outside, outside / "folder", outside / "victim.txt"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    config = home / "config" / "ritual" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG)
    for path in places(home):
        plant(path, kind, outside)
    before = snapshot(outside)
    env = isolated_env(home, XDG_RUNTIME_DIR=str(home / "runtime"))
    commands = [
        ["run", "morning", "--text"],
        ["journal", "list"],
        ["journal", "search", "fine"],
        ["journal", "reindex"],
        ["journal", "stats"],
        ["journal", "delete", OLD_DAY, "--yes"],
        ["journal", "delete", "today", "--audio-only", "--yes"],
        ["listen", "--no-wake"],
        ["service", "install", "--no-wake"],
        ["service", "status"],
        ["service", "remove"],
    ]
    with no_hang(60):
        for command in commands:
            result = run_cli(*command, env=env, stdin="fine\n" * 12)
            said = result.stderr + result.stdout
            assert "Traceback" not in said and "unexpected" not in said, (command, said)
    after = snapshot(outside)
    if kind == "hard link":  # the victim's other names went; the victim is as it was
        after = {k: v for k, v in after.items() if k != "victim.txt"}
        before = {k: v for k, v in before.items() if k != "victim.txt"}
        assert (outside / "victim.txt").read_text() == "precious\n"
        assert stat.S_IMODE((outside / "victim.txt").stat().st_mode) == 0o644
    assert after == before


def test_a_fifo_as_the_recall_state_does_not_hang_and_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "state" / "pending-recalls.json"
    path.parent.mkdir()
    os.mkfifo(path)
    state = PendingRecalls(path, date.today)
    with no_hang(5):
        state.keep("morning", "intention", date.today(), "be brave")
        assert state.take("morning", "intention", date.today()) == "be brave"


def test_leftovers_of_an_interrupted_write_are_shredded_by_the_next_writing_command(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "journal"
    audio = journal / "2026" / "11" / "2026-11-30-morning"
    audio.mkdir(parents=True)
    old = [
        journal / "2026" / "11" / ".2026-11-30-morning.md.0123abcd.tmp",
        audio / ".transcript.json.89abcdef.tmp",
    ]
    fresh = journal / "2026" / "11" / ".2026-11-30-evening.md.fedcba98.tmp"
    outside = tmp_path / "outside"
    outside.mkdir()
    kept = outside / ".x.md.00000000.tmp"
    kept.write_text("not the journal's")
    os.utime(kept, (time.time() - 3600, time.time() - 3600))
    linked = journal / "2026" / "11" / ".2026-11-28-morning.md.0000aaaa.tmp"
    os.link(kept, linked)  # a hard link named as a leftover: unlinked, never zeroed
    (journal / "2026" / "10").symlink_to(outside)
    an_hour_ago = time.time() - 3600
    for path in [*old, fresh]:
        path.write_text("a whole entry in plaintext")
        if path is not fresh:
            os.utime(path, (an_hour_ago, an_hour_ago))
    write(JournalFolder(journal), date(2026, 11, 29), "evening", "To be deleted.")
    inode = old[0].stat().st_ino
    with open(old[0], "rb") as still_open:  # what was there is overwritten, not only unlinked
        result = run_cli("journal", "delete", "2026-11-29", "--yes", "--journal", str(journal),
                         env=isolated_env(tmp_path))  # fmt: skip
        assert result.status == 0
        assert os.fstat(still_open.fileno()).st_ino == inode
        assert still_open.read() == b"\0" * len("a whole entry in plaintext")
    assert not any(p.exists() for p in old)
    assert fresh.exists() and kept.read_text() == "not the journal's"  # in progress; outside
    assert not linked.exists()
    os.utime(fresh, (an_hour_ago, an_hour_ago))
    ran = run_cli("run", "morning", "--text", "--journal", str(journal),
                  env=isolated_env(tmp_path), stdin="fine\n" * 12)  # fmt: skip
    assert ran.status == 0 and not fresh.exists()
    assert clear_leftovers(tmp_path / "no journal yet") == 0


def test_a_ritual_looks_in_old_months_only_after_a_conversion_was_cut_short(
    tmp_path: Path,
) -> None:
    from assistant.journal.leftovers import MARKER, conversion_marked

    journal = tmp_path / "journal"
    old = journal / "2020" / "05" / ".2020-05-01-morning.md.0123abcd.tmp"
    old.parent.mkdir(parents=True)
    old.write_text("a whole entry in plaintext")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    today = date(2026, 12, 7)
    assert clear_leftovers(journal, recent=today) == 0 and old.exists()  # a ritual's look
    with pytest.raises(KeyboardInterrupt), conversion_marked(journal):
        raise KeyboardInterrupt  # a decrypt stopped midway
    marker = journal / MARKER
    assert marker.exists()
    os.utime(marker, (an_hour_ago, an_hour_ago))
    assert clear_leftovers(journal, recent=today) == 1 and not old.exists()
    assert not marker.exists()  # the next ritual looks at its own months again
    with conversion_marked(journal):
        assert marker.exists()
    assert not marker.exists()
