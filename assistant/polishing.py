"""Wiring for ``ritual polish``: the journal's entries not yet polished, heard again
by the second-listen model of their language, and rewritten.

An entry's answers are polished one at a time, in order; an entry is rewritten
(in the journal's form: encrypted when it encrypts) only when an answer's text
changed or was judged, and its details keep what Vosk said. An entry whose
language has no model keeps Vosk's text and is passed over.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from assistant.core.errors import JournalError, ModelError
from assistant.core.journal import Entry
from assistant.core.polish import (
    POLISHED_FIELD,
    marked,
    polish_details,
    polish_entry,
    polish_record,
    work_of,
)
from assistant.core.ports import Transcriber
from assistant.journal.folder import EntryFile, JournalFolder
from assistant.settings import Settings


@dataclass
class PolishReport:
    """What ``polish_entries`` did."""

    entries: int = 0
    """entries rewritten"""
    answers: int = 0
    """answers given better words"""
    refused: int = 0
    """answers whose second listen was not trusted (they keep Vosk's text)"""
    no_model: set[str] = field(default_factory=set)
    """languages of entries left as they were, for want of a model"""
    audio_seconds: float = 0.0
    cpu_seconds: float = 0.0


def polish_entries(
    settings: Settings,
    folder: JournalFolder,
    paths: Sequence[Path],
    *,
    environ: Mapping[str, str],
    warn: Callable[[Path, str], None],
    done: Callable[[Path, int], None],
    threads: int = 2,
) -> PolishReport:
    """Polish ``paths`` (every entry not polished yet when empty). ``done`` hears each
    rewritten entry and how many of its answers got better words."""
    from assistant.engines.polish import find_polish_model, open_polisher, whisper_problem

    problem = whisper_problem()
    if problem:
        raise ModelError(problem)
    report = PolishReport()
    transcribers: dict[str, Optional[Transcriber]] = {}
    for path, entry in _unpolished(folder, paths):
        language = entry.language or settings.language
        if language not in transcribers:
            model = find_polish_model(settings, language, environ)
            transcribers[language] = (
                None
                if model is None
                else open_polisher(
                    model, language=language, threads=threads, read_audio=folder.read_bytes
                )
            )
        transcriber = transcribers[language]
        if transcriber is None:
            report.no_model.add(language)
            continue
        better = _polish_one(
            folder, path, entry, transcriber, functools.partial(warn, path), report
        )
        if better is not None:
            done(path, better)
    report.audio_seconds = sum(getattr(t, "audio_seconds", 0.0) for t in transcribers.values())
    return report


def _polish_one(
    folder: JournalFolder,
    path: Path,
    entry: Entry,
    transcriber: Transcriber,
    warn: Callable[[str], None],
    report: PolishReport,
) -> Optional[int]:
    """Polish one entry and rewrite it; how many answers got better words, or None
    when nothing changed."""
    target = EntryFile(folder, path)
    details = target.read_details()
    record = polish_record(details)
    started = time.process_time()
    kept = details if isinstance(details, dict) else {}
    updated, results = polish_entry(entry, path.parent, transcriber, record, warn, kept)
    report.cpu_seconds += time.process_time() - started
    engine = transcriber.model_name
    record = {**record, **{k: p.record(engine) for k, p in results.items()}}
    updated = marked(updated, engine, record)
    if updated == entry:
        return None
    target.save(updated)
    if results:
        target.save_details(polish_details(kept, results, engine))
    better = sum(1 for p in results.values() if p.text)
    report.entries += 1
    report.answers += better
    report.refused += len(results) - better
    return better


def _unpolished(folder: JournalFolder, paths: Sequence[Path]) -> Iterator[tuple[Path, Entry]]:
    """The entries named (each must be readable), or every entry of the journal
    not marked polished that has answers with kept audio."""
    if paths:
        for path in paths:
            if not path.is_file():
                raise JournalError(f"{path}: no such entry")
        yield from ((path, folder.read(path)) for path in paths)
        return
    for path, entry in folder.read_all():
        if POLISHED_FIELD not in entry.extra and work_of(entry, {}):
            yield path, entry
