"""What a journal says over time: streaks, sessions per week, answered share, mood.

Pure functions over ``EntryFacts`` (what the index keeps of each entry) and
sets of days; ``heatmap`` draws a calendar of days as text. The command
``ritual journal stats`` prints them; ``{streak}`` uses ``run_through``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SHADES = "·░▒▓█"
"""no entry, then four levels of how many entries a day had (relative to the most)"""
COLOURS = (238, 22, 28, 34, 40)
"""256-colour terminal greens for the same levels (grey for none)"""
SPARKS = "▁▂▃▄▅▆▇█"
STEADY = 0.25
"""a mood that moved less than this (on its scale) between two months is steady"""


@dataclass(frozen=True)
class EntryFacts:
    """What the statistics need of one entry."""

    day: date
    ritual: str
    asked: int = 0
    answered: int = 0
    numbers: Mapping[str, int] = field(default_factory=dict)
    """answer id -> the number it gave on its scale (``mood``: 4)"""


@dataclass(frozen=True)
class RitualStats:
    ritual: str
    entries: int
    days: int
    current_streak: int
    """days in a row up to today (or up to yesterday, while today is still open)"""
    longest_streak: int
    per_week: float
    """sessions a week over the last ``weeks`` weeks"""
    answered_share: Optional[float]
    """answered questions / questions asked; None when nothing was asked"""


def run_through(days: Collection[date], through: date) -> int:
    """How many days in a row, ending on ``through``, are in ``days``."""
    run = 0
    while through - timedelta(days=run) in days:
        run += 1
    return run


def current_streak(days: Collection[date], today: date) -> int:
    """The run ending today, or yesterday: a streak is not broken before the day is over."""
    return run_through(days, today) or run_through(days, today - timedelta(days=1))


def longest_streak(days: Iterable[date]) -> int:
    longest = run = 0
    previous: Optional[date] = None
    for day in sorted(set(days)):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return longest


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def weekly_counts(days: Iterable[date], today: date, weeks: int) -> list[tuple[date, int]]:
    """Sessions in each of the last ``weeks`` weeks (Monday first), oldest first."""
    last = week_start(today)
    starts = [last - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    counted = Counter(week_start(d) for d in days)
    return [(start, counted.get(start, 0)) for start in starts]


def ritual_stats(facts: Sequence[EntryFacts], today: date, weeks: int = 12) -> list[RitualStats]:
    """One row per ritual, the most kept first."""
    rows = []
    for ritual in sorted({f.ritual for f in facts}):
        mine = [f for f in facts if f.ritual == ritual]
        days = {f.day for f in mine}
        asked = sum(f.asked for f in mine)
        recent = weekly_counts((f.day for f in mine), today, weeks)
        rows.append(
            RitualStats(
                ritual=ritual,
                entries=len(mine),
                days=len(days),
                current_streak=current_streak(days, today),
                longest_streak=longest_streak(days),
                per_week=sum(n for _, n in recent) / weeks,
                answered_share=sum(f.answered for f in mine) / asked if asked else None,
            )
        )
    return sorted(rows, key=lambda r: (-r.entries, r.ritual))


def number_points(facts: Iterable[EntryFacts], key: str) -> list[tuple[date, int]]:
    """Every number given under ``key`` (a mood), by day, oldest first."""
    return sorted((f.day, f.numbers[key]) for f in facts if key in f.numbers)


def monthly_averages(points: Iterable[tuple[date, int]]) -> list[tuple[date, float]]:
    """The average per calendar month (the month's first day), oldest first."""
    months: dict[date, list[int]] = {}
    for day, value in points:
        months.setdefault(day.replace(day=1), []).append(value)
    return [(month, sum(values) / len(values)) for month, values in sorted(months.items())]


def trend_word(averages: Sequence[tuple[date, float]]) -> str:
    """ "rising", "falling" or "steady": the last month against the one before."""
    if len(averages) < 2:
        return "steady"
    change = averages[-1][1] - averages[-2][1]
    if abs(change) < STEADY:
        return "steady"
    return "rising" if change > 0 else "falling"


def sparkline(values: Sequence[float], low: float, high: float) -> str:
    """One block per value, from ``low`` (▁) to ``high`` (█)."""
    span = (high - low) or 1.0
    top = len(SPARKS) - 1
    return "".join(SPARKS[max(0, min(top, round((v - low) / span * top)))] for v in values)


def heatmap(counts: Mapping[date, int], end: date, weeks: int, *, colour: bool = False) -> str:
    """A calendar of the ``weeks`` weeks up to ``end``: a column a week, a row a
    weekday, each day shaded by its entries (``SHADES``; ANSI colours if ``colour``).

    Month names stand above the week in which the month begins."""
    first = week_start(end) - timedelta(weeks=weeks - 1)
    most = max((n for d, n in counts.items() if first <= d <= end), default=0)
    header = [" "] * weeks
    for column in range(weeks):
        monday = first + timedelta(weeks=column)
        month_start = next((d for d in _week(monday) if d.day == 1), None)
        if month_start is None:
            continue
        label = MONTHS[month_start.month - 1]
        # a label may run past the last week: "Dec" still names the week of 1 December
        if all(c == " " for c in header[max(0, column - 1) : column + len(label)]):
            header[column : column + len(label)] = list(label)
    lines = ["    " + "".join(header).rstrip()]
    for weekday in range(7):
        cells = []
        for column in range(weeks):
            day = first + timedelta(weeks=column, days=weekday)
            if day > end:
                cells.append(" ")
                continue
            level = shade_level(counts.get(day, 0), most)
            cells.append(_cell(level, colour))
        lines.append(f"{WEEKDAYS[weekday]} " + "".join(cells).rstrip())
    legend = " ".join(_cell(level, colour) for level in range(len(SHADES)))
    lines.append(f"    less {legend} more")
    return "\n".join(lines) + "\n"


def _week(monday: date) -> list[date]:
    return [monday + timedelta(days=n) for n in range(7)]


def shade_level(count: int, most: int) -> int:
    """How dark a day is drawn: 0 for none, else 1 to 4 relative to the busiest day."""
    if count <= 0 or most <= 0:
        return 0
    top = len(SHADES) - 1
    return max(1, min(top, -(-count * top // most)))  # ceiling: one entry is never blank


def _cell(level: int, colour: bool) -> str:
    if not colour:
        return SHADES[level]
    return f"\x1b[38;5;{COLOURS[level]}m{'■' if level else '·'}\x1b[0m"
