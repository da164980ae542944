"""Wiring: settings -> engines -> the core. Only here do they meet.

Each mode of ritual (a ritual run by voice or typed, re-transcription) is one
function that picks the engines for the settings, hands them to the core, and
closes them again.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Callable, Optional

from assistant.clock import SystemClock
from assistant.core.conductor import Conductor
from assistant.core.errors import JournalError, RitualError
from assistant.core.journal import Entry
from assistant.core.ports import Clock, Listener, Speaker, Transcriber
from assistant.core.retranscribe import has_audio, merge_details, retranscribe
from assistant.events import JsonLinesEvents
from assistant.modelstore.lookup import find_model
from assistant.settings import Settings
from assistant.store import EntryFile, JournalFolder
from assistant.text_mode import TextListener, TextSpeaker


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
    reframes = settings.catalog.reframes()
    folder = JournalFolder(settings.journal_dir)
    speaker: Speaker
    listener: Listener
    clock: Clock
    with contextlib.ExitStack() as stack:
        if text:
            speaker, listener = TextSpeaker(stdout), TextListener(stdin, stdout)
            clock = SystemClock(pauses=stdin.isatty())
            model_name = "text"
            keep_audio = False
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
            speaker, listener = engines.speaker, engines.listener
            clock = SystemClock()
            model_name = engines.model_name
            keep_audio = settings.audio.keep_audio
        stream = stack.enter_context(_events_stream(events, stdout))
        sink = EntryFile(folder, keep_audio=keep_audio)
        conductor = Conductor(
            ritual=ritual,
            speaker=speaker,
            listener=listener,
            sink=sink,
            clock=clock,
            events=JsonLinesEvents(stream),
            reframes=reframes,
            answers=folder,
            name=settings.name,
            model=model_name,
        )
        entry = conductor.run()
        return entry, sink.path


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
