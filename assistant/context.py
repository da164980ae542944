"""Everything a command touches of the outside world, in one injectable object."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Callable

from assistant.settings import Settings


@dataclass
class Context:
    """Standard streams, the environment and the settings for one command.

    Tests build one with StringIO streams instead of patching ``sys``.
    """

    environ: Mapping[str, str]
    settings_factory: Callable[[], Settings]
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
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

    def out(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def err(self, text: str) -> None:
        print(text, file=self.stderr, flush=True)
