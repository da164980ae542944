"""``ritual journal stats --plot FILE``: the streak calendar and the mood, drawn.

matplotlib is an optional extra (``pip install 'ritual[plot]'``), imported only
here and only when a picture is asked for; its object API is used without pyplot,
so no window, display or GUI backend is ever involved.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from assistant.core.errors import JournalError, RitualError
from assistant.core.stats import (
    WEEKDAYS,
    EntryFacts,
    current_streak,
    longest_streak,
    number_points,
    week_start,
)

CALENDAR_WEEKS = 53
ROLLING_DAYS = 30
"""the mood line is the average of the days with a mood in the 30 days up to each"""


def _figure() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise RitualError(
            "--plot needs matplotlib: pip install 'ritual[plot]' (or pip install matplotlib)"
        ) from None
    return Figure(figsize=(11, 6.5), layout="constrained")


def plot_journal(facts: list[EntryFacts], today: date, *, mood: str, out: Path) -> None:
    """Draw the last year's calendar (entries a day, streaks) and ``mood`` over time."""
    figure = _figure()
    calendar, mood_axes = figure.subplots(2, 1, height_ratios=(1, 1.3))
    _calendar(calendar, facts, today)
    _mood(mood_axes, facts, mood)
    try:
        figure.savefig(out, dpi=120)
    except OSError as e:
        raise JournalError(f"cannot write {out} ({e.strerror})") from None


def _calendar(axes: Any, facts: list[EntryFacts], today: date) -> None:
    first = week_start(today) - timedelta(weeks=CALENDAR_WEEKS - 1)
    counts = [[0.0] * CALENDAR_WEEKS for _ in range(7)]
    for fact in facts:
        if first <= fact.day <= today:
            column = (fact.day - first).days // 7
            counts[fact.day.weekday()][column] += 1
    for row in range(7):  # days still to come this week are left blank
        for column in range(CALENDAR_WEEKS):
            if first + timedelta(weeks=column, days=row) > today:
                counts[row][column] = float("nan")
    days = {f.day for f in facts}
    axes.imshow(counts, cmap="Greens", aspect="equal", vmin=0, interpolation="nearest")
    axes.set_yticks(range(7), WEEKDAYS)
    ticks = [c for c in range(CALENDAR_WEEKS) if (first + timedelta(weeks=c)).day <= 7]
    axes.set_xticks(ticks, [f"{first + timedelta(weeks=c):%b}" for c in ticks])
    axes.tick_params(length=0)
    for side in axes.spines.values():
        side.set_visible(False)
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
    axes.scatter(days, values, s=6, alpha=0.25, color="tab:blue", label="each answer")
    axes.plot(days, _rolling(points), color="tab:blue", label=f"{ROLLING_DAYS}-day average")
    axes.set_yticks(range(min(values), max(values) + 1))
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="upper left", frameon=False)


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
