"""Journal entries: the model, and rendering / parsing of the Markdown file.

One file per session: YAML front matter, then one ``## <prompt>`` section per
question, the answer as paragraphs (or ``_(skipped)_`` / ``_(no answer)_``), and a
reframe follow-up as a ``### `` subsection. It opens cleanly in Obsidian or Logseq.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import PurePath
from typing import Any, Optional

import yaml

from assistant.core.errors import JournalError
from assistant.core.vocabulary import Vocabulary

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it: reading front matter is
most of the cost of reading a journal, and libyaml is about ten times faster"""


class EntryStatus(Vocabulary):
    IN_PROGRESS = "in-progress"
    COMPLETE = "complete"
    STOPPED = "stopped"
    """ended early: a stop command, Ctrl-C, a signal or an error"""


class AnswerState(Vocabulary):
    ANSWERED = "answered"
    SKIPPED = "skipped"
    NO_ANSWER = "no-answer"


_MARKERS = {AnswerState.SKIPPED: "_(skipped)_", AnswerState.NO_ANSWER: "_(no answer)_"}
_STATE_OF_MARKER = {v: k for k, v in _MARKERS.items()}
FOLLOW_UP_SUFFIX = "/follow-up"


def details_key(answer_id: str, *, follow_up: bool = False) -> str:
    """How an answer (or its reframe follow-up) is named in the audio map and the details."""
    return answer_id + FOLLOW_UP_SUFFIX if follow_up else answer_id


@dataclass(frozen=True)
class FollowUp:
    """A reframe follow-up and what was said to it."""

    prompt: str
    text: str = ""
    state: AnswerState = AnswerState.ANSWERED
    rule: str = ""
    """name of the reframe rule that asked it"""
    audio: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    id: str
    prompt: str
    """the question as it was spoken"""
    text: str = ""
    state: AnswerState = AnswerState.ANSWERED
    follow_up: Optional[FollowUp] = None
    audio: tuple[str, ...] = ()
    """the answer's audio files, relative to the entry's folder"""
    number: Optional[int] = None
    """the number on a scale the answer gave (a mood from 1 to 5), kept in the
    front matter under the answer's id (``mood: 4``)"""


@dataclass(frozen=True)
class Entry:
    ritual: str
    title: str
    started: datetime
    status: EntryStatus = EntryStatus.IN_PROGRESS
    ended: Optional[datetime] = None
    model: str = ""
    language: str = ""
    """the ritual's language: which model re-transcribes its audio"""
    tags: tuple[str, ...] = ()
    answers: tuple[Answer, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    """front-matter keys we do not manage, kept as they were"""

    @property
    def day(self) -> date:
        return self.started.date()

    def with_answer(self, answer: Answer) -> Entry:
        """This entry with ``answer`` replacing the one of the same id, or appended."""
        kept = [a for a in self.answers if a.id != answer.id]
        if len(kept) == len(self.answers):
            return replace(self, answers=(*self.answers, answer))
        return replace(
            self, answers=tuple(answer if a.id == answer.id else a for a in self.answers)
        )

    def answer(self, answer_id: str) -> Optional[Answer]:
        return next((a for a in self.answers if a.id == answer_id), None)


FRONT_KEYS = (
    "ritual",
    "title",
    "date",
    "started",
    "ended",
    "status",
    "model",
    "language",
    "tags",
    "questions",
    "audio",
)
"""the front-matter keys an entry's file is written with; an answer's number is
kept under the answer's id, which therefore cannot be one of these"""


def entry_filename(day: date, ritual: str, n: int = 1) -> str:
    """``YYYY-MM-DD-<ritual>.md``; the n-th session of the day gets ``-n``."""
    suffix = "" if n == 1 else f"-{n}"
    return f"{day.isoformat()}-{ritual}{suffix}.md"


_ENTRY_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+?)(?:-(\d+))?\.md$")


@dataclass(frozen=True)
class EntryName:
    """What an entry's file name says: its day, its ritual and which session."""

    day: date
    ritual: str
    n: int = 1


def entry_name(filename: str) -> Optional[EntryName]:
    """Read back ``entry_filename``; None for a file not named like an entry.

    A ritual whose id ends in ``-<digits>`` reads as a later session of a shorter
    id; the front matter says which it is (streaks, the one user, go by names)."""
    match = _ENTRY_NAME.match(filename)
    if not match:
        return None
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError:
        return None
    return EntryName(day, match.group(2), int(match.group(3) or 1))


def entry_subdir(day: date) -> PurePath:
    return PurePath(f"{day.year:04d}", f"{day.month:02d}")


def audio_dirname(entry_name: str) -> str:
    """The folder beside an entry that holds its audio: the entry's name without .md."""
    return entry_name[:-3] if entry_name.endswith(".md") else entry_name


def audio_filename(index: int, answer_id: str) -> str:
    return f"{index:02d}-{answer_id}.wav"


# -- rendering -------------------------------------------------------------------


def _escape(paragraph: str) -> str:
    # A line that starts like a heading, front matter or one of our markers would
    # change the structure of the file; a backslash keeps it a plain paragraph.
    lines = []
    for line in paragraph.splitlines():
        if line.startswith(("#", "---", "_(")) or line.strip() in ("---", "..."):
            line = "\\" + line
        lines.append(line)
    return "\n".join(lines)


def _unescape(paragraph: str) -> str:
    return "\n".join(
        line[1:] if line.startswith(("\\#", "\\---", "\\_(", "\\...")) else line
        for line in paragraph.splitlines()
    )


def _body(text: str, state: AnswerState) -> str:
    if state != AnswerState.ANSWERED:
        return _MARKERS[state]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n\n".join(_escape(p) for p in paragraphs) or _MARKERS[AnswerState.NO_ANSWER]


def _heading(level: int, text: str) -> str:
    return "#" * level + " " + " ".join(text.split())


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat(timespec="seconds") if moment else None


def render_entry(entry: Entry) -> str:
    front: dict[str, Any] = {
        "ritual": entry.ritual,
        "title": entry.title,
        "date": entry.day,
        "started": _iso(entry.started),
        "ended": _iso(entry.ended),
        "status": entry.status.value,
        "model": entry.model,
        **({"language": entry.language} if entry.language else {}),
        "tags": list(entry.tags),
        "questions": [a.id for a in entry.answers],
    }
    # Numbers as top-level properties: Obsidian and Dataview read `mood: 4` as a number.
    front.update({a.id: a.number for a in entry.answers if a.number is not None})
    audio = {a.id: list(a.audio) for a in entry.answers if a.audio}
    audio.update(
        {
            details_key(a.id, follow_up=True): list(a.follow_up.audio)
            for a in entry.answers
            if a.follow_up and a.follow_up.audio
        }
    )
    if audio:
        front["audio"] = audio
    for key, value in entry.extra.items():
        front.setdefault(key, value)
    parts = [
        "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000) + "---\n"
    ]
    for answer in entry.answers:
        parts.append(f"\n{_heading(2, answer.prompt)}\n\n{_body(answer.text, answer.state)}\n")
        if answer.follow_up:
            f = answer.follow_up
            parts.append(f"\n{_heading(3, f.prompt)}\n\n{_body(f.text, f.state)}\n")
    return "".join(parts)


# -- parsing ---------------------------------------------------------------------

_FRONT = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)


def _datetime(value: Any, where: str, key: str) -> Optional[datetime]:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise JournalError(f"{where}: '{key}' is not a date and time: {value!r}") from None


def _section_text(lines: list[str]) -> tuple[str, AnswerState]:
    text = "\n".join(lines).strip()
    if text in _STATE_OF_MARKER:
        return "", _STATE_OF_MARKER[text]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n\n".join(_unescape(p) for p in paragraphs), AnswerState.ANSWERED


def _paths(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _number(front: dict[str, Any], answer_id: str) -> Optional[int]:
    """An answer's number, when its front-matter key holds a whole number."""
    value = front.get(answer_id)
    if isinstance(value, bool) or not isinstance(value, int) or answer_id in FRONT_KEYS:
        return None  # hand-edited to words, or not ours: kept as it is in ``extra``
    return value


def _status(value: Any) -> EntryStatus:
    try:
        return EntryStatus(value)
    except ValueError:  # hand-edited: an entry nobody finished is the safe reading
        return EntryStatus.IN_PROGRESS


def parse_entry(text: str, where: str = "<entry>") -> Entry:
    """Read an entry written by ``render_entry`` (and tolerate hand edits)."""
    match = _FRONT.match(text)
    if not match:
        raise JournalError(f"{where}: no front matter (a '---' block at the top)")
    try:
        front = yaml.load(match.group(1), Loader=_Loader) or {}
    except yaml.YAMLError:
        raise JournalError(f"{where}: the front matter is not valid YAML") from None
    if not isinstance(front, dict) or "ritual" not in front:
        raise JournalError(f"{where}: the front matter has no 'ritual'")
    started = _datetime(front.pop("started", None) or front.get("date"), where, "started")
    if started is None:
        raise JournalError(f"{where}: the front matter has no 'started' or 'date'")
    ids = [str(i) for i in front.pop("questions", None) or []]
    audio = front.pop("audio", None) or {}

    sections: list[tuple[str, list[str], list[tuple[str, list[str]]]]] = []
    for line in text[match.end() :].splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), [], []))
        elif line.startswith("### ") and sections:
            sections[-1][2].append((line[4:].strip(), []))
        elif sections:
            target = sections[-1][2][-1][1] if sections[-1][2] else sections[-1][1]
            target.append(line)
    answers = []
    for n, (prompt, body, subs) in enumerate(sections):
        answer_id = ids[n] if n < len(ids) else f"q{n + 1}"
        body_text, state = _section_text(body)
        follow_up = None
        if subs:
            f_text, f_state = _section_text(subs[0][1])
            follow_up = FollowUp(
                subs[0][0],
                f_text,
                f_state,
                audio=_paths(audio.get(details_key(answer_id, follow_up=True))),
            )
        answers.append(
            Answer(
                answer_id,
                prompt,
                body_text,
                state,
                follow_up,
                _paths(audio.get(answer_id)),
                _number(front, answer_id),
            )
        )
    known = {"ritual", "title", "date", "ended", "status", "model", "language", "tags"}
    known.update(a.id for a in answers if a.number is not None)
    tags = front.get("tags") or ()
    return Entry(
        ritual=str(front["ritual"]),
        title=str(front.get("title") or front["ritual"]),
        started=started,
        status=_status(front.get("status")),
        ended=_datetime(front.get("ended"), where, "ended"),
        model=str(front.get("model") or ""),
        language=str(front.get("language") or ""),
        tags=tuple(str(t) for t in (tags if isinstance(tags, list) else [tags])),
        answers=tuple(answers),
        extra={k: v for k, v in front.items() if k not in known},
    )
