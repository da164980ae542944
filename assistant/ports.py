"""The small interfaces the conductor talks to; engines sit behind them.

The core only ever sees these Protocols and the plain data below, so it can be
driven by fakes in tests and by pyttsx3 / sounddevice / Vosk in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Optional, Protocol

from assistant.core.journal import Entry
from assistant.errors import AudioError


class Speaker(Protocol):
    def say(self, text: str, *, private: bool = False) -> None:
        """Speak ``text`` and return once it has been heard to the end.

        ``private``: the text holds the user's own words (a read-back, a recall),
        so nothing of it may be kept, not even in a speech cache."""


@dataclass(frozen=True)
class Word:
    """One recognised word, as Vosk reports it."""

    text: str
    start: float
    """seconds from the start of the answer's audio"""
    end: float
    """seconds from the start of the answer's audio"""
    conf: float
    """0..1"""


@dataclass(frozen=True)
class ListenRequest:
    """What the conductor wants heard next."""

    step: str
    """id of the ask step; names the audio file"""
    commands: Mapping[str, tuple[str, ...]]
    """command name -> phrases, only the commands that make sense right now"""
    silence: float = 3.0
    """seconds of quiet after speech that end the answer"""
    max_seconds: float = 120.0
    """the answer ends here whatever happens"""
    no_speech_seconds: float = 8.0
    """with no speech at all for this long, nothing was heard"""
    audio_path: Optional[Path] = None
    """where to keep the answer's audio (16 kHz mono WAV), None to keep none"""
    on_ready: Callable[[], None] = lambda: None
    """called once the listener is really listening (after the half-duplex tail)"""


@dataclass(frozen=True)
class Utterance:
    """What was heard for one ListenRequest."""

    text: str = ""
    """tidied transcript of the answer, without any closing command; "" if none"""
    command: Optional[str] = None
    """command name when the utterance was, or ended with, a whole command phrase"""
    raw: str = ""
    """the recogniser's own text, for re-processing"""
    words: tuple[Word, ...] = ()
    seconds: float = 0.0
    """length of the audio heard, seconds"""
    audio: Optional[Path] = None
    """the kept audio file, if any"""
    ended_by: str = "silence"
    """silence | command | max_seconds | no_speech | end_of_input | input_lost"""
    extra: Mapping[str, object] = field(default_factory=dict)
    """engine-specific details kept beside the entry (e.g. per-sentence results)"""


class Listener(Protocol):
    def listen(self, request: ListenRequest) -> Utterance:
        """Hear one answer (or command) and return it."""


class InputLost(AudioError):
    """The microphone went away mid-answer; ``heard`` holds what came before."""

    def __init__(self, message: str, heard: Utterance) -> None:
        super().__init__(message)
        self.heard = heard


class Clock(Protocol):
    def now(self) -> datetime:
        """The local time, timezone-aware."""

    def sleep(self, seconds: float) -> None:
        """Wait (used for pauses and paced breathing)."""


class EventSink(Protocol):
    def __call__(self, event: str, /, **fields: object) -> None:
        """Report an event: speaking, listening, heard, command, saved, done."""


class AnswerLookup(Protocol):
    def find_answer(self, ritual: str, step: str, on: Optional[date]) -> Optional[str]:
        """The answer given to ``step`` in ``ritual`` on a day (None: the latest)."""


class EntrySink(Protocol):
    """Where the conductor keeps the entry of the session it runs."""

    def save(self, entry: Entry) -> Path:
        """Write the whole entry (atomically) and return its path."""

    def audio_path(self, index: int, answer_id: str) -> Optional[Path]:
        """Where to keep the audio of the index-th question, or None to keep none."""
