"""``ritual polish [ENTRY...]``: the second listen over entries not polished yet."""

from __future__ import annotations

import argparse
import os
from typing import Any

from assistant.commands.arguments import path_argument
from assistant.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "polish",
        parents=[common],
        help="hear kept answers again with the better model, for full sentences",
        description="Hear each kept answer again with the second-listen model of the "
        "entry's language (faster-whisper) and write its cased, punctuated words into "
        "the entry; Vosk's words stay in the entry's transcript.json. Every entry not "
        "polished yet when none are named. An encrypted journal asks for its key.",
    )
    p.add_argument(
        "entries", nargs="*", type=path_argument, metavar="ENTRY", help="entry .md files"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="CPU threads the model may use (default: %(default)s)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.commands.journal_common import folder_for
    from assistant.polishing import polish_entries

    report = polish_entries(
        ctx.settings,
        folder_for(ctx),
        list(args.entries),
        environ=ctx.environ,
        warn=lambda path, message: ctx.err(f"{path}: {message}"),
        done=lambda path, n: ctx.out(f"{path}: {n} answers in better words"),
        threads=max(1, args.threads),
    )
    for language in sorted(report.no_model):
        ctx.err(f"No second-listen model hears {language}: those entries keep Vosk's text.")
    if report.refused:
        ctx.out(f"{report.refused} answers kept Vosk's text (the second listen was not trusted).")
    if not report.entries:
        ctx.out("No entries left to polish.")
    return 0
