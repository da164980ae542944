"""What an interrupted write left in the journal, found and shredded.

Every journal write goes to a hidden temporary file (``safe_files.temp_name``)
renamed into place; a process killed between the two leaves the temporary file.
One left by ``journal decrypt`` holds a whole entry in plaintext, so the next
command that writes the journal overwrites such files with zeros and removes
them. A temporary file younger than ``SETTLED`` seconds may be another process's
write in progress and is left to it.

The walk opens every folder without following a symlink, relative to its parent:
it never leaves the journal. It lists the month and audio folders, nothing is
read: about 4,000 folders at ten years of daily entries with audio.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from assistant.safe_files import NOFOLLOW, is_temp_name, shred_at

log = logging.getLogger(__name__)

SETTLED = 120.0
"""seconds after which a temporary file is a leftover, not a write in progress"""
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | NOFOLLOW


def clear_leftovers(root: Path, *, settled: float = SETTLED) -> int:
    """Shred the leftovers of interrupted writes in the journal at ``root``; how many.
    A journal that cannot be walked is left as it is (a warning)."""
    now = time.time()
    gone = 0
    try:
        top = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return 0  # no journal yet
    try:
        for folder in _journal_folders(top):
            try:
                gone += _shred_old_temps(folder, now - settled)
            finally:
                os.close(folder)
    except OSError as e:
        log.warning("could not look for leftovers of interrupted writes in %s (%s)", root, e)
    finally:
        os.close(top)
    if gone:
        log.warning("removed %d temporary files an interrupted write left in %s", gone, root)
    return gone


def _journal_folders(top: int) -> Iterator[int]:
    """Open descriptors of the month folders (``YYYY/MM``) and of the audio folders in
    them, never through a link; the caller closes each."""
    for year in _subfolders(top, 4):
        try:
            for month in _subfolders(year, 2):
                audio = list(_subfolders(month, None))
                yield month
                yield from audio
        finally:
            os.close(year)


def _subfolders(parent: int, digits: int | None) -> Iterator[int]:
    with os.scandir(parent) as items:
        names = [
            i.name
            for i in items
            if i.is_dir(follow_symlinks=False)
            and (digits is None or (len(i.name) == digits and i.name.isdigit()))
        ]
    for name in sorted(names):
        with contextlib.suppress(OSError):  # gone, or swapped for a link since listed
            yield os.open(name, _FOLDER, dir_fd=parent)


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
