"""``ritual run NAME_OR_PATH``: a ritual by voice, or typed with ``--text``."""

from __future__ import annotations

import argparse
from typing import Any

from assistant.commands.arguments import add_audio_options
from assistant.commands.signals import stopping_on_signals
from assistant.context import Context
from assistant.core.journal import EntryStatus


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "run",
        parents=[common],
        help="run a ritual (by voice, or typed with --text)",
        description="Run a ritual by name (see `ritual list`) or from a YAML file.",
    )
    p.add_argument("ritual", metavar="NAME_OR_PATH", help="e.g. morning, evening, ./mine.yaml")
    p.add_argument(
        "--text",
        action="store_true",
        help="print prompts and read typed answers (no mic, no model)",
    )
    add_audio_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.app import run_ritual

    reconfigure = getattr(ctx.stdin, "reconfigure", None)
    if args.text and reconfigure is not None:
        reconfigure(errors="replace")  # a stray byte in typed input is not worth a crash
    with stopping_on_signals():
        entry, path = run_ritual(
            ctx.settings,
            args.ritual,
            text=args.text,
            events=args.events,
            stdin=ctx.stdin,
            stdout=ctx.stdout,
            environ=ctx.environ,
            notice=ctx.err,
        )
    if path is None:
        ctx.err("Stopped before the first answer; nothing was kept.")
        return 0
    note = " (stopped early; what you said is kept)" if entry.status is EntryStatus.STOPPED else ""
    ctx.err(f"Saved to {path}{note}")
    return 0
