"""Polishing while the ritual goes on: an ``EntrySink`` that hands each saved
answer to a background worker and writes the better text in as it comes.

The conductor keeps its own entry, with Vosk's text (what it reads back); this
sink writes every save with the polished texts that have come back so far, so
the file on disk only gets better. Only the thread running the ritual writes:
the worker's results are picked up at each save, and by ``finish``, which waits
a little at the session's end and leaves the rest for ``ritual polish``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Protocol

from assistant.core.errors import RitualError
from assistant.core.journal import Entry
from assistant.core.polish import (
    Polished,
    judged,
    marked,
    polish_details,
    with_polish,
    work_of,
)
from assistant.core.ports import AnswerAudio, Details, EntrySink

log = logging.getLogger(__name__)
SESSION_END_WAIT_S = 2.0
"""the most the end of a ritual waits for answers still being polished"""


@dataclass(frozen=True)
class Heard:
    """What the worker made of one answer: its text, or why it could not."""

    key: str
    text: str = ""
    error: str = ""


class PolishWorker(Protocol):
    """Hears answers again in the background, one at a time, in the order given."""

    engine: str
    """the model, as the entry's details name it"""

    def submit(self, key: str, audio: Sequence[Path]) -> None:
        """Queue the answer ``key``, whose audio is ``audio`` (each file whole)."""

    def collect(self, timeout: float = 0.0) -> list[Heard]:
        """The answers heard since the last call, waiting up to ``timeout`` seconds
        for the first one when none is ready."""

    def close(self) -> None:
        """Stop, dropping what is still queued."""


class PolishingSink:
    """An ``EntrySink`` around another that polishes each answer as it is saved."""

    def __init__(self, inner: EntrySink, worker: PolishWorker) -> None:
        self.inner = inner
        self.worker = worker
        self.entry: Optional[Entry] = None
        """the latest entry the conductor saved (with Vosk's text)"""
        self.details: Details = {}
        self.results: dict[str, Polished] = {}
        self.asked: dict[str, str] = {}
        """answer key -> the text it had when it was last handed to the worker"""
        self.jobs: dict[str, tuple[str, str]] = {}
        """job -> the answer key and the text it had then (an answer said again is a
        new job: what comes back for the old one is judged against the old text)"""
        self.failed: dict[str, str] = {}
        """answer key -> the text the worker could not hear again (not retried now)"""
        self.path: Optional[Path] = None

    def save(self, entry: Entry) -> Path:
        self._take(self.worker.collect())
        self.entry = entry
        self.path = self.inner.save(self._polished(entry))
        self._submit(entry, self.path.parent)
        return self.path

    def open_audio(self, index: int, name: str) -> Optional[AnswerAudio]:
        return self.inner.open_audio(index, name)

    def discard(self) -> None:
        self.inner.discard()  # nothing was answered: there is nothing to polish either

    def save_details(self, details: Details) -> None:
        self.details = details
        self.inner.save_details(polish_details(details, self._current(), self.worker.engine))

    def finish(self, wait: float = SESSION_END_WAIT_S) -> int:
        """Wait up to ``wait`` seconds for the answers still being heard, write what
        came back, stop the worker; how many answers are left for later."""
        deadline = time.monotonic() + wait
        while self._pending() and time.monotonic() < deadline:
            self._take(self.worker.collect(timeout=deadline - time.monotonic()))
        self.worker.close()
        left = len(self._pending())
        if self.entry is not None and self._current():
            try:
                self.inner.save(self._polished(self.entry))
                self.inner.save_details(
                    polish_details(self.details, self._current(), self.worker.engine)
                )
            except RitualError as e:  # the entry as last saved stands, Vosk's words and all
                log.warning("%s; the polished words are left for `ritual polish`", e)
        return left

    def _polished(self, entry: Entry) -> Entry:
        current = self._current()
        return marked(with_polish(entry, current), self.worker.engine, current)

    def _current(self) -> dict[str, Polished]:
        """The results that still match the answers' texts (an answer said again
        is polished again)."""
        return {k: p for k, p in self.results.items() if self.asked.get(k) == p.vosk}

    def _pending(self) -> list[str]:
        return [
            key
            for key, text in self.asked.items()
            if self.failed.get(key) != text
            and (key not in self.results or self.results[key].vosk != text)
        ]

    def _submit(self, entry: Entry, base: Path) -> None:
        for work in work_of(entry, {}):
            if self.asked.get(work.key) != work.text:  # new, or said again since
                self.asked[work.key] = work.text
                job = f"{work.key}#{len(self.jobs) + 1}"
                self.jobs[job] = (work.key, work.text)
                self.worker.submit(job, [base / name for name in work.audio])

    def _take(self, heard: list[Heard]) -> None:
        for h in heard:
            if h.key not in self.jobs:
                continue
            key, text = self.jobs.pop(h.key)
            if text != self.asked.get(key):
                continue  # the answer was said again since: its new words are being heard
            if h.error:
                log.info("polishing %s: %s; it keeps Vosk's text", key, h.error)
                self.failed[key] = text
            else:
                self.results[key] = judged(key, text, h.text)
