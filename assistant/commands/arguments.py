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
