"""``ritual journal list | show [DATE] | search WORDS | export --format md|json|jrnl``."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from assistant.context import Context
from assistant.core.errors import JournalError, UsageError
from assistant.core.export import FORMATS, export_jrnl, export_json, export_markdown
from assistant.core.journal import AnswerState, Entry
from assistant.store import JournalFolder, atomic_write


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("journal", parents=[common], help="read, search and export the journal")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", parents=[common], help="every entry, oldest first").set_defaults(
        func=list_entries
    )
    show = actions.add_parser("show", parents=[common], help="print the entries of a day")
    show.add_argument(
        "day", nargs="?", metavar="DATE", help="YYYY-MM-DD, today or yesterday (default: latest)"
    )
    show.set_defaults(func=show_entries)
    search = actions.add_parser("search", parents=[common], help="answers containing all WORDS")
    search.add_argument("words", nargs="+", metavar="WORDS")
    search.set_defaults(func=search_entries)
    export = actions.add_parser("export", parents=[common], help="the whole journal as one file")
    export.add_argument("--format", choices=FORMATS, default="md")
    export.add_argument("--output", "-o", type=Path, metavar="FILE", help="default: stdout")
    export.set_defaults(func=export_entries)


def _journal(ctx: Context) -> list[tuple[Path, Entry]]:
    return list(JournalFolder(ctx.settings.journal_dir).read_all())


def _parse_day(text: str) -> date:
    today = date.today()
    named = {"today": today, "yesterday": today - timedelta(days=1)}
    if text in named:
        return named[text]
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"'{text}' is not a date; use YYYY-MM-DD, today or yesterday") from None


def list_entries(args: argparse.Namespace, ctx: Context) -> int:
    entries = _journal(ctx)
    if not entries:
        ctx.out(f"No entries yet in {ctx.settings.journal_dir}.")
    for path, e in entries:
        answered = sum(a.state == AnswerState.ANSWERED for a in e.answers)
        ctx.out(
            f"{e.started:%Y-%m-%d %H:%M}  {e.ritual:<14} {e.status:<11} "
            f"{answered}/{len(e.answers)} answered  {path}"
        )
    return 0


def show_entries(args: argparse.Namespace, ctx: Context) -> int:
    entries = _journal(ctx)
    if not entries:
        ctx.out(f"No entries yet in {ctx.settings.journal_dir}.")
        return 0
    day = _parse_day(args.day) if args.day else entries[-1][1].day
    chosen = [(p, e) for p, e in entries if e.day == day]
    if not chosen:
        ctx.out(f"No entries on {day.isoformat()}.")
        return 0
    for path, _ in chosen:
        ctx.out(f"<!-- {path} -->")
        ctx.out(path.read_text(encoding="utf-8"))
    return 0


def search_entries(args: argparse.Namespace, ctx: Context) -> int:
    words = [w.lower() for w in args.words]
    hits = 0
    for _, e in _journal(ctx):
        for a in e.answers:
            texts = [(a.prompt, a.text)]
            if a.follow_up:
                texts.append((a.follow_up.prompt, a.follow_up.text))
            for prompt, text in texts:
                haystack = f"{prompt}\n{text}".lower()
                if text and all(w in haystack for w in words):
                    hits += 1
                    ctx.out(
                        f"{e.started:%Y-%m-%d} {e.ritual}: {prompt}\n    {' '.join(text.split())}"
                    )
    if not hits:
        ctx.out("Nothing found.")
    return 0


def export_entries(args: argparse.Namespace, ctx: Context) -> int:
    entries = [e for _, e in _journal(ctx)]
    render = {"md": export_markdown, "json": export_json, "jrnl": export_jrnl}[args.format]
    text = render(entries)
    if args.output:
        try:
            atomic_write(args.output, text)
        except OSError as e:
            raise JournalError(f"cannot write {args.output} ({e.strerror})") from None
        ctx.err(f"Exported {len(entries)} entries to {args.output}")
    else:
        ctx.stdout.write(text)
    return 0
