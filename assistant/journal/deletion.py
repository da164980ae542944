"""Deleting from the journal: ``journal delete`` and ``retention:``.

An entry goes with its audio folder (the answers' WAVs and ``transcript.json``,
in either form); ``audio only`` leaves the entry and its transcript and takes the
recordings. Nothing outside the journal is ever deleted: every entry is checked
to lie, once symlinks are resolved, in a ``YYYY/MM`` folder of the journal, and
a symlink is removed as a link, never followed. Deleting needs no key: entries
are found by their names, which hold the day and the ritual.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePath
from typing import Optional

from assistant.core.errors import JournalError
from assistant.core.journal import audio_dirname, entry_name, plain_name, sealed_twin
from assistant.journal.folder import JournalFolder
from assistant.safe_files import folder_fd
from assistant.settings import RetentionSettings

log = logging.getLogger(__name__)

AUDIO_SUFFIX = ".wav"


@dataclass(frozen=True)
class Removal:
    """One entry, and what of it is to go."""

    entry: Path
    audio_only: bool
    files: tuple[Path, ...]
    """every file that goes, the entry's last (so a delete cut short leaves the entry)"""
    folder: Optional[Path]
    """the audio folder, removed once empty"""

    def describe(self, root: Path) -> str:
        what = "audio of" if self.audio_only else "entry"
        recordings = sum(plain_name(f.name).endswith(AUDIO_SUFFIX) for f in self.files)
        extra = f" ({recordings} recording{'s' if recordings != 1 else ''})" if recordings else ""
        return f"{what} {_relative(self.entry, root)}{extra}"


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def contained_entry(folder: JournalFolder, path: Path) -> Path:
    """``path`` as an entry of this journal (its folder resolved), or JournalError:
    only a file named like an entry, in a ``YYYY/MM`` folder of the journal, is one."""
    root = Path(os.path.realpath(folder.root))
    parent = Path(os.path.realpath(path.parent if path.parent != Path("") else Path(".")))
    try:
        inside = parent.relative_to(root).parts
    except ValueError:
        inside = ()
    named = entry_name(path.name)
    if (
        len(inside) != 2
        or not (len(inside[0]) == 4 and inside[0].isdigit())
        or not (len(inside[1]) == 2 and inside[1].isdigit())
        or named is None
    ):
        raise JournalError(
            f"{path} is not an entry of the journal {folder.root}; "
            "ritual deletes only entries in its own YYYY/MM folders"
        )
    entry = parent / path.name
    try:
        mode = os.lstat(entry).st_mode
    except FileNotFoundError:
        raise JournalError(f"{path}: no such entry") from None
    if stat.S_ISDIR(mode):
        raise JournalError(f"{path} is a folder, not an entry")
    return entry


def removal(entry: Path, *, audio_only: bool) -> Removal:
    """What deleting ``entry`` (already checked by ``contained_entry``) takes."""
    audio = entry.parent / audio_dirname(entry.name)
    files: list[Path] = []
    folder: Optional[Path] = None
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISDIR(os.lstat(audio).st_mode):  # a real folder: a symlink is not entered
            folder = audio
            for item in sorted(os.scandir(audio), key=lambda i: i.name):
                if item.is_dir(follow_symlinks=False):
                    log.warning("leaving the folder %s: ritual makes none there", item.path)
                    continue
                if audio_only and not plain_name(item.name).endswith(AUDIO_SUFFIX):
                    continue  # the transcript stays with the entry
                files.append(Path(item.path))
    if not audio_only:
        files.append(entry)
        twin = Path(sealed_twin(entry))
        if os.path.lexists(twin):  # a conversion cut short left both forms
            files.append(twin)
    return Removal(entry, audio_only, tuple(files), folder)


def remove(removals: list[Removal], root: Path) -> int:
    """Delete what ``removals`` name (links as links); how many files went.

    Each file is unlinked relative to its folder, opened without following a link
    from the journal's root (``safe_files.folder_fd``): a month or audio folder
    swapped for a symlink after it was checked is refused, not followed."""
    gone = 0
    for r in removals:
        month = PurePath(r.entry.parent.parent.name, r.entry.parent.name)
        try:
            with folder_fd(root, month, create=False) as month_fd:
                gone += _unlink_all(month_fd, [f for f in r.files if f.parent == r.entry.parent])
                in_audio = [f for f in r.files if f.parent != r.entry.parent]
                if r.folder is not None:
                    with folder_fd(root, month / r.folder.name, create=False) as audio_fd:
                        gone += _unlink_all(audio_fd, in_audio)
                    with contextlib.suppress(OSError):  # not empty (a transcript kept): stays
                        os.rmdir(r.folder.name, dir_fd=month_fd)
        except FileNotFoundError:
            continue  # deleted meanwhile
        except OSError as e:
            raise JournalError(f"cannot delete in {root / month} ({e.strerror})") from None
    return gone


def _unlink_all(folder: int, files: list[Path]) -> int:
    gone = 0
    for path in files:
        try:
            os.unlink(path.name, dir_fd=folder)  # never follows a symlink: the link itself goes
            gone += 1
        except FileNotFoundError:
            continue
        except OSError as e:
            raise JournalError(f"cannot delete {path} ({e.strerror})") from None
    return gone


def on_day(folder: JournalFolder, day: date, ritual: Optional[str]) -> list[Path]:
    """The entries of ``day`` (of ``ritual`` only, when given), by their names; one in
    a month folder that is a symlink out of the journal is passed over, with a warning."""
    found = []
    for path in folder.entries_on(day):
        named = entry_name(path.name)
        if named is None:
            continue
        if ritual is None or named.ritual == ritual or f"{named.ritual}-{named.n}" == ritual:
            try:
                found.append(contained_entry(folder, path))
            except JournalError as e:
                log.warning("passing over %s (%s)", path, e)
    return found


def expired(folder: JournalFolder, retention: RetentionSettings, today: date) -> list[Removal]:
    """What ``retention`` says is to go today: entries older than ``entries_days``,
    the audio of entries older than ``audio_days``, oldest first. Only month folders
    old enough are listed: it costs the same at ten years."""
    limits = [d for d in (retention.entries_days, retention.audio_days) if d is not None]
    if not limits:
        return []
    oldest_kept = today - timedelta(days=min(limits))
    entries_before = _cutoff(today, retention.entries_days)
    audio_before = _cutoff(today, retention.audio_days)
    found = []
    for month in folder.months():
        if (int(month.parent.name), int(month.name)) > (oldest_kept.year, oldest_kept.month):
            break
        for path in folder.entries_in(month):
            named = entry_name(path.name)
            assert named is not None
            try:
                path = contained_entry(folder, path)  # a month folder may be a planted symlink
            except JournalError as e:
                log.warning("retention: passing over %s (%s)", path, e)
                continue
            if entries_before and named.day < entries_before:
                found.append(removal(path, audio_only=False))
            elif audio_before and named.day < audio_before:
                audio = removal(path, audio_only=True)
                if audio.files:
                    found.append(audio)
    return found


def retention_summary(removals: list[Removal], retention: RetentionSettings, today: date) -> str:
    """One sentence on what retention took: how many entries (or recordings), how old."""
    entries = sum(not r.audio_only for r in removals)
    recordings = len(removals) - entries
    parts = []
    if entries and retention.entries_days is not None:
        parts.append(f"{_entries(entries)}{_older(retention.entries_days, today)}")
    if recordings and retention.audio_days is not None:
        parts.append(
            f"the recordings of {_entries(recordings)}{_older(retention.audio_days, today)}"
        )
    return "retention: deleted " + " and ".join(parts) if parts else ""


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def _older(days: int, today: date) -> str:
    return (
        f" older than {days} day{'s' if days != 1 else ''} (before {today - timedelta(days=days)})"
    )


def _cutoff(today: date, days: Optional[int]) -> Optional[date]:
    return today - timedelta(days=days) if days is not None else None
