"""Answers of an encrypted journal, kept for a recall later the same day.

With encryption on, a ritual cannot read the journal: the device holds only the
public key, and unlocking the private one would mean a passphrase at bedtime.
So the answers that some ritual recalls *today*, *yesterday* or as the *latest*
(the morning's intention, read back in the evening) are kept as they were said
in one small file outside the journal folder (the state folder, 0600), and only
until they are read back, two days at most. Nothing else of an answer is kept.

Why not encrypt this file to a key of the device: that key would have to lie,
unprotected, on the same disk (a ritual cannot ask for a passphrase), so whoever
copies the home copies the key with it. What bounds the exposure here is time
and size: an answer or two, for hours, gone once read back. The file is not in
the journal folder, so syncing or backing up the journal never carries it.

The file also says which rituals were done on which days, for ``listen`` (which
does not offer a ritual already done today): it cannot read encrypted entries.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Optional

from assistant.core.journal import AnswerState, Entry, EntryStatus
from assistant.core.ports import AnswerAudio, Details
from assistant.core.ritual import Recall, Ritual
from assistant.journal.folder import EntryFile, JournalFolder
from assistant.safe_files import make_private_dirs, read_regular, replace_file

log = logging.getLogger(__name__)

KEEP_DAYS = 2
"""an answer not read back is dropped once it is this many days old (today and
yesterday are kept): enough for a recall of today or yesterday"""
SOON = ("today", "yesterday", "latest")
"""the recalls the state can serve; a week, a month or a year ago needs the key"""


def recalled_soon(rituals: Iterable[Ritual]) -> frozenset[tuple[str, str]]:
    """(ritual, question id) pairs some ritual reads back within two days."""
    return frozenset(
        (step.ritual, answer_id)
        for ritual in rituals
        for step in ritual.steps
        if isinstance(step, Recall) and any(when in SOON for when in step.when)
        for answer_id in step.ids
    )


class PendingRecalls:
    """The state file: answers waiting to be read back, and rituals done lately."""

    def __init__(self, path: Path, today: Callable[[], date] = date.today) -> None:
        self.path = path
        self.today = today

    # -- the file ------------------------------------------------------------------
    def _load(self) -> dict[str, list[dict[str, Any]]]:
        try:
            data = json.loads(read_regular(self.path).decode("utf-8"))
            answers = [a for a in data["answers"] if isinstance(a, dict)]
            done = [d for d in data["done"] if isinstance(d, dict)]
        except FileNotFoundError:
            return {"answers": [], "done": []}
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.warning("starting the recall state %s again (%s)", self.path, e)
            return {"answers": [], "done": []}
        oldest = (self.today() - timedelta(days=KEEP_DAYS - 1)).isoformat()
        return {
            "answers": [a for a in answers if str(a.get("day", "")) >= oldest],
            "done": [d for d in done if str(d.get("day", "")) >= oldest],
        }

    def _save(self, state: dict[str, list[dict[str, Any]]]) -> None:
        try:
            if not state["answers"] and not state["done"]:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path)
                return
            make_private_dirs(self.path.parent)
            replace_file(self.path, json.dumps(state, ensure_ascii=False) + "\n")
        except OSError as e:  # a recall is a kindness, not worth stopping a ritual for
            log.warning("cannot keep the recall state in %s (%s)", self.path, e.strerror)

    def prune(self) -> None:
        """Drop what is older than two days (and the file, once nothing is left)."""
        if os.path.lexists(self.path):
            self._save(self._load())

    # -- answers -------------------------------------------------------------------
    def keep(self, ritual: str, step: str, day: date, text: str) -> None:
        state = self._load()
        key = {"ritual": ritual, "step": step, "day": day.isoformat()}
        answers = [a for a in state["answers"] if {k: a.get(k) for k in key} != key]
        state["answers"] = [*answers, {**key, "text": text}]
        self._save(state)

    def take(self, ritual: str, step: str, on: Optional[date]) -> Optional[str]:
        """The answer to ``step`` of ``ritual`` on the day ``on`` (None: the latest),
        removed from the file: it is kept only until it is read back."""
        state = self._load()
        found = [
            a
            for a in state["answers"]
            if a.get("ritual") == ritual
            and a.get("step") == step
            and (on is None or a.get("day") == on.isoformat())
        ]
        if not found:
            if self.path.exists():
                self._save(state)  # prunes
            return None
        latest = max(found, key=lambda a: str(a.get("day")))
        state["answers"] = [a for a in state["answers"] if a is not latest]
        self._save(state)
        return str(latest.get("text", ""))

    def forget(self, ritual: str, day: date) -> None:
        """Drop what an entry of ``ritual`` on ``day`` left here (it was deleted)."""
        if not self.path.exists():
            return
        state = self._load()
        same = {"ritual": ritual, "day": day.isoformat()}
        state["answers"] = [a for a in state["answers"] if {k: a.get(k) for k in same} != same]
        state["done"] = [d for d in state["done"] if d != same]
        self._save(state)

    # -- rituals done --------------------------------------------------------------
    def mark_done(self, ritual: str, day: date) -> None:
        state = self._load()
        mark = {"ritual": ritual, "day": day.isoformat()}
        if mark not in state["done"]:
            state["done"].append(mark)
            self._save(state)

    def done(self, ritual: str, day: date) -> bool:
        return {"ritual": ritual, "day": day.isoformat()} in self._load()["done"]


class KeptForRecall:
    """An ``EntrySink`` that saves the entry (encrypted) and keeps the answers a ritual
    will read back soon in the recall state."""

    def __init__(
        self, sink: EntryFile, pending: PendingRecalls, wanted: frozenset[tuple[str, str]]
    ) -> None:
        self.sink = sink
        self.pending = pending
        self.wanted = wanted

    @property
    def path(self) -> Path:
        return self.sink.path

    def save(self, entry: Entry) -> Path:
        path = self.sink.save(entry)
        for answer in entry.answers:
            if (entry.ritual, answer.id) in self.wanted and (
                answer.state == AnswerState.ANSWERED and answer.text.strip()
            ):
                self.pending.keep(entry.ritual, answer.id, entry.day, answer.text)
        if entry.status is not EntryStatus.IN_PROGRESS:
            self.pending.mark_done(entry.ritual, entry.day)
        return path

    def open_audio(self, index: int, name: str) -> Optional[AnswerAudio]:
        return self.sink.open_audio(index, name)

    def save_details(self, details: Details) -> None:
        self.sink.save_details(details)

    def discard(self) -> None:
        self.sink.discard()


class RecallWithoutKey:
    """An ``AnswerLookup`` for a ritual on an encrypted journal: the recall state
    first, then the journal's plaintext entries (from before encryption was on);
    encrypted entries are passed over, quietly."""

    def __init__(self, pending: PendingRecalls, folder: JournalFolder) -> None:
        self.pending = pending
        self.folder = folder

    def find_answer(self, ritual: str, step: str, on: Optional[date]) -> Optional[str]:
        found = self.pending.take(ritual, step, on)
        if found or on is None:
            # "latest" looks no further than the state: walking back through years of
            # encrypted files it cannot read would cost a ritual's start for nothing
            return found
        return self.folder.find_answer(ritual, step, on)
