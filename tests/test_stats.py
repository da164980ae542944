"""Statistics over a crafted journal whose answers are known, and the calendar heatmap."""

from __future__ import annotations

import re
from datetime import date, timedelta

from assistant.core.stats import (
    EntryFacts,
    current_streak,
    heatmap,
    longest_streak,
    monthly_averages,
    number_points,
    ritual_stats,
    run_through,
    shade_level,
    sparkline,
    trend_word,
    weekly_counts,
)
from tests.cli import ROOT

TODAY = date(2026, 11, 30)  # a Monday
GOLDEN = ROOT / "tests" / "data" / "golden"


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def crafted() -> list[EntryFacts]:
    """Evenings: 14 in a row in October (the longest), 10 up to yesterday (today's
    not yet kept). Mornings: 5 in early November, and the last 3 days with today.
    Every evening asked 5 questions and had 4 answered; its mood was 2 in October
    and 4 in November. Mornings answered all 6 and gave no mood."""
    evenings = days(date(2026, 10, 1), date(2026, 10, 14)) + days(
        date(2026, 11, 20), date(2026, 11, 29)
    )
    mornings = days(date(2026, 11, 1), date(2026, 11, 5)) + days(
        date(2026, 11, 28), date(2026, 11, 30)
    )
    facts = [EntryFacts(d, "evening", 5, 4, {"mood": 2 if d.month == 10 else 4}) for d in evenings]
    facts += [EntryFacts(d, "morning", 6, 6) for d in mornings]
    return sorted(facts, key=lambda f: f.day)


def test_runs_of_days() -> None:
    kept = set(days(date(2026, 11, 20), date(2026, 11, 29)))
    assert run_through(kept, date(2026, 11, 29)) == 10
    assert run_through(kept, TODAY) == 0
    assert current_streak(kept, TODAY) == 10  # today is not over yet
    assert current_streak(kept, TODAY + timedelta(days=1)) == 0  # a day missed: broken
    assert longest_streak([*kept, date(2026, 1, 1)]) == 10
    assert longest_streak([]) == 0


def test_per_ritual_streaks_pace_and_answered_share() -> None:
    evening, morning = ritual_stats(crafted(), TODAY)
    assert (evening.ritual, evening.entries, evening.days) == ("evening", 24, 24)
    assert (evening.current_streak, evening.longest_streak) == (10, 14)
    assert evening.answered_share == 0.8
    assert (morning.ritual, morning.entries) == ("morning", 8)
    assert (morning.current_streak, morning.longest_streak) == (3, 5)
    assert morning.answered_share == 1.0
    # 12 weeks back from the week of 30 November reach 8 September: all 24 evenings
    assert evening.per_week == 24 / 12


def test_sessions_per_week_count_monday_to_sunday() -> None:
    counts = weekly_counts([f.day for f in crafted() if f.ritual == "morning"], TODAY, 5)
    # Sunday 1 November belongs to the week of 26 October, before these five
    assert counts == [
        (date(2026, 11, 2), 4),
        (date(2026, 11, 9), 0),
        (date(2026, 11, 16), 0),
        (date(2026, 11, 23), 2),
        (date(2026, 11, 30), 1),
    ]


def test_mood_by_month_and_its_trend() -> None:
    points = number_points(crafted(), "mood")
    assert len(points) == 24 and points[0] == (date(2026, 10, 1), 2)
    months = monthly_averages(points)
    assert months == [(date(2026, 10, 1), 2.0), (date(2026, 11, 1), 4.0)]
    assert trend_word(months) == "rising"
    assert trend_word(months[::-1]) == "falling"
    assert trend_word([(date(2026, 1, 1), 3.0), (date(2026, 2, 1), 3.2)]) == "steady"
    assert trend_word(months[:1]) == "steady"
    assert sparkline([2.0, 4.0, 3.0], 1, 5) == "▃▆▅"
    assert number_points(crafted(), "energy") == []


def test_shades_are_relative_to_the_busiest_day() -> None:
    assert [shade_level(n, 2) for n in (0, 1, 2)] == [0, 2, 4]
    assert [shade_level(n, 8) for n in (0, 1, 2, 3, 8)] == [0, 1, 1, 2, 4]
    assert shade_level(3, 0) == 0


def calendar_counts() -> dict[date, int]:
    counts: dict[date, int] = {}
    for fact in crafted():
        counts[fact.day] = counts.get(fact.day, 0) + 1
    return counts


def test_the_heatmap_matches_the_golden_file() -> None:
    drawn = heatmap(calendar_counts(), TODAY, 12)
    assert drawn == (GOLDEN / "heatmap.txt").read_text(encoding="utf-8")
    assert "\x1b" not in drawn


def test_the_coloured_heatmap_has_the_same_days_in_colour() -> None:
    plain = heatmap(calendar_counts(), TODAY, 12).splitlines()
    coloured = heatmap(calendar_counts(), TODAY, 12, colour=True).splitlines()
    assert coloured[0] == plain[0]  # the months
    assert "\x1b[38;5;40m■" in coloured[7]  # the busiest Sunday, bright green
    cells = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in coloured[1:8]]
    assert [line.replace("■", "#") for line in cells] == [
        re.sub("[░▒▓█]", "#", line) for line in plain[1:8]
    ]
