"""Probes for ``ritual doctor`` and ``ritual devices``: timing a voice, finding a
device, sampling the microphone. Adapters are imported inside the functions."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

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
    channels: int = 1
    """what the device opened with"""
    channel: int = 0
    """the one listened to, from 0"""
    levels: tuple[float, ...] = ()
    """each channel's level (dBFS) when there are several"""


def sample_mic(device: Device, seconds: float, channel: Optional[int] = None) -> MicSample:
    """Listen to the microphone for ``seconds`` (give up 2 s later)."""
    from assistant.audio.mic import SoundDeviceMic

    mic = SoundDeviceMic(device, tail_seconds=0.0, channel=channel)
    heard = b""
    try:
        deadline = time.monotonic() + seconds + 2.0
        while len(heard) < seconds * 32000 and time.monotonic() < deadline:
            heard += mic.read(timeout=0.2) or b""
    finally:
        mic.close()
    levels = tuple(mic.levels_dbfs()) if mic.channels > 1 else ()
    return MicSample(mic.device, mic.rate, heard, mic.channels, mic.channel, levels)


def unknown_wake_words(model_path: Path, phrases: Iterable[str]) -> dict[str, list[str]]:
    """The words of each wake phrase the Vosk model at ``model_path`` does not know
    (loads the model: a second or more); ModelError when it cannot be loaded."""
    from assistant.speech.vosk_model import load_vosk_model
    from assistant.speech.vosk_wake import unknown_words

    return unknown_words(load_vosk_model(model_path), phrases)


@dataclass(frozen=True)
class EchoCheck:
    """What ``doctor`` measured of the echo path: a prompt played with the mic open."""

    delay_ms: float
    """from a sample played to its echo in the mic"""
    clear: float
    """how clearly the echo was found (normalised correlation, 0..1)"""
    echo_dbfs: float
    """how loud the echo was in the mic"""
    left_db: float
    """how much quieter the mic was after cancellation (what the recogniser hears)"""


ECHO_TEXT = "Checking the echo, one two three."


def measure_echo(settings: Settings, folder: Path, text: str = ECHO_TEXT) -> EchoCheck:
    """Play ``text`` (espeak-ng) on the speaker with the mic open, and cancel its echo
    as barge-in would. Raises AudioError / SpeechError."""
    import threading

    import numpy as np

    from assistant.audio.echo import echo_return_loss_db
    from assistant.audio.mic import SoundDeviceMic
    from assistant.audio.player import PlaybackTap, SoundDevicePlayer
    from assistant.audio.resample import StreamResampler
    from assistant.speech.barge_in import DELAY_WINDOW, EchoPath
    from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker

    player = SoundDevicePlayer(settings.audio.output_device)
    speaker = Pyttsx3Speaker(
        cache_dir=folder, player=player, voice=settings.voice, language="en-us"
    )
    wav = speaker.render(text)
    mic = SoundDeviceMic(
        settings.audio.input_device, tail_seconds=0.0, channel=settings.audio.mic_channel
    )
    near, tap, playing = bytearray(), PlaybackTap(), threading.Event()

    def record() -> None:
        while playing.is_set():
            near.extend(mic.read(0.1) or b"")

    try:
        playing.set()
        recorder = threading.Thread(target=record, daemon=True)
        mic.skip_pending()
        player.tap = tap
        recorder.start()
        player.play(wav)
        time.sleep(0.3)  # the echo's tail
    finally:
        playing.clear()
        player.tap = None
        mic.close()
        speaker.close()
    resampler = StreamResampler(tap.rate)
    far = b"".join(resampler.process(b.astype("<i2").tobytes()) for b in tap.take())
    path = EchoPath(cancel=True)
    path.near += near
    path.far += far
    cleaned = np.frombuffer(path.cleaned(playing=False), dtype="<i2")
    lag, clear = path.measured[0] if path.measured else (0, 0.0)
    if len(cleaned) <= DELAY_WINDOW:
        return EchoCheck(delay_ms=0.0, clear=0.0, echo_dbfs=-120.0, left_db=0.0)
    # Past the first second (the delay's measurement): what barge-in listens to.
    mic_audio = np.frombuffer(bytes(near), dtype="<i2")[DELAY_WINDOW : len(cleaned)]
    level = float(np.mean(np.square(mic_audio.astype(np.float64))))
    return EchoCheck(
        delay_ms=round(lag / 16, 1),
        clear=round(clear, 2),
        echo_dbfs=round(10 * float(np.log10(max(level, 1e-6) / 32768**2)), 1),
        left_db=round(echo_return_loss_db(mic_audio, cleaned[DELAY_WINDOW:]), 1),
    )


def aec_problem() -> Optional[str]:
    """Why echo cancellation cannot run here (and the fix), or None."""
    from assistant.audio.echo import aec_problem as problem

    return problem()
