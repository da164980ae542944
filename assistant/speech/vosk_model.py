"""Loading a Vosk model: the one place ritual calls ``vosk.Model``.

Always by path: ``vosk.Model(lang=...)`` would download a model behind the
user's back, with no checksum, and call ``sys.exit`` on an unknown name
(docs/engines.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.core.errors import ModelError


def import_vosk() -> Any:
    """The vosk module, quiet; a ModelError naming the fix when it is missing."""
    try:
        import vosk
    except ImportError as e:
        raise ModelError(
            f"the speech recogniser is missing ({e}); reinstall ritual (pip install vosk)"
        ) from None
    vosk.SetLogLevel(-2)  # -1 still prints grammar warnings
    return vosk


def load_vosk_model(path: Path) -> Any:
    """The model in the folder ``path``; a ModelError that says what to do otherwise."""
    vosk = import_vosk()
    if not (path / "am").is_dir() and not (path / "conf").is_dir():
        raise ModelError(f"{path} is not a Vosk model folder; see `ritual models list`")
    try:
        return vosk.Model(str(path))
    except Exception as e:  # vosk raises a bare Exception("Failed to create a model")
        raise ModelError(
            f"cannot load the speech model {path} ({e}); it may be damaged: "
            f"install it again with `ritual models install {path.name}`"
        ) from None
