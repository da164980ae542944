"""The voice loop's engines, built for the app: speaker, microphone, recogniser.

Everything that needs PortAudio, espeak-ng or Vosk is imported here, inside
``open_voice``, so that text mode, ``check`` and ``--help`` never load them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from assistant.errors import SpeechError
from assistant.ports import Listener, Speaker
from assistant.settings import Settings, VoiceSettings

log = logging.getLogger(__name__)


@dataclass
class Voice:
    speaker: Speaker
    listener: Listener
    model_name: str
    """folder name of the model, recorded in the journal front matter"""
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Stop the mic stream and the model's thread (most recent first)."""
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception as e:  # closing must not hide the error that got us here
                log.debug("closing the voice: %s", e)


def open_voice(
    settings: Settings, *, language: str, voice: VoiceSettings, model_path: Path
) -> Voice:
    """Start loading the model, open the mic and the speaker.

    Raises AudioError / SpeechError naming the fix when PortAudio, a mic, a
    speaker or espeak-ng is missing.
    """
    from assistant.audio.mic import SoundDeviceMic
    from assistant.audio.player import SoundDevicePlayer
    from assistant.speech.tts import Pyttsx3Speaker, espeak_missing
    from assistant.speech.vosk_listener import VoskListener

    missing = espeak_missing()
    if missing:
        raise SpeechError(missing)
    # The mic first: without one the fix is --text, the message the user most needs.
    mic = SoundDeviceMic(settings.audio.input_device)
    try:
        player = SoundDevicePlayer(settings.audio.output_device)
    except BaseException:
        mic.close()
        raise
    speaker = Pyttsx3Speaker(
        cache_dir=settings.cache_dir / "speech", player=player, voice=voice, language=language
    )
    # The model loads on its own thread while the greeting is spoken.
    listener = VoskListener(model_path, mic)
    return Voice(
        speaker=speaker,
        listener=listener,
        model_name=model_path.name,
        closers=[mic.close, listener.close],
    )
