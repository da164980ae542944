"""The interfaces the core talks to; engines and files sit behind them.

The core only ever sees these Protocols and the plain data below, so it is
driven by fakes in tests and by pyttsx3 / sounddevice / Vosk / the journal
folder in use. Every method the conductor calls is here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Optional, Protocol

from assistant.core.endpoint import EndedBy, EndpointRules
from assistant.core.errors import AudioError
from assistant.core.journal import Entry
from assistant.core.vocabulary import Vocabulary
from assistant.core.voice_commands import Command, CommandSet
from assistant.core.week import WeekFacts


class Speaker(Protocol):
    def say(self, text: str, *, private: bool = False) -> None:
        """Speak ``text`` and return once it has been heard to the end.

        ``private``: the text holds the user's own words (a read-back, a recall),
        so nothing of it may be kept, not even in a speech cache."""

    def prepare(self, texts: Sequence[str]) -> None:
        """Start rendering these prompts ahead, in this order, and return at once.

        Called when a session starts with every prompt it may speak that holds
        none of the user's words, so each is ready before it is needed."""


class InterruptibleSpeaker(Protocol):
    def say_until(
        self, text: str, commands: CommandSet, *, private: bool = False
    ) -> Optional[Command]:
        """Speak ``text`` while listening for ``commands`` only (barge-in).

        Returns the command heard, playback already stopped, or None once the
        text was spoken to the end. Nothing else said meanwhile is kept."""


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


class AnswerAudio(Protocol):
    """An answer's recording on its way into the journal: the listener writes what
    it hears and says at the end whether it is kept. Where and how it is stored
    (streamed, or encrypted when the answer ends) is the journal's business."""

    path: Path
    """where the recording will be, for the entry and its details"""

    def write(self, chunk: bytes) -> None:
        """Add 16 kHz mono int16 audio. Raises OSError (a full disk)."""

    def close(self) -> None:
        """Keep what was written. Raises OSError."""

    def discard(self) -> None:
        """Keep nothing: no answer was given (only a command, or silence)."""


@dataclass(frozen=True)
class ListenRequest:
    """What the conductor wants heard next."""

    step: str
    """id of the ask step; names the audio file"""
    commands: CommandSet
    """only the commands that make sense right now"""
    rules: EndpointRules = field(default_factory=EndpointRules)
    """when the answer is over"""
    audio: Optional[AnswerAudio] = None
    """where the answer's audio goes (16 kHz mono int16), None to keep none"""
    on_ready: Callable[[], None] = lambda: None
    """called once the listener is really listening (after the half-duplex tail)"""
    expected: tuple[str, ...] = ()
    """phrases the answer is likely to be wholly (the number words of a scale): a
    listener that can listen for given phrases listens for these too"""
    long: bool = False
    """the step allows a long answer (a typed one may then take several lines)"""


@dataclass(frozen=True)
class Utterance:
    """What was heard for one ListenRequest (or in one audio file)."""

    text: str = ""
    """tidied transcript of the answer, without any closing command; "" if none"""
    command: Optional[Command] = None
    """when the utterance was, or ended with, a whole command phrase"""
    raw: str = ""
    """the recogniser's own text, for re-processing"""
    words: tuple[Word, ...] = ()
    seconds: float = 0.0
    """length of the audio heard, seconds"""
    audio: Optional[Path] = None
    """the kept audio file, if any"""
    ended_by: EndedBy = EndedBy.SILENCE
    matched: str = ""
    """the one ``ListenRequest.expected`` phrase the answer was heard as, when a
    listener listening for those phrases heard exactly one ("" otherwise)"""
    extra: Mapping[str, object] = field(default_factory=dict)
    """engine-specific details kept beside the entry (e.g. per-sentence results)"""


class Listener(Protocol):
    def listen(self, request: ListenRequest) -> Utterance:
        """Hear one answer (or command) and return it.

        Raises ``InputLost`` when the mic goes away and ``ListenInterrupted`` on
        Ctrl-C, each carrying what was heard before."""


class InputLost(AudioError):
    """The microphone went away mid-answer; ``heard`` holds what came before."""

    def __init__(self, message: str, heard: Utterance) -> None:
        super().__init__(message)
        self.heard = heard


class ListenInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) while listening; ``heard`` holds the words so far.

    A KeyboardInterrupt, so everything above the conductor treats it as one."""

    def __init__(self, heard: Utterance) -> None:
        super().__init__()
        self.heard = heard


class Transcriber(Protocol):
    model_name: str
    """the model that hears (recorded in the entry's front matter)"""

    def transcribe(self, wav: Path) -> Utterance:
        """Hear a whole recorded answer again."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The local time, timezone-aware."""

    def sleep(self, seconds: float) -> None:
        """Wait (used for pauses and paced breathing)."""


class Event(Vocabulary):
    """What ``--events`` reports, one JSON line each (an LED or a script follows them)."""

    SPEAKING = "speaking"
    """text"""
    LISTENING = "listening"
    """step"""
    HEARD = "heard"
    """step, text"""
    COMMAND = "command"
    """name"""
    SAVED = "saved"
    """path"""
    DONE = "done"
    """path, status"""
    WAITING = "waiting"
    """wake (true when listening for wake phrases), next_offer (ISO time or null)"""
    WOKE = "woke"
    """ritual: a wake phrase was heard (never what was said)"""
    OFFERED = "offered"
    """ritual: a scheduled ritual is being offered"""
    SNOOZED = "snoozed"
    """ritual, until (ISO time): "later", or silence, asks again then"""
    DECLINED = "declined"
    """ritual: "no", or the offer was let go for today"""
    MIC_LOST = "mic_lost"
    """retry (seconds): the microphone went away; ritual keeps trying"""


class EventSink(Protocol):
    def __call__(self, event: Event, /, **fields: object) -> None:
        """Report an event with its fields."""


class AnswerLookup(Protocol):
    def find_answer(self, ritual: str, step: str, on: Optional[date]) -> Optional[str]:
        """The answer given to ``step`` in ``ritual`` on a day (None: the latest)."""


class StreakLookup(Protocol):
    def streak(self, ritual: str, through: date) -> int:
        """How many days in a row, ending on ``through``, have an entry of ``ritual``."""


@dataclass(frozen=True)
class RecentAnswers:
    """The answers of one entry, found by ``WeekLookup.latest_answers``."""

    day: date
    answers: Mapping[str, str]
    """answer id -> what was said, for the ids asked for that were answered"""


class WeekLookup(Protocol):
    """The journal's last days, read in a bounded way: the same cost at ten years."""

    def latest_answers(
        self, ritual: str, ids: Sequence[str], since: date, through: date
    ) -> Optional[RecentAnswers]:
        """The latest entry of ``ritual`` from ``since`` to ``through`` that answered
        any of ``ids``, with those answers; None when there is none."""

    def week(self, through: date) -> WeekFacts:
        """What the fourteen days up to ``through`` hold, and the streak."""


Details = dict[str, Any]
"""the recogniser's own account of an entry's answers, keyed by ``details_key``"""


class EntrySink(Protocol):
    """Where the conductor keeps the entry of the session it runs."""

    def save(self, entry: Entry) -> Path:
        """Write the whole entry (atomically) and return its path."""

    def open_audio(self, index: int, name: str) -> Optional[AnswerAudio]:
        """A new recording for the audio of the index-th question, or None to keep
        none (audio is not kept, or cannot be here: the answer is still heard)."""

    def save_details(self, details: Details) -> None:
        """Keep the recogniser's raw text and word timings beside the entry."""

    def discard(self) -> None:
        """Remove the saved entry (and its side files): the session ended before
        anything was answered, so there is nothing to keep."""
