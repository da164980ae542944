"""``ritual list``: the rituals found, the user's first."""

from __future__ import annotations

import argparse
from typing import Any

from assistant.context import Context
from assistant.core.errors import RitualFileError


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("list", parents=[common], help="list the rituals and where they are")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.core.ritual_file import load_ritual

    rituals = ctx.settings.catalog.rituals()
    if not rituals:
        ctx.out("No rituals found.")
        return 0
    width = max(len(r.name) for r in rituals)
    for r in rituals:
        try:
            title = load_ritual(r.path).title
        except RitualFileError:
            title = "(has problems: run `ritual check` on it)"
        where = "bundled" if r.bundled else "yours"
        ctx.out(f"{r.name:<{width}}  {title}  [{where}: {r.path}]")
    return 0
