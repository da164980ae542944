"""Wiring: settings -> engines -> conductor. The only place they meet."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Optional

from assistant.core.conductor import Conductor
from assistant.core.journal import Entry
from assistant.core.reframe import Reframes, load_reframes
from assistant.core.ritual import Ritual, Voice, load_ritual
from assistant.errors import RitualError, RitualFileError, RitualNotFound
from assistant.events import JsonLinesEvents
from assistant.ports import Listener, Speaker
from assistant.settings import Settings, VoiceSettings
from assistant.store import EntryFile, JournalFolder
from assistant.textio import SystemClock, TextListener, TextSpeaker

log = logging.getLogger(__name__)
RITUAL_SUFFIXES = (".yaml", ".yml")
NOT_RITUALS = ("reframes",)


@dataclass(frozen=True)
class RitualFile:
    name: str
    path: Path
    bundled: bool


def ritual_folders(settings: Settings) -> list[tuple[Path, bool]]:
    """The user's folder first (so a user's ``morning`` replaces ours), then bundled."""
    return [(settings.rituals_dir, False), (settings.bundled_rituals_dir, True)]


def list_rituals(settings: Settings) -> list[RitualFile]:
    found: dict[str, RitualFile] = {}
    for folder, bundled in ritual_folders(settings):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in RITUAL_SUFFIXES and path.stem not in NOT_RITUALS:
                found.setdefault(path.stem, RitualFile(path.stem, path, bundled))
    return sorted(found.values(), key=lambda r: r.name)


def find_ritual(settings: Settings, name_or_path: str) -> Path:
    """A ritual by file path, or by name in the user's folder, then the bundled one."""
    as_path = Path(name_or_path).expanduser()
    if as_path.suffix in RITUAL_SUFFIXES or "/" in name_or_path:
        if not as_path.is_file():
            raise RitualNotFound(f"{name_or_path}: no such ritual file")
        return as_path
    for ritual in list_rituals(settings):
        if ritual.name == name_or_path:
            return ritual.path
    names = ", ".join(r.name for r in list_rituals(settings)) or "none"
    raise RitualNotFound(
        f"no ritual called '{name_or_path}' (found: {names}); `ritual list` shows where they are"
    )


def reframes_for(settings: Settings) -> Reframes:
    return load_reframes(
        [settings.rituals_dir / "reframes.yaml", settings.bundled_rituals_dir / "reframes.yaml"]
    )


def merged_voice(ritual: Ritual, settings: Settings) -> VoiceSettings:
    """The ritual's voice, with the user's config winning where it says something."""
    own: Voice = ritual.voice
    mine = settings.voice
    return VoiceSettings(
        name=mine.name or own.name or ritual.language,
        rate=mine.rate or own.rate,
        volume=mine.volume if mine.volume is not None else own.volume,
    )


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
    ritual = load_ritual(find_ritual(settings, name_or_path))
    reframes = reframes_for(settings)
    folder = JournalFolder(settings.journal_dir)
    speaker: Speaker
    listener: Listener
    with contextlib.ExitStack() as stack:
        if text:
            speaker, listener = TextSpeaker(stdout), TextListener(stdin, stdout)
            clock = SystemClock(pauses=stdin.isatty())
            model_name = "text"
            keep_audio = False
        else:
            # Imported here: text mode, `check` and `--help` need no engine at all.
            from assistant.speech.models import find_model
            from assistant.voice import open_voice

            model_path = find_model(settings, ritual.language, environ)
            voice = open_voice(
                settings,
                language=ritual.language,
                voice=merged_voice(ritual, settings),
                model_path=model_path,
            )
            stack.callback(voice.close)
            speaker, listener = voice.speaker, voice.listener
            clock = SystemClock()
            model_name = voice.model_name
            keep_audio = settings.audio.keep_audio
        stream = stack.enter_context(_events_stream(events, stdout))
        conductor = Conductor(
            ritual=ritual,
            speaker=speaker,
            listener=listener,
            sink=_LazyEntryFile(folder, keep_audio),
            clock=clock,
            events=JsonLinesEvents(stream),
            reframes=reframes,
            answers=folder,
            name=settings.name,
            model=model_name,
        )
        entry = conductor.run()
        assert conductor.path is not None
        return entry, conductor.path


class _LazyEntryFile:
    """Claims the entry's file name on the first save (the day is known by then)."""

    def __init__(self, folder: JournalFolder, keep_audio: bool) -> None:
        self.folder = folder
        self.keep_audio = keep_audio
        self.file: Optional[EntryFile] = None

    def _file(self, entry: Optional[Entry] = None) -> EntryFile:
        if self.file is None:
            if entry is None:
                raise RuntimeError("the entry is saved before any audio is kept")
            path = self.folder.reserve(entry.day, entry.ritual)
            self.file = EntryFile(self.folder, path, self.keep_audio)
        return self.file

    def save(self, entry: Entry) -> Path:
        return self._file(entry).save(entry)

    def audio_path(self, index: int, answer_id: str) -> Optional[Path]:
        return self._file().audio_path(index, answer_id)

    def save_details(self, details: dict[str, object]) -> None:
        self._file().save_details(details)


def check_rituals(paths: list[Path]) -> list[RitualFileError]:
    """Validate files; the errors found (an empty list means all are fine)."""
    errors = []
    for path in paths:
        try:
            if path.stem == "reframes":
                load_reframes([path]) if path.is_file() else load_ritual(path)
            else:
                load_ritual(path)
        except RitualFileError as e:
            errors.append(e)
    return errors
