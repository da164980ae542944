"""Probes for ``ritual doctor`` and ``ritual devices``: timing a voice, finding a
device, sampling the microphone. Adapters are imported inside the functions."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.voice_spec import VoiceSpec
from assistant.engines.voices import Silent, open_piper_speaker
from assistant.settings import Device, DeviceKind, Settings

if TYPE_CHECKING:
    from assistant.audio.devices import DeviceInfo


def time_speech(voice: VoiceSpec, language: str, folder: Path) -> float:
    """Render a short prompt into ``folder`` (played nowhere); the seconds it took."""
    from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker

    speaker = Pyttsx3Speaker(
        cache_dir=folder, player=Silent(), voice=voice, language=language, timeout=15
    )
    speaker.say("Hello.")
    return speaker.synth_seconds


@dataclass(frozen=True)
class PiperCheck:
    voice: str
    """the voice's name and where it was found"""
    load_seconds: float
    """starting the worker: loading and warming up the voice"""
    real_time_factor: float
    """seconds of synthesis per second of speech"""


def time_piper(settings: Settings, voice: VoiceSpec, language: str, folder: Path) -> PiperCheck:
    """Load the Piper voice ``voice`` asks for and render a sentence into ``folder``;
    RitualError saying what is missing."""
    from assistant.audio.wav import read_wav

    speaker = open_piper_speaker(
        dataclasses.replace(settings, cache_dir=folder), language=language, voice=voice,
        player=Silent(),
    )  # fmt: skip
    try:
        speaker.worker.wait_ready()
        started = time.perf_counter()
        speaker.render_ahead(PIPER_CHECK_TEXT)
        seconds = time.perf_counter() - started
        path = speaker.cache.lookup(PIPER_CHECK_TEXT)
        heard = read_wav(path).seconds if path else 0.0
        return PiperCheck(
            voice=f"{speaker.voice.name} ({speaker.voice.source})",
            load_seconds=speaker.worker.ready_seconds or 0.0,
            real_time_factor=seconds / max(heard, 1e-6),
        )
    finally:
        speaker.close()


PIPER_CHECK_TEXT = "Good evening. It is time to slow down and rest."


def portaudio_version() -> str:
    from assistant.audio.devices import sounddevice

    return str(sounddevice().get_portaudio_version()[1])


def find_audio_device(device: Device, kind: DeviceKind) -> DeviceInfo:
    from assistant.audio.devices import find_device

    return find_device(device, kind)


def audio_devices() -> list[DeviceInfo]:
    from assistant.audio.devices import list_devices

    return list_devices()


@dataclass(frozen=True)
class MicSample:
    device: DeviceInfo
    rate: int
    """Hertz: the device's own rate"""
    audio: bytes
    """16 kHz mono int16"""


def sample_mic(device: Device, seconds: float) -> MicSample:
    """Listen to the microphone for ``seconds`` (give up 2 s later)."""
    from assistant.audio.mic import SoundDeviceMic

    mic = SoundDeviceMic(device, tail_seconds=0.0)
    heard = b""
    try:
        deadline = time.monotonic() + seconds + 2.0
        while len(heard) < seconds * 32000 and time.monotonic() < deadline:
            heard += mic.read(timeout=0.2) or b""
    finally:
        mic.close()
    return MicSample(mic.device, mic.rate, heard)


def unknown_wake_words(model_path: Path, phrases: Iterable[str]) -> dict[str, list[str]]:
    """The words of each wake phrase the Vosk model at ``model_path`` does not know
    (loads the model: a second or more); ModelError when it cannot be loaded."""
    from assistant.speech.vosk_model import load_vosk_model
    from assistant.speech.vosk_wake import unknown_words

    return unknown_words(load_vosk_model(model_path), phrases)
