"""Every file ritual writes, and every private folder it makes, goes through here.

The rules, in one place (borg's ``SaveFile`` and jrnl's ``atomic_write`` are the
models):

- a file is written whole or not at all: under a fresh name in its own folder
  (``O_CREAT | O_EXCL | O_NOFOLLOW``, mode 0600), fsynced, then renamed over its
  final name, so a symlink or a hard link planted at that name is replaced, never
  written through, and a crash leaves the old file or the new one;
- a folder ritual makes is 0700; a folder it did not make is never chmodded;
- inside a tree ritual owns (the journal below its root, the cache, the state),
  folders are opened one part at a time with ``O_NOFOLLOW`` relative to their
  parent (``folder_fd``), so a symlinked folder is refused, not followed.

Temporary files are named ``.NAME.XXXXXXXX.tmp``; ``leftovers`` finds those an
interrupted run left behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Union

FOLDER_MODE = 0o700
FILE_MODE = 0o600

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW
_HERE = PurePath()
_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")

Data = Union[bytes, str]


def temp_name(name: str) -> str:
    """A fresh hidden name beside ``name`` for a file being written."""
    return f".{name}.{secrets.token_hex(4)}.tmp"


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one ``temp_name`` made (what an interrupted write leaves)."""
    return bool(_TEMP_NAME.match(name))


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents, each new one 0700. Folders that
    already exist are left exactly as they are (they may not be ours)."""
    missing = []
    for folder in (path, *path.parents):
        if os.path.lexists(folder):
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            os.mkdir(folder, FOLDER_MODE)
        except FileExistsError:
            continue
        # mkdir's mode is narrowed by the umask, never widened; the folder is opened
        # without following a link, so a link raced in its place is not chmodded.
        fd = os.open(folder, _DIRECTORY | NOFOLLOW)
        try:
            os.fchmod(fd, FOLDER_MODE)
        finally:
            os.close(fd)


def private_folder(path: Path) -> Path:
    """``path`` as a real folder of ours: made 0700 (with missing parents) when
    absent; refused (OSError ELOOP / ENOTDIR) when it is a symlink or not a folder.
    An existing folder keeps its mode."""
    make_private_dirs(path)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise OSError(errno.ELOOP, "is a symlink", str(path))
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(errno.ENOTDIR, "is not a folder", str(path))
    return path


def own_private_folder(path: Path) -> bool:
    """Make ``path`` a private folder of ours in a shared place (``/dev/shm``): made
    0700 when missing; an existing one must be a real folder owned by us, and is
    made 0700 through a descriptor opened without following a link. False (nothing
    touched) when it is a link, not a folder, someone else's, or cannot be made."""
    try:
        os.mkdir(path, FOLDER_MODE)
    except FileExistsError:
        pass
    except OSError:
        return False
    try:
        fd = os.open(path, _DIRECTORY | NOFOLLOW)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return False
        os.fchmod(fd, FOLDER_MODE)
        return True
    finally:
        os.close(fd)


def set_aside(path: Path, why: str) -> Path:
    """Rename ``path`` (a file or a folder) to a fresh hidden name beside it, so that a
    half-deleted or half-replaced thing never looks like the real one; the new path."""
    aside = path.with_name(f".{path.name}.{why}-{secrets.token_hex(4)}")
    os.rename(path, aside)
    return aside


def move_into_place(made: Path, path: Path) -> None:
    """Rename ``made`` (complete, beside ``path``) to ``path``; OSError when ``path``
    is a non-empty folder."""
    os.rename(made, path)


def temp_file_beside(path: Path, suffix: str = ".tmp") -> tuple[int, Path]:
    """A new private file beside ``path`` under a fresh hidden name (a download in
    progress), open for writing: its descriptor and path."""
    name = f".{path.name}.{secrets.token_hex(4)}{suffix}"
    with open_folder(path.parent) as folder:
        return create_at(folder, name), path.with_name(name)


def fsync_folder(folder: Union[Path, int]) -> None:
    """Make a rename in ``folder`` durable (where the filesystem lets a folder be
    opened and synced)."""
    with contextlib.suppress(OSError):
        if isinstance(folder, int):
            os.fsync(folder)
            return
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def open_folder(path: Path, *, follow: bool = True) -> Iterator[int]:
    """An open descriptor of the existing folder ``path``; ``follow`` False refuses
    a symlink at ``path`` itself (OSError ELOOP)."""
    fd = os.open(path, _DIRECTORY | (0 if follow else NOFOLLOW))
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def folder_fd(root: Path, relative: PurePath = _HERE, *, create: bool = True) -> Iterator[int]:
    """An open descriptor of the folder ``root/relative``, each missing part made 0700
    (``create`` False: FileNotFoundError instead, for a look or a deletion).

    ``root`` is the user's choice and may be a symlink (to a synced folder, say);
    every part below it is opened with ``O_NOFOLLOW`` relative to its parent.
    Raises OSError (ELOOP, ENOTDIR) when a part below ``root`` is a symlink or not
    a folder: nothing is written through it.
    """
    if create:
        make_private_dirs(root)
    fd = os.open(root, _DIRECTORY)
    try:
        for part in relative.parts:
            if part in ("", ".", "..") or os.sep in part:
                raise OSError(errno.EPERM, f"'{part}' in a private path", str(relative))
            made = False
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, FOLDER_MODE, dir_fd=fd)
                    made = True
            child = os.open(part, _DIRECTORY | NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
            if made:
                os.fchmod(fd, FOLDER_MODE)  # mkdir's mode is narrowed by the umask
        yield fd
    finally:
        os.close(fd)


def create_at(folder: int, name: str) -> int:
    """A new, private file ``name`` in the open folder: never an existing one, never a link."""
    return os.open(name, _NEW_FILE, FILE_MODE, dir_fd=folder)


def _as_bytes(data: Data) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _written_temp(folder: int, name: str, data: Data) -> str:
    """``data`` in a new private file beside ``name`` (fresh name, fsynced): its name.
    Removed again if writing fails."""
    tmp = temp_name(name)
    fd = create_at(folder, tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_as_bytes(data))
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        remove_at(folder, tmp)
        raise
    return tmp


def replace_at(folder: int, name: str, data: Data) -> None:
    """Atomically replace ``name`` in the open folder with ``data``: a new file
    (fresh name, 0600, fsynced) renamed over it, so a symlink or hard link at
    ``name`` is replaced, not written through."""
    tmp = _written_temp(folder, name, data)
    try:
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        remove_at(folder, tmp)
        raise
    fsync_folder(folder)


def add_at(folder: int, name: str, data: Data) -> None:
    """Write ``data`` as the new file ``name`` in the open folder, whole or not at
    all; FileExistsError when ``name`` exists (nothing is overwritten)."""
    tmp = _written_temp(folder, name, data)
    try:
        os.link(tmp, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
    fsync_folder(folder)


def replace_file(path: Path, data: Data, *, follow_folder: bool = True) -> None:
    """Atomically replace the file ``path`` with ``data`` (0600), in its existing
    folder. ``follow_folder`` False: the folder itself must not be a symlink
    either (OSError ELOOP)."""
    with open_folder(path.parent, follow=follow_folder) as folder:
        replace_at(folder, path.name, data)


def add_file(path: Path, data: Data) -> None:
    """Write the new file ``path`` (0600) whole or not at all, in its existing
    folder; FileExistsError when it exists."""
    with open_folder(path.parent) as folder:
        add_at(folder, path.name, data)


def open_new_in_place(path: Path, *, follow_folder: bool = True) -> int:
    """A new, private, empty file at ``path``, open for writing (a stream written as
    it comes, e.g. an answer's WAV): made under a fresh name and renamed over
    ``path`` at once, so a link planted there is replaced, never written through."""
    with open_folder(path.parent, follow=follow_folder) as folder:
        tmp = temp_name(path.name)
        fd = create_at(folder, tmp)
        try:
            os.replace(tmp, path.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder)
            raise
        return fd


@contextlib.contextmanager
def filled_in_place(path: Path) -> Iterator[Path]:
    """A new, private, empty file beside ``path`` for another writer to fill (a
    speech engine that writes to a path); when the block ends without an error it
    is fsynced and renamed over ``path``, otherwise removed. A half-written file is
    never taken for the real one."""
    with open_folder(path.parent) as folder:
        tmp = temp_name(path.name)
        os.close(create_at(folder, tmp))
        try:
            yield path.with_name(tmp)
            fd = os.open(tmp, os.O_RDONLY | NOFOLLOW, dir_fd=folder)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path.name, src_dir_fd=folder, dst_dir_fd=folder)
        finally:
            remove_at(folder, tmp)


def open_private_at(folder: int, name: str, flags: int = os.O_RDWR) -> int:
    """Open (creating 0600 when missing) the regular file ``name`` in the open
    folder, never through a link; OSError ELOOP for a symlink, EINVAL for anything
    that is not a regular file (a FIFO is opened non-blocking, then refused), EMLINK
    for a file with another name too (a hard link: writing it would change a file
    elsewhere)."""
    fd = os.open(name, flags | os.O_CREAT | NOFOLLOW | os.O_NONBLOCK, FILE_MODE, dir_fd=folder)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "is not a regular file", name)
        if info.st_nlink > 1:
            raise OSError(errno.EMLINK, "has another name (a hard link)", name)
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: Path) -> bytes:
    """The bytes of the regular file ``path``, never through a link at ``path``;
    OSError EINVAL for a FIFO, a device or a folder (read without waiting on one)."""
    fd = os.open(path, os.O_RDONLY | NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "is not a regular file", str(path))
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read()
    finally:
        os.close(fd)


def remove_at(folder: int, name: str) -> None:
    """Remove the file (or link) ``name`` from the open folder, if it is there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=folder)


def exists_at(folder: int, name: str) -> bool:
    """Whether anything (a link included) is named ``name`` in the open folder."""
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def shred_at(folder: int, name: str) -> None:
    """Overwrite the regular file ``name`` with zeros, then remove it (for a
    leftover that may hold plaintext). Best effort on copy-on-write filesystems.
    A file with another name too (a hard link) is only unlinked: zeroing it would
    empty the file behind its other name."""
    try:
        fd = os.open(name, os.O_WRONLY | NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except OSError:
        remove_at(folder, name)
        return
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
            left = info.st_size
            zeros = b"\0" * 65536
            while left > 0:
                left -= os.write(fd, zeros[: min(left, len(zeros))])
            os.fsync(fd)
    finally:
        os.close(fd)
        remove_at(folder, name)  # gone even when the zeros could not be written


def leftovers(folder: int) -> list[str]:
    """The temporary files an interrupted write left in the open folder."""
    return sorted(
        item.name
        for item in os.scandir(folder)
        if is_temp_name(item.name) and item.is_file(follow_symlinks=False)
    )


def fd_path(folder: int, name: str = "") -> str:
    """A path that names ``name`` in the open folder, for libraries that take paths
    (Linux's /proc/self/fd)."""
    base = f"/proc/self/fd/{folder}"
    return f"{base}/{name}" if name else base
