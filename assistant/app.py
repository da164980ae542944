"""Wiring: settings -> engines -> the core. Only here do they meet.

Each mode of ritual (a ritual run by voice or typed, ``listen``, re-transcription)
is one function that picks the engines for the settings, hands them to the core,
and closes them again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Optional

from assistant.clock import SystemClock
from assistant.core.companion import Companion
from assistant.core.conductor import Conductor
from assistant.core.errors import ConfigError, JournalError, RitualError
from assistant.core.journal import Entry
from assistant.core.ports import Clock, EventSink, Listener, Speaker, Transcriber
from assistant.core.retranscribe import has_audio, merge_details, retranscribe
from assistant.core.ritual import Ritual
from assistant.events import JsonLinesEvents
from assistant.modelstore.lookup import find_model
from assistant.settings import Settings
from assistant.store import EntryFile, JournalFolder
from assistant.text_mode import TextListener, TextSpeaker

if TYPE_CHECKING:
    from assistant.engines import VoiceEngines

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _events_stream(target: Optional[str], stdout: IO[str]) -> Iterator[Optional[IO[str]]]:
    if target is None:
        yield None
        return
    if target == "-":
        yield stdout
        return
    try:
        # 0600: `heard` events carry the answers themselves.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as e:
        raise RitualError(f"cannot write events to {target} ({e.strerror})") from None
    with os.fdopen(fd, "a", encoding="utf-8") as stream:
        yield stream


def run_ritual(
    settings: Settings,
    name_or_path: str,
    *,
    text: bool,
    events: Optional[str],
    stdin: IO[str],
    stdout: IO[str],
    environ: Optional[Mapping[str, str]] = None,
) -> tuple[Entry, Path]:
    """Run one ritual to its end (or a stop) and return the entry and where it is."""
    ritual = settings.catalog.load(name_or_path)
    with contextlib.ExitStack() as stack:
        if text:
            session = Session(
                speaker=TextSpeaker(stdout),
                listener=TextListener(stdin, stdout),
                clock=SystemClock(pauses=stdin.isatty()),
                model_name="text",
                keep_audio=False,
            )
        else:
            # Imported here: text mode, `check` and `--help` need no engine at all.
            from assistant.engines import open_voice_engines

            engines = open_voice_engines(
                settings,
                language=ritual.language,
                voice=settings.voice.under(ritual.voice),
                model_path=find_model(settings, ritual.language, environ),
            )
            stack.callback(engines.close)
            session = Session(
                engines.speaker,
                engines.listener,
                SystemClock(),
                engines.model_name,
                settings.audio.keep_audio,
            )
        stream = stack.enter_context(_events_stream(events, stdout))
        return conduct(settings, ritual, session, JsonLinesEvents(stream))


@dataclass(frozen=True)
class Session:
    """The engines one ritual runs on."""

    speaker: Speaker
    listener: Listener
    clock: Clock
    model_name: str
    """recorded in the entry ("text" for a typed ritual)"""
    keep_audio: bool


def conduct(
    settings: Settings, ritual: Ritual, session: Session, events: EventSink
) -> tuple[Entry, Path]:
    """Run ``ritual`` on ``session``'s engines, kept in the journal."""
    folder = JournalFolder(settings.journal_dir)
    sink = EntryFile(folder, keep_audio=session.keep_audio)
    conductor = Conductor(
        ritual=ritual,
        speaker=session.speaker,
        listener=session.listener,
        sink=sink,
        clock=session.clock,
        events=events,
        reframes=settings.catalog.reframes(),
        answers=folder,
        streaks=folder,
        name=settings.name,
        model=session.model_name,
    )
    entry = conductor.run()
    return entry, sink.path


def listen(
    settings: Settings,
    *,
    wake: bool,
    events: Optional[str],
    stdout: IO[str],
    environ: Optional[Mapping[str, str]] = None,
    clock: Optional[Clock] = None,
    until: Optional[datetime] = None,
) -> None:
    """``ritual listen``: wait for wake phrases and scheduled times, run rituals, wait
    again, until ``until`` (forever when None) or a KeyboardInterrupt."""
    from assistant.engines import open_voice_engines

    hands_free = settings.hands_free
    language = settings.language
    phrases = check_listen(settings, wake=wake)
    with contextlib.ExitStack() as stack:
        engines = open_voice_engines(
            settings,
            language=language,
            voice=settings.voice,
            model_path=find_model(settings, language, environ),
            wake_phrases=phrases,
            long_running=True,
        )
        stack.callback(engines.close)
        assert engines.mic is not None
        stream = stack.enter_context(_events_stream(events, stdout))
        sink = JsonLinesEvents(stream)
        clock = clock or SystemClock()
        companion = Companion(
            hands_free=hands_free,
            language=language,
            speaker=engines.speaker,
            listener=engines.listener,
            runner=_ListenRunner(settings, engines, clock, sink),
            clock=clock,
            events=sink,
            mic=engines.mic,
            wake=engines.wake,
        )
        companion.run(until=until)


def check_listen(settings: Settings, *, wake: bool) -> Optional[Mapping[str, str]]:
    """What ``listen`` would wait for (phrase -> ritual; None without wake phrases),
    after checking that it has something to do and that every ritual it names exists:
    a missing one is said now, not at 21:30."""
    hands_free = settings.hands_free
    phrases = hands_free.wake_phrases(settings.language) if wake else None
    if wake and not phrases:
        raise ConfigError(
            f"there are no wake phrases for {settings.language}: add some under 'wake:' in "
            "the config file, or use --no-wake to be asked only at scheduled times"
        )
    if not wake and not hands_free.schedule:
        raise ConfigError(
            "with --no-wake, ritual only speaks at scheduled times, and there are none: "
            "add a 'schedule:' to the config file"
        )
    for name in sorted({*(phrases or {}).values(), *(o.ritual for o in hands_free.schedule)}):
        settings.catalog.find(name)
    return phrases


class _ListenRunner:
    """Runs rituals for the companion on the engines ``listen`` keeps open."""

    def __init__(
        self, settings: Settings, engines: VoiceEngines, clock: Clock, events: EventSink
    ) -> None:
        self.settings = settings
        self.engines = engines
        self.clock = clock
        self.events = events
        self.folder = JournalFolder(settings.journal_dir)

    def title(self, ritual: str) -> str:
        return self.settings.catalog.load(ritual).title.lower()

    def run(self, ritual: str) -> None:
        loaded = self.settings.catalog.load(ritual)
        speaker = self.engines.speaker_for(self.settings.voice.under(loaded.voice), loaded.language)
        session = Session(
            speaker,
            self.engines.listener,
            self.clock,
            self.engines.model_name,
            self.settings.audio.keep_audio,
        )
        entry, path = conduct(self.settings, loaded, session, self.events)
        log.info("%s: %s, saved to %s", ritual, entry.status, path)

    def done_on(self, ritual: str, day: date) -> bool:
        return self.folder.done_on(ritual, day)


def transcribe_entries(
    settings: Settings,
    paths: Sequence[Path],
    *,
    environ: Optional[Mapping[str, str]] = None,
    warn: Callable[[Path, str], None],
    done: Callable[[Path, str], None],
) -> int:
    """Transcribe the kept audio of ``paths`` (every entry when empty) again and
    rewrite those entries; how many were rewritten. ``done`` hears each entry's
    path and the model's name."""
    from assistant.engines import open_transcriber

    folder = JournalFolder(settings.journal_dir)
    transcribers: dict[str, Transcriber] = {}
    changed = 0
    for path in paths or folder.entries():
        if not path.is_file():
            raise JournalError(f"{path}: no such entry")
        entry = folder.read(path)
        if not has_audio(entry):
            continue
        language = entry.language or "en-us"
        if language not in transcribers:
            transcribers[language] = open_transcriber(find_model(settings, language, environ))
        transcriber = transcribers[language]
        updated, details = retranscribe(
            entry, path.parent, transcriber, functools.partial(warn, path)
        )
        target = EntryFile(folder, path)
        target.save(updated)
        if details:
            target.save_details(merge_details(target.read_details(), details))
        changed += 1
        done(path, transcriber.model_name)
    return changed
