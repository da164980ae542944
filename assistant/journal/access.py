"""Opening the journal for a command: how its files are written and read, where its
index lives.

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
from collections.abc import Iterator, Mapping
from typing import Callable, Optional

from assistant.core.journal import SEALED_SUFFIX
from assistant.journal.crypt import NO_KEY, PLAIN, AgeSealer, KeyRing, Sealer, passphrase_source
from assistant.journal.folder import JournalFolder
from assistant.journal.index import JournalIndex, refreshed_index, remove_index
from assistant.settings import Settings


def sealer_for(settings: Settings) -> Sealer:
    """Encrypting to the config's public keys, or writing as it is; raises CryptError
    (before anything is written) when encryption is on but cannot work here."""
    if not settings.encryption.on:
        return PLAIN
    return AgeSealer(settings.encryption.recipients, str(settings.config_path or "the config"))


def ritual_folder(settings: Settings) -> JournalFolder:
    return JournalFolder(settings.journal_dir, sealer=sealer_for(settings), opener=NO_KEY)


def keyring(
    settings: Settings, environ: Mapping[str, str], ask: Optional[Callable[[str], str]]
) -> KeyRing:
    e = settings.encryption
    assert e.identity is not None
    source = passphrase_source(
        file=e.passphrase_file, env=e.passphrase_env, environ=environ, ask=ask
    )
    return KeyRing(e.identity, source)


def reading_folder(
    settings: Settings, environ: Mapping[str, str], ask: Optional[Callable[[str], str]]
) -> JournalFolder:
    return JournalFolder(
        settings.journal_dir, sealer=sealer_for(settings), opener=keyring(settings, environ, ask)
    )


def is_encrypted(settings: Settings, folder: JournalFolder) -> bool:
    """Encryption is on, or some entry is encrypted (by name: a stat-free listing)."""
    return settings.encryption.on or any(rel.endswith(SEALED_SUFFIX) for rel in folder.signatures())


@contextlib.contextmanager
def journal_index(
    settings: Settings, folder: JournalFolder, on_many: Callable[[int], None]
) -> Iterator[JournalIndex]:
    """The journal's index, up to date: in the cache, or in memory for an encrypted one."""
    cache = settings.cache_dir
    if is_encrypted(settings, folder):
        remove_index(folder, cache)
        with refreshed_index(folder, None, on_many) as index:
            yield index
    else:
        with refreshed_index(folder, cache, on_many) as index:
            yield index
