"""An encrypted journal's index: in memory while a command runs, kept between
commands only encrypted to the journal's own key, beside the cache.

Without it, every reading command decrypted and parsed every entry (seconds at ten
years on a laptop, half a minute on a Raspberry Pi). With it, a command decrypts
one file after the one unlock it needs anyway, then reads again only the entries
that changed (by size and mtime, as the plain index does). Its plaintext never
reaches the disk: SQLite works on it in memory, and what is written is sealed.
A kept index that cannot be opened (another key, damaged, another version) is
built again from the entries; a deletion removes it, so deleted words do not
linger even encrypted.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

from assistant.core.errors import CryptError
from assistant.journal.crypt import UnlockError
from assistant.journal.folder import JournalFolder
from assistant.journal.index import JournalIndex, sealed_index_path
from assistant.safe_files import (
    NOFOLLOW,
    make_private_dirs,
    open_folder,
    remove_at,
    replace_file,
)

log = logging.getLogger(__name__)


@contextlib.contextmanager
def sealed_index(
    folder: JournalFolder, cache_dir: Path, on_many: Callable[[int], None] = lambda n: None
) -> Iterator[JournalIndex]:
    """The index of an encrypted journal, up to date, in memory. It is kept again
    (encrypted) when it changed and ``folder`` writes encrypted; a journal whose
    encryption was switched off keeps nothing, as before."""
    path = sealed_index_path(cache_dir, folder.root)
    with JournalIndex(folder, None) as index:
        loaded = _load(index, folder, path)
        refreshed = index.refresh(on_many)
        index.warn_passed_over()
        if folder.sealer.suffix and (not loaded or refreshed.read or refreshed.removed):
            _keep(index, folder, path)
        yield index


def _load(index: JournalIndex, folder: JournalFolder, path: Path) -> bool:
    try:
        with open_folder(path.parent) as parent, _opened(parent, path.name) as data:
            plain = folder.opener.open(data, str(path))
    except FileNotFoundError:
        return False
    except UnlockError:
        raise  # a wrong passphrase: every entry would fail alike
    except (OSError, CryptError) as e:
        log.info("the kept index %s cannot be read (%s); building it again", path, e)
        return False
    return index.load(plain)


@contextlib.contextmanager
def _opened(folder: int, name: str) -> Iterator[bytes]:
    fd = os.open(name, os.O_RDONLY | NOFOLLOW, dir_fd=folder)
    with os.fdopen(fd, "rb") as f:
        yield f.read()


def _keep(index: JournalIndex, folder: JournalFolder, path: Path) -> None:
    data = index.dump()
    if data is None:
        return
    try:
        make_private_dirs(path.parent)
        replace_file(path, folder.sealer.seal(data), follow_folder=False)
    except (OSError, CryptError) as e:  # a full cache: the index works in memory all the same
        log.info("cannot keep the encrypted index in %s (%s)", path, e)


def remove_sealed_index(cache_dir: Path, journal: Path) -> None:
    """Delete the kept encrypted index (after a conversion, a reindex)."""
    path = sealed_index_path(cache_dir, journal)
    with contextlib.suppress(OSError), open_folder(path.parent, follow=False) as parent:
        remove_at(parent, path.name)
