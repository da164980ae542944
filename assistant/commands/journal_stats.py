"""``ritual journal stats``: streaks, sessions a week, answered share, mood, a calendar.

The figures come from ``core.stats``; the entries from the journal's index. With
``--plot FILE.png|.svg`` the calendar and the mood are drawn with matplotlib
(the optional extra ``plot``: ``./setup --plot``).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from assistant.commands.journal_common import counted, journal_for, known_ritual, reading_note
from assistant.context import Context
from assistant.core.errors import UsageError
from assistant.core.ranges import STATS_WEEKS
from assistant.core.stats import (
    EntryFacts,
    heatmap,
    monthly_averages,
    number_points,
    ritual_stats,
    sparkline,
    trend_word,
)
from assistant.core.week import summarise, summary_text
from assistant.journal.week import JournalWeek

PLOT_FORMATS = (".png", ".svg")


def register(actions: Any, common: argparse.ArgumentParser, filters: Any) -> None:
    stats = actions.add_parser(
        "stats",
        parents=[common, filters],
        help="streaks, sessions a week, answered share, mood and a calendar",
    )
    stats.add_argument(
        "--weeks", type=int, default=26, metavar="N", help="weeks in the calendar (26)"
    )
    stats.add_argument(
        "--mood",
        default="mood",
        metavar="ID",
        help="the question whose numbers are the mood (default: mood)",
    )
    stats.add_argument(
        "--plot",
        type=Path,
        metavar="FILE",
        help="also draw the calendar and mood to a .png or .svg",
    )
    stats.add_argument(
        "--week",
        action="store_true",
        help="the last seven days as the weekly review says them: days, mood, streak, words",
    )
    stats.set_defaults(func=show_stats)


def show_stats(args: argparse.Namespace, ctx: Context) -> int:
    if args.plot is not None and args.plot.suffix.lower() not in PLOT_FORMATS:
        raise UsageError(f"--plot draws a .png or an .svg file, not {args.plot.name}")
    if not STATS_WEEKS.holds(args.weeks):
        raise UsageError(f"--weeks is {STATS_WEEKS}")
    if args.week:
        return show_week(args, ctx)
    with journal_for(ctx).index(reading_note(ctx)) as index:
        known_ritual(ctx, index, args.ritual)
        facts = [
            f
            for f in index.facts(ritual=args.ritual)
            if (args.since is None or f.day >= args.since)
            and (args.until is None or f.day <= args.until)
        ]
    if not facts:
        ctx.out(
            f"No {args.ritual + ' ' if args.ritual else ''}entries yet"
            f" in {ctx.settings.journal_dir}."
        )
        return 0
    today = args.until or date.today()
    ctx.out(stats_text(facts, today, weeks=args.weeks, mood=args.mood, colour=ctx.colour))
    if args.plot is not None:
        from assistant.journal.plot import plot_journal

        plot_journal(facts, today, mood=args.mood, out=args.plot)
        ctx.err(f"Drew {args.plot}")
    return 0


def show_week(args: argparse.Namespace, ctx: Context) -> int:
    """The week up to today (or ``--until``): the last fourteen days' files only."""
    if args.plot is not None or args.since is not None or args.ritual is not None:
        raise UsageError("--week sums up the seven days up to --until; it takes no other filter")
    through = args.until or date.today()
    facts = JournalWeek(journal_for(ctx).folder).week(through)
    ctx.out(summary_text(summarise(facts, args.mood), through))
    return 0


def stats_text(facts: list[EntryFacts], today: date, *, weeks: int, mood: str, colour: bool) -> str:
    """Everything ``stats`` prints, as one text."""
    first, last = facts[0].day, facts[-1].day
    lines = [
        f"{counted(len(facts), 'entry', 'entries')} from {first.isoformat()} to {last.isoformat()}",
        "",
    ]
    lines.append(
        f"{'ritual':<16}{'entries':>8}{'streak':>8}{'longest':>9}{'a week':>8}{'answered':>10}"
    )
    for row in ritual_stats(facts, today):
        share = f"{row.answered_share:.0%}" if row.answered_share is not None else "–"
        lines.append(
            f"{row.ritual:<16}{row.entries:>8}{row.current_streak:>8}{row.longest_streak:>9}"
            f"{row.per_week:>8.1f}{share:>10}"
        )
    lines.append("(streak: days in a row up to today; a week: over the last 12 weeks)")
    points = number_points(facts, mood)
    if points:
        months = monthly_averages(points)[-12:]
        low = min(v for _, v in points)
        high = max(v for _, v in points)
        spark = sparkline([v for _, v in months], low, high)
        lines += [
            "",
            f"{mood} by month, the last {len(months)} ({months[0][0]:%b %Y} – "
            f"{months[-1][0]:%b %Y}, {low} to {high}):",
            f"  {spark}  {months[-1][1]:.1f} in {months[-1][0]:%B}, {trend_word(months)}",
        ]
    counts: dict[date, int] = {}
    for f in facts:
        counts[f.day] = counts.get(f.day, 0) + 1
    lines += ["", f"The last {weeks} weeks:", heatmap(counts, today, weeks, colour=colour)]
    return "\n".join(lines).rstrip("\n")
