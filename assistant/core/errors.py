"""Errors the user can act on.

Library code raises these; only ``assistant.cli`` prints them and picks the exit
status. Every message is written for the person running ritual, and names the fix
where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


class RitualError(Exception):
    """A problem the user can fix; the CLI prints ``str(error)`` and exits 1."""

    exit_status = 1


class UsageError(RitualError):
    """The command line itself is wrong (exit status 2, like argparse)."""

    exit_status = 2


@dataclass(frozen=True)
class Where:
    """Where a setting comes from: a file and its line, or a variable's or flag's name."""

    path: str
    line: int = 0
    """1-based; 0 when it is not one line"""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class ConfigError(RitualError):
    """The configuration file or an environment variable is wrong; ``where`` says
    where (``ritual check`` reports it as ``file:line``)."""

    def __init__(self, message: str, *, where: Optional[Where] = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where is not None else message)

    def problem(self, path: str) -> Problem:
        """This error as a problem of the config file ``path``."""
        if self.where is not None and self.where.path == path:
            return Problem(path, self.where.line, self.message)
        return Problem(path, 0, str(self))


@dataclass(frozen=True)
class Problem:
    """One problem in a ritual file, reported as ``file:line: message``."""

    path: str
    line: int
    """1-based; 0 when the problem concerns the whole file"""
    message: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}: {self.message}"
        return f"{self.path}: {self.message}"


class RitualFileError(RitualError):
    """A ritual (or reframes) file has one or more problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class RitualNotFound(RitualError):
    """No ritual of that name in the user's folder or the bundled ones."""


class JournalError(RitualError):
    """The journal folder or an entry cannot be read or written."""


class CryptError(RitualError):
    """Encryption at rest: a key, a passphrase or an encrypted file is missing or wrong,
    or encryption is not available on this machine."""


class ModelError(RitualError):
    """A speech model is missing, broken, or could not be installed."""


class AudioError(RitualError):
    """PortAudio, a microphone or a speaker is missing or failed."""


class SpeechError(RitualError):
    """Speech synthesis (espeak-ng through pyttsx3) is missing, failed or hung."""


class EntryNotSaved(JournalError):
    """A save failed mid-ritual (a full disk): the message says what is not on disk."""


class OutputError(RitualError):
    """Standard output cannot be written (a full disk, a closed stream)."""
