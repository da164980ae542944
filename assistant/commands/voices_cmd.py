"""``ritual voices list / install / remove / path``: the Piper voices ritual can speak with.

``install`` (and ``list``, briefly, to show what the host offers) are the only
voice commands that may use the network.
"""

from __future__ import annotations

import argparse

from assistant.commands.models_cmd import table
from assistant.context import Context
from assistant.core.errors import ModelError
from assistant.modelstore.lookup import format_size
from assistant.modelstore.voices import find_voice, installed_voices, speaks

LIST_TIMEOUT = 3.0
"""`voices list` should not hang on a machine that is offline"""


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    voices = sub.add_parser(
        "voices",
        parents=[common],
        help="Piper voices: list, install, remove, path",
        description="Manage the Piper neural voices ritual can speak with "
        "(voice: {engine: piper} in the config or a ritual; needs ./setup --piper).",
    )
    actions = voices.add_subparsers(dest="voices_action", metavar="ACTION", required=True)

    p = actions.add_parser(
        "list", parents=[common], help="installed voices, and the ones the voice host offers"
    )
    p.add_argument("--local", action="store_true", help="only installed voices; do not ask")
    p.add_argument("--lang", metavar="LANG", help="only voices for this language (e.g. en-us)")
    p.set_defaults(func=_list)

    p = actions.add_parser(
        "install",
        parents=[common],
        help="install a voice from the voice host or from its files",
        description="Install NAME (e.g. en_US-joe-medium) or the voice for LANG from the "
        "voice host (RITUAL_VOICE_BASE_URL), or FILE.onnx with its FILE.onnx.json beside "
        "it, carried over from another computer. Downloads are checked (size, md5).",
    )
    p.add_argument("what", metavar="NAME|LANG|FILE.onnx")
    p.set_defaults(func=_install)

    p = actions.add_parser(
        "remove", parents=[common], help="delete an installed voice from the voices folder"
    )
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=_remove)

    p = actions.add_parser(
        "path",
        parents=[common],
        help="print the .onnx file of the voice used for NAME or a language (default en-us)",
    )
    p.add_argument("name", metavar="NAME|LANG", nargs="?", default="en-us")
    p.set_defaults(func=_path)


def _list(args: argparse.Namespace, ctx: Context) -> int:
    settings = ctx.settings
    found = [
        v for v in installed_voices(settings) if not args.lang or speaks(v.language, args.lang)
    ]
    if found:
        ctx.out("Installed voices:")
        table(ctx, [(v.name, v.language or "?", format_size(v.size), v.source) for v in found])
    else:
        ctx.out(f"No Piper voices installed (voices folder: {settings.piper_voices_dir}).")
        ctx.out("Install the English one with: ritual voices install en_US-joe-medium")
    if args.local:
        return 0
    from assistant.modelstore import voice_install  # urllib and friends: only when needed

    base = settings.voice_base_url
    try:
        offered = voice_install.fetch_voice_list(base, timeout=LIST_TIMEOUT)
    except ModelError:
        ctx.out()
        ctx.out(f"The voice host {base} cannot be reached, so only installed voices are shown.")
        return 0
    names = {v.name for v in found}
    shown = [v for v in offered if not args.lang or speaks(v.language, args.lang)]
    ctx.out()
    ctx.out(f"Offered by {base} (install with: ritual voices install NAME):")
    rows = [
        (v.name, v.language, format_size(v.size), v.quality, "installed" if v.name in names else "")
        for v in shown
    ]
    if rows:
        table(ctx, rows)
    return 0


def _install(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.modelstore import voice_install

    done = voice_install.install_voice(ctx.settings, args.what, progress=ctx.stderr, say=ctx.err)
    voice = done.voice
    again = " (replacing the earlier copy)" if done.replaced else ""
    ctx.out(
        f"Installed the voice {voice.name} ({voice.language or 'language unknown'}) "
        f"in {voice.model.parent}{again}"
    )
    ctx.out(
        f"Speak with it: voice: {{engine: piper, model: {voice.name}}} in the config or a ritual"
    )
    return 0


def _remove(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.modelstore import voice_install

    size = voice_install.remove_voice(ctx.settings, args.name)
    ctx.out(f"Removed {args.name} ({format_size(size)}) from {ctx.settings.piper_voices_dir}")
    return 0


def _path(args: argparse.Namespace, ctx: Context) -> int:
    name = args.name
    by_language = "_" not in name and "." not in name and "/" not in name
    voice = find_voice(ctx.settings, None if by_language else name, name)
    ctx.out(str(voice.model))
    return 0
