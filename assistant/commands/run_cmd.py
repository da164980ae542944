"""``ritual run NAME_OR_PATH``: a ritual by voice, or typed with ``--text``."""

from __future__ import annotations

import argparse
import signal
from types import FrameType
from typing import Any, Optional

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
    p.add_argument("--events", metavar="FILE", help="write events as JSON lines ('-' for stdout)")
    p.add_argument("--input-device", metavar="NAME|INDEX", help="microphone (see `ritual devices`)")
    p.add_argument("--output-device", metavar="NAME|INDEX", help="speaker (see `ritual devices`)")
    p.set_defaults(func=run)


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""a timer or service manager stopping us, or the terminal closing"""


def _terminate(signum: int, frame: Optional[FrameType]) -> None:
    # Unwind like Ctrl-C so the entry is saved as stopped on the way out.
    raise KeyboardInterrupt


def run(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.app import run_ritual

    reconfigure = getattr(ctx.stdin, "reconfigure", None)
    if args.text and reconfigure is not None:
        reconfigure(errors="replace")  # a stray byte in typed input is not worth a crash
    previous = {signum: signal.signal(signum, _terminate) for signum in STOP_SIGNALS}
    try:
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
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    note = " (stopped early; what you said is kept)" if entry.status is EntryStatus.STOPPED else ""
    ctx.err(f"Saved to {path}{note}")
    return 0
