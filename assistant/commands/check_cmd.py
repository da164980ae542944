"""``ritual check FILE...``: validate ritual files, every problem as file:line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from assistant.context import Context
from assistant.core.catalog import check_rituals


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "check", parents=[common], help="validate ritual files (problems as file:line)"
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    errors = check_rituals(args.files)
    for error in errors:
        for problem in error.problems:
            ctx.err(str(problem))
    bad = len(errors)
    if bad:
        ctx.err(f"{bad} of {len(args.files)} file(s) have problems")
        return 1
    ctx.out(f"{len(args.files)} file(s) OK")
    return 0
