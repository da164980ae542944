"""The journal's last days, read in a bounded way (``core.ports.WeekLookup``).

``this week`` and the week's figures look at the last fourteen days only: the
month folders that hold them (two at most) are listed, and only the entries of
those days are read. So the week costs the same at ten years as in the first
week, and needs no index (a ritual never builds one). The streak walks back a
month's folder at a time, by file names alone, only as far as it goes.

An entry that cannot be read here (encrypted, with the key not unlocked: a
ritual never holds it) still counts as a day checked in, by its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Optional

from assistant.core.journal import AnswerState, Entry, entry_name, entry_subdir, properties
from assistant.core.ports import RecentAnswers
from assistant.core.ritual import WEEK_DAYS
from assistant.core.stats import current_streak
from assistant.core.week import DayEntry, WeekFacts
from assistant.journal.folder import JournalFolder

LOOK_BACK = 2 * WEEK_DAYS
"""days read for the week's figures: this week and the one before"""


class JournalWeek:
    """A ``WeekLookup`` over a journal folder."""

    def __init__(self, folder: JournalFolder) -> None:
        self.folder = folder

    def days_between(self, since: date, through: date) -> list[tuple[date, Path]]:
        """Every entry file from ``since`` to ``through``, oldest first, by name."""
        found: list[tuple[date, Path]] = []
        month = since.replace(day=1)
        while month <= through:
            for path in self.folder.entries_in(self.folder.root / entry_subdir(month)):
                named = entry_name(path.name)
                if named is not None and since <= named.day <= through:
                    found.append((named.day, path))
            month = (month + timedelta(days=32)).replace(day=1)
        return sorted(found, key=lambda f: f[0])

    def latest_answers(
        self, ritual: str, ids: Sequence[str], since: date, through: date
    ) -> Optional[RecentAnswers]:
        for _, path in reversed(self.days_between(since, through)):
            named = entry_name(path.name)
            if named and ritual not in (named.ritual, f"{named.ritual}-{named.n}"):
                continue  # another ritual's entry, told by its name: not read
            entry = self.folder.read_or_pass_over(path)
            if entry is None or entry.ritual != ritual:
                continue
            answers = {i: text for i in ids if (text := _answered(entry, i))}
            if answers:
                return RecentAnswers(entry.day, answers)
        return None

    def week(self, through: date) -> WeekFacts:
        files = self.days_between(through - timedelta(days=LOOK_BACK - 1), through)
        entries = []
        for _, path in files:
            entry = self.folder.read_or_pass_over(path)
            if entry is not None:
                entries.append(_day_entry(entry))
        return WeekFacts(
            through=through,
            days=frozenset(day for day, _ in files),
            entries=tuple(entries),
            streak=self.streak(through),
        )

    def streak(self, through: date) -> int:
        """Days in a row with any entry, up to ``through`` (or the day before, while
        the day is still open)."""
        days: set[date] = set()
        month = through.replace(day=1)
        while True:
            folder = self.folder.root / entry_subdir(month)
            days.update(n.day for p in self.folder.entries_in(folder) if (n := entry_name(p.name)))
            run = current_streak(days, through)
            if through - timedelta(days=run + 1) >= month:
                return run  # the run (or its end, yesterday) starts within this month
            month = (month - timedelta(days=1)).replace(day=1)


def _answered(entry: Entry, answer_id: str) -> str:
    answer = entry.answer(answer_id)
    if answer and answer.state == AnswerState.ANSWERED and answer.text.strip():
        return answer.text
    return ""


def _day_entry(entry: Entry) -> DayEntry:
    texts = []
    for answer in entry.answers:
        if answer.state == AnswerState.ANSWERED and answer.text and answer.number is None:
            texts.append(answer.text)  # a mood's "A four." is a number, not a word
        if answer.follow_up and answer.follow_up.text:
            texts.append(answer.follow_up.text)
    numbers = {a.id: a.number for a in entry.answers if a.number is not None}
    return DayEntry(entry.day, entry.ritual, numbers, tuple(texts), properties(entry.answers))
