"""``ritual models list / install / remove / path``: the Vosk models ritual can use.

``install`` (and ``list``, briefly, to show what the host offers) are the only
commands that may use the network.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from assistant.context import Context
from assistant.core.errors import ModelError
from assistant.modelstore.lookup import find_model, format_size, installed_models

LIST_TIMEOUT = 3.0
"""`models list` should not hang on a machine that is offline"""


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    models = sub.add_parser(
        "models",
        parents=[common],
        help="speech models (Vosk, and the second listen's): list, install, remove, path",
        description="Manage the Vosk speech models ritual transcribes with, and the "
        "faster-whisper models its second listen (ritual polish) hears answers again with.",
    )
    actions = models.add_subparsers(dest="models_action", metavar="ACTION", required=True)

    p = actions.add_parser(
        "list",
        parents=[common],
        help="installed models, and the ones the model host offers",
    )
    p.add_argument(
        "--local", action="store_true", help="only installed models; do not ask the host"
    )
    p.set_defaults(func=_list)

    p = actions.add_parser(
        "install",
        parents=[common],
        help="install a model from the model host, a zip file or a model folder",
        description="Install NAME (e.g. vosk-model-small-en-us-0.15) or the model for "
        "LANG (e.g. en-us) from the model host (RITUAL_MODEL_BASE_URL), a ZIP file "
        "carried over from another computer, or a model FOLDER on this one (copied); "
        "or a second-listen model whisper-NAME (e.g. whisper-base.en) from its host "
        "(RITUAL_WHISPER_BASE_URL). The only command that downloads.",
    )
    p.add_argument("what", metavar="NAME|LANG|ZIP|FOLDER|whisper-NAME")
    p.add_argument("--name", help="folder name for a model from a zip or folder (default: its own)")
    p.add_argument(
        "--lang", help="language of a model from a zip or folder (default: from its name)"
    )
    p.set_defaults(func=_install)

    p = actions.add_parser(
        "remove",
        parents=[common],
        help="delete an installed model from the models folder",
    )
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=_remove)

    p = actions.add_parser(
        "path",
        parents=[common],
        help="print the folder of the model used for NAME or a language (default en-us)",
    )
    p.add_argument("name", metavar="NAME|LANG", nargs="?", default="en-us")
    p.set_defaults(func=_path)


def _list(args: argparse.Namespace, ctx: Context) -> int:
    settings = ctx.settings
    found = installed_models(settings, ctx.environ)
    if found:
        ctx.out("Installed models:")
        rows = [
            (info.name, info.lang or "?", format_size(info.size), str(info.path))
            for _, info in found
        ]
        table(ctx, rows)
    else:
        ctx.out(f"No models installed (models folder: {settings.models_dir}).")
        ctx.out("Install the English one with: ritual models install en-us")
    _second_listen(ctx)
    if args.local:
        return 0
    from assistant.modelstore import (
        install as model_install,  # urllib and friends: only when needed
    )

    base = settings.model_base_url
    try:
        offered = model_install.fetch_model_list(base, timeout=LIST_TIMEOUT)
    except ModelError:
        ctx.out()
        ctx.out(f"The model host {base} cannot be reached, so only installed models are shown.")
        return 0
    names = {info.name for _, info in found}
    current = sorted((m for m in offered if not m.obsolete), key=lambda m: (m.lang, m.name))
    ctx.out()
    ctx.out(f"Offered by {base} (install with: ritual models install NAME):")
    table(
        ctx,
        [
            (
                m.name,
                m.lang or "?",
                format_size(m.size) if m.size else "?",
                m.type,
                "installed" if m.name in names else "",
            )
            for m in current
        ],
    )
    return 0


def _second_listen(ctx: Context) -> None:
    """The faster-whisper models ``ritual polish`` can use, and the others there are."""
    from assistant.modelstore.polish_models import OFFERED, folder_models, packaged_models

    found = [*folder_models(ctx.settings, ctx.environ), *packaged_models()]
    ctx.out()
    if found:
        ctx.out("Second-listen models (ritual polish):")
        rows = [
            (m.name, "en" if m.languages == "en" else "all", m.source, str(m.path)) for m in found
        ]
        table(ctx, rows)
    else:
        ctx.out("No second-listen model: ./setup --whisper installs English tiny.en.")
    installed = {m.path.name for m in found}
    ctx.out()
    ctx.out("Second-listen models to install (ritual models install whisper-NAME):")
    table(
        ctx,
        [
            (name, offer.about, "installed" if name in installed else "")
            for name, offer in OFFERED.items()
        ],
    )


def table(ctx: Context, rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] if rows else []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
        ctx.out(("  " + "  ".join(cells)).rstrip())


def _install(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.modelstore import install as model_install
    from assistant.modelstore.whisper_install import is_whisper_name

    settings = ctx.settings
    if is_whisper_name(args.what) and not (args.name or args.lang):
        return _install_whisper(args.what, ctx)
    done = model_install.install(
        settings, args.what, name=args.name, lang=args.lang, progress=ctx.stderr, say=ctx.err
    )
    again = " (replacing the earlier copy)" if done.replaced else ""
    ctx.out(f"Installed {done.name} ({done.lang or 'language unknown'}) in {done.path}{again}")
    if done.lang is None:
        ctx.out(
            "Its language is not known, so ritual uses it only by name or with --model; "
            "install it again with --lang LANG to use it for a language."
        )
        return 0
    used = find_model(settings, done.lang, ctx.environ)
    if used != done.path:
        ctx.out(f"Note: rituals in {done.lang} use {used}, which is found first.")
    return 0


def _install_whisper(name: str, ctx: Context) -> int:
    from assistant.engines.polish import find_polish_model
    from assistant.modelstore.whisper_install import install_whisper

    done = install_whisper(ctx.settings, name, progress=ctx.stderr, say=ctx.err)
    again = " (replacing the earlier copy)" if done.replaced else ""
    hears = "English" if done.lang else "every language Whisper knows"
    ctx.out(f"Installed {done.name} ({hears}) in {done.path}{again}")
    language = done.lang or ctx.settings.language
    used = find_polish_model(ctx.settings, language, ctx.environ)
    if used is not None and used.path != done.path:
        ctx.out(f"Note: {language} answers are polished with {used.engine} ({used.path}).")
    return 0


def _remove(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.modelstore import install as model_install

    info = model_install.remove(ctx.settings, args.name)
    ctx.out(f"Removed {info.name} ({format_size(info.size)}) from {info.path.parent}")
    return 0


def _path(args: argparse.Namespace, ctx: Context) -> int:
    ctx.out(str(find_model(ctx.settings, args.name, ctx.environ)))
    return 0
