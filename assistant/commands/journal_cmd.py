"""``ritual journal list | show | search | stats | reindex | export`` (and, in
``journal_privacy``, ``encrypt | decrypt | delete | retention``).

Listing, searching and statistics read the journal's index (``journal_index``),
brought up to date from the files first; ``show`` reads the day's folder itself.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path
from typing import Any

from assistant.commands import journal_privacy, journal_stats
from assistant.commands.arguments import in_range, path_argument
from assistant.commands.journal_common import (
    counted,
    day_option,
    folder_for,
    journal_for,
    known_ritual,
    parse_day,
    reading_note,
)
from assistant.context import Context
from assistant.core.errors import UsageError
from assistant.core.export import FORMATS, export_jrnl, export_json, export_markdown
from assistant.core.ranges import SEARCH_LIMIT
from assistant.core.reading import readable_entry
from assistant.journal.folder import JournalFolder, write_output
from assistant.journal.index import MARK, fts_query

BOLD_RED = ("\x1b[1;31m", "\x1b[0m")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "journal", parents=[common], help="read, search, count and export the journal"
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--ritual", metavar="NAME", help="only this ritual's entries")
    filters.add_argument("--since", type=day_option, metavar="DATE", help="from this day on")
    filters.add_argument("--until", type=day_option, metavar="DATE", help="up to this day")

    listing = actions.add_parser(
        "list", parents=[common, filters], help="every entry, oldest first"
    )
    listing.set_defaults(func=list_entries)
    show = actions.add_parser("show", parents=[common], help="print the entries of a day")
    show.add_argument(
        "day", nargs="?", metavar="DATE", help="YYYY-MM-DD, today or yesterday (default: latest)"
    )
    show.add_argument(
        "--on-this-day",
        action="store_true",
        help="the entries of this day (or DATE's) in earlier years",
    )
    show.add_argument(
        "--raw", action="store_true", help="the files as they are (front matter and Markdown)"
    )
    show.set_defaults(func=show_entries)
    search = actions.add_parser(
        "search",
        parents=[common, filters],
        help="answers with all the words, best first",
        description='Every word must be found, also in one quoted argument ("presentation '
        'fine"); a word also finds longer ones ("hope" finds "hopeful"). Quotes that reach '
        "ritual make a phrase: '\"grateful for\"'. A word that starts with - goes after --.",
    )
    search.add_argument("words", nargs="+", metavar="WORDS")
    search.add_argument(
        "--limit", type=in_range(SEARCH_LIMIT), default=20, metavar="N", help="at most N (20)"
    )
    search.set_defaults(func=search_entries)
    journal_stats.register(actions, common, filters)
    journal_privacy.register(actions, common)
    reindex = actions.add_parser(
        "reindex", parents=[common], help="build the journal's index again from the files"
    )
    reindex.set_defaults(func=reindex_journal)
    export = actions.add_parser("export", parents=[common], help="the whole journal as one file")
    export.add_argument("--format", choices=FORMATS, default="md")
    export.add_argument(
        "--output", "-o", type=path_argument, metavar="FILE", help="default: stdout"
    )
    export.set_defaults(func=export_entries)


def list_entries(args: argparse.Namespace, ctx: Context) -> int:
    with journal_for(ctx).index(reading_note(ctx)) as index:
        known_ritual(ctx, index, args.ritual)
        entries = index.entries(ritual=args.ritual, since=args.since, until=args.until)
    if not entries:
        ctx.out(
            f"No {args.ritual + ' ' if args.ritual else ''}entries yet"
            f" in {ctx.settings.journal_dir}."
        )
        return 0
    lines = [
        f"{e.started[:10]} {e.started[11:16]}  {e.ritual:<14} {e.status:<11} "
        f"{e.answered}/{e.asked} answered  {e.path}"
        for e in entries
    ]
    ctx.out("\n".join(lines))
    return 0


def show_entries(args: argparse.Namespace, ctx: Context) -> int:
    folder = folder_for(ctx)
    if args.on_this_day:
        this_day = parse_day(args.day) if args.day else date.today()
        return _on_this_day(folder, this_day, ctx, raw=args.raw)
    day = parse_day(args.day) if args.day else folder.latest_day()
    if day is None:
        ctx.out(f"No entries yet in {ctx.settings.journal_dir}.")
        return 0
    if not _print_day(folder, day, ctx, raw=args.raw):
        ctx.out(f"No entries on {day.isoformat()}.")
    return 0


def _on_this_day(folder: JournalFolder, day: date, ctx: Context, *, raw: bool) -> int:
    found = False
    for year in range(day.year - 1, folder.first_year() - 1, -1):
        try:
            earlier = day.replace(year=year)
        except ValueError:  # 29 February, in a year without one
            continue
        ago = day.year - year
        heading = f"# {earlier:%A} {earlier.isoformat()}, {ago} year{'s' if ago > 1 else ''} ago"
        if _print_day(folder, earlier, ctx, heading=heading, raw=raw):
            found = True
    if not found:
        ctx.out(f"Nothing from {day:%B} {day.day} in earlier years yet.")
    return 0


def _print_day(
    folder: JournalFolder, day: date, ctx: Context, *, heading: str = "", raw: bool = False
) -> bool:
    """Print the entries of ``day`` that read as entries, in the order they were
    begun, to be read (or, ``raw``, the files as they are); whether there were any."""
    entries = []
    for path in folder.entries_on(day):
        entry = folder.read_or_pass_over(path)
        if entry is not None:
            entries.append((entry.started.replace(tzinfo=None), str(path), entry))
    if entries and heading:
        ctx.out(heading + "\n")
    for _, name, entry in sorted(entries, key=lambda found: found[:2]):
        if raw:
            ctx.out(f"<!-- {name} -->")
            ctx.out(folder.read_text(Path(name)))
        else:
            ctx.out(readable_entry(entry) + f"({name})\n")
    return bool(entries)


def search_entries(args: argparse.Namespace, ctx: Context) -> int:
    query = fts_query(args.words)
    if not query:
        raise UsageError("nothing to search for")
    with journal_for(ctx).index(reading_note(ctx)) as index:
        known_ritual(ctx, index, args.ritual)
        hits = index.search(
            query, ritual=args.ritual, since=args.since, until=args.until, limit=args.limit
        )
    if not hits:
        ctx.out("Nothing found.")
        return 0
    start, end = BOLD_RED if ctx.colour else ("", "")
    lines = []
    for hit in hits:
        snippet = " ".join(hit.snippet.split()).replace(MARK[0], start).replace(MARK[1], end)
        lines.append(f"{hit.started[:10]} {hit.ritual}: {hit.prompt}\n    {snippet}")
    ctx.out("\n".join(lines))
    return 0


def reindex_journal(args: argparse.Namespace, ctx: Context) -> int:
    started = time.perf_counter()
    with journal_for(ctx).fresh_index() as index:
        index.rebuild(reading_note(ctx))
        index.warn_passed_over()
        passed = len(index.passed_over())
        entries = len(index.entries())
        where = index.path or "memory only"
    seconds = time.perf_counter() - started
    ctx.out(
        f"Indexed {counted(entries, 'entry', 'entries')} in {seconds:.1f} s"
        + (f" ({passed} files passed over)" if passed else "")
        + f": {where}"
    )
    return 0


def export_entries(args: argparse.Namespace, ctx: Context) -> int:
    entries = [e for _, e in folder_for(ctx).read_all()]
    render = {"md": export_markdown, "json": export_json, "jrnl": export_jrnl}[args.format]
    text = render(entries)
    if args.output:
        write_output(args.output, text)
        ctx.err(f"Exported {counted(len(entries), 'entry', 'entries')} to {args.output}")
    else:
        ctx.write(text)
    return 0
