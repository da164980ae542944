"""The range of every number a user gives ritual, in a config file or on the command
line. The parsers and ``ritual check`` take them from here, so what ``check`` calls
fine is what runs, and no value reaches a date sum or SQLite big enough to overflow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    low: int
    high: int
    whole: bool = True
    """only whole numbers (a count), not 2.5"""

    def holds(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.whole and not isinstance(value, int):
            return False
        return self.low <= value <= self.high

    def __str__(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} from {self.low:,} to {self.high:,}".replace(",", " ")


RETENTION_DAYS = Range(1, 36_500)
"""days an entry or its audio is kept: up to a hundred years"""
SEARCH_LIMIT = Range(1, 1_000_000)
STATS_WEEKS = Range(1, 520)
PREPARE_DAYS = Range(1, 31)
SNOOZE_MINUTES = Range(1, 240, whole=False)
SNOOZES = Range(0, 10)
GRACE_MINUTES = Range(1, 240, whole=False)
