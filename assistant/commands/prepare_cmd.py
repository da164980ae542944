"""``ritual prepare [RITUAL...]``: render every prompt ahead, so none is made while you listen."""

from __future__ import annotations

import argparse
from typing import Any, Optional

from assistant.app import PREPARE_DAYS as DAYS
from assistant.app import prepare_rituals
from assistant.context import Context
from assistant.core.errors import UsageError
from assistant.core.ranges import PREPARE_DAYS


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "prepare",
        parents=[common],
        help="render the rituals' prompts into the speech cache ahead of time",
        description="Render every prompt of the rituals (all of them by default) that holds "
        "none of your words, in the voice each ritual speaks with, for the sessions of the "
        "next days. A ritual then speaks each prompt at once, even with a slow voice on a "
        "Raspberry Pi. Read-backs of your answers are never kept: they are made as they "
        "are spoken.",
    )
    p.add_argument("rituals", metavar="RITUAL", nargs="*", help="names or files (default: all)")
    p.add_argument(
        "--days",
        type=int,
        default=DAYS,
        help=f"sessions starting within this many days, today included (default {DAYS})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    if not PREPARE_DAYS.holds(args.days):
        raise UsageError(f"--days is {PREPARE_DAYS}")
    bar: Optional[Any] = None
    current = ""

    def progress(ritual: str, done: int, total: int) -> None:
        nonlocal bar, current
        from tqdm import tqdm

        if bar is None or ritual != current:
            if bar is not None:
                bar.close()
            bar = tqdm(total=total, desc=ritual, unit="prompt", file=ctx.stderr, disable=None)
            current = ritual
        bar.update(1)

    try:
        prepared = prepare_rituals(
            ctx.settings, args.rituals, days=args.days, progress=progress, notice=ctx.err
        )
    finally:
        if bar is not None:
            bar.close()
    for p in prepared:
        fresh = f"{p.rendered} rendered now" if p.rendered else "all were ready"
        ctx.out(f"{p.ritual}: {p.prompts} prompts ({fresh}, {p.seconds:.1f} s), {p.voice}")
    return 0
