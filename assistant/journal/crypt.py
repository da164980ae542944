"""Encryption at rest with age: X25519 keys, through the pyrage package.

The device writes with the public key alone (``encryption.recipients`` in the
config). Reading needs the private key, kept in an identity file that is itself
encrypted with a passphrase (age's scrypt), so neither the journal folder nor a
copy of the whole home can be read without the passphrase. The files are plain
age files: ``age -d -i identity.age entry.md.age`` reads one without ritual.

What a file holds is told by its first bytes (``is_sealed``), never by its name
alone. Everything is encrypted and decrypted in memory: pyrage's file functions
leave partial plaintext behind when they fail.

pyrage is imported when first needed: it has no build for 32-bit ARM, nor for
Python before 3.10, and there every command that does not need it still works.
"""

from __future__ import annotations

import importlib
import platform
import stat
import struct
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Optional, Protocol

from assistant.core.errors import CryptError
from assistant.core.journal import SEALED_SUFFIX
from assistant.safe_files import add_file, make_private_dirs

AGE_MAGIC = b"age-encryption.org/v1\n"
AGE_ARMOR = b"-----BEGIN AGE ENCRYPTED FILE-----"


def is_sealed(data: bytes) -> bool:
    """Whether ``data`` is an age file (binary or armored)."""
    return data.startswith(AGE_MAGIC) or data.startswith(AGE_ARMOR)


def unavailable() -> Optional[str]:
    """Why encryption cannot work here, naming the way out; None when it can."""
    try:
        import pyrage  # noqa: F401
    except ImportError:
        machine = platform.machine()
        if sys.version_info < (3, 10):
            version = f"{sys.version_info[0]}.{sys.version_info[1]}"
            return (
                f"encryption needs Python 3.10 or newer (this is {version}); the pyrage "
                "package it uses is not made for older ones"
            )
        # a 32-bit Raspberry Pi OS on a 64-bit kernel says aarch64: ask the pointer size
        if machine.startswith(("armv6", "armv7")) or struct.calcsize("P") == 4:
            return (
                f"encryption is not available on 32-bit ARM (this machine is {machine}): "
                "the pyrage package has no build for it. A 64-bit Raspberry Pi OS has one"
            )
        return "encryption needs the pyrage package: run ./setup --crypt in ritual's folder"
    return None


def _pyrage() -> ModuleType:
    problem = unavailable()
    if problem:
        raise CryptError(problem)
    # import_module: a module either way for mypy, with pyrage's stubs or (on a
    # machine pyrage cannot exist on) without pyrage at all
    return importlib.import_module("pyrage")


# -- writing ---------------------------------------------------------------------------


class Sealer(Protocol):
    """How a file's bytes are written: as they are, or encrypted."""

    suffix: str
    """added to the file's name ("" or ".age")"""

    def seal(self, plain: bytes) -> bytes: ...


class PlainSealer:
    suffix = ""

    def seal(self, plain: bytes) -> bytes:
        return plain


PLAIN = PlainSealer()


class AgeSealer:
    """Encrypts to the public keys (``age1…``); needs no secret at all."""

    suffix = SEALED_SUFFIX

    def __init__(self, recipients: Sequence[str], where: str = "the config") -> None:
        pyrage = _pyrage()
        self._encrypt = pyrage.encrypt
        self._recipients: list[Any] = []
        for text in recipients:
            try:
                self._recipients.append(pyrage.x25519.Recipient.from_str(text.strip()))
            except pyrage.RecipientError:
                raise CryptError(
                    f"{where}: {text!r} is not an age public key (they begin with age1); "
                    "`ritual key show` prints yours"
                ) from None
        if not self._recipients:
            raise CryptError(f"{where}: encryption has no public key to encrypt to")

    def seal(self, plain: bytes) -> bytes:
        return bytes(self._encrypt(plain, self._recipients))


# -- reading ---------------------------------------------------------------------------


class Opener(Protocol):
    """How a file's bytes are read: plaintext as it is, an age file decrypted."""

    def open(self, data: bytes, where: str) -> bytes: ...


class Locked(CryptError):
    """An encrypted file, read where the key is not to be unlocked (a ritual)."""


class UnlockError(CryptError):
    """The key cannot be unlocked (no identity file, a wrong passphrase, no way to ask
    for it): every encrypted file would fail alike, so the command stops here."""


class NoKey:
    """Reads plaintext; an encrypted file is ``Locked``. A ritual reads this way: it
    never asks for the passphrase, and never holds the key."""

    def open(self, data: bytes, where: str) -> bytes:
        if is_sealed(data):
            raise Locked(f"{where} is encrypted; reading it needs the passphrase")
        if where.endswith(SEALED_SUFFIX):
            raise CryptError(f"{where} is not an age file: it is damaged, or not ritual's")
        return data


NO_KEY = NoKey()


class KeyRing:
    """The identity file, unlocked with the passphrase when an encrypted file is first
    read, and then kept (in memory) for the rest of the command: once per command."""

    def __init__(self, identity: Path, passphrase: Callable[[], str], tries: int = 1) -> None:
        self.identity = identity
        self._passphrase = passphrase
        self._tries = tries
        self._keys: Optional[list[Any]] = None
        self._failed: Optional[UnlockError] = None

    @property
    def unlocked(self) -> bool:
        return self._keys is not None

    def keys(self) -> list[Any]:
        if self._failed is not None:
            raise self._failed  # asked once: never a passphrase prompt per file
        if self._keys is None:
            try:
                self._keys = unlock(self.identity, self._passphrase, self._tries)
            except CryptError as e:
                self._failed = e if isinstance(e, UnlockError) else UnlockError(str(e))
                raise self._failed from None
        return self._keys

    def public_keys(self) -> list[str]:
        return [str(key.to_public()) for key in self.keys()]

    def open(self, data: bytes, where: str) -> bytes:
        if not is_sealed(data):
            if where.endswith(SEALED_SUFFIX):
                raise CryptError(f"{where} is not an age file: it is damaged, or not ritual's")
            return data
        keys = self.keys()
        pyrage = _pyrage()
        try:
            return bytes(pyrage.decrypt(data, keys))
        except pyrage.DecryptError as e:
            # pyrage has one DecryptError for every cause and no code: its message
            # is the only way to tell a stranger's key from a damaged file.
            if "No matching keys" in str(e):
                raise CryptError(
                    f"{where} is encrypted to another key: the identity {self.identity} "
                    "cannot open it"
                ) from None
            raise CryptError(
                f"{where} is damaged or cut short ({_said(e)}); it cannot be decrypted"
            ) from None


def _said(e: BaseException) -> str:
    # pyrage's messages may hold Unicode isolation marks and several lines.
    text = str(e).replace("\u2068", "").replace("\u2069", "")
    return " ".join(text.split()) or e.__class__.__name__


# -- the identity file -----------------------------------------------------------------


def check_passphrase(passphrase: str) -> None:
    # age itself takes an empty passphrase; a diary's key does not.
    if not passphrase.strip():
        raise CryptError("an empty passphrase is not accepted")


def create_identity(path: Path, passphrase: str) -> str:
    """Make a new X25519 identity, keep it in ``path`` encrypted with ``passphrase``
    (never over an existing file), and return its public key."""
    check_passphrase(passphrase)
    pyrage = _pyrage()
    identity = pyrage.x25519.Identity.generate()
    public = str(identity.to_public())
    made = datetime.now().astimezone().isoformat(timespec="seconds")
    # age-keygen's layout, so the age tool reads it too (it asks for the passphrase).
    body = f"# created: {made}\n# public key: {public}\n{identity}\n"
    sealed = bytes(pyrage.passphrase.encrypt(body.encode("ascii"), passphrase))
    write_new_file(path, sealed)
    return public


def write_new_file(path: Path, data: bytes) -> None:
    """Write ``path`` (0600) whole or not at all, never over an existing file."""
    try:
        make_private_dirs(path.parent)
        add_file(path, data)
    except FileExistsError:
        raise CryptError(f"{path} already exists; it was left as it is") from None
    except OSError as e:
        raise CryptError(f"cannot write {path} ({e.strerror})") from None


def unlock(path: Path, passphrase: Callable[[], str], tries: int = 1) -> list[Any]:
    """The private keys in the identity file ``path``: asks ``passphrase`` only when
    the file is protected by one (a plain age-keygen file is read as it is), up to
    ``tries`` times when it is wrong."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CryptError(
            f"there is no identity file at {path}, the key that reads the journal: "
            "set encryption.identity in the config to where yours is, or run "
            "`ritual key init` to make a new one (it cannot read earlier entries)"
        ) from None
    except OSError as e:
        raise CryptError(f"cannot read the identity file {path} ({e.strerror})") from None
    pyrage = _pyrage()
    if is_sealed(data):
        data = _opened_identity(data, path, passphrase, tries)
    keys = []

    for line in data.decode("utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise CryptError(f"{path} holds a line that is not an age secret key") from None
    if not keys:
        raise CryptError(f"{path} holds no age secret key")
    return keys


def _opened_identity(data: bytes, path: Path, passphrase: Callable[[], str], tries: int) -> bytes:
    pyrage = _pyrage()
    for attempt in range(1, tries + 1):
        secret = passphrase()
        check_passphrase(secret)
        try:
            return bytes(pyrage.passphrase.decrypt(data, secret))
        except pyrage.DecryptError as e:
            if "Decryption failed" in str(e):
                if attempt < tries:
                    continue
                times = f" ({tries} tries)" if tries > 1 else ""
                raise CryptError(f"wrong passphrase for {path}{times}") from None
            if "No matching keys" in str(e):
                raise CryptError(
                    f"{path} is not protected by a passphrase but encrypted to a key; "
                    "ritual needs an identity file made by `ritual key init` or age-keygen"
                ) from None
            raise CryptError(f"the identity file {path} is damaged ({_said(e)})") from None
    raise AssertionError("unreachable")


# -- the passphrase --------------------------------------------------------------------


TRIES = 3
"""passphrases asked on a terminal before giving up, as sudo and ssh do"""


class Passphrase:
    """Where the passphrase comes from, in this order: the file the config names, the
    environment variable it names, a prompt on the terminal. Called again after a
    wrong one, it says so in its prompt; ``tries`` is how many calls make sense."""

    def __init__(
        self,
        *,
        file: Optional[Path],
        env: Optional[str],
        environ: Mapping[str, str],
        ask: Optional[Callable[[str], str]],
        prompt: str,
    ) -> None:
        self.file, self.env, self.environ, self.ask = file, env, environ, ask
        self.prompt = prompt
        self.asked = 0

    @property
    def asks(self) -> bool:
        """Whether it asks a person (a file or a variable says the same thing again)."""
        return self.file is None and not (self.env and self.environ.get(self.env))

    @property
    def tries(self) -> int:
        return TRIES if self.asks and self.ask is not None else 1

    def __call__(self) -> str:
        if self.file is not None:
            return read_passphrase_file(self.file)
        if self.env and self.environ.get(self.env):
            return self.environ[self.env]
        if self.ask is None:
            named = f" (the variable {self.env} is not set)" if self.env else ""
            raise CryptError(
                "the journal's key needs its passphrase, and there is no terminal to ask "
                f"on{named}: run this on a terminal, or name a passphrase_file or "
                "passphrase_env under encryption: in the config"
            )
        self.asked += 1
        return self.ask(self.prompt if self.asked == 1 else "Wrong passphrase; try again: ")


def passphrase_source(
    *,
    file: Optional[Path],
    env: Optional[str],
    environ: Mapping[str, str],
    ask: Optional[Callable[[str], str]],
    prompt: str = "Passphrase for the journal's key: ",
) -> Passphrase:
    return Passphrase(file=file, env=env, environ=environ, ask=ask, prompt=prompt)


def read_passphrase_file(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise CryptError(f"cannot read the passphrase file {path} ({e.strerror})") from None
    except UnicodeDecodeError:
        raise CryptError(f"the passphrase file {path} is not UTF-8 text") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CryptError(
            f"the passphrase file {path} can be read by others; chmod 600 {path} first"
        )
    return text.rstrip("\r\n")
