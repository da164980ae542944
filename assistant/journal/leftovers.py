"""What an interrupted write left in the journal, found and shredded.

Every journal write goes to a hidden temporary file (``safe_files.temp_name``)
renamed into place; a process killed between the two leaves the temporary file.
One left by ``journal decrypt`` holds a whole entry in plaintext, so the next
command that writes the journal overwrites such files with zeros and removes
them. A temporary file younger than ``SETTLED`` seconds may be another process's
write in progress and is left to it.

The walk opens every folder without following a symlink, relative to its parent:
it never leaves the journal, and reads no file. A ritual writes only in the month
of its session, so a ritual (or ``listen``) looks in this month's and last
month's folders; every month is looked at by the commands that write across the
journal (``encrypt``, ``decrypt``, ``delete``, retention), and by a ritual after
one of those was cut short (``MARKER`` still there). Every month at ten years is
about 4,000 folders: a third of a second on our test machine.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Optional

from assistant.safe_files import (
    NOFOLLOW,
    exists_at,
    folder_fd,
    is_temp_name,
    remove_at,
    replace_at,
    shred_at,
)

log = logging.getLogger(__name__)

SETTLED = 120.0
"""seconds after which a temporary file is a leftover, not a write in progress"""
MARKER = ".ritual-converting"
"""in the journal's root while ``encrypt`` or ``decrypt`` runs"""
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | NOFOLLOW


@contextlib.contextmanager
def conversion_marked(root: Path) -> Iterator[None]:
    """``MARKER`` in the journal while the block runs (left behind if it is killed)."""
    if not root.is_dir():
        yield  # nothing to convert
        return
    with folder_fd(root) as top:
        replace_at(top, MARKER, "")
    yield
    with folder_fd(root) as top:
        remove_at(top, MARKER)


def clear_leftovers(root: Path, *, settled: float = SETTLED, recent: Optional[date] = None) -> int:
    """Shred the leftovers of interrupted writes in the journal at ``root``; how many.
    ``recent`` (a ritual's day): only that month and the one before, unless a
    conversion was cut short. A journal that cannot be walked is left as it is."""
    now = time.time()
    gone = 0
    try:
        top = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return 0  # no journal yet
    marked = exists_at(top, MARKER)
    months = None if recent is None or marked else _recent_months(recent)
    try:
        for folder in _journal_folders(top, months):
            try:
                gone += _shred_old_temps(folder, now - settled)
            finally:
                os.close(folder)
        if marked and _older_than(top, MARKER, now - settled):
            remove_at(top, MARKER)  # that conversion's leftovers are gone now
    except OSError as e:
        log.warning("could not look for leftovers of interrupted writes in %s (%s)", root, e)
    finally:
        os.close(top)
    if gone:
        log.warning("removed %d temporary files an interrupted write left in %s", gone, root)
    return gone


def _older_than(folder: int, name: str, moment: float) -> bool:
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False).st_mtime < moment
    except FileNotFoundError:
        return False


def _recent_months(day: date) -> set[tuple[str, str]]:
    before = day.replace(day=1) - timedelta(days=1)
    return {(f"{d:%Y}", f"{d:%m}") for d in (day, before)}


def _journal_folders(top: int, months: Optional[set[tuple[str, str]]]) -> Iterator[int]:
    """Open descriptors of the month folders (``YYYY/MM``; only ``months`` when given)
    and of the audio folders in them, never through a link; the caller closes each."""
    years = None if months is None else {y for y, _ in months}
    for year, year_name in _named_subfolders(top, 4, years):
        try:
            wanted = None if months is None else {m for y, m in months if y == year_name}
            for month, _ in _named_subfolders(year, 2, wanted):
                audio = list(_subfolders(month, None))
                yield month
                yield from audio
        finally:
            os.close(year)


def _subfolders(parent: int, digits: int | None) -> Iterator[int]:
    for fd, _ in _named_subfolders(parent, digits, None):
        yield fd


def _named_subfolders(
    parent: int, digits: int | None, only: Optional[set[str]]
) -> Iterator[tuple[int, str]]:
    with os.scandir(parent) as items:
        names = [
            i.name
            for i in items
            if (only is None or i.name in only)
            and i.is_dir(follow_symlinks=False)
            and (digits is None or (len(i.name) == digits and i.name.isdigit()))
        ]
    for name in sorted(names):
        with contextlib.suppress(OSError):  # gone, or swapped for a link since listed
            yield os.open(name, _FOLDER, dir_fd=parent), name


def _shred_old_temps(folder: int, before: float) -> int:
    gone = 0
    with os.scandir(folder) as items:
        names = [i.name for i in items if is_temp_name(i.name)]
    for name in names:
        try:
            info = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_mtime > before:
            continue
        shred_at(folder, name)
        gone += 1
    return gone
