"""Command line: parse, dispatch to ``assistant.commands``, map errors to exit status.

This is the one place that prints errors and decides exit codes:
0 ok, 1 a user-facing error, 2 usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import IO, Optional

from assistant import __version__
from assistant.commands import COMMAND_MODULES
from assistant.commands.arguments import path_argument
from assistant.context import Context
from assistant.core.errors import RitualError
from assistant.settings import Settings, load_settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    typed: Sequence[str] = ()
    """the command line being parsed, for the hint about a word that starts with '-'"""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"ritual: {message}", file=sys.stderr)
        for word in self._unknown_dash_words():
            print(
                f"ritual: {word} is not an option of {self.prog}; if it is a word to use "
                f"(a name, a search), put -- before it: {self.prog} -- {word}",
                file=sys.stderr,
            )
        raise SystemExit(EXIT_USAGE)

    def _unknown_dash_words(self) -> list[str]:
        words = list(self.typed)
        if "--" in words:
            words = words[: words.index("--")]
        known = self._option_string_actions
        return [
            w
            for w in words
            if w.startswith("-")
            and len(w) > 1
            and w.split("=")[0] not in known
            and not w.lstrip("-").replace(".", "").isdigit()
        ]


def _add_global_options(parser: argparse.ArgumentParser, default: object) -> None:
    g = parser.add_argument_group("global options")
    g.add_argument(
        "--journal",
        type=path_argument,
        metavar="DIR",
        default=default,
        help="journal folder (RITUAL_JOURNAL)",
    )
    g.add_argument(
        "--model",
        type=path_argument,
        metavar="DIR",
        default=default,
        help="Vosk model folder (RITUAL_MODEL)",
    )
    g.add_argument(
        "--config",
        type=path_argument,
        metavar="FILE",
        default=default,
        help="config file (RITUAL_CONFIG)",
    )
    g.add_argument(
        "--debug",
        action="store_true",
        default=False if default is None else default,
        help="show tracebacks and debug logs",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ritual",
        description="An offline voice companion for daily self-connection rituals.",
    )
    parser.add_argument("--version", action="version", version=f"ritual {__version__}")
    _add_global_options(parser, default=None)
    # The same options after the command too (`ritual run morning --journal DIR`). There
    # they default to SUPPRESS, so that leaving them out keeps what came before it.
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(sub, common)
    return parser


def tolerant_streams(stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> None:
    """Streams that take every character: what an ASCII terminal (or
    PYTHONIOENCODING=ascii) cannot show is written as an escape, not an error; typed
    input in an ASCII setting is read as UTF-8 (the same for ASCII itself), so a
    Korean answer is kept, not lost."""
    for out in (stdout, stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            out.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]
    if codecs.lookup(getattr(stdin, "encoding", None) or "utf-8").name == "ascii":
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stdin.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]


def main(argv: Optional[Sequence[str]] = None, context: Optional[Context] = None) -> int:
    if context is None:
        tolerant_streams(sys.stdin, sys.stdout, sys.stderr)
    parser = build_parser()
    _Parser.typed = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    environ = context.environ if context else os.environ
    debug = bool(args.debug or environ.get("RITUAL_DEBUG"))
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="ritual: %(levelname)s: %(message)s",
        stream=context.stderr if context else sys.stderr,
        force=True,  # each run gets its own streams (tests call main() many times)
    )

    def settings() -> Settings:
        return load_settings(
            environ,
            config=args.config,
            journal=args.journal,
            model=args.model,
            input_device=getattr(args, "input_device", None),
            output_device=getattr(args, "output_device", None),
            debug=debug,
        )

    ctx = context or Context(environ=environ, settings_factory=settings)
    ctx.settings_factory = settings
    try:
        return _run(args, ctx, debug)
    finally:
        if context is None:
            _settle(sys.stdout)


def _settle(stream: Optional[IO[str]]) -> None:
    """Flush standard output now. When it cannot take what is left (a full disk),
    point it at /dev/null, so that Python's own flush at exit does not print a
    traceback after the clear message was given."""
    if stream is None:
        return
    try:
        stream.flush()
    except (OSError, ValueError):
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)


def _run(args: argparse.Namespace, ctx: Context, debug: bool) -> int:
    try:
        return int(args.func(args, ctx))
    except RitualError as e:
        if debug:
            traceback.print_exc(file=ctx.stderr)
        ctx.err(f"ritual: {e}")
        return e.exit_status
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc(file=ctx.stderr)
        ctx.err("ritual: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `ritual journal show | head` closing the pipe is not an error.
        sys.stderr.close()
        return EXIT_OK
    except Exception as e:  # a bug or a case we did not foresee: still no traceback
        if debug:
            traceback.print_exc(file=ctx.stderr)
        ctx.err(
            f"ritual: unexpected error: {e.__class__.__name__}: {e}\n"
            "What was said before this is saved. Run again with --debug for the details."
        )
        return EXIT_ERROR
