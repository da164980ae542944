"""Argument types shared by the command line's options."""

from __future__ import annotations

import argparse
from pathlib import Path


def path_argument(text: str) -> Path:
    """A path from the command line. An empty one is refused: ``Path("")`` is the
    current folder, which nobody means by ``--journal ""``."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a file or folder name")
    return Path(text)


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
