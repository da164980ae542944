"""``journal encrypt`` / ``journal decrypt``: an existing journal converted in place.

File by file: the other form is written beside the file (a temporary file,
fsync, rename; inside the journal only, never through a symlink), and only then
is the file itself removed. Killed at any moment,
the journal holds every file in at least one whole form, and running the
command again finishes the work: a file still there in its old form is simply
converted again (the new form is replaced whole), one in its new form alone is
done. Readers take the encrypted form when both are there.

Converted: entries (files named like entries in the ``YYYY/MM`` folders) and,
in each entry's audio folder, the WAVs and ``transcript.json``. A file that is
empty (a session that has just begun) is left for the next run. An entry's
text is not touched: it names its audio as it was written, and readers find a
file in either form.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Callable

from assistant.core.errors import JournalError
from assistant.core.journal import (
    SEALED_SUFFIX,
    audio_dirname,
    entry_name,
    plain_name,
    sealed_twin,
)
from assistant.journal.crypt import Opener, Sealer, is_sealed
from assistant.journal.folder import TRANSCRIPT_FILE, JournalFolder
from assistant.journal.leftovers import conversion_marked
from assistant.safe_files import folder_fd, replace_at

log = logging.getLogger(__name__)

AUDIO_FILES = (".wav", TRANSCRIPT_FILE)


@dataclass
class Converted:
    entries: int = 0
    audio: int = 0
    """WAVs and transcripts"""
    already: int = 0
    """files already in the form asked for"""
    left: int = 0
    """empty files (a session in progress), left for another run"""


def journal_files(folder: JournalFolder) -> Iterator[tuple[Path, bool]]:
    """Every file a conversion touches, in either form, with whether it is an entry
    (its audio folder's files come before it)."""
    for month in folder.months():
        with os.scandir(month) as items:
            names = sorted(i.name for i in items if not i.name.startswith("."))
        seen = set()  # an entry there in both forms has one audio folder
        for name in names:
            if entry_name(name) is None or not (month / name).is_file():
                continue
            audio = month / audio_dirname(name)
            if audio not in seen and audio.is_dir() and not audio.is_symlink():
                seen.add(audio)
                with os.scandir(audio) as items:
                    kept = sorted(
                        Path(i.path)
                        for i in items
                        if not i.name.startswith(".")
                        and plain_name(i.name).endswith(AUDIO_FILES)
                        and i.is_file(follow_symlinks=False)
                    )
                yield from ((path, False) for path in kept)
            yield month / name, True


def encrypt_journal(
    folder: JournalFolder, sealer: Sealer, on_file: Callable[[Path], None] = lambda p: None
) -> Converted:
    """Encrypt every plaintext file of the journal in place."""

    def sealed(data: bytes, path: Path) -> bytes:
        return data if is_sealed(data) else sealer.seal(data)

    return _convert(folder, to_sealed=True, change=sealed, on_file=on_file)


def decrypt_journal(
    folder: JournalFolder, opener: Opener, on_file: Callable[[Path], None] = lambda p: None
) -> Converted:
    """Decrypt every encrypted file of the journal in place (``opener`` unlocks the key)."""

    def opened(data: bytes, path: Path) -> bytes:
        return opener.open(data, str(path))

    return _convert(folder, to_sealed=False, change=opened, on_file=on_file)


def _convert(
    folder: JournalFolder,
    *,
    to_sealed: bool,
    change: Callable[[bytes, Path], bytes],
    on_file: Callable[[Path], None],
) -> Converted:
    # Marked while it runs: one killed midway may leave a temporary file in any month,
    # and the next ritual then looks for leftovers in all of them (see leftovers.py).
    with conversion_marked(folder.root):
        return _convert_files(folder, to_sealed=to_sealed, change=change, on_file=on_file)


def _convert_files(
    folder: JournalFolder,
    *,
    to_sealed: bool,
    change: Callable[[bytes, Path], bytes],
    on_file: Callable[[Path], None],
) -> Converted:
    done = Converted()
    for path, is_entry in journal_files(folder):
        other = path.with_name(sealed_twin(PurePath(path.name)).name)
        if path.name.endswith(SEALED_SUFFIX) == to_sealed:  # in the form asked for
            if not os.path.lexists(other):
                done.already += 1
            continue  # its twin in the other form, if any, comes (or came) in its own turn
        data = _read(path)
        if not data:
            done.left += 1
            continue
        if not _replace_with(folder, path, other, change(data, path)):
            continue
        on_file(path)
        if is_entry:
            done.entries += 1
        else:
            done.audio += 1
    return done


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise JournalError(f"cannot read {path} ({e.strerror})") from None


def _replace_with(folder: JournalFolder, path: Path, target: Path, data: bytes) -> bool:
    """Write ``target`` whole, then remove ``path``: never a moment with neither. Both
    stay inside the journal (folders opened without following symlinks, the new file
    made under a fresh name and renamed into place); False, with a warning, for a
    file below a symlink, which is passed over."""
    relative = PurePath(os.path.relpath(path.parent, folder.root))
    try:
        with folder_fd(folder.root, relative) as fd:
            replace_at(fd, target.name, data)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path.name, dir_fd=fd)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR, errno.EPERM):
            log.warning("passing over %s: it is below a symlink, outside the journal", path)
            return False
        raise JournalError(f"cannot write {target} ({e.strerror})") from None
    return True
