"""Argument types shared by the command line's options."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from assistant.core.ranges import Range


def path_argument(text: str) -> Path:
    """A path from the command line. An empty one is refused: ``Path("")`` is the
    current folder, which nobody means by ``--journal ""``."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a file or folder name")
    return Path(text)


def in_range(allowed: Range) -> Callable[[str], int]:
    """An argparse type: a whole number within ``allowed`` (else a usage error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not allowed.holds(value):
            raise argparse.ArgumentTypeError(f"{text} is not {allowed}")
        return value

    return parse


def add_audio_options(parser: argparse.ArgumentParser) -> None:
    """--events, --input-device and --output-device, for the commands that speak."""
    parser.add_argument(
        "--events", metavar="FILE", help="write events as JSON lines ('-' for stdout)"
    )
    parser.add_argument(
        "--input-device", metavar="NAME|INDEX", help="microphone (see `ritual devices`)"
    )
    parser.add_argument(
        "--output-device", metavar="NAME|INDEX", help="speaker (see `ritual devices`)"
    )
