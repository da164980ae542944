"""The journal folder on disk: private folders, atomic writes, finding entries.

Folders are created 0700 and files 0600: this is someone's diary. Every write
goes to a temporary file in the same folder, is fsynced, then renamed over the
entry, so a crash or power cut leaves either the old or the new entry.

What is written passes through the folder's ``Sealer`` and what is read through
its ``Opener`` (``assistant.journal.crypt``): with encryption on, an entry is written as
``….md.age``, its audio as ``….wav.age`` and its details as
``transcript.json.age``, and only ciphertext ever reaches the disk, temporary
files included. A file's form is told by its first bytes; when both forms of one
file exist (a conversion cut short), the encrypted one is the one read.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path, PurePath
from typing import Optional, Union

from assistant.core.errors import JournalError
from assistant.core.journal import (
    SEALED_SUFFIX,
    AnswerState,
    Entry,
    EntryStatus,
    audio_dirname,
    audio_filename,
    entry_filename,
    entry_name,
    entry_subdir,
    parse_entry,
    plain_name,
    render_entry,
    sealed_twin,
)
from assistant.core.ports import AnswerAudio, Details
from assistant.core.stats import run_through
from assistant.journal.answer_audio import SealedAnswerAudio, StreamingAnswerAudio
from assistant.journal.crypt import NO_KEY, PLAIN, Locked, Opener, Sealer, UnlockError
from assistant.safe_files import (
    create_at,
    exists_at,
    folder_fd,
    remove_at,
    replace_at,
    replace_file,
)

log = logging.getLogger(__name__)


def write_output(path: Path, text: Union[str, bytes]) -> None:
    """Write an export where the user asked: a regular file (or a new one) is
    replaced atomically; a FIFO or a character device (``/dev/stdout``) is written
    through; anything else is refused. A symlink is followed to what it points at."""
    try:
        kind = os.stat(path).st_mode
    except FileNotFoundError:
        kind = stat.S_IFREG  # a new file (or the file a dangling symlink names)
    except OSError as e:
        raise JournalError(f"cannot write {path} ({e.strerror})") from None
    try:
        if stat.S_ISREG(kind):
            replace_file(Path(os.path.realpath(path)), text)
        elif stat.S_ISFIFO(kind) or stat.S_ISCHR(kind):
            fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8") if isinstance(text, str) else text)
        else:
            what = "a folder" if stat.S_ISDIR(kind) else "not a file"
            raise JournalError(f"cannot write {path}: it is {what}; give a file name")
    except OSError as e:
        raise JournalError(f"cannot write {path} ({e.strerror})") from None


@dataclass(frozen=True)
class JournalFolder:
    root: Path
    sealer: Sealer = field(default=PLAIN, compare=False)
    """how files are written (encrypted, or as they are)"""
    opener: Opener = field(default=NO_KEY, compare=False)
    """how files are read (NO_KEY: an encrypted file is ``Locked``)"""

    def reserve(self, day: date, ritual: str) -> Path:
        """Claim a new entry file for a session; a second one the same day gets -2."""
        subdir = entry_subdir(day)
        try:
            with folder_fd(self.root, subdir) as folder:
                for n in range(1, 1000):
                    name = entry_filename(day, ritual, n)
                    if exists_at(folder, name) or exists_at(folder, name + SEALED_SUFFIX):
                        continue  # that session's number is taken, in one form or the other
                    name += self.sealer.suffix
                    try:
                        # O_EXCL makes the claim atomic: two sessions never share a file.
                        os.close(create_at(folder, name))
                    except FileExistsError:
                        continue
                    return self.root / subdir / name
        except OSError as e:
            raise JournalError(f"cannot write in {self.root / subdir} ({_reason(e)})") from None
        raise JournalError(f"too many {ritual} entries on {day} in {self.root / subdir}")

    def scan(self) -> Iterator[tuple[Path, os.stat_result]]:
        """Every entry file with its size and times, from the YYYY/MM folders
        (a stat each, nothing read)."""
        self.check_root()
        for month in (m for y in _subfolders(self.root, 4) for m in _subfolders(y, 2)):
            for item in _entry_items(month):
                with contextlib.suppress(OSError):  # gone since it was listed
                    if item.is_file():
                        yield Path(item.path), item.stat()

    def signatures(self) -> dict[str, tuple[int, int]]:
        """``scan`` as the index wants it, and quickly (it runs before every
        ``journal list``): each entry file's path relative to the journal folder,
        with its size and mtime in nanoseconds."""
        self.check_root()
        found = {}
        for month in (m for y in _subfolders(self.root, 4) for m in _subfolders(y, 2)):
            prefix = f"{month.parent.name}/{month.name}/"
            for item in _entry_items(month):
                name = item.name
                try:
                    st = item.stat()
                except OSError:  # gone since it was listed
                    continue
                if stat.S_ISREG(st.st_mode):
                    found[prefix + name] = (st.st_size, st.st_mtime_ns)
        return found

    def months(self) -> list[Path]:
        """The ``YYYY/MM`` folders, oldest first."""
        return [m for y in _subfolders(self.root, 4) for m in _subfolders(y, 2)]

    def entries_in(self, month: Path) -> list[Path]:
        """The entry files of one month's folder, in order (by their names)."""
        named = [Path(i.path) for i in _entry_items(month) if entry_name(i.name) is not None]
        return sorted(named, key=_entry_order)

    def entries(self) -> list[Path]:
        """Every entry file, oldest first."""
        return sorted((path for path, _ in self.scan()), key=_entry_order)

    def check_root(self) -> None:
        """A journal that is a file (a typo in --journal) is said, not read as empty."""
        if self.root.exists() and not self.root.is_dir():
            raise JournalError(
                f"the journal {self.root} is a file, not a folder; "
                "point --journal (or RITUAL_JOURNAL) at a folder"
            )

    def entries_on(self, day: date) -> list[Path]:
        """The entry files of one day: a look into one month's folder, whatever the
        journal's size."""
        folder = self.root / entry_subdir(day)
        prefix = f"{day.isoformat()}-"
        found = [
            Path(i.path) for i in _entry_items(folder) if i.name.startswith(prefix) and _is_file(i)
        ]
        return sorted(found, key=_entry_order)

    def done_on(self, ritual: str, day: date) -> bool:
        """Whether ``ritual`` was done on ``day`` (an entry completed, or stopped early)."""
        for path in self.entries_on(day):
            try:
                entry = self.read(path)
            except (JournalError, UnicodeDecodeError, OSError):
                # an encrypted entry (Locked) included: listen asks its state. An
                # unreadable file must not stop a companion that runs for months.
                continue
            if entry.ritual == ritual and entry.status is not EntryStatus.IN_PROGRESS:
                return True
        return False

    def newest_first(self, ritual: str) -> Iterator[Path]:
        """The entry files named for ``ritual``, newest first, a month's folder at a
        time: finding the latest entry lists a folder or two, not ten years of them."""
        for year in reversed(_subfolders(self.root, 4)):
            for month in reversed(_subfolders(year, 2)):
                found = [Path(i.path) for i in _listing(month) if _named_for(i.name, ritual)]
                yield from sorted(found, key=_entry_order, reverse=True)

    def latest_day(self) -> Optional[date]:
        """The day of the newest entry file, from the newest month's folder that has one."""
        self.check_root()
        for year in reversed(_subfolders(self.root, 4)):
            for month in reversed(_subfolders(year, 2)):
                named = [n for i in _listing(month) if (n := entry_name(i.name)) is not None]
                if named:
                    return max(n.day for n in named)
        return None

    def first_year(self) -> int:
        """The year of the oldest year's folder (this year's when there is none)."""
        years = _subfolders(self.root, 4)
        return int(years[0].name) if years else date.today().year

    def read(self, path: Path) -> Entry:
        """The entry at ``path``; hand edits it cannot use are logged as warnings."""
        return parse_entry(self.read_text(path), str(path), warn=log.warning)

    def read_bytes(self, path: Path) -> bytes:
        """A file of the journal as it was before it was written: decrypted if it is
        encrypted (which may unlock the key, once)."""
        try:
            data = path.read_bytes()
        except OSError as e:
            raise JournalError(f"cannot read {path} ({e.strerror})") from None
        return self.opener.open(data, str(path))

    def read_text(self, path: Path) -> str:
        try:
            return self.read_bytes(path).decode("utf-8")
        except UnicodeDecodeError:
            raise JournalError(f"{path}: not a text file (UTF-8 expected)") from None

    def read_all(self) -> Iterator[tuple[Path, Entry]]:
        """Entries that parse, oldest first.

        An empty file just reserved, or a note that is not ours (a hand-written
        Obsidian page in the same folders) is passed over with a warning, so one
        odd file never stops a ritual's recall or the journal commands.
        """
        for _day, paths in itertools.groupby(self.entries(), key=_entry_day):
            read = [(path, self.read_or_pass_over(path)) for path in paths]
            # Entries of one day in the order they were begun: a folder lists its files
            # in no order of ours (tmpfs, the newest first), and names sort by ritual.
            yield from sorted(
                ((path, entry) for path, entry in read if entry is not None),
                key=lambda found: _begun(*found),
            )

    def read_or_pass_over(self, path: Path) -> Optional[Entry]:
        """The entry in ``path``; None, with a warning, for a file that is not one."""
        try:
            if path.stat().st_size == 0:
                return None
            return self.read(path)
        except Locked:  # an encrypted entry, read where the key is not unlocked: not odd
            log.debug("%s is encrypted: passed over without the key", path)
            return None
        except UnlockError:  # not about this file: about every encrypted one
            raise
        except Exception as e:  # any oddity of a hand-edited file: never stop a ritual for it
            log.warning("passing over %s: %s", path, str(e) or e.__class__.__name__)
            return None

    def find_answer(self, ritual: str, step: str, on: Optional[date]) -> Optional[str]:
        """The latest answer to ``step`` in ``ritual`` on the day ``on`` (None: any day).

        Only that day's folder is read; the latest is looked for newest first among
        the files named for the ritual, so a recall costs the same at ten years."""
        paths = reversed(self.entries_on(on)) if on is not None else self.newest_first(ritual)
        for path in paths:
            entry = self.read_or_pass_over(path)
            if entry is None or entry.ritual != ritual:
                continue
            answer = entry.answer(step)
            if answer and answer.state == AnswerState.ANSWERED and answer.text.strip():
                return answer.text
        return None

    def streak(self, ritual: str, through: date) -> int:
        """Days in a row, ending on ``through``, with an entry of ``ritual``.

        From file names alone (they hold the day and the ritual), a month's folder
        at a time going back, only as far as the run goes."""
        days: set[date] = set()
        month_start = through.replace(day=1)
        while True:
            folder = self.root / entry_subdir(month_start)
            days.update(
                date.fromisoformat(item.name[:10])
                for item in _listing(folder)
                if _named_for(item.name, ritual)
            )
            run = run_through(days, through)
            if through - timedelta(days=run) >= month_start or not folder.is_dir():
                return run
            month_start = (month_start - timedelta(days=1)).replace(day=1)


def _entry_items(folder: Path) -> list[os.DirEntry[str]]:
    """The files in ``folder`` named like entries (``.md``, ``.md.age``), the encrypted
    one alone when a file is there in both forms (a conversion cut short)."""
    items = [
        i
        for i in _listing(folder)
        if not i.name.startswith(".") and plain_name(i.name).endswith(".md")
    ]
    sealed = {i.name for i in items if i.name.endswith(SEALED_SUFFIX)}
    return [i for i in items if i.name + SEALED_SUFFIX not in sealed]


def _is_file(item: os.DirEntry[str]) -> bool:
    try:
        return item.is_file()
    except OSError:
        return False


def _listing(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as items:
            return list(items)
    except OSError:  # missing, or not readable: nothing to find there
        return []


def _subfolders(folder: Path, digits: int) -> list[Path]:
    """The YYYY (or MM) folders in ``folder``, in order."""
    return sorted(
        Path(i.path)
        for i in _listing(folder)
        if len(i.name) == digits and i.name.isdigit() and i.is_dir()
    )


def _named_for(filename: str, ritual: str) -> bool:
    name = entry_name(filename)
    if name is None:
        return False
    # "evening-2.md" is a second evening; a ritual whose id ends in digits reads the same
    return name.ritual == ritual or f"{name.ritual}-{name.n}" == ritual


def _entry_order(path: Path) -> tuple[str, int, str]:
    """Day, session number, then the name: never the order a folder happens to list."""
    stem = plain_name(path.name)[:-3]
    day, _, rest = stem[:10], stem[10:11], stem[11:]
    head, _, n = rest.rpartition("-")
    return (day, int(n) if head and n.isdigit() else 1, path.name)


def _begun(path: Path, entry: Entry) -> tuple[datetime, int, str]:
    """When an entry was begun; within the same second (``started`` keeps no more),
    the one last written first."""
    try:
        written = path.stat().st_mtime_ns
    except OSError:
        written = 0
    return (entry.started.replace(tzinfo=None), written, path.name)


def _entry_day(path: Path) -> str:
    return plain_name(path.name)[:10]


def _reason(e: OSError) -> str:
    if e.errno in (errno.ELOOP, errno.ENOTDIR):
        return "a part of the path is a symlink or a file; ritual writes only into real folders"
    return e.strerror or str(e)


TRANSCRIPT_FILE = "transcript.json"
"""beside an entry's audio: the recogniser's raw text and word timings, per answer"""


class EntryFile:
    """One entry on disk with its side files (the audio folder, ``transcript.json``).

    Implements ``EntrySink``. A new session's file (``path`` None) is claimed on
    its first save, when the day is known; an existing entry is named by its path.
    Every write stays inside the journal (see ``safe_files.folder_fd``); an entry
    named outside the journal (``ritual transcribe FILE``) is kept within its own folder.
    """

    def __init__(
        self, folder: JournalFolder, path: Optional[Path] = None, *, keep_audio: bool = True
    ) -> None:
        self.folder = folder
        self._path = path
        self.keep_audio = keep_audio
        self._audio_refused = False
        self._claimed = False
        """this session claimed the file (so its disappearing is a deletion)"""
        self.deleted = False
        """the entry was deleted (``journal delete``) while its session ran: nothing
        more of it is written"""

    @property
    def path(self) -> Path:
        if self._path is None:
            raise RuntimeError("the entry's file is claimed by its first save")
        return self._path

    @property
    def claimed(self) -> Optional[Path]:
        """The entry's file, or None before the first save (or after ``discard``)."""
        return self._path

    def _place(self) -> tuple[Path, PurePath]:
        """The root that writes must stay under, and the entry's folder below it."""
        root = os.path.abspath(self.folder.root)
        parent = os.path.abspath(self.path.parent)
        if parent == root or parent.startswith(root.rstrip(os.sep) + os.sep):
            return self.folder.root, PurePath(os.path.relpath(parent, root))
        return self.path.parent, PurePath()

    @property
    def sealer(self) -> Sealer:
        return self.folder.sealer

    def save(self, entry: Entry) -> Path:
        if self._path is None:
            self._path = self.folder.reserve(entry.day, entry.ritual)
            self._claimed = True
        if self.deleted:
            return self.path
        root, subdir = self._place()
        data = self.sealer.seal(render_entry(entry).encode("utf-8"))
        # An entry rewritten (``transcribe``) takes the journal's form now.
        earlier, target = self.path, self.path.with_name(self._named(self.path.name))
        try:
            with folder_fd(root, subdir) as folder:
                if self._claimed and not exists_at(folder, earlier.name):
                    self._forget_deleted()
                    return self.path
                replace_at(folder, target.name, data)
                if target != earlier:
                    remove_at(folder, earlier.name)
        except OSError as e:
            raise JournalError(f"cannot save {target} ({_reason(e)})") from None
        self._path = target
        return self.path

    def _forget_deleted(self) -> None:
        """The user deleted this session's entry while it ran: that is respected."""
        self.deleted = True
        log.warning(
            "%s was deleted while its ritual ran; the rest of this session is not kept",
            self.path,
        )

    def _named(self, name: str) -> str:
        return plain_name(name) + self.sealer.suffix

    def discard(self) -> None:
        """Take back a session's file that never held an answer (stopped before
        the first one), with the audio it may have begun; the month folders stay."""
        if self._path is None:
            return
        root, subdir = self._place()
        audio = audio_dirname(self.path.name)
        try:
            with folder_fd(root, subdir) as folder:
                with contextlib.suppress(OSError):  # no audio folder (or not ours): left
                    with folder_fd(root, subdir / audio) as inside:
                        for item in list(os.scandir(inside)):
                            if item.is_file(follow_symlinks=False):
                                remove_at(inside, item.name)
                    os.rmdir(audio, dir_fd=folder)
                remove_at(folder, self.path.name)
        except OSError as e:
            raise JournalError(
                f"cannot remove the empty entry {self.path} ({_reason(e)})"
            ) from None
        self._path = None

    @property
    def audio_dir(self) -> Path:
        return self.path.parent / audio_dirname(self.path.name)

    def open_audio(self, index: int, name: str) -> Optional[AnswerAudio]:
        """A new recording for an answer, in a real folder inside the journal,
        streamed to its WAV as heard or, with encryption on, written encrypted when
        the answer ends; None when audio is not kept, or cannot be here (a full
        disk, a symlinked folder: the answer is still heard)."""
        path = None if self.deleted else self.audio_file(index, name)
        if path is None:
            return None
        try:
            if self.sealer.suffix:
                return SealedAnswerAudio(path, seal=self.sealer.seal)
            return StreamingAnswerAudio(path)
        except OSError as e:
            log.warning("not keeping the audio in %s (%s)", path, _reason(e))
            return None

    def audio_file(self, index: int, name: str) -> Optional[Path]:
        """Where the recording of an answer goes (its folder made), or None."""
        if not self.keep_audio or self._audio_refused:
            return None
        root, subdir = self._place()
        try:
            with folder_fd(root, subdir / audio_dirname(self.path.name)):
                pass
        except OSError as e:
            self._audio_refused = True
            log.warning("not keeping audio in %s (%s)", self.audio_dir, _reason(e))
            return None
        return self.audio_dir / self._named(audio_filename(index, name))

    def save_details(self, details: Details) -> None:
        """Keep the recogniser's raw text and word timings beside the entry."""
        if self.deleted:
            return
        root, subdir = self._place()
        name = self._named(TRANSCRIPT_FILE)
        text = json.dumps(details, ensure_ascii=False, indent=1) + "\n"
        try:
            with folder_fd(root, subdir / audio_dirname(self.path.name)) as folder:
                replace_at(folder, name, self.sealer.seal(text.encode("utf-8")))
                # the other form (plaintext kept from before encryption was on) goes
                remove_at(folder, str(sealed_twin(PurePath(name))))
        except OSError as e:
            raise JournalError(f"cannot save {self.audio_dir / name} ({_reason(e)})") from None

    def read_details(self) -> object:
        """What ``save_details`` kept, or {} when there is nothing readable."""
        for name in (TRANSCRIPT_FILE + SEALED_SUFFIX, TRANSCRIPT_FILE):
            path = self.audio_dir / name
            if not path.is_file():
                continue
            try:
                return json.loads(self.folder.read_bytes(path).decode("utf-8"))
            except (JournalError, ValueError) as e:
                log.warning("passing over %s: %s", path, e)
                return {}
        return {}
