"""Journal exports: one Markdown document, JSON, or jrnl's plain-text format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from assistant.core.journal import (
    Answer,
    AnswerState,
    Entry,
    heading,
    markdown_paragraphs,
    properties,
)

FORMATS = ("md", "json", "jrnl")
_MISSING = {AnswerState.SKIPPED: "(skipped)", AnswerState.NO_ANSWER: "(no answer)"}


def _text(text: str, state: AnswerState) -> str:
    return text if state == AnswerState.ANSWERED else _MISSING.get(state, "")


def entry_as_dict(entry: Entry) -> dict[str, Any]:
    def answer(a: Answer) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": a.id,
            "prompt": a.prompt,
            "state": a.state.value,
            "text": a.text,
        }
        if a.follow_up:
            f = a.follow_up
            data["follow_up"] = {"prompt": f.prompt, "state": f.state.value, "text": f.text}
        if a.audio:
            data["audio"] = list(a.audio)
        if a.number is not None:
            data["number"] = a.number
        if a.property_key:
            data["property"] = a.property_key
        return data

    return {
        "ritual": entry.ritual,
        "title": entry.title,
        "date": entry.day.isoformat(),
        "started": entry.started.isoformat(timespec="seconds"),
        "ended": entry.ended.isoformat(timespec="seconds") if entry.ended else None,
        "status": entry.status.value,
        "model": entry.model,
        "tags": list(entry.tags),
        "properties": properties(entry.answers),
        "answers": [answer(a) for a in entry.answers],
    }


def export_json(entries: Sequence[Entry]) -> str:
    return json.dumps([entry_as_dict(e) for e in entries], ensure_ascii=False, indent=2) + "\n"


def export_markdown(entries: Sequence[Entry]) -> str:
    """One document: a heading per entry and per question, every answer escaped so
    that what someone said ("## ...", "---") stays a paragraph of their own words."""

    def body(text: str, state: AnswerState) -> str:
        return markdown_paragraphs(text) if state == AnswerState.ANSWERED else _MISSING[state]

    parts = []
    for e in entries:
        lines = [heading(1, f"{e.title}, {e.day.isoformat()} {e.started:%H:%M}"), ""]
        # Dataview's inline fields: the week's goals stay queryable in one document
        lines += [f"{key}:: {value}" for key, value in properties(e.answers).items()]
        lines += [""] if properties(e.answers) else []
        for a in e.answers:
            lines += [heading(2, a.prompt), "", body(a.text, a.state), ""]
            if a.follow_up:
                f = a.follow_up
                lines += [heading(3, f.prompt), "", body(f.text, f.state), ""]
        parts.append("\n".join(lines))
    return "\n".join(parts)


def export_jrnl(entries: Sequence[Entry]) -> str:
    """jrnl's own plain-text format: ``[YYYY-MM-DD HH:MM] Title`` then the body.

    Importable with ``jrnl --import --file FILE``. The title ends with a full stop
    because jrnl takes the first sentence as the title; the body lines never start
    with ``[`` so jrnl cannot mistake one for the start of a new entry.
    """
    blocks = []
    for e in entries:
        body = []
        for a in e.answers:
            body += [a.prompt, _text(a.text, a.state), ""]
            if a.follow_up:
                f = a.follow_up
                body += [f.prompt, _text(f.text, f.state), ""]
        # jrnl's tags stop at a hyphen, so weekly-vision becomes @weekly_vision
        body.append(" ".join("@" + t.replace("-", "_").replace(" ", "_") for t in e.tags))
        lines = [_no_bracket_start(line) for text in body for line in text.split("\n")]
        blocks.append(f"[{e.started:%Y-%m-%d %H:%M}] {e.title}.\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _no_bracket_start(line: str) -> str:
    return " " + line if line.startswith("[") else line
