"""The ritual catalogue: rituals found by name in the user's folder, then the bundled one.

A user's ``morning.yaml`` replaces ours; ``reframes.yaml`` in a folder holds the
reframe rules and is not a ritual.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.core.errors import RitualFileError, RitualNotFound
from assistant.core.reframe import Reframes, load_reframes
from assistant.core.ritual import Ritual
from assistant.core.ritual_file import load_ritual

RITUAL_SUFFIXES = (".yaml", ".yml")
REFRAMES_FILE = "reframes.yaml"
NOT_RITUALS = ("reframes",)


@dataclass(frozen=True)
class RitualFile:
    name: str
    path: Path
    bundled: bool


@dataclass(frozen=True)
class RitualCatalog:
    user: Path
    """the user's own rituals, looked in first"""
    bundled: Path
    """the rituals that come with ritual"""

    def rituals(self) -> list[RitualFile]:
        """Every ritual by name, the user's where both have one."""
        found: dict[str, RitualFile] = {}
        for folder, bundled in ((self.user, False), (self.bundled, True)):
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                # is_file: a FIFO or a device named *.yaml would hang `ritual list`
                is_ritual = path.suffix in RITUAL_SUFFIXES and path.stem not in NOT_RITUALS
                if is_ritual and path.is_file():
                    found.setdefault(path.stem, RitualFile(path.stem, path, bundled))
        return sorted(found.values(), key=lambda r: r.name)

    def find(self, name_or_path: str) -> Path:
        """A ritual by file path, or by name in the user's folder, then the bundled one."""
        as_path = Path(name_or_path).expanduser()
        if as_path.suffix in RITUAL_SUFFIXES or "/" in name_or_path:
            if not as_path.is_file():
                raise RitualNotFound(f"{name_or_path}: no such ritual file")
            return as_path
        known = self.rituals()
        for ritual in known:
            if ritual.name == name_or_path:
                return ritual.path
        names = ", ".join(r.name for r in known) or "none"
        raise RitualNotFound(
            f"no ritual called '{name_or_path}' (found: {names}); "
            "`ritual list` shows where they are"
        )

    def load(self, name_or_path: str) -> Ritual:
        return load_ritual(self.find(name_or_path))

    def reframes(self) -> Reframes:
        """The user's reframe rules, else the bundled ones."""
        return load_reframes([self.user / REFRAMES_FILE, self.bundled / REFRAMES_FILE])


def check_rituals(paths: list[Path]) -> list[RitualFileError]:
    """Validate ritual (or reframes) files; the errors found, empty when all are fine."""
    errors = []
    for path in paths:
        try:
            if path.name == REFRAMES_FILE and path.is_file():
                load_reframes([path])
            else:
                load_ritual(path)
        except RitualFileError as e:
            errors.append(e)
    return errors
