"""The journal folder on disk: private folders, atomic writes, finding entries.

Folders are created 0700 and files 0600: this is someone's diary. Every write
goes to a temporary file in the same folder, is fsynced, then renamed over the
entry, so a crash or power cut leaves either the old or the new entry.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Optional

from assistant.core.errors import JournalError
from assistant.core.journal import (
    AnswerState,
    Entry,
    EntryStatus,
    audio_dirname,
    audio_filename,
    entry_filename,
    entry_subdir,
    parse_entry,
    render_entry,
)
from assistant.core.ports import Details

log = logging.getLogger(__name__)
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and missing parents, each new one 0700 (existing ones untouched)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue
        except OSError as e:
            raise JournalError(f"cannot create the folder {folder} ({e.strerror})") from None
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is narrowed by the umask, never widened


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: temp file, fsync, rename, fsync the folder."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


@dataclass(frozen=True)
class JournalFolder:
    root: Path

    def reserve(self, day: date, ritual: str) -> Path:
        """Claim a new entry file for a session; a second one the same day gets -2."""
        folder = self.root / entry_subdir(day)
        make_private_dirs(folder)
        for n in range(1, 1000):
            path = folder / entry_filename(day, ritual, n)
            try:
                # O_EXCL makes the claim atomic: two sessions never share a file.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            except FileExistsError:
                continue
            except OSError as e:
                raise JournalError(f"cannot write in {folder} ({e.strerror})") from None
            os.close(fd)
            return path
        raise JournalError(f"too many {ritual} entries on {day} in {folder}")

    def entries(self) -> list[Path]:
        """Every entry file, oldest first."""
        if not self.root.is_dir():
            return []
        found = [
            p
            for p in self.root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.md")
            if p.is_file() and not p.name.startswith(".")
        ]
        return sorted(found, key=_entry_order)

    def entries_on(self, day: date) -> list[Path]:
        """The entry files of one day: a look into one month's folder, whatever the
        journal's size."""
        folder = self.root / entry_subdir(day)
        found = [
            p
            for p in folder.glob(f"{day.isoformat()}-*.md")
            if p.is_file() and not p.name.startswith(".")
        ]
        return sorted(found, key=_entry_order)

    def done_on(self, ritual: str, day: date) -> bool:
        """Whether ``ritual`` was done on ``day`` (an entry completed, or stopped early)."""
        for path in self.entries_on(day):
            try:
                entry = self.read(path)
            except (JournalError, UnicodeDecodeError):
                continue
            if entry.ritual == ritual and entry.status is not EntryStatus.IN_PROGRESS:
                return True
        return False

    def read(self, path: Path) -> Entry:
        try:
            return parse_entry(path.read_text(encoding="utf-8"), str(path))
        except OSError as e:
            raise JournalError(f"cannot read {path} ({e.strerror})") from None

    def read_all(self) -> Iterator[tuple[Path, Entry]]:
        """Entries that parse, oldest first.

        An empty file just reserved, or a note that is not ours (a hand-written
        Obsidian page in the same folders) is passed over with a warning, so one
        odd file never stops a ritual's recall or the journal commands.
        """
        for path in self.entries():
            try:
                if path.stat().st_size == 0:
                    continue
                yield path, self.read(path)
            except (JournalError, OSError, UnicodeDecodeError) as e:
                log.warning("passing over %s: %s", path, e)

    def find_answer(self, ritual: str, step: str, on: Optional[date]) -> Optional[str]:
        """The latest answer to ``step`` in ``ritual`` on the day ``on`` (None: any day)."""
        for _, entry in reversed(list(self.read_all())):
            if entry.ritual != ritual or (on is not None and entry.day != on):
                continue
            answer = entry.answer(step)
            if answer and answer.state == AnswerState.ANSWERED and answer.text.strip():
                return answer.text
        return None


def _entry_order(path: Path) -> tuple[str, int]:
    stem = path.stem
    day, _, rest = stem[:10], stem[10:11], stem[11:]
    head, _, n = rest.rpartition("-")
    return (day, int(n) if head and n.isdigit() else 1)


TRANSCRIPT_FILE = "transcript.json"
"""beside an entry's audio: the recogniser's raw text and word timings, per answer"""


class EntryFile:
    """One entry on disk with its side files (the audio folder, ``transcript.json``).

    Implements ``EntrySink``. A new session's file (``path`` None) is claimed on
    its first save, when the day is known; an existing entry is named by its path.
    """

    def __init__(
        self, folder: JournalFolder, path: Optional[Path] = None, *, keep_audio: bool = True
    ) -> None:
        self.folder = folder
        self._path = path
        self.keep_audio = keep_audio

    @property
    def path(self) -> Path:
        if self._path is None:
            raise RuntimeError("the entry's file is claimed by its first save")
        return self._path

    def save(self, entry: Entry) -> Path:
        if self._path is None:
            self._path = self.folder.reserve(entry.day, entry.ritual)
        try:
            atomic_write(self.path, render_entry(entry))
        except OSError as e:
            raise JournalError(f"cannot save {self.path} ({e.strerror})") from None
        return self.path

    @property
    def audio_dir(self) -> Path:
        return self.path.parent / audio_dirname(self.path.name)

    def audio_path(self, index: int, name: str) -> Optional[Path]:
        if not self.keep_audio:
            return None
        make_private_dirs(self.audio_dir)
        return self.audio_dir / audio_filename(index, name)

    def save_details(self, details: Details) -> None:
        """Keep the recogniser's raw text and word timings beside the entry."""
        target = self.audio_dir / TRANSCRIPT_FILE
        try:
            make_private_dirs(self.audio_dir)
            atomic_write(target, json.dumps(details, ensure_ascii=False, indent=1) + "\n")
        except OSError as e:
            raise JournalError(f"cannot save {target} ({e.strerror})") from None

    def read_details(self) -> object:
        """What ``save_details`` kept, or {} when there is nothing readable."""
        try:
            return json.loads((self.audio_dir / TRANSCRIPT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
