"""Everything a command touches of the outside world, in one injectable object."""

from __future__ import annotations

import contextlib
import getpass
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Callable, Optional

from assistant.core.errors import OutputError
from assistant.settings import Settings


@dataclass
class Context:
    """Standard streams, the environment and the settings for one command.

    Tests build one with StringIO streams instead of patching ``sys``.
    """

    environ: Mapping[str, str]
    settings_factory: Callable[[], Settings]
    stdin: Optional[IO[str]] = field(default_factory=lambda: sys.stdin)
    """None when the process was started with it closed (``<&-``)"""
    stdout: Optional[IO[str]] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    ask_secret: Optional[Callable[[str], str]] = None
    """asks for a passphrase (tests hand one in); None: on the terminal, if there is one"""
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        # Built on first use so that `ritual check` works with a broken config.
        if self._settings is None:
            self._settings = self.settings_factory()
        return self._settings

    @property
    def colour(self) -> bool:
        """Whether output may be coloured: a terminal, and no NO_COLOR (no-color.org)."""
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty()) and not self.environ.get("NO_COLOR")

    @property
    def terminal(self) -> bool:
        """Whether a person is at the keyboard (standard input is a terminal)."""
        isatty = getattr(self.stdin, "isatty", None)
        return bool(isatty and isatty())

    def secret_prompt(self) -> Optional[Callable[[str], str]]:
        """How to ask for a passphrase (not echoed), or None when nobody can be asked."""
        if self.ask_secret is not None:
            return self.ask_secret
        if not self.terminal:
            return None
        # getpass reads from the terminal itself, not echoing
        return lambda prompt: getpass.getpass(prompt)

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question on the terminal; anything but yes is no."""
        print(f"{question} [y/N] ", end="", file=self.stderr, flush=True)
        answer = self.stdin.readline() if self.stdin is not None else ""
        return answer.strip().lower() in ("y", "yes")

    def out(self, text: str = "") -> None:
        write_to(self.stdout, text + "\n")

    def write(self, text: str) -> None:
        """Text as it is (an export) to standard output, which must be open."""
        if self.stdout is None:
            raise OutputError("standard output is closed; give a file with --output")
        write_to(self.stdout, text)

    def err(self, text: str) -> None:
        # Nowhere left to report a failure to write a message about a failure.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            print(text, file=self.stderr, flush=True)


def write_to(
    stream: Optional[IO[str]], text: str, *, what: str = "the output", note: str = ""
) -> None:
    """Write and flush; a full disk becomes an OutputError. A closed pipe stays a
    BrokenPipeError (`ritual journal show | head` is not an error), and a closed
    standard output (None) takes nothing, like print does."""
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as e:
        raise OutputError(f"cannot write {what} ({e.strerror or e}){note}") from None
