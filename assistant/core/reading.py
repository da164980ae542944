"""An entry as a person reads it on a terminal: the questions and what was said.

``journal show`` prints this; the file itself (front matter and all) is what
``journal show --raw`` prints, and what an editor or Obsidian opens.
"""

from __future__ import annotations

import textwrap

from assistant.core.journal import Answer, AnswerState, Entry, EntryStatus

WIDTH = 78
MARKS = {
    AnswerState.SKIPPED: "(skipped)",
    AnswerState.NO_ANSWER: "(no answer)",
}


def readable_entry(entry: Entry) -> str:
    """A heading line (title, time, how far it got, the scale numbers), then each
    question with its answer indented below it, a follow-up one step further in."""
    lines = [_heading(entry), ""]
    for answer in entry.answers:
        lines.extend(_question(answer))
    return "\n".join(lines).rstrip() + "\n"


def _heading(entry: Entry) -> str:
    when = f"{entry.started:%A %Y-%m-%d %H:%M}"
    ended = f"{entry.ended:%Y-%m-%d %H:%M}" if entry.ended is not None else ""
    if ended[:10] == f"{entry.started:%Y-%m-%d}" and ended[11:] != f"{entry.started:%H:%M}":
        when += f"–{ended[11:]}"
    answered = sum(a.state == AnswerState.ANSWERED for a in entry.answers)
    asked = max(len(entry.answers), entry.planned)
    parts = [f"{entry.title} · {when}", f"{entry.status.value}, {answered}/{asked} answered"]
    parts.extend(f"{a.id} {a.number}" for a in entry.answers if a.number is not None)
    if entry.status is EntryStatus.IN_PROGRESS:
        parts[1] = f"in progress, {answered}/{asked} answered so far"
    return " · ".join(parts)


def _question(answer: Answer) -> list[str]:
    lines = _wrapped(answer.prompt, "")
    lines.extend(_said(answer.text, answer.state, "    "))
    if answer.follow_up is not None:
        f = answer.follow_up
        lines.extend(_wrapped("↳ " + f.prompt, "    "))
        lines.extend(_said(f.text, f.state, "      "))
    lines.append("")
    return lines


def _said(text: str, state: AnswerState, indent: str) -> list[str]:
    if state != AnswerState.ANSWERED or not text.strip():
        return [indent + MARKS.get(state, MARKS[AnswerState.NO_ANSWER])]
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        if out:
            out.append("")
        for line in paragraph.split("\n"):
            out.extend(_wrapped(line, indent))
    return out


def _wrapped(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()), WIDTH, initial_indent=indent, subsequent_indent=indent
    ) or [indent]
