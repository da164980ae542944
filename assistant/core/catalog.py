"""The ritual catalogue: rituals found by name in the user's folder, then the bundled one.

A user's ``morning.yaml`` replaces ours; ``reframes.yaml`` in a folder holds the
reframe rules and is not a ritual.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from assistant.core.errors import Problem, RitualError, RitualFileError, RitualNotFound
from assistant.core.reframe import Reframes, load_reframes
from assistant.core.ritual import Ask, Recall, Ritual
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


def check_rituals(
    paths: list[Path], catalog: Optional[RitualCatalog] = None
) -> list[RitualFileError]:
    """Validate ritual (or reframes) files; the errors found, empty when all are fine.
    With ``catalog``, a recall must also name a ritual and a question that exist."""
    errors = []
    for path in paths:
        try:
            if path.name == REFRAMES_FILE and path.is_file():
                load_reframes([path])
                continue
            ritual = load_ritual(path)
        except RitualFileError as e:
            errors.append(e)
            continue
        problems = recall_problems(ritual, str(path), catalog) if catalog else []
        if problems:
            errors.append(RitualFileError(problems))
    return errors


def recall_problems(ritual: Ritual, where: str, catalog: RitualCatalog) -> list[Problem]:
    """Recalls that would find nothing, ever: a ritual or a question id mistyped
    (at run time such a recall is quietly passed over, so ``check`` is the place)."""
    problems = []
    for step in ritual.steps:
        if not isinstance(step, Recall):
            continue
        if step.ritual == ritual.id:
            recalled: Optional[Ritual] = ritual
        else:
            names = [r.name for r in catalog.rituals()]
            if step.ritual not in names:
                problems.append(
                    Problem(
                        where,
                        step.line,
                        f"recall: no ritual called '{step.ritual}'" + _close(step.ritual, names),
                    )
                )
                continue
            try:
                recalled = catalog.load(step.ritual)
            except RitualError:
                recalled = None  # its own problems are reported with it
        if recalled is None:
            continue
        ids = question_ids(recalled)
        if step.id not in ids:
            problems.append(
                Problem(
                    where,
                    step.line,
                    f"recall: the {recalled.id} ritual has no question with id '{step.id}'"
                    + _close(step.id, ids),
                )
            )
    return problems


def question_ids(ritual: Ritual) -> list[str]:
    """The ids a recall can name: every question's, and every listening recall's."""
    ids = []
    for step in ritual.steps:
        listening = step.listening if isinstance(step, (Ask, Recall)) else None
        if listening is not None:
            ids.append(listening.id)
    return ids


def _close(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (there are: {', '.join(choices)})" if choices else ""
