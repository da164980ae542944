"""Fakes for the pure core, handed to constructors (no patching)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Optional, Union

from assistant.core.journal import Entry
from assistant.ports import InputLost, ListenRequest, Utterance


class FakeSpeaker:
    def __init__(self) -> None:
        self.said: list[str] = []
        self.private: list[str] = []

    def say(self, text: str, *, private: bool = False) -> None:
        self.said.append(text)
        if private:
            self.private.append(text)


Script = Union[str, Utterance, BaseException, None]


class ScriptedListener:
    """Plays back a script: a string is an answer (or a command, if it wholly is
    one of the phrases allowed at that moment), None is silence, an Utterance is
    returned as it is, an exception is raised."""

    def __init__(self, script: Iterable[Script]) -> None:
        self.script = list(script)
        self.requests: list[ListenRequest] = []

    def listen(self, request: ListenRequest) -> Utterance:
        from assistant.core.commands import match_command

        self.requests.append(request)
        request.on_ready()
        if not self.script:
            return Utterance(command="stop", ended_by="end_of_input")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Utterance):
            return item
        if item is None:
            return Utterance(ended_by="no_speech")
        command = match_command(item, request.commands)
        if command:
            return Utterance(command=command, ended_by="command")
        return Utterance(text=item, raw=item.lower())


def lost(text: str) -> InputLost:
    return InputLost("the microphone went away", Utterance(text=text, ended_by="input_lost"))


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
class MemorySink:
    """Keeps every saved version of the entry, as a journal file would."""

    saved: list[Entry] = field(default_factory=list)
    audio_root: Optional[Path] = None

    def save(self, entry: Entry) -> Path:
        self.saved.append(entry)
        return Path("/journal/entry.md")

    def audio_path(self, index: int, answer_id: str) -> Optional[Path]:
        if self.audio_root is None:
            return None
        return self.audio_root / f"{index:02d}-{answer_id}.wav"

    @property
    def last(self) -> Entry:
        return self.saved[-1]


@dataclass
class FixedAnswers:
    """Earlier answers, as the journal would return them."""

    answers: dict[tuple[str, str, Optional[date]], str] = field(default_factory=dict)

    def find_answer(self, ritual: str, step: str, on: Optional[date]) -> Optional[str]:
        return self.answers.get((ritual, step, on))


class EventLog:
    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []

    def __call__(self, event: str, /, **fields: object) -> None:
        self.events.append({"event": event, **fields})

    def names(self) -> list[str]:
        return [str(e["event"]) for e in self.events]
