"""Loading a Vosk model: the one place ritual calls ``vosk.Model``.

Always by path: ``vosk.Model(lang=...)`` would download a model behind the
user's back, with no checksum, and call ``sys.exit`` on an unknown name
(docs/engines.md).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Optional

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


class SharedModel:
    """A Vosk model loaded once, on a thread of its own (it takes a second or more),
    for every recogniser built on it: the answer listener and the wake listener of
    ``ritual listen`` share one, so the model's memory is paid once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self._model: Any = None
        self._error: Optional[ModelError] = None
        self._loaded = threading.Event()
        self._thread = threading.Thread(target=self._load, name="vosk-model", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        try:
            self._model = load_vosk_model(self.path)
        except ModelError as e:
            self._error = e
        except Exception as e:  # anything else from inside Vosk
            self._error = ModelError(f"cannot load the speech model {self.path} ({e})")
        finally:
            self._loaded.set()

    @property
    def ready(self) -> bool:
        """Loaded (or failed to): ``get`` returns at once."""
        return self._loaded.is_set()

    def get(self, timeout: Optional[float] = None) -> Any:
        """The loaded model (waiting for it); its ModelError if it failed."""
        if not self._loaded.wait(timeout):
            raise ModelError(f"the speech model {self.path} is still loading")
        if self._error is not None:
            raise self._error
        return self._model

    def close(self) -> None:
        # Vosk cannot be interrupted while it loads; the thread is a daemon, so a slow
        # load does not keep ritual from exiting after this wait.
        self._thread.join(timeout=10)
        self._model = None


def quiet_audio(seconds: float) -> bytes:
    """A faint, fixed noise floor (16 kHz int16): real rooms are never digital
    silence, and Vosk's feature pipeline behaves oddly on exact zeros."""
    import numpy as np

    rng = np.random.default_rng(0)
    noise = rng.normal(0.0, 30.0, int(seconds * 16000))
    return np.clip(noise, -32768, 32767).astype("<i2").tobytes()
