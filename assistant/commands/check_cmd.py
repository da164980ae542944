"""``ritual check [FILE...]``: validate ritual files and the config, every problem as file:line.

With no FILE: the config file in use, then every ritual ``ritual list`` shows. A
FILE may also be a ritual's name, as ``ritual run`` takes it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import yaml

from assistant.commands.arguments import path_argument
from assistant.context import Context
from assistant.core.errors import Problem, RitualError
from assistant.core.ritual_file import TOP_KEYS
from assistant.settings import (
    CONFIG_KEYS,
    catalog_despite,
    config_problems,
    default_config_path,
)

if TYPE_CHECKING:
    from assistant.core.catalog import RitualCatalog

CONFIG_NAME = "config.yaml"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "check",
        parents=[common],
        help="validate ritual files and the config (problems as file:line)",
        description="Validate ritual files, reframes.yaml and the config file (wake phrases, "
        "schedule and the rest). With no FILE: the config in use and every ritual found.",
    )
    p.add_argument("files", nargs="*", type=path_argument, metavar="FILE|NAME")
    p.set_defaults(func=run)


def _config_path(args: argparse.Namespace, ctx: Context) -> Path:
    return args.config or default_config_path(ctx.environ)


def _everything(args: argparse.Namespace, ctx: Context) -> list[Path]:
    from assistant.core.catalog import REFRAMES_FILE

    files = []
    config = _config_path(args, ctx)
    if config.is_file():
        files.append(config)
    catalog = _catalog(args, ctx)
    if catalog is None:
        return files  # the config's own problems are reported
    files += [r.path for r in catalog.rituals()]
    files += [
        f / REFRAMES_FILE for f in (catalog.user, catalog.bundled) if (f / REFRAMES_FILE).is_file()
    ]
    return files


def _is_config(path: Path, args: argparse.Namespace, ctx: Context) -> bool:
    """The config in use, a file named config.yaml, or one whose keys are settings."""
    config = _config_path(args, ctx)
    if path.name == CONFIG_NAME or (path.is_file() and config.is_file() and path.samefile(config)):
        return True
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    keys = set(data) if isinstance(data, dict) else set()
    # language and voice are keys of both; only a key a ritual cannot have says "config"
    return not keys & {"title", "steps"} and bool(keys & (CONFIG_KEYS - set(TOP_KEYS)))


def _problems(path: Path, args: argparse.Namespace, ctx: Context) -> list[Problem]:
    from assistant.core.catalog import check_rituals

    if _is_config(path, args, ctx):
        return config_problems(path, ctx.environ) or _wake_words_problems(path, args, ctx)
    return [p for e in check_rituals([path], _catalog(args, ctx)) for p in e.problems]


def _catalog(args: argparse.Namespace, ctx: Context) -> Optional[RitualCatalog]:
    """The rituals, also when the config has a mistake that is not about them."""
    try:
        return ctx.settings.catalog
    except RitualError:
        return catalog_despite(_config_path(args, ctx), ctx.environ)


def _wake_words_problems(path: Path, args: argparse.Namespace, ctx: Context) -> list[Problem]:
    """With a model given (--model, RITUAL_MODEL or model: in the config), the wake
    phrases of its language with words it does not know: they could never wake."""
    from assistant.engines.probes import unknown_wake_words
    from assistant.settings import load_settings

    settings = load_settings(ctx.environ, config=path, model=args.model)
    if settings.model is None:
        return []
    phrases = settings.hands_free.wake_phrases(settings.language)
    try:
        unknown = unknown_wake_words(settings.model, phrases)
    except RitualError as e:  # the model cannot be loaded: said as this file's problem
        return [Problem(str(path), 0, str(e))]
    return [
        Problem(
            str(path),
            0,
            f"the wake phrase {phrase!r} can never wake: the speech model {settings.model} "
            f"does not know {', '.join(repr(w) for w in words)}",
        )
        for phrase, words in unknown.items()
    ]


def _named(path: Path, ctx: Context) -> Path:
    """A FILE that is not there but could be a ritual's name ("morning") is that ritual."""
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path
    try:
        return ctx.settings.catalog.find(str(path))
    except RitualError:
        return path  # reported as a missing file, as typed


def run(args: argparse.Namespace, ctx: Context) -> int:
    files = [_named(f, ctx) for f in args.files] or _everything(args, ctx)
    bad = 0
    for path in files:
        problems = _problems(path, args, ctx)
        bad += bool(problems)
        for problem in problems:
            ctx.err(str(problem))
    if bad:
        ctx.err(f"{bad} of {len(files)} file(s) have problems")
        return 1
    ctx.out(f"{len(files)} file(s) OK")
    return 0
