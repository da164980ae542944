"""Hand-edited, odd or broken entries: one of them never breaks the rest of the journal.

An entry whose front matter has a key of the wrong type is either read with that
key left aside, or passed over, always with a warning, so `journal` commands, a
recall and `transcribe` go on with every other entry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.journal import Answer, Entry, parse_entry, render_entry
from tests.cli import Result, isolated_env, run_cli
from tests.test_cli import MORNING_ANSWERS, journal_files, run_typed

ODD_FRONT_MATTER = [
    "audio: [a.wav, b.wav]",
    "audio: {journal: 5}",
    "audio: {journal: [../../../outside.wav, /etc/passwd]}",
    "audio: 7",
    "questions: 5",
    "questions: {a: 1}",
    "questions: [[a, b], {c: d}]",
    "started: 2026-01-01 07:00:00+25:00",
    "started: '2026-01-01T07:00:00+25:00'",
    "started: [2026]",
    "date: 2026-13-45",
    "ended: 5",
    "ended: {a: 1}",
    "status: [done]",
    "status: {a: b}",
    "tags: {a: 1}",
    "tags: [[a], {b: c}]",
    "title: [a, b]",
    "model: {a: 1}",
    "language: [en]",
    "ritual: [a, b]",
    "ritual: null",
    "date: 99999-01-01",
]


def odd_entry(line: str) -> str:
    date = "" if line.startswith(("date:", "started:")) else "date: 2026-01-01\n"
    ritual = "" if line.startswith("ritual:") else "ritual: journal\n"
    return f"---\n{ritual}{date}{line}\n---\n\n## A question\n\nAn odd answer.\n"


def plant(journal: Path, name: str, content: bytes) -> Path:
    path = journal / "2026" / "01" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def clean(result: Result) -> bool:
    return "unexpected error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("line", ODD_FRONT_MATTER)
def test_one_odd_entry_never_breaks_the_journal_commands(tmp_path: Path, line: str) -> None:
    env = isolated_env(tmp_path)
    journal = tmp_path / "journal"
    assert run_typed("journal", journal, env, ["My real answer."]).status == 0
    odd = plant(journal, "2026-01-01-journal.md", odd_entry(line).encode())
    for command in (["list"], ["show"], ["search", "real"], ["export", "--format", "json"]):
        result = run_cli("journal", *command, "--journal", str(journal), env=env)
        assert result.status == 0 and clean(result), (command, result.stderr)
        if command != ["show"]:  # show prints the latest day: the real entry's
            assert "real answer" in result.stdout or command == ["list"], command
        # Passed over or read with a key left aside: either way the user is told, when
        # the file is read (list indexes it, export reads every file; show reads only
        # the latest day, search the index list brought up to date).
        if command[0] in ("list", "export"):
            assert str(odd) in result.stderr, (command, result.stderr)
    listed = run_cli("journal", "list", "--journal", str(journal), env=env)
    assert "1/1 answered" in listed.stdout


@pytest.mark.parametrize("line", ODD_FRONT_MATTER)
def test_parse_entry_warns_or_rejects_never_crashes(line: str) -> None:
    warnings: list[str] = []
    try:
        entry = parse_entry(odd_entry(line), "odd.md", warn=warnings.append)
    except Exception as e:  # only a JournalError, with the file named, may come out
        assert type(e).__name__ == "JournalError" and "odd.md" in str(e), repr(e)
        return
    assert warnings and all(w.startswith("odd.md: ") for w in warnings), warnings
    # What was read can be written back and read again.
    assert parse_entry(render_entry(entry)).ritual == entry.ritual
    assert all(".." not in a and not a.startswith("/") for x in entry.answers for a in x.audio)


def test_the_evening_recall_reads_past_an_odd_entry(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    journal = tmp_path / "journal"
    assert run_typed("morning", journal, env, MORNING_ANSWERS).status == 0
    [morning] = journal_files(journal)
    for n, line in enumerate(
        ("audio: [a, b]", "questions: 5", "started: 2026-01-01 07:00:00+25:00")
    ):
        plant(
            morning.parent.parent.parent, f"2026-01-0{n + 1}-morning.md", odd_entry(line).encode()
        )
    # The odd entries are morning entries too, and newer by file name on no day.
    result = run_typed("evening", journal, env, ["It went well.", "stop"])
    assert result.status == 0 and clean(result), result.stderr
    assert "Be patient with myself" in result.stdout
    evening = parse_entry(
        next(p for p in journal_files(journal) if "evening" in p.name).read_text()
    )
    assert evening.answers[0].text == "It went well."


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe binary \x80", b"---\n: : :\n---\n"])
def test_transcribe_passes_over_an_empty_or_binary_entry(tmp_path: Path, content: bytes) -> None:
    env = isolated_env(tmp_path)
    journal = tmp_path / "journal"
    assert run_typed("journal", journal, env, ["Typed, so no audio."]).status == 0
    plant(journal, "2026-01-01-journal.md", content)
    result = run_cli("transcribe", "--journal", str(journal), env=env)
    assert result.status == 0 and clean(result), result.stderr
    assert "No entries with kept audio." in result.stdout


def test_transcribe_names_an_unreadable_entry_it_was_given(tmp_path: Path) -> None:
    odd = plant(tmp_path / "journal", "2026-01-01-journal.md", b"\xff\xfe")
    result = run_cli("transcribe", str(odd), env=isolated_env(tmp_path))
    assert result.status == 1 and clean(result) and str(odd) in result.stderr


# -- answers that look like Markdown ------------------------------------------------------

TRICKY_ANSWERS = [
    "## heading",
    "# one\n## two",
    "\\# a backslash first",
    "\\---",
    "\\\\ two backslashes",
    "---",
    "...",
    "_(skipped)_",
    "_(no answer)_",
    "line one\n===",
    "line one\n- - -",
    "```\ncode fence",
    "~~~",
    "<!-- a comment",
    "an indent\n   ## then a heading",
    "a\u2028b",
    "a\u2029b\x85c\x0bd\x0ce",
    "tab\tinside",
]


@pytest.mark.parametrize("text", TRICKY_ANSWERS)
def test_an_answer_reads_back_exactly_as_written(text: str) -> None:
    entry = Entry("journal", "Journal", parse_entry(odd_entry("title: x")).started)
    entry = entry.with_answer(Answer("q1", "A question", text))
    assert parse_entry(render_entry(entry)).answers[0].text == text


@pytest.mark.parametrize("text", TRICKY_ANSWERS)
def test_the_markdown_export_keeps_an_answer_a_plain_paragraph(tmp_path: Path, text: str) -> None:
    env = isolated_env(tmp_path)
    journal = tmp_path / "journal"
    assert run_typed("journal", journal, env, [text.replace("\n", " ")]).status == 0
    [path] = journal_files(journal)
    entry = parse_entry(path.read_text())
    path.write_text(render_entry(entry.with_answer(Answer("journal", "Prompt", text))))
    result = run_cli("journal", "export", "--journal", str(journal), env=env)
    assert result.status == 0
    lines = result.stdout.split("\n")
    # Only our own title and prompt start a line with '#'; nothing starts a block
    # that would swallow the rest of the document.
    assert [ln for ln in lines if ln.lstrip().startswith("#")] == [lines[0], "## Prompt"]
    assert not any(ln.lstrip().startswith(("```", "~~~", "<")) for ln in lines)
    assert not any(set(ln.strip()) <= set("-=*_ ") and ln.strip() for ln in lines)
