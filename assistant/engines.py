"""The engines: the one place outside their own packages where the sounddevice,
pyttsx3 and Vosk adapters are imported.

Each is imported inside the function that needs it, so text mode, ``check`` and
``--help`` never load PortAudio, espeak-ng or a model. The wiring (``app``) and
the commands (``doctor``, ``devices``) reach engines only through here, so a new
mode or a new engine plugs in at this one place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from assistant.core.companion import Microphone, WakeListener
from assistant.core.errors import SpeechError
from assistant.core.ports import Listener, Speaker, Transcriber
from assistant.core.voice_spec import VoiceSpec
from assistant.settings import Device, DeviceKind, Settings

if TYPE_CHECKING:
    from assistant.audio.devices import DeviceInfo

log = logging.getLogger(__name__)
LONG_RUNNING_BLOCK = 0.1
"""seconds of audio per microphone block in ``listen``"""


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
) -> VoiceEngines:
    """Start loading the model, open the mic and the speaker.

    ``long_running`` (``listen``): the microphone opens when it is listened to, can
    be let go, and is opened again after it was lost; ``wake_phrases`` (phrase ->
    ritual) adds a wake listener on the same model and microphone.

    Raises AudioError / SpeechError naming the fix when PortAudio, a mic, a
    speaker or espeak-ng is missing.
    """
    from assistant.audio.mic import SoundDeviceMic
    from assistant.audio.on_demand_mic import OnDemandMic
    from assistant.audio.player import SoundDevicePlayer
    from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker
    from assistant.speech.vosk_listener import VoskListener
    from assistant.speech.vosk_model import SharedModel
    from assistant.speech.vosk_wake import VoskWakeListener, decoys_for

    missing = espeak_problem()
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
    try:
        player = SoundDevicePlayer(settings.audio.output_device)
    except BaseException:
        mic.close()
        raise

    def speaker_for(spec: VoiceSpec, spoken_language: str) -> Speaker:
        return Pyttsx3Speaker(
            cache_dir=settings.speech_cache_dir,
            player=player,
            voice=spec,
            language=spoken_language,
        )

    # The model loads on its own thread while the greeting is spoken.
    model = SharedModel(model_path)
    listener = VoskListener(model, mic)
    engines = VoiceEngines(
        speaker=speaker_for(voice, language),
        listener=listener,
        model_name=model_path.name,
        closers=[mic.close, listener.close],
        speaker_for=speaker_for,
    )
    if long_running:
        assert isinstance(mic, OnDemandMic)
        engines.mic = mic
    if wake_phrases:
        engines.wake = VoskWakeListener(model, mic, wake_phrases, decoys=decoys_for(language))
    return engines


def open_transcriber(model_path: Path) -> Transcriber:
    """A recogniser for whole recorded answers (``ritual transcribe``)."""
    from assistant.speech.vosk_transcriber import VoskTranscriber

    return VoskTranscriber(model_path)


# -- probes, for `ritual doctor` and `ritual devices` ------------------------------------


def espeak_problem() -> Optional[str]:
    """A message naming the fix when espeak-ng cannot be found, else None."""
    from assistant.speech.pyttsx3_speaker import espeak_missing

    return espeak_missing()


class _Silent:
    def play(self, path: Path) -> None:
        pass


def time_speech(voice: VoiceSpec, language: str, folder: Path) -> float:
    """Render a short prompt into ``folder`` (played nowhere); the seconds it took."""
    from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker

    speaker = Pyttsx3Speaker(
        cache_dir=folder, player=_Silent(), voice=voice, language=language, timeout=15
    )
    speaker.say("Hello.")
    return speaker.synth_seconds


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
