"""Fakes for the pure core, handed to constructors (no patching).

mypy checks this file against the core's Protocols (the assignments at the
end), so a fake cannot drift from the port it stands in for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Optional, Union

from assistant.core.companion import Microphone, RitualRunner, WakeListener
from assistant.core.endpoint import EndedBy
from assistant.core.errors import AudioError
from assistant.core.journal import Entry
from assistant.core.ports import (
    AnswerLookup,
    Clock,
    Details,
    EntrySink,
    Event,
    EventSink,
    InputLost,
    InterruptibleSpeaker,
    Listener,
    ListenRequest,
    Speaker,
    StreakLookup,
    Utterance,
)
from assistant.core.voice_commands import Command, CommandSet, match_command


class FakeSpeaker:
    def __init__(self) -> None:
        self.said: list[str] = []
        self.private: list[str] = []
        self.prepared: list[str] = []
        """every prompt it was asked to render ahead"""

    def prepare(self, texts: Sequence[str]) -> None:
        self.prepared.extend(texts)

    def say(self, text: str, *, private: bool = False) -> None:
        self.said.append(text)
        if private:
            self.private.append(text)


class FakeBargeInSpeaker(FakeSpeaker):
    """Speaks, and hears what ``over`` says is said over a prompt (prompt -> words).

    Like the real one, it hears a command only when the words wholly are one of the
    phrases it was asked to listen for; anything else said over a prompt is lost."""

    def __init__(self, over: Optional[dict[str, str]] = None) -> None:
        super().__init__()
        self.over = dict(over or {})
        self.listened_for: list[CommandSet] = []
        self.cut: list[str] = []
        """prompts a command stopped"""

    def say_until(
        self, text: str, commands: CommandSet, *, private: bool = False
    ) -> Optional[Command]:
        self.listened_for.append(commands)
        self.say(text, private=private)
        words = self.over.pop(text, None)
        command = match_command(words, commands) if words else None
        if command is not None:
            self.cut.append(text)
        return command


Script = Union[str, Utterance, BaseException, None]


class ScriptedListener:
    """Plays back a script: a string is an answer (or a command, if it wholly is
    one of the phrases allowed at that moment), None is silence, an Utterance is
    returned as it is, an exception is raised."""

    def __init__(self, script: Iterable[Script]) -> None:
        self.script = list(script)
        self.requests: list[ListenRequest] = []

    def listen(self, request: ListenRequest) -> Utterance:
        self.requests.append(request)
        request.on_ready()
        if not self.script:
            return Utterance(command=Command.STOP, ended_by=EndedBy.END_OF_INPUT)
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Utterance):
            return item
        if item is None:
            return Utterance(ended_by=EndedBy.NO_SPEECH)
        command = match_command(item, request.commands)
        if command:
            return Utterance(command=command, ended_by=EndedBy.COMMAND)
        return Utterance(text=item, raw=item.lower())


def lost(text: str) -> InputLost:
    return InputLost("the microphone went away", Utterance(text=text, ended_by=EndedBy.INPUT_LOST))


class FixedClock:
    def __init__(self, start: datetime = datetime(2026, 11, 30, 7, 5, tzinfo=timezone.utc)) -> None:
        self.moment = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.moment += timedelta(seconds=seconds)


@dataclass
class MemoryRecording:
    """An answer's audio kept in memory; ``kept`` says what the listener decided."""

    path: Path
    chunks: list[bytes] = field(default_factory=list)
    kept: Optional[bool] = None

    def write(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def close(self) -> None:
        self.kept = True

    def discard(self) -> None:
        self.kept = False


@dataclass
class MemorySink:
    """Keeps every saved version of the entry, as a journal file would."""

    saved: list[Entry] = field(default_factory=list)
    audio_root: Optional[Path] = None
    details: list[Details] = field(default_factory=list)
    """every version of the details saved beside the entry"""
    discarded: bool = False
    """the session ended before any answer and took its entry back"""

    def save(self, entry: Entry) -> Path:
        self.saved.append(entry)
        return Path("/journal/entry.md")

    def open_audio(self, index: int, name: str) -> Optional[MemoryRecording]:
        if self.audio_root is None:
            return None
        return MemoryRecording(self.audio_root / f"{index:02d}-{name}.wav")

    def save_details(self, details: Details) -> None:
        self.details.append(dict(details))

    def discard(self) -> None:
        self.discarded = True

    @property
    def last(self) -> Entry:
        return self.saved[-1]


@dataclass
class FixedAnswers:
    """Earlier answers, as the journal would return them."""

    answers: dict[tuple[str, str, Optional[date]], str] = field(default_factory=dict)

    def find_answer(self, ritual: str, step: str, on: Optional[date]) -> Optional[str]:
        return self.answers.get((ritual, step, on))


@dataclass
class FixedStreaks:
    """Days in a row per ritual, as the journal would count them."""

    days: dict[str, int] = field(default_factory=dict)
    asked: list[tuple[str, date]] = field(default_factory=list)

    def streak(self, ritual: str, through: date) -> int:
        self.asked.append((ritual, through))
        return self.days.get(ritual, 0)


class EventLog:
    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []

    def __call__(self, event: Event, /, **fields: object) -> None:
        self.events.append({"event": event.value, **fields})

    def names(self) -> list[str]:
        return [str(e["event"]) for e in self.events]


@dataclass
class ScriptedWake:
    """Wake phrases at given moments of a FixedClock; waiting moves the clock on.

    ``script`` holds (moment, ritual) for a wake phrase, or (moment, None) for the
    microphone going away until ``back``."""

    clock: FixedClock
    script: list[tuple[datetime, Optional[str]]] = field(default_factory=list)
    lost_until: Optional[datetime] = None
    waits: int = 0
    fresh_waits: int = 0

    def wait(
        self, seconds: float, *, fresh: bool, on_ready: Callable[[], None] = lambda: None
    ) -> Optional[str]:
        self.waits += 1
        self.fresh_waits += fresh
        now = self.clock.now()
        if self.lost_until is not None and now < self.lost_until:
            raise AudioError("the microphone stopped sending audio")
        on_ready()
        end = now + timedelta(seconds=seconds)
        if self.script and self.script[0][0] <= end:
            at, ritual = self.script.pop(0)
            self.clock.moment = max(at, now)
            return ritual
        self.clock.moment = end
        return None


@dataclass
class FakeRunner:
    """Runs rituals by taking ``minutes`` of the clock; remembers what it ran."""

    clock: FixedClock
    minutes: float = 5.0
    ran: list[tuple[str, datetime]] = field(default_factory=list)
    done: set[tuple[str, date]] = field(default_factory=set)
    failing: dict[str, BaseException] = field(default_factory=dict)

    def title(self, ritual: str) -> str:
        return f"{ritual} ritual"

    def run(self, ritual: str) -> None:
        if ritual in self.failing:
            raise self.failing[ritual]
        self.ran.append((ritual, self.clock.now()))
        self.clock.moment += timedelta(minutes=self.minutes)
        self.done.add((ritual, self.clock.now().date()))

    def done_on(self, ritual: str, day: date) -> bool:
        return (ritual, day) in self.done


@dataclass
class FakeMicrophone:
    releases: int = 0

    def release(self) -> None:
        self.releases += 1


# The fakes are the ports: mypy fails here when a Protocol changes and a fake does not.
_speaker: Speaker = FakeSpeaker()
_barge_in: InterruptibleSpeaker = FakeBargeInSpeaker()
_listener: Listener = ScriptedListener([])
_clock: Clock = FixedClock()
_sink: EntrySink = MemorySink()
_answers: AnswerLookup = FixedAnswers()
_streaks: StreakLookup = FixedStreaks()
_events: EventSink = EventLog()
_wake: WakeListener = ScriptedWake(FixedClock())
_runner: RitualRunner = FakeRunner(FixedClock())
_mic: Microphone = FakeMicrophone()
