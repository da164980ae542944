"""``ritual transcribe [ENTRY...]``: transcribe kept audio again, rewrite the entries."""

from __future__ import annotations

import argparse
from typing import Any

from assistant.commands.arguments import path_argument
from assistant.context import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "transcribe",
        parents=[common],
        help="transcribe kept audio again with the current model",
        description="Transcribe each answer's kept audio again with the current model "
        "and rewrite the entries (all entries with audio when none are named).",
    )
    p.add_argument(
        "entries", nargs="*", type=path_argument, metavar="ENTRY", help="entry .md files"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.app import transcribe_entries
    from assistant.commands.journal_common import folder_for

    changed = transcribe_entries(
        ctx.settings,
        folder_for(ctx),
        list(args.entries),
        environ=ctx.environ,
        warn=lambda path, message: ctx.err(f"{path}: {message}"),
        done=lambda path, model: ctx.out(f"{path}: transcribed again with {model}"),
    )
    if not changed:
        ctx.out("No entries with kept audio.")
    return 0
