"""The engines: the one place outside their own packages where the sounddevice,
pyttsx3, Piper and Vosk adapters are imported. This module wires a ritual's and
``listen``'s engines; ``voices`` opens a voice (Piper or espeak-ng, and falling
back); ``probes`` are what ``doctor`` and ``devices`` measure; ``polish`` is the
second listen (faster-whisper) over kept answers.

Each adapter is imported inside the function that needs it, so text mode,
``check`` and ``--help`` never load PortAudio, espeak-ng or a model. The wiring
(``app``) and the commands reach engines only through this package, so a new mode
or a new engine plugs in here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from assistant.core.barge_in import BargeIn
from assistant.core.companion import Microphone, WakeListener
from assistant.core.errors import AudioError, SpeechError
from assistant.core.ports import InterruptibleSpeaker, Listener, Speaker, Transcriber
from assistant.core.voice_spec import VoiceSpec
from assistant.engines.voices import (
    CachingSpeaker,
    Notice,
    OnceNotice,
    Silent,
    espeak_problem,
    open_speaker,
)
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.audio import StreamPlayer
    from assistant.audio.mic import SoundDeviceMic
    from assistant.audio.on_demand_mic import OnDemandMic
    from assistant.audio.player import SoundDevicePlayer
    from assistant.speech.vosk_model import SharedModel

log = logging.getLogger(__name__)
LONG_RUNNING_BLOCK = 0.1
"""seconds of audio per microphone block in ``listen``"""

__all__ = [
    "CachingSpeaker",
    "ListenEngines",
    "RitualEngines",
    "espeak_problem",
    "open_listen_engines",
    "open_renderer",
    "open_ritual_engines",
    "open_speaker",
    "open_transcriber",
    "tidy_speech_cache",
]


@dataclass
class RitualEngines:
    """A voice ritual's speaker and listener, open until ``close``."""

    speaker: Speaker
    listener: Listener
    model_name: str
    """folder name of the model, recorded in the journal front matter"""
    closers: list[Callable[[], None]]
    """what ``close`` ends, in the order opened"""
    barge_in: Optional[InterruptibleSpeaker]
    """the speaker again, listening for commands while it speaks (barge_in: on/headset)"""

    def close(self) -> None:
        """Stop the mic stream and the model's thread (most recent first)."""
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception as e:  # closing must not hide the error that got us here
                log.debug("closing the voice engines: %s", e)


@dataclass
class ListenEngines(RitualEngines):
    """``listen``'s engines, kept open between rituals."""

    mic: Microphone
    """a microphone that can be let go between offers, and waited for when lost"""
    speaker_for: Callable[[VoiceSpec, str], Speaker]
    """a speaker in another voice and language, on the same output (each ritual
    speaks in its own voice)"""
    wake: Optional[WakeListener]
    """listening for wake phrases; None with ``--no-wake``"""


def open_ritual_engines(
    settings: Settings,
    *,
    barge_in: BargeIn = BargeIn.OFF,
    language: str,
    voice: VoiceSpec,
    model_path: Path,
    notice: Optional[Notice] = None,
) -> RitualEngines:
    """Start loading the model, open the mic and the speaker.

    Raises AudioError / SpeechError naming the fix when PortAudio, a mic, a
    speaker or espeak-ng is missing. ``notice`` hears why a Piper voice asked for
    speaks with espeak-ng instead. ``barge_in`` on (or headset) adds a speaker that
    listens for commands while it speaks; refused where no echo cancellation runs.
    """
    from assistant.audio.mic import SoundDeviceMic

    _need_espeak(voice)
    _need_aec(barge_in)
    # The mic first: without one the fix is --text, the message the user most needs.
    mic = SoundDeviceMic(settings.audio.input_device, channel=settings.audio.mic_channel)
    parts = _open_voice(settings, mic, language, voice, model_path, OnceNotice(notice))
    interruptible = None
    if barge_in is not BargeIn.OFF:
        from assistant.speech.barge_in import BargeInSpeaker

        interruptible = BargeInSpeaker(
            parts.speaker,
            parts.player,
            mic,
            parts.model,
            cancel_echo=barge_in is BargeIn.ON,
        )
    return RitualEngines(
        parts.speaker, parts.listener, model_path.name, parts.closers, barge_in=interruptible
    )


def _need_aec(barge_in: BargeIn) -> None:
    from assistant.audio.echo import aec_problem

    missing = aec_problem() if barge_in is BargeIn.ON else None
    if missing:
        raise AudioError(
            f"barge_in: on cannot run here: {missing}. Set barge_in: off in the config "
            "or the ritual (or headset, for a headset or speakerphone that cancels its own echo)"
        )


def open_listen_engines(
    settings: Settings,
    *,
    language: str,
    voice: VoiceSpec,
    model_path: Path,
    wake_phrases: Optional[Mapping[str, str]],
    notice: Optional[Notice] = None,
) -> ListenEngines:
    """``listen``'s engines: the microphone opens when it is listened to, can be let
    go, and is opened again after it was lost; ``wake_phrases`` (phrase -> ritual)
    adds a wake listener on the same model and microphone. Each ritual's voice
    opens once and stays open (a Piper voice stays loaded between rituals)."""
    from assistant.audio.on_demand_mic import OnDemandMic
    from assistant.speech.vosk_wake import VoskWakeListener

    _need_espeak(voice)
    # Opened when first listened to: a mic missing now is waited for, like a lost one.
    # Blocks of 0.1 s: waiting for hours, half the wake-ups of the audio thread.
    mic = OnDemandMic(
        settings.audio.input_device,
        block_seconds=LONG_RUNNING_BLOCK,
        channel=settings.audio.mic_channel,
    )
    parts = _open_voice(settings, mic, language, voice, model_path, OnceNotice(notice))
    wake = VoskWakeListener(parts.model, mic, wake_phrases) if wake_phrases else None
    return ListenEngines(
        parts.speaker,
        parts.listener,
        model_path.name,
        parts.closers,
        barge_in=None,  # listen keeps its rule: the mic is closed while it speaks
        mic=mic,
        speaker_for=parts.speaker_for,
        wake=wake,
    )


def _need_espeak(voice: VoiceSpec) -> None:
    missing = None if voice.wants_piper else espeak_problem()
    if missing:
        raise SpeechError(missing)


@dataclass
class _Voice:
    speaker: Speaker
    speaker_for: Callable[[VoiceSpec, str], Speaker]
    listener: Listener
    model: SharedModel
    closers: list[Callable[[], None]]
    player: SoundDevicePlayer


def _open_voice(
    settings: Settings,
    mic: SoundDeviceMic | OnDemandMic,
    language: str,
    voice: VoiceSpec,
    model_path: Path,
    notice: Notice,
) -> _Voice:
    """The speaker on the output device, and the listener on ``mic`` (closed here if
    the output cannot be opened)."""
    from assistant.audio.player import SoundDevicePlayer
    from assistant.speech.vosk_listener import VoskListener
    from assistant.speech.vosk_model import SharedModel

    closers: list[Callable[[], None]] = [mic.close]
    speakers: dict[tuple[VoiceSpec, str], CachingSpeaker] = {}
    try:
        audio = settings.audio
        device_player = SoundDevicePlayer(audio.output_device, lead_in=audio.lead_in)
        player = _WarmingPlayer(device_player)
    except BaseException:
        mic.close()
        raise

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
        speaker = speaker_for(voice, language)
    except BaseException:
        mic.close()
        raise
    # The model loads on its own thread while the greeting is spoken, and decodes
    # the greeting and the breathing as they play (the first answer is then as quick
    # as the rest).
    model = SharedModel(model_path)
    listener = VoskListener(model, mic)
    player.warm = listener.warm_with
    closers.append(listener.close)
    return _Voice(speaker, speaker_for, listener, model, closers, device_player)


class _WarmingPlayer:
    """The speakers' player, handing each prompt it plays to ``warm`` as well."""

    def __init__(self, player: StreamPlayer) -> None:
        self.player = player
        self.warm: Optional[Callable[[Path], None]] = None

    def play(self, path: Path) -> None:
        if self.warm is not None:
            self.warm(path)
        self.player.play(path)

    def play_stream(self, chunks: Iterable[bytes], rate: int) -> None:
        self.player.play_stream(chunks, rate)


def open_transcriber(
    model_path: Path, read_audio: Optional[Callable[[Path], bytes]] = None
) -> Transcriber:
    """A recogniser for whole recorded answers (``ritual transcribe``); ``read_audio``
    reads an answer's file (decrypting it in memory)."""
    from assistant.speech.vosk_transcriber import VoskTranscriber

    return VoskTranscriber(model_path, read_audio=read_audio)


def open_renderer(
    settings: Settings, *, language: str, voice: VoiceSpec, notice: Optional[Notice] = None
) -> CachingSpeaker:
    """A speaker that plays nothing, to fill the speech cache (``ritual prepare``).
    A Piper voice loads only when a prompt is missing from the cache."""
    return open_speaker(
        settings, language=language, voice=voice, player=Silent(), notice=notice, load_now=False
    )


def tidy_speech_cache(settings: Settings) -> None:
    """Delete the prompts no ritual has played for a month (greetings that named a
    day long gone, a voice no longer used)."""
    from assistant.speech import prompt_cache

    prompt_cache.prune(settings.speech_cache_dir)
