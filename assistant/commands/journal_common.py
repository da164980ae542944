"""What the journal commands share: reading a day, opening the journal for reading,
the note said before the index reads many entries."""

from __future__ import annotations

import argparse
import difflib
from datetime import date, timedelta
from typing import Callable, Optional

from assistant.context import Context
from assistant.core.errors import RitualNotFound, UsageError
from assistant.journal.access import Journal
from assistant.journal.folder import JournalFolder
from assistant.journal.index import JournalIndex


def parse_day(text: str) -> date:
    today = date.today()
    named = {"today": today, "yesterday": today - timedelta(days=1)}
    if text in named:
        return named[text]
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"'{text}' is not a date; use YYYY-MM-DD, today or yesterday") from None


def day_option(text: str) -> date:
    try:
        return parse_day(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def journal_for(ctx: Context) -> Journal:
    """The journal as the journal commands read it (unlocking the key if need be)."""
    return Journal.for_reading(ctx.settings, ctx.environ, ctx.secret_prompt())


def folder_for(ctx: Context) -> JournalFolder:
    """The journal's folder as the journal commands read it."""
    return journal_for(ctx).folder


def reading_note(ctx: Context) -> Callable[[int], None]:
    """What to say before the index reads many entries (the first time): it takes a moment."""
    return lambda n: ctx.err(
        f"Reading {counted(n, 'entry', 'entries')} into the journal's index (once) …"
    )


def known_ritual(ctx: Context, index: JournalIndex, name: Optional[str]) -> None:
    """A ``--ritual NAME`` that is neither a ritual nor in the journal is a typo:
    say so (with the close name), rather than "no entries" in a full journal."""
    if name is None:
        return
    names = {f.ritual for f in index.facts()} | {r.name for r in ctx.settings.catalog.rituals()}
    if name in names:
        return
    close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(names))}"
    raise RitualNotFound(
        f"--ritual {name}: no ritual of that name, in the journal or the rituals ({hint})"
    )


def counted(n: int, one: str, many: str) -> str:
    """``1 entry``, ``2 entries``."""
    return f"{n} {one if n == 1 else many}"
