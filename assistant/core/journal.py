"""Journal entries: the model, and rendering / parsing of the Markdown file.

One file per session: YAML front matter, then one ``## <prompt>`` section per
question, the answer as paragraphs (or ``_(skipped)_`` / ``_(no answer)_``), and a
reframe follow-up as a ``### `` subsection. It opens cleanly in Obsidian or Logseq.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import PurePath, PurePosixPath
from typing import Any, Callable, Optional

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
    property_key: Optional[str] = None
    """a front-matter key that also holds the answer, on one line
    (``goal_physical: walk every evening``), for a notes app to query"""

    @property
    def one_line(self) -> str:
        """The answer's words on one line, as a front-matter property holds them."""
        return " ".join(self.text.split())


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
    planned: int = 0
    """the questions the ritual had (0: not known); kept in the file only when it
    stopped before reaching them all, so that it reads "4/8 answered", not 4/4"""
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
    "planned",
    "audio",
)
"""the front-matter keys an entry's file is written with; an answer's number is
kept under the answer's id, which therefore cannot be one of these"""


def entry_filename(day: date, ritual: str, n: int = 1) -> str:
    """``YYYY-MM-DD-<ritual>.md``; the n-th session of the day gets ``-n``."""
    suffix = "" if n == 1 else f"-{n}"
    return f"{day.isoformat()}-{ritual}{suffix}.md"


_ENTRY_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+?)(?:-(\d+))?\.md(?:\.age)?$")

SEALED_SUFFIX = ".age"
"""added to the name of a file kept encrypted (``.md.age``, ``.wav.age``,
``transcript.json.age``), as the age tool does; what a file holds is told by its
first bytes, the name only says what to expect"""


def plain_name(filename: str) -> str:
    """The name of a file without the suffix of an encrypted one."""
    return filename[: -len(SEALED_SUFFIX)] if filename.endswith(SEALED_SUFFIX) else filename


def sealed_twin(path: PurePath) -> PurePath:
    """The other form of a file's name: ``x.wav`` for ``x.wav.age`` and the reverse."""
    name = path.name
    twin = plain_name(name) if name.endswith(SEALED_SUFFIX) else name + SEALED_SUFFIX
    return path.with_name(twin)


@dataclass(frozen=True)
class EntryName:
    """What an entry's file name says: its day, its ritual and which session."""

    day: date
    ritual: str
    n: int = 1


def entry_name(filename: str) -> Optional[EntryName]:
    """Read back ``entry_filename`` (or its encrypted form, ``.md.age``); None for a
    file not named like an entry.

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
    """The folder beside an entry that holds its audio: the entry's name without
    .md (or .md.age: an entry keeps its folder when it is encrypted)."""
    name = plain_name(entry_name)
    return name[:-3] if name.endswith(".md") else name


def audio_filename(index: int, answer_id: str) -> str:
    return f"{index:02d}-{answer_id}.wav"


# -- rendering -------------------------------------------------------------------

_STRUCTURE = ("#", "\\", "<", "```", "~~~", "_(")
"""line starts that would make Markdown (or our parser) read more than a paragraph:
a heading, an HTML block, a code fence, one of our markers, or an escape itself"""


def _starts_a_block(line: str) -> bool:
    stripped = line.strip()
    return (
        line.startswith(_STRUCTURE)
        or stripped == "..."
        # a rule, a setext underline (which turns the line above into a heading) or "---"
        or (stripped != "" and set(stripped) <= set("-=*_ "))
    )


def _escape_line(line: str) -> str:
    # One backslash after the indent keeps the line a plain paragraph line. A line
    # that starts with a backslash is always escaped, so reading back drops exactly
    # one backslash and an answer written as "\# x" survives as it was.
    rest = line.lstrip(" \t")
    indent = line[: len(line) - len(rest)]
    return indent + "\\" + rest if _starts_a_block(rest) else line


def _unescape_line(line: str) -> str:
    rest = line.lstrip(" \t")
    indent = line[: len(line) - len(rest)]
    return indent + rest[1:] if rest.startswith("\\") else line


def _lines(text: str) -> list[str]:
    # Only "\n" ends a line: str.splitlines() would also split at U+2028, a form
    # feed or other characters that are a part of what someone said or typed.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _paragraphs(text: str) -> list[str]:
    joined = "\n".join(_lines(text))
    return [p.strip() for p in re.split(r"\n[ \t]*\n", joined) if p.strip()]


def tidy_text(text: str) -> str:
    """An answer as the entry keeps it: paragraphs apart by one blank line, trimmed."""
    return "\n\n".join(_paragraphs(text))


def markdown_paragraphs(text: str) -> str:
    """``text`` as Markdown paragraphs that no line of it can turn into a heading,
    a rule, a code block or anything else that changes the document around it."""
    return "\n\n".join("\n".join(_escape_line(ln) for ln in _lines(p)) for p in _paragraphs(text))


def _body(text: str, state: AnswerState) -> str:
    if state != AnswerState.ANSWERED:
        return _MARKERS[state]
    return markdown_paragraphs(text) or _MARKERS[AnswerState.NO_ANSWER]


def heading(level: int, text: str) -> str:
    """A Markdown heading on one line, whatever the text holds."""
    return "#" * level + " " + " ".join(text.split())


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat(timespec="seconds") if moment else None


def properties(answers: Iterable[Answer]) -> dict[str, str]:
    """The answers kept as front-matter properties too, by their keys."""
    return {
        a.property_key: a.one_line
        for a in answers
        if a.property_key and a.state == AnswerState.ANSWERED and a.one_line
    }


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
    if entry.status is EntryStatus.STOPPED and entry.planned > len(entry.answers):
        front["planned"] = entry.planned
    # Numbers as top-level properties: Obsidian and Dataview read `mood: 4` as a number.
    front.update({a.id: a.number for a in entry.answers if a.number is not None})
    front.update(properties(entry.answers))
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
        parts.append(f"\n{heading(2, answer.prompt)}\n\n{_body(answer.text, answer.state)}\n")
        if answer.follow_up:
            f = answer.follow_up
            parts.append(f"\n{heading(3, f.prompt)}\n\n{_body(f.text, f.state)}\n")
    return "".join(parts)


# -- parsing ---------------------------------------------------------------------
#
# Entries are hand-edited (they are notes in Obsidian too), so every key of the
# front matter is checked for its type. A key that is wrong but not needed is left
# aside with a warning; an entry without a ritual or a time is refused with a
# JournalError naming the file. Nothing else may come out of parse_entry.

_FRONT = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)
_SCALAR = (str, int, float, date)
"""what a text key may hold (YAML reads `model: 0.22` as a number, `title: 2026-01-01` as a date)"""
Warn = Callable[[str], None]


class _EntryLoader(_Loader):  # type: ignore[misc]
    """Safe YAML (libyaml's when there is one), but a timestamp that is not a real
    one (2026-13-45, an offset of +25:00) stays text instead of raising ValueError
    from inside the loader."""

    def timestamp_or_text(self, node: yaml.ScalarNode) -> object:
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_EntryLoader.add_constructor("tag:yaml.org,2002:timestamp", _EntryLoader.timestamp_or_text)


def _load_front(text: str, where: str) -> tuple[dict[Any, Any], int]:
    match = _FRONT.match(text)
    if not match:
        raise JournalError(f"{where}: no front matter (a '---' block at the top)")
    try:
        front = yaml.load(match.group(1), Loader=_EntryLoader)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
        raise JournalError(f"{where}: the front matter is not valid YAML") from None
    if not isinstance(front, dict):
        raise JournalError(f"{where}: the front matter is not a set of keys")
    return front, match.end()


def _as_datetime(value: object) -> Optional[datetime]:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _safe_audio_path(name: str) -> bool:
    """Audio lives beside the entry: a path that leaves its folder is not ours."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


class _Front:
    """The front matter's keys, each read as its type or left aside with a warning."""

    def __init__(self, front: dict[Any, Any], where: str, warn: Warn) -> None:
        self.front = front
        self.where = where
        self.warn = warn

    def aside(self, key: str, why: str) -> None:
        self.warn(f"{self.where}: ignoring '{key}' ({why})")

    def text(self, key: str, default: str = "") -> str:
        value = self.front.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, _SCALAR):
            return str(value)
        self.aside(key, "not a text")
        return default

    def texts(self, key: str, *, one_ok: bool = False) -> list[str]:
        value = self.front.get(key)
        if value is None:
            return []
        if one_ok and isinstance(value, _SCALAR):
            value = [value]
        if isinstance(value, list) and all(isinstance(v, _SCALAR) for v in value):
            return [str(v) for v in value]
        self.aside(key, "not a list of names")
        return []

    def moment(self, key: str) -> Optional[datetime]:
        value = self.front.get(key)
        if value is None or value == "":
            return None
        moment = _as_datetime(value)
        if moment is None:
            self.aside(key, f"not a date and time: {value!r}")
        return moment

    def status(self) -> EntryStatus:
        value = self.front.get("status")
        if value is None:
            return EntryStatus.IN_PROGRESS
        names = [s.value for s in EntryStatus]
        if isinstance(value, str) and value in names:
            return EntryStatus(value)
        # an entry nobody finished is the safe reading
        self.aside("status", f"not one of {', '.join(names)}")
        return EntryStatus.IN_PROGRESS

    def audio(self) -> dict[str, tuple[str, ...]]:
        value = self.front.get("audio")
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.aside("audio", "not a mapping of answers to their files")
            return {}
        audio = {}
        for key, files in value.items():
            names = [files] if isinstance(files, str) else files
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                self.aside(f"audio: {key}", "not a list of files")
                continue
            kept = tuple(n for n in names if _safe_audio_path(n))
            if len(kept) < len(names):
                self.aside(f"audio: {key}", "a file outside the entry's folder")
            audio[str(key)] = kept
        return audio


def _section_text(lines: list[str]) -> tuple[str, AnswerState]:
    text = "\n".join(lines).strip()
    if text in _STATE_OF_MARKER:
        return "", _STATE_OF_MARKER[text]
    return "\n\n".join(
        "\n".join(_unescape_line(ln) for ln in _lines(p)) for p in _paragraphs(text)
    ), AnswerState.ANSWERED


def _ignore(message: str) -> None:
    pass


def _number(front: dict[str, Any], answer_id: str) -> Optional[int]:
    """An answer's number, when its front-matter key holds a whole number."""
    value = front.get(answer_id)
    if isinstance(value, bool) or not isinstance(value, int) or answer_id in FRONT_KEYS:
        return None  # hand-edited to words, or not ours: kept as it is in ``extra``
    return value


def _with_properties(answers: list[Answer], front: dict[str, Any]) -> list[Answer]:
    """The answers, each with the front-matter key that holds its words (a property
    written by ``render_entry``; one edited apart from the answer stays a key of its own)."""
    holding = {
        value: key
        for key, value in front.items()
        if isinstance(key, str) and key not in FRONT_KEYS and isinstance(value, str) and value
    }
    return [
        replace(a, property_key=holding[a.one_line])
        if a.state == AnswerState.ANSWERED and a.one_line in holding
        else a
        for a in answers
    ]


def _planned(front: dict[str, Any]) -> int:
    value = front.get("planned")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def parse_entry(text: str, where: str = "<entry>", *, warn: Warn = _ignore) -> Entry:
    """Read an entry written by ``render_entry``, tolerating hand edits.

    A key of the wrong type is left aside and ``warn`` hears about it; an entry
    that cannot be read at all raises JournalError naming ``where``.
    """
    front, body_start = _load_front(text, where)
    keys = _Front(front, where, warn)
    ritual = front.get("ritual")
    if ritual is None or ritual == "":
        raise JournalError(f"{where}: the front matter has no 'ritual'")
    if not isinstance(ritual, _SCALAR):
        raise JournalError(f"{where}: 'ritual' is not a name")
    started = keys.moment("started") or keys.moment("date")
    if started is None:
        if front.get("started") not in (None, ""):
            raise JournalError(f"{where}: 'started' is not a date and time: {front['started']!r}")
        raise JournalError(f"{where}: the front matter has no 'started' or 'date' it can read")
    ids = keys.texts("questions")
    audio = keys.audio()

    sections: list[tuple[str, list[str], list[tuple[str, list[str]]]]] = []
    for line in text[body_start:].split("\n"):
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
            f_audio = audio.get(details_key(answer_id, follow_up=True), ())
            follow_up = FollowUp(subs[0][0], f_text, f_state, audio=f_audio)
        answers.append(
            Answer(
                answer_id,
                prompt,
                body_text,
                state,
                follow_up,
                audio.get(answer_id, ()),
                _number(front, answer_id),
            )
        )
    answers = _with_properties(answers, front)
    known = set(FRONT_KEYS)
    known.update(a.id for a in answers if a.number is not None)
    known.update(a.property_key for a in answers if a.property_key)
    return Entry(
        ritual=str(ritual),
        title=keys.text("title", str(ritual)),
        started=started,
        status=keys.status(),
        ended=keys.moment("ended"),
        model=keys.text("model"),
        language=keys.text("language"),
        tags=tuple(keys.texts("tags", one_ok=True)),
        answers=tuple(answers),
        planned=_planned(front),
        extra={k: v for k, v in front.items() if k not in known},
    )
