"""An index of the journal folder, in SQLite, that never owns the data.

The Markdown files are the journal; the index is a cache of what they say, kept
in the cache folder (0600) so that listing, searching and statistics do not read
ten years of files every time. ``refresh`` brings it up to date from the files
by their size and modification time: only files that changed are read again, a
deleted file disappears. A missing, unreadable or out-of-date index is simply
built again; ``ritual journal reindex`` does that on request.

Every entry is read through one function (``read``, by default the journal
folder's own): a journal whose files need more than reading (an encrypted one)
can hand in its own, and keep the index in memory (``path=None``).

Text search is SQLite's FTS5 with the ``unicode61`` tokenizer and prefix queries:
a word finds the words that begin with it, so "hope" finds "hopeful" and the
Korean stem 희망 finds 희망적이었어요 (Korean attaches particles and endings to the
stem). The ``trigram`` tokenizer would find a word inside another, but no word
of one or two syllables, which most Korean nouns are.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import sqlite3
import stat
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath
from typing import Callable, Optional, TypeVar

from assistant.core.errors import JournalError
from assistant.core.journal import AnswerState, Entry, entry_name
from assistant.core.stats import EntryFacts
from assistant.journal.crypt import UnlockError
from assistant.journal.folder import JournalFolder
from assistant.safe_files import (
    exists_at,
    fd_path,
    folder_fd,
    open_folder,
    open_private_at,
    remove_at,
)

log = logging.getLogger(__name__)

VERSION = "1"
"""the index's layout and what it keeps of an entry; another value rebuilds it"""
SECTIONS = 1 << 16
"""an answer's text row is file id * SECTIONS + its place in the entry"""
MARK = ("\x02", "\x03")
"""around each word a search found, in a snippet; the command turns them into colour"""
MANY = 300
"""files to read that are worth a word to the user first (about a tenth of a second each
on a Raspberry Pi)"""
T = TypeVar("T")

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,  -- relative to the journal folder
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        problem TEXT,               -- why it was passed over (NULL: an entry, '': empty)
        name_day TEXT NOT NULL,     -- the order of the files: day, then session
        session INTEGER NOT NULL,
        day TEXT,                   -- what the entry itself says
        started TEXT,
        ritual TEXT,
        status TEXT,
        asked INTEGER,
        answered INTEGER
    )""",
    "CREATE INDEX files_by_day ON files (day, ritual)",
    "CREATE TABLE numbers (file_id INTEGER NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL)",
    "CREATE INDEX numbers_by_file ON numbers (file_id)",
    """CREATE VIRTUAL TABLE answer_text USING fts5(
        text, prompt UNINDEXED, file_id UNINDEXED, follow_up UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2'
    )""",
)


@dataclass(frozen=True)
class Refreshed:
    """What one ``refresh`` did."""

    read: int
    """files read again (new or changed)"""
    removed: int
    total: int


@dataclass(frozen=True)
class Listed:
    """One entry as ``journal list`` shows it."""

    path: Path
    started: str
    """ISO date and time, as the front matter has it"""
    ritual: str
    status: str
    asked: int
    answered: int


@dataclass(frozen=True)
class Hit:
    """One answer that a search found."""

    path: Path
    started: str
    ritual: str
    prompt: str
    snippet: str
    """a few words around what was found, each found word between ``MARK``s"""


def index_path(cache_dir: Path, journal: Path) -> Path:
    """Where the index of ``journal`` lives: one file per journal folder, named after
    it (readable, and a checksum of the whole path keeps two long names apart)."""
    where = str(journal.expanduser().resolve())
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", where).strip("_")[-80:]
    return cache_dir / "journal-index" / f"{name}-{zlib.crc32(where.encode()):08x}.sqlite3"


class JournalIndex:
    """The journal folder's index; open with ``JournalIndex.open`` and ``close`` after."""

    BUSY_SECONDS = 10.0
    """how long a command waits for another one that is writing the index"""

    def __init__(
        self,
        folder: JournalFolder,
        path: Optional[Path],
        *,
        read: Optional[Callable[[Path], Entry]] = None,
    ) -> None:
        self.folder = folder
        self.path = path
        """None: in memory, for this process only"""
        self.read = read or folder.read
        """the one way an entry's file becomes an Entry"""
        self._folder: Optional[int] = None
        """the index's folder, open (without following a link) while the file is used"""
        self.db = self._connect()

    @classmethod
    def open(cls, folder: JournalFolder, cache_dir: Path) -> JournalIndex:
        return cls(folder, index_path(cache_dir, folder.root))

    def close(self) -> None:
        self.db.close()
        self._let_go_of_folder()

    def __enter__(self) -> JournalIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- an index kept elsewhere (encrypted: see sealed_index) --------------------------
    def load(self, data: bytes) -> bool:
        """Take the index of an earlier command (the bytes ``dump`` gave, decrypted);
        False, with an empty index, when it cannot be used here (another version,
        damaged, or a Python before 3.11)."""
        if self.path is not None or not hasattr(self.db, "deserialize"):
            return False
        try:
            self.db.deserialize(data)
            if self._usable(self.db):
                return True
        except sqlite3.DatabaseError as e:
            log.info("the kept index cannot be used (%s); building it again", e)
        self.db.close()
        self.db = self._connect()
        return False

    def dump(self) -> Optional[bytes]:
        """The whole in-memory index as bytes (None before Python 3.11)."""
        if self.path is not None or not hasattr(self.db, "serialize"):
            return None
        return bytes(self.db.serialize())

    # -- the database file ------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self.path is not None:
            try:
                return self._open_file(self.path)
            except JournalError:
                raise  # busy: said as it is, the index is not taken for broken
            except (OSError, sqlite3.Error) as e:
                log.warning(
                    "cannot keep the journal index in %s (%s); reading the journal in full",
                    self.path,
                    e,
                )
                self._let_go_of_folder()
                self.path = None
        return self._in_memory()

    def _in_memory(self) -> sqlite3.Connection:
        db = sqlite3.connect(":memory:", isolation_level=None)
        self._create(db)
        return db

    def _let_go_of_folder(self) -> None:
        if self._folder is not None:
            os.close(self._folder)
            self._folder = None

    def _open_file(self, path: Path) -> sqlite3.Connection:
        """The index file, opened only as a regular file of ours in a folder of ours:
        the folder is opened without following a link (below the cache folder), a
        link, FIFO or folder planted at the file's name (or its journal's) is
        removed or refused, never written through, and SQLite is handed the file by
        the open folder's path, checked to be the very file that was opened."""
        if self._folder is None:
            with folder_fd(path.parent.parent, PurePath(path.parent.name)) as fd:
                self._folder = os.dup(fd)
        folder = self._folder
        for attempt in (1, 2):
            _clear_odd_companions(folder, path.name)
            mine = _private_file(folder, path.name)
            try:
                db = sqlite3.connect(
                    fd_path(folder, path.name), timeout=self.BUSY_SECONDS, isolation_level=None
                )
                _same_file(db, mine)
            finally:
                os.close(mine)
            try:
                db.execute("PRAGMA synchronous = NORMAL")
                # what is deleted from the index (an entry deleted or edited) is overwritten
                # in the file, not left in its free pages: it is a copy of a diary
                db.execute("PRAGMA secure_delete = ON")
                if self._usable(db):
                    return db
                log.info("building the journal index %s", path)
                self._create(db)
                return db
            except sqlite3.DatabaseError as e:
                db.close()
                if is_busy(e):
                    raise self._busy_error() from None
                if attempt == 2:
                    raise
                log.info("the journal index %s is unreadable (%s); building it again", path, e)
                _remove_database(folder, path.name)
        raise AssertionError("unreachable")

    def _busy_error(self) -> JournalError:
        return JournalError(
            f"the journal index {self.path} is busy: another ritual command is building it "
            "(a reindex of a large journal takes a while); try again when it is done"
        )

    @staticmethod
    def _usable(db: sqlite3.Connection) -> bool:
        """An index of this version; False for a new, empty file; raises when corrupt."""
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            return False
        row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return row is not None and row[0] == VERSION

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'answer_text_%'"
            ).fetchall():
                db.execute(f'DROP TABLE IF EXISTS "{name}"')
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('version', ?)", (VERSION,))
            db.execute("COMMIT")
        except BaseException:
            _roll_back(db)
            raise

    def _guarded(self, work: Callable[[], T]) -> T:
        """Run ``work``; if the index turns out corrupt midway, build it again once;
        if the disk is full, carry on with an index in memory."""
        try:
            return work()
        except sqlite3.DatabaseError as e:
            if is_busy(e):
                raise self._busy_error() from None
            self.db.close()
            if self.path is not None and not _no_room(e):
                log.info("the journal index is unreadable (%s); building it again", e)
                assert self._folder is not None
                _remove_database(self._folder, self.path.name)
                self.db = self._connect()
            else:
                self._to_memory(e)
        try:
            self._refresh()
        except sqlite3.OperationalError as e:
            if self.path is None or not _no_room(e):
                raise
            self.db.close()
            self._to_memory(e)
            self._refresh()
        return work()

    def _to_memory(self, why: Exception) -> None:
        if self.path is not None:
            log.warning(
                "no room for the journal index in %s (%s); keeping it in memory this time",
                self.path,
                why,
            )
        self._let_go_of_folder()
        self.path = None
        self.db = self._in_memory()

    # -- keeping it up to date --------------------------------------------------------
    def refresh(self, on_many: Callable[[int], None] = lambda n: None) -> Refreshed:
        """Read again the files that are new or changed; forget the deleted ones.

        ``on_many`` hears how many files are to be read, before, when they are many
        (the first time, or after a reindex): a moment to tell the user to wait."""
        return self._guarded(lambda: self._refresh(on_many))

    def rebuild(self, on_many: Callable[[int], None] = lambda n: None) -> Refreshed:
        """Forget everything and read every entry again."""

        def again() -> Refreshed:
            self._create(self.db)
            return self._refresh(on_many)

        return self._guarded(again)

    def _refresh(self, on_many: Callable[[int], None] = lambda n: None) -> Refreshed:
        db = self.db
        db.execute("BEGIN IMMEDIATE")  # two processes refreshing at once take turns
        try:
            known = {
                path: (size, mtime, file_id)
                for file_id, path, size, mtime in db.execute(
                    "SELECT id, path, size, mtime_ns FROM files"
                )
            }
            on_disk = self.folder.signatures()
            gone = [known[p][2] for p in known.keys() - on_disk.keys()]
            changed = [
                (rel, size, mtime)
                for rel, (size, mtime) in on_disk.items()
                if known.get(rel, (None, None))[:2] != (size, mtime)
            ]
            forgotten = gone + [known[rel][2] for rel, *_ in changed if rel in known]
            for file_id in forgotten:
                _forget(db, file_id)
            if len(changed) >= MANY:
                on_many(len(changed))
            for rel, size, mtime in changed:
                self._add(rel, size, mtime)
            if forgotten:
                # FTS5 marks deleted words as deleted but keeps them until its segments
                # are merged: merge now, so what was deleted or edited away is gone from
                # the file (secure_delete zeroes the freed pages). A few tenths of a
                # second at ten years, and only after an edit or a deletion.
                db.execute("INSERT INTO answer_text (answer_text) VALUES ('optimize')")
            db.execute("COMMIT")
        except BaseException:
            _roll_back(db)
            raise
        return Refreshed(read=len(changed), removed=len(gone), total=len(on_disk))

    def _add(self, rel: str, size: int, mtime: int) -> None:
        path = self.folder.root / rel
        named = entry_name(path.name)
        name_day = named.day.isoformat() if named else path.stem[:10]
        problem: Optional[str] = None
        entry: Optional[Entry] = None
        if size == 0:
            problem = ""  # a file just claimed by a session: not an entry yet, nothing to say
        else:
            try:
                entry = self.read(path)
            except UnlockError:  # the key, not this file: every encrypted file would fail
                raise
            except Exception as e:  # a hand-edited file must never stop the others
                problem = str(e) or e.__class__.__name__
        cursor = self.db.execute(
            "INSERT INTO files (path, size, mtime_ns, problem, name_day, session)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (rel, size, mtime, problem, name_day, named.n if named else 1),
        )
        if entry is not None:
            assert cursor.lastrowid is not None
            self._add_entry(cursor.lastrowid, entry)

    def _add_entry(self, file_id: int, entry: Entry) -> None:
        db = self.db
        answered = sum(a.state == AnswerState.ANSWERED for a in entry.answers)
        db.execute(
            "UPDATE files SET day = ?, started = ?, ritual = ?, status = ?, asked = ?,"
            " answered = ? WHERE id = ?",
            (
                entry.day.isoformat(),
                entry.started.isoformat(timespec="seconds"),
                entry.ritual,
                entry.status.value,
                max(len(entry.answers), entry.planned),
                answered,
                file_id,
            ),
        )
        texts = []
        for answer in entry.answers:
            if answer.text:
                texts.append((answer.text, answer.prompt, 0))
            if answer.follow_up and answer.follow_up.text:
                texts.append((answer.follow_up.text, answer.follow_up.prompt, 1))
        db.executemany(
            "INSERT INTO answer_text (rowid, text, prompt, file_id, follow_up)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (file_id * SECTIONS + n, text, prompt, file_id, follow_up)
                for n, (text, prompt, follow_up) in enumerate(texts[: SECTIONS - 1])
            ],
        )
        db.executemany(
            "INSERT INTO numbers VALUES (?, ?, ?)",
            [(file_id, a.id, a.number) for a in entry.answers if a.number is not None],
        )

    # -- reading it -------------------------------------------------------------------
    def passed_over(self) -> list[tuple[Path, str]]:
        """Files that are not entries (odd front matter, not ours), with the reason."""
        rows = self.db.execute(
            "SELECT path, problem FROM files WHERE problem != '' ORDER BY name_day, session"
        )
        return [(self.folder.root / path, problem) for path, problem in rows]

    def warn_passed_over(self) -> None:
        for path, problem in self.passed_over():
            log.warning("passing over %s: %s", path, problem)

    def entries(
        self,
        *,
        ritual: Optional[str] = None,
        since: Optional[date] = None,
        until: Optional[date] = None,
    ) -> list[Listed]:
        """The entries, oldest first."""
        where, params = _filters(ritual, since, until)

        def listed() -> list[Listed]:
            rows = self.db.execute(
                "SELECT path, started, ritual, status, asked, answered FROM files f"
                f" WHERE problem IS NULL{where} ORDER BY day, started, session, path",
                params,
            )
            root = self.folder.root
            return [Listed(root / r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

        return self._guarded(listed)

    def search(
        self,
        query: str,
        *,
        ritual: Optional[str] = None,
        since: Optional[date] = None,
        until: Optional[date] = None,
        limit: int = 20,
    ) -> list[Hit]:
        """The answers that match an FTS5 ``query`` (see ``fts_query``), best first."""
        where, params = _filters(ritual, since, until)

        def found() -> list[Hit]:
            rows = self.db.execute(
                "SELECT f.path, f.started, f.ritual, t.prompt,"
                " snippet(answer_text, 0, ?, ?, '…', 16)"
                " FROM answer_text t JOIN files f ON f.id = t.file_id"
                f" WHERE answer_text MATCH ? AND f.problem IS NULL{where}"
                " ORDER BY t.rank LIMIT ?",
                (*MARK, query, *params, limit),
            )
            root = self.folder.root
            return [Hit(root / r[0], r[1], r[2], r[3], r[4]) for r in rows]

        return self._guarded(found)

    def facts(self, *, ritual: Optional[str] = None) -> list[EntryFacts]:
        """What the statistics need of each entry, oldest first."""
        where, params = _filters(ritual, None, None)

        def facts() -> list[EntryFacts]:
            numbers: dict[int, dict[str, int]] = {}
            for file_id, key, value in self.db.execute("SELECT file_id, key, value FROM numbers"):
                numbers.setdefault(file_id, {})[key] = value
            rows = self.db.execute(
                "SELECT id, day, ritual, asked, answered FROM files f"
                f" WHERE problem IS NULL{where} ORDER BY day, started, session",
                params,
            )
            return [
                EntryFacts(date.fromisoformat(day), name, asked, answered, numbers.get(f, {}))
                for f, day, name, asked, answered in rows
            ]

        return self._guarded(facts)


@contextlib.contextmanager
def refreshed_index(
    folder: JournalFolder,
    cache_dir: Optional[Path],
    on_many: Callable[[int], None] = lambda n: None,
) -> Iterator[JournalIndex]:
    """The index of ``folder``, up to date, with a warning for each file passed over;
    ``cache_dir`` None: in memory, for this command only (an encrypted journal)."""
    index = JournalIndex.open(folder, cache_dir) if cache_dir else JournalIndex(folder, None)
    with index:
        index.refresh(on_many)
        index.warn_passed_over()
        yield index


def remove_index(folder: JournalFolder, cache_dir: Path) -> bool:
    """Delete the index file of ``folder`` (whether there was one): an encrypted
    journal's index lives in memory only, and one kept from before holds plaintext."""
    path = index_path(cache_dir, folder.root)
    try:
        with folder_fd(cache_dir, PurePath(path.parent.name), create=False) as fd:
            existed = exists_at(fd, path.name)
            _remove_database(fd, path.name)
    except FileNotFoundError:
        return False
    return existed


def sealed_index_path(cache_dir: Path, journal: Path) -> Path:
    """Where an encrypted journal's index is kept, encrypted (``sealed_index``)."""
    plain = index_path(cache_dir, journal)
    return plain.with_name(plain.name + ".age")


def forget_removed(folder: JournalFolder, cache_dir: Path) -> None:
    """Bring an existing index file up to date after entries were deleted, so their
    words leave the cache now, not at the next journal command (an encrypted
    journal's kept index goes: the next reading command builds it again)."""
    sealed = sealed_index_path(cache_dir, folder.root)
    with contextlib.suppress(OSError), open_folder(sealed.parent, follow=False) as parent:
        remove_at(parent, sealed.name)
    path = index_path(cache_dir, folder.root)
    try:
        with folder_fd(cache_dir, PurePath(path.parent.name), create=False) as fd:
            if not exists_at(fd, path.name):
                return
    except OSError:
        return
    with JournalIndex.open(folder, cache_dir) as index:
        index.refresh()


def fts_query(words: Sequence[str]) -> str:
    """An FTS5 query from what the user typed: every word must be found.

    A word finds the words that begin with it (Latin words of three letters or
    more, and any Korean word). An argument with spaces in it is its words (the
    shell took the quotes of ``search "presentation fine"``: the person meant the
    words); quotes that reach ritual (``'"grateful for"'``) make a phrase.
    Everything is quoted, so no typed character is FTS5 syntax."""
    terms = []
    for part in _phrases(words):
        tokens = part.split()
        if not tokens:
            continue
        quoted = '"' + " ".join(tokens).replace('"', '""') + '"'
        last = tokens[-1]
        prefix = len(last) >= 3 or any("\uac00" <= c <= "\ud7a3" for c in last)
        terms.append(quoted + (" *" if prefix else ""))
    return " AND ".join(terms)


def _phrases(words: Sequence[str]) -> Iterator[str]:
    for word in words:
        # "grateful for" my sister: quoted runs are phrases, the rest single words
        for n, piece in enumerate(word.split('"')):
            if n % 2:
                yield piece
            else:
                yield from piece.split()


def _filters(
    ritual: Optional[str], since: Optional[date], until: Optional[date]
) -> tuple[str, list[object]]:
    where = ""
    params: list[object] = []
    for clause, value in (
        (" AND f.ritual = ?", ritual),
        (" AND f.day >= ?", since.isoformat() if since else None),
        (" AND f.day <= ?", until.isoformat() if until else None),
    ):
        if value is not None:
            where += clause
            params.append(value)
    return where, params


def _forget(db: sqlite3.Connection, file_id: int) -> None:
    db.execute("DELETE FROM files WHERE id = ?", (file_id,))
    db.execute("DELETE FROM numbers WHERE file_id = ?", (file_id,))
    db.execute(
        "DELETE FROM answer_text WHERE rowid >= ? AND rowid < ?",
        (file_id * SECTIONS, (file_id + 1) * SECTIONS),
    )


_COMPANIONS = ("-journal", "-wal", "-shm")
"""the files SQLite keeps beside a database"""


def _remove_database(folder: int, name: str) -> None:
    for suffix in ("", *_COMPANIONS):
        remove_at(folder, name + suffix)


def _clear_odd_companions(folder: int, name: str) -> None:
    """A link (symbolic or hard) or anything but a regular file where SQLite keeps
    its journal is removed: SQLite would roll a hot journal back and then truncate
    it (a folder there is left, and SQLite then fails: the index goes to memory)."""
    for suffix in _COMPANIONS:
        try:
            info = os.stat(name + suffix, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            continue
        odd = not stat.S_ISREG(info.st_mode) or info.st_nlink > 1
        if odd and not stat.S_ISDIR(info.st_mode):
            remove_at(folder, name + suffix)


def _private_file(folder: int, name: str) -> int:
    """The index file, open: a link planted at its name (symbolic or hard) is removed
    (the link, not what it names) and a fresh file made; a FIFO or folder there is
    refused."""
    try:
        return open_private_at(folder, name)
    except OSError as e:
        if e.errno not in (errno.ELOOP, errno.EMLINK):
            raise
        remove_at(folder, name)
        return open_private_at(folder, name)


def _same_file(db: sqlite3.Connection, mine: int) -> None:
    """SQLite opens the file again by name: make sure it is the one checked."""
    opened = db.execute("PRAGMA database_list").fetchone()[2]
    try:
        theirs = os.stat(opened, follow_symlinks=False)
    except OSError:
        theirs = None
    ours = os.fstat(mine)
    if theirs is None or (theirs.st_dev, theirs.st_ino) != (ours.st_dev, ours.st_ino):
        db.close()
        raise OSError(errno.ELOOP, "the index file changed while it was opened", opened)


def _no_room(e: sqlite3.DatabaseError) -> bool:
    return isinstance(e, sqlite3.OperationalError) and (
        "full" in str(e) or "disk I/O" in str(e) or "readonly" in str(e)
    )


def _roll_back(db: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already (it does on a full disk)."""
    if db.in_transaction:
        db.execute("ROLLBACK")


_BUSY = {getattr(sqlite3, "SQLITE_BUSY", 5), getattr(sqlite3, "SQLITE_LOCKED", 6)}


def is_busy(e: sqlite3.Error) -> bool:
    """Another process holds the database (a long ``reindex``): not a damaged index.
    Told by SQLite's own result code (Python 3.11+), by its message before that."""
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _BUSY
    return isinstance(e, sqlite3.OperationalError) and "locked" in str(e)
