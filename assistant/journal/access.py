"""The journal's front door: ``Journal.for_ritual`` and ``Journal.for_reading``, built
once per command from the settings, are the only code that decides from the
encryption setting how the journal is written and read, and where its index lives.

- A ritual (``run``, ``listen``) writes through the config's sealer and reads with
  no key at all: it never asks for a passphrase (see ``recall_state``).
- The journal commands and ``transcribe`` read with a ``KeyRing``: the identity is
  unlocked when the first encrypted file is read, once for the command.
- An encrypted journal (encryption on, or any encrypted file in it) is indexed in
  memory only, after unlocking, and any index file kept from before is deleted:
  the cache never holds its words.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Optional

from assistant.core.journal import SEALED_SUFFIX
from assistant.core.ports import AnswerLookup, EntrySink
from assistant.core.ritual import Ritual
from assistant.journal.crypt import NO_KEY, PLAIN, AgeSealer, KeyRing, Sealer, passphrase_source
from assistant.journal.folder import EntryFile, JournalFolder
from assistant.journal.index import JournalIndex, refreshed_index, remove_index
from assistant.journal.recall_state import (
    KeptForRecall,
    PendingRecalls,
    RecallWithoutKey,
    recalled_soon,
)
from assistant.journal.sealed_index import remove_sealed_index, sealed_index
from assistant.settings import Settings


def sealer_for(settings: Settings) -> Sealer:
    """Encrypting to the config's public keys, or writing as it is; raises CryptError
    (before anything is written) when encryption is on but cannot work here."""
    if not settings.encryption.on:
        return PLAIN
    return AgeSealer(settings.encryption.recipients, str(settings.config_path or "the config"))


def keyring(
    settings: Settings, environ: Mapping[str, str], ask: Optional[Callable[[str], str]]
) -> KeyRing:
    e = settings.encryption
    assert e.identity is not None
    source = passphrase_source(
        file=e.passphrase_file, env=e.passphrase_env, environ=environ, ask=ask
    )
    return KeyRing(e.identity, source, source.tries)


def reading_folder(
    settings: Settings, environ: Mapping[str, str], ask: Optional[Callable[[str], str]]
) -> JournalFolder:
    return JournalFolder(
        settings.journal_dir, sealer=sealer_for(settings), opener=keyring(settings, environ, ask)
    )


@dataclass(frozen=True)
class SessionFiles:
    """Where one ritual session keeps its entry, and where its recalls look."""

    entry: EntryFile
    """the entry's file (its path once the first answer is saved)"""
    sink: EntrySink
    """what the conductor saves through"""
    answers: AnswerLookup
    """where a recall finds an earlier answer"""


@dataclass(frozen=True)
class Journal:
    """The journal as one command opens it.

    A ritual's journal (``for_ritual``) writes through the config's sealer and never
    unlocks; a reading command's (``for_reading``) unlocks the key once, when the
    first encrypted file is read.
    """

    folder: JournalFolder
    encrypts: bool
    """new files are written encrypted (encryption is on): events, logs and the
    index keep none of the user's words"""
    cache_dir: Path
    recall_state_path: Path

    @classmethod
    def for_ritual(cls, settings: Settings) -> Journal:
        """Raises CryptError, before a word is spoken, when encryption is on but
        cannot work here."""
        folder = JournalFolder(settings.journal_dir, sealer=sealer_for(settings), opener=NO_KEY)
        return cls._of(settings, folder)

    @classmethod
    def for_reading(
        cls,
        settings: Settings,
        environ: Mapping[str, str],
        ask: Optional[Callable[[str], str]],
    ) -> Journal:
        return cls._of(settings, reading_folder(settings, environ, ask))

    @classmethod
    def _of(cls, settings: Settings, folder: JournalFolder) -> Journal:
        return cls(
            folder,
            settings.encryption.on,
            settings.cache_dir,
            settings.recall_state_path,
        )

    def pending_recalls(self, today: Callable[[], date]) -> Optional[PendingRecalls]:
        """The recall state (encrypted journal only: a ritual cannot read its entries)."""
        if not self.encrypts:
            return None
        pending = PendingRecalls(self.recall_state_path, today=today)
        pending.prune()
        return pending

    def session(
        self,
        *,
        keep_audio: bool,
        today: Callable[[], date],
        rituals: Callable[[], Sequence[Ritual]],
    ) -> SessionFiles:
        """The files of a new session. With encryption on, the answers some ritual
        reads back soon (``rituals``) are kept in the recall state as well."""
        entry = EntryFile(self.folder, keep_audio=keep_audio)
        pending = self.pending_recalls(today)
        if pending is None:
            return SessionFiles(entry, entry, self.folder)
        kept = KeptForRecall(entry, pending, recalled_soon(rituals()))
        return SessionFiles(entry, kept, RecallWithoutKey(pending, self.folder))

    def done_on(self, ritual: str, day: date, pending: Optional[PendingRecalls]) -> bool:
        """Whether ``ritual`` was done on ``day`` (an encrypted entry cannot be read
        by a ritual: the recall state says what was done)."""
        if pending is not None and pending.done(ritual, day):
            return True
        return self.folder.done_on(ritual, day)

    def is_encrypted(self) -> bool:
        """Encryption is on, or some entry is encrypted (by name: a stat-free listing)."""
        return self.encrypts or any(rel.endswith(SEALED_SUFFIX) for rel in self.folder.signatures())

    @contextlib.contextmanager
    def index(self, on_many: Callable[[int], None]) -> Iterator[JournalIndex]:
        """The journal's index, up to date: in the cache, or for an encrypted journal
        in memory, kept between commands only encrypted (``sealed_index``; a plain
        index file kept from before is deleted)."""
        if self.is_encrypted():
            remove_index(self.folder, self.cache_dir)
            with sealed_index(self.folder, self.cache_dir, on_many) as index:
                yield index
        else:
            with refreshed_index(self.folder, self.cache_dir, on_many) as index:
                yield index

    def fresh_index(self) -> JournalIndex:
        """An index to build anew (``reindex``): in the cache, or in memory only."""
        if self.is_encrypted():
            remove_index(self.folder, self.cache_dir)
            remove_sealed_index(self.cache_dir, self.folder.root)
            return JournalIndex(self.folder, None)
        return JournalIndex.open(self.folder, self.cache_dir)
