"""The base of ritual's closed vocabularies (commands, answer states, events, ...).

Each vocabulary is an ``Enum`` whose members are also plain strings, so mypy
checks every use while JSON, YAML and messages still see ``"stop"``, never
``"Command.STOP"``.
"""

from __future__ import annotations

from enum import Enum


class Vocabulary(str, Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)
