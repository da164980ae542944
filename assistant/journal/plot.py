"""``ritual journal stats --plot FILE``: the streak calendar and the mood, drawn.

matplotlib is an optional extra (``./setup --plot``), imported only
here and only when a picture is asked for; its object API is used without pyplot,
so no window, display or GUI backend is ever involved.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from assistant.core.errors import RitualError
from assistant.core.stats import (
    WEEKDAYS,
    EntryFacts,
    current_streak,
    longest_streak,
    number_points,
    shade_level,
    week_start,
)
from assistant.journal.folder import write_output

CALENDAR_WEEKS = 53
CALENDAR_COLOURS = ("#ebedf0", "#c6e48b", "#7bc96f", "#239a3b", "#196127")
"""no entry, then the four levels of ``shade_level`` (as the terminal calendar)"""
DOTS_UP_TO = 400
"""each answer is drawn as a dot up to this many; beyond, only the average line"""
ROLLING_DAYS = 30
"""the mood line is the average of the days with a mood in the 30 days up to each"""


def _figure() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise RitualError(
            "--plot needs matplotlib: run ./setup --plot in ritual's folder "
            "(or pip install matplotlib)"
        ) from None
    return Figure(figsize=(11, 6.5), layout="constrained")


def plot_journal(facts: list[EntryFacts], today: date, *, mood: str, out: Path) -> None:
    """Draw the last year's calendar (entries a day, streaks) and ``mood`` over time."""
    figure = _figure()
    calendar, mood_axes = figure.subplots(2, 1, height_ratios=(1, 1.3))
    _calendar(calendar, facts, today)
    _mood(mood_axes, facts, mood)
    drawn = io.BytesIO()
    figure.savefig(drawn, dpi=120, format=out.suffix.lower().lstrip("."))
    # Written as an export is (private, 0600, atomically): it shows the user's moods.
    write_output(out, drawn.getvalue())


def _calendar(axes: Any, facts: list[EntryFacts], today: date) -> None:
    from matplotlib.colors import ListedColormap

    first = week_start(today) - timedelta(weeks=CALENDAR_WEEKS - 1)
    counts: dict[date, int] = {}
    for fact in facts:
        counts[fact.day] = counts.get(fact.day, 0) + 1
    most = max((n for d, n in counts.items() if first <= d <= today), default=0)
    levels = [[float("nan")] * CALENDAR_WEEKS for _ in range(7)]
    for column in range(CALENDAR_WEEKS):
        for row in range(7):
            day = first + timedelta(weeks=column, days=row)
            if day <= today:  # days still to come this week stay blank
                levels[row][column] = shade_level(counts.get(day, 0), most)
    axes.pcolormesh(
        levels,
        cmap=ListedColormap(CALENDAR_COLOURS),
        vmin=-0.5,
        vmax=len(CALENDAR_COLOURS) - 0.5,
        edgecolors="white",
        linewidth=1.5,
    )
    axes.set_aspect("equal")
    axes.invert_yaxis()
    axes.set_yticks([r + 0.5 for r in range(7)], WEEKDAYS)
    ticks = [c for c in range(CALENDAR_WEEKS) if (first + timedelta(weeks=c)).day <= 7]
    axes.set_xticks([c + 0.5 for c in ticks], [f"{first + timedelta(weeks=c):%b}" for c in ticks])
    axes.tick_params(length=0)
    for side in axes.spines.values():
        side.set_visible(False)
    days = set(counts)
    axes.set_title(
        f"Entries a day, the last year: {current_streak(days, today)} days in a row now, "
        f"{longest_streak(days)} at the longest",
        loc="left",
    )


def _mood(axes: Any, facts: list[EntryFacts], mood: str) -> None:
    points = number_points(facts, mood)
    axes.set_title(f"{mood.capitalize()} over time", loc="left")
    if not points:
        axes.text(0.5, 0.5, f"No answers to '{mood}' yet", ha="center", va="center")
        axes.set_axis_off()
        return
    days = [d for d, _ in points]
    values = [v for _, v in points]
    if len(points) <= DOTS_UP_TO:
        axes.scatter(days, values, s=10, alpha=0.35, color="tab:blue", label="each answer")
    averages = _rolling(points)
    for n, (first, last) in enumerate(_runs(days)):  # no line across a gap of months
        label = f"{ROLLING_DAYS}-day average" if n == 0 else None
        axes.plot(days[first:last], averages[first:last], color="tab:blue", label=label)
    axes.set_yticks(range(min(values), max(values) + 1))
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="upper left", frameon=False)


def _runs(days: list[date]) -> list[tuple[int, int]]:
    """Index ranges of the days no more than ``ROLLING_DAYS`` apart: an average is
    drawn within a run, never across the gap between two."""
    runs, start = [], 0
    for n in range(1, len(days)):
        if days[n] - days[n - 1] > timedelta(days=ROLLING_DAYS):
            runs.append((start, n))
            start = n
    runs.append((start, len(days)))
    return runs


def _rolling(points: list[tuple[date, int]]) -> list[float]:
    """For each point, the average of the points in the ``ROLLING_DAYS`` days up to it."""
    averages = []
    start = 0
    total = 0
    for end, (day, value) in enumerate(points):
        total += value
        while points[start][0] <= day - timedelta(days=ROLLING_DAYS):
            total -= points[start][1]
            start += 1
        averages.append(total / (end - start + 1))
    return averages
