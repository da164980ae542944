"""The command line, end to end in text mode (no mic, no model)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from assistant.core.journal import parse_entry
from tests.cli import ROOT, Result, isolated_env, run_cli, spawn_cli

MORNING_ANSWERS = [
    "Calm, a little sleepy.",
    "A four, I think.",
    "In my shoulders.",
    "A slow breakfast.",
    "I'll take a walk at lunch.",
    "Finishing the report.",
    "Be patient with myself.",
    "keep",
]


def journal_files(root: Path) -> list[Path]:
    return sorted(root.glob("*/*/*.md"))


def run_typed(ritual: str, journal: Path, env: dict[str, str], answers: list[str]) -> Result:
    """``ritual run RITUAL --text`` with ``answers`` typed, one per line."""
    return run_cli(
        "run", ritual, "--text", "--journal", str(journal),
        env=env, stdin="".join(a + "\n" for a in answers),
    )  # fmt: skip


def test_text_mode_morning_writes_one_dated_entry(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    result = run_typed("morning", journal, isolated_env(tmp_path), MORNING_ANSWERS)
    assert result.status == 0, result.stderr
    assert "How are you feeling" in result.stdout
    [path] = journal_files(journal)
    assert path.name.endswith("-morning.md")
    front = yaml.safe_load(path.read_text().split("---\n")[1])
    assert (
        front["ritual"] == "morning" and front["status"] == "complete" and front["model"] == "text"
    )
    entry = parse_entry(path.read_text())
    answered = [a.text for a in entry.answers]
    assert answered == MORNING_ANSWERS[:7]
    assert front["mood"] == 4 and entry.answer("mood").number == 4  # type: ignore[union-attr]
    assert "Four out of five." in result.stdout
    sections = [line for line in path.read_text().splitlines() if line.startswith("## ")]
    assert len(sections) == 7
    assert f"Saved to {path}" in result.stderr


def typed_morning(env: dict[str, str], journal: str) -> None:
    result = run_typed("morning", Path(journal), env, MORNING_ANSWERS)
    assert result.status == 0, result.stderr


def test_text_mode_evening_recalls_the_morning_intention(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    journal = str(tmp_path / "journal")
    typed_morning(env, journal)
    result = run_typed("evening", Path(journal), env, ["It went well.", "stop"])
    assert "Be patient with myself" in result.stdout
    evening = [p for p in journal_files(tmp_path / "journal") if "evening" in p.name]
    entry = parse_entry(evening[0].read_text())
    assert entry.status == "stopped"
    assert entry.answers[0].text == "It went well."


def test_typed_commands_work(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    result = run_typed(
        "morning", journal, isolated_env(tmp_path), ["skip", "skip", "repeat", "Here.", "stop"]
    )
    assert result.status == 0
    assert result.stdout.count("Where do you feel that?") == 2
    entry = parse_entry(journal_files(journal)[0].read_text())
    assert [(a.id, a.state) for a in entry.answers] == [
        ("feeling", "skipped"),
        ("mood", "skipped"),
        ("body", "answered"),
    ]
    assert entry.status == "stopped"


def test_events_are_json_lines(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    run_cli(
        "run",
        "journal",
        "--text",
        "--journal",
        str(tmp_path / "j"),
        "--events",
        str(events),
        env=isolated_env(tmp_path),
        stdin="Lots on my mind.\n",
    )
    records = [json.loads(line) for line in events.read_text().splitlines()]
    assert all("event" in r and isinstance(r["time"], float) for r in records)
    names = [r["event"] for r in records]
    assert names[0] == "saved" and names[-1] == "done"
    assert {"speaking", "listening", "heard", "saved"} <= set(names)
    assert records[-1]["status"] == "complete"
    heard = [r for r in records if r["event"] == "heard"]
    assert heard == [
        {"event": "heard", "time": heard[0]["time"], "step": "journal", "text": "Lots on my mind."}
    ]


def test_unknown_ritual_lists_what_exists(tmp_path: Path) -> None:
    result = run_cli("run", "mornin", "--text", env=isolated_env(tmp_path))
    assert result.status == 1
    assert "no ritual called 'mornin'" in result.stderr and "morning" in result.stderr


def test_list_shows_user_rituals_before_bundled(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    mine = tmp_path / "config" / "ritual" / "rituals"
    mine.mkdir(parents=True)
    (mine / "morning.yaml").write_text("title: My own morning\nsteps:\n  - say: hi\n")
    result = run_cli("list", env=env)
    assert result.status == 0
    lines = result.stdout.splitlines()
    morning = next(line for line in lines if line.startswith("morning"))
    assert "My own morning" in morning and "yours" in morning
    assert any(line.startswith("evening") and "bundled" in line for line in lines)
    assert not any(line.startswith("reframes") for line in lines)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli("run", env=isolated_env(tmp_path)).status == 2
    assert run_cli("frobnicate", env=isolated_env(tmp_path)).status == 2


def fill_journal(tmp_path: Path) -> tuple[dict[str, str], str]:
    env = isolated_env(tmp_path)
    journal = str(tmp_path / "journal")
    typed_morning(env, journal)
    run_cli(
        "run", "journal", "--text", "--journal", journal, env=env, stdin="The garden needs water.\n"
    )
    return env, journal


def test_journal_list_show_search(tmp_path: Path) -> None:
    env, journal = fill_journal(tmp_path)
    listed = run_cli("journal", "list", "--journal", journal, env=env)
    assert listed.status == 0
    assert len(listed.stdout.splitlines()) == 2 and "7/7 answered" in listed.stdout
    shown = run_cli("journal", "show", "today", "--journal", journal, env=env)
    assert "In my shoulders." in shown.stdout and "The garden needs water." in shown.stdout
    found = run_cli("journal", "search", "GARDEN", "water", "--journal", journal, env=env)
    assert "The garden needs water." in found.stdout and "shoulders" not in found.stdout
    assert (
        "Nothing found."
        in run_cli("journal", "search", "zebra", "--journal", journal, env=env).stdout
    )
    bad = run_cli("journal", "show", "someday", "--journal", journal, env=env)
    assert bad.status == 2 and "not a date" in bad.stderr


def test_journal_export_md_and_json(tmp_path: Path) -> None:
    env, journal = fill_journal(tmp_path)
    md = run_cli("journal", "export", "--format", "md", "--journal", journal, env=env).stdout
    assert md.startswith("# Morning check-in, ") and "## How are you feeling right now?" in md
    data = json.loads(
        run_cli("journal", "export", "--format", "json", "--journal", journal, env=env).stdout
    )
    assert [e["ritual"] for e in data] == ["morning", "journal"]
    assert data[0]["answers"][0]["text"] == "Calm, a little sleepy."
    assert data[0]["answers"][1]["number"] == 4 and "number" not in data[0]["answers"][0]


def test_jrnl_export_imports_into_real_jrnl(tmp_path: Path) -> None:
    jrnl = shutil.which("jrnl") or str(Path(__import__("sys").executable).parent / "jrnl")
    if not Path(jrnl).exists():
        pytest.skip("the jrnl package is not installed (pip install jrnl)")
    env, journal = fill_journal(tmp_path)
    export = tmp_path / "export.txt"
    result = run_cli(
        "journal",
        "export",
        "--format",
        "jrnl",
        "--output",
        str(export),
        "--journal",
        journal,
        env=env,
    )
    assert result.status == 0
    config = tmp_path / "jrnl.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "colors": {"body": "none", "date": "none", "tags": "none", "title": "none"},
                "default_hour": 9,
                "default_minute": 0,
                "editor": "",
                "encrypt": False,
                "highlight": False,
                "indent_character": "|",
                "linewrap": 79,
                "journals": {"default": {"journal": str(tmp_path / "jrnl.txt")}},
                "tagsymbols": "#@",
                "template": False,
                "timeformat": "%Y-%m-%d %H:%M",
                "version": "v4.6",
            }
        )
    )
    jenv = {**env, "HOME": str(tmp_path)}
    base = [jrnl, "--config-file", str(config)]
    imported = subprocess.run(
        [*base, "--import", "--file", str(export)],
        env=jenv,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    out = subprocess.run(
        [*base, "--format", "json"],
        env=jenv,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    data = json.loads(out.stdout)
    bodies = {e["title"]: e["body"] for e in data["entries"]}
    assert len(bodies) == 2 and "Morning check-in." in bodies
    assert "In my shoulders." in bodies["Morning check-in."]
    assert any("The garden needs water." in body for body in bodies.values())
    assert set(data["tags"]) >= {"@ritual", "@morning", "@journal"}


def wait_for_event(events: Path, name: str, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if events.exists():
            names = [json.loads(x)["event"] for x in events.read_text().splitlines() if x.strip()]
            if names.count(name) >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"no {count} × {name} in {events}")


def answer_typed_morning(tmp_path: Path, answers: list[str]) -> subprocess.Popen[str]:
    """A text-mode morning ritual in its own process, given ``answers`` one by one;
    returns once the question after the last answer is open (all answers saved)."""
    events = tmp_path / "events.jsonl"
    proc = spawn_cli(
        "run", "morning", "--text", "--journal", str(tmp_path / "journal"),
        "--events", str(events), env=isolated_env(tmp_path),
    )  # fmt: skip
    assert proc.stdin is not None
    for n, answer in enumerate(answers, start=1):
        wait_for_event(events, "listening", n)
        proc.stdin.write(answer + "\n")
        proc.stdin.flush()
    wait_for_event(events, "listening", len(answers) + 1)
    return proc


def test_sigkill_after_two_answers_leaves_both_on_disk(tmp_path: Path) -> None:
    proc = answer_typed_morning(tmp_path, ["First answer.", "Second answer."])
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    [path] = journal_files(tmp_path / "journal")
    entry = parse_entry(path.read_text())
    assert [a.text for a in entry.answers] == ["First answer.", "Second answer."]
    assert entry.status == "in-progress"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 130)])
def test_interrupt_saves_as_stopped(tmp_path: Path, sig: signal.Signals, status: int) -> None:
    journal = tmp_path / "journal"
    proc = answer_typed_morning(tmp_path, ["Kept answer."])
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == status
    assert "Traceback" not in err and "interrupted" in err
    entry = parse_entry(journal_files(journal)[0].read_text())
    assert entry.status == "stopped" and entry.answers[0].text == "Kept answer."


def test_python_m_assistant_and_help_need_no_engines(tmp_path: Path) -> None:
    proc = subprocess.run(
        [__import__("sys").executable, "-X", "importtime", "-m", "assistant", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**isolated_env(tmp_path), "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0 and "run" in proc.stdout
    imported = proc.stderr
    for engine in ("vosk", "sounddevice", "pyttsx3", "soxr"):
        assert f" {engine}\n" not in imported and f" {engine}." not in imported


@pytest.mark.parametrize(
    "argv",
    [
        ["--journal", "{j}", "journal", "list"],
        ["journal", "--journal", "{j}", "list"],
        ["journal", "list", "--journal", "{j}"],
        ["--journal", "{elsewhere}", "journal", "list", "--journal", "{j}"],
    ],
)
def test_global_options_work_before_or_after_the_command(tmp_path: Path, argv: list[str]) -> None:
    env, journal = isolated_env(tmp_path), tmp_path / "journal"
    run_typed("journal", journal, env, ["Hello."])
    args = [a.format(j=journal, elsewhere=tmp_path / "elsewhere") for a in argv]
    result = run_cli(*args, env=env)
    assert result.status == 0 and "1/1 answered" in result.stdout, result
