"""Every number a user gives has one range, shared by the parser and ``ritual check``:
what check calls fine runs, and nothing huge reaches a date sum or SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.ranges import RETENTION_DAYS, SEARCH_LIMIT
from tests.cli import isolated_env, run_cli


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ("retention:\n  entries_days: 740000\n", "retention.entries_days is a whole number from 1"),
        ("retention:\n  audio_days: 7.5\n", "retention.audio_days is a whole number from 1"),
        ("offers: {snoozes: 2.5}\n", "offers: snoozes must be a whole number from 0 to 10"),
        ("offers: {grace_minutes: .nan}\n", "offers: grace_minutes must be a number from 1"),
        (
            "schedule:\n  - {ritual: evening, time: '21:30', weekdays: [monkey]}\n",
            "'monkey' is not a day",
        ),
    ],
)
def test_check_and_every_command_refuse_the_same_numbers(
    tmp_path: Path, config: str, said: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(config)
    env = isolated_env(tmp_path, RITUAL_CONFIG=str(path))
    checked = run_cli("check", str(path), env=env)
    assert checked.status == 1 and said in checked.stderr, checked.stderr
    ran = run_cli("run", "morning", "--text", env=env, stdin="fine\n" * 12)
    assert ran.status == 1 and "unexpected" not in ran.stderr, ran.stderr


def test_the_largest_values_in_range_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"retention:\n  entries_days: {RETENTION_DAYS.high}\n"
        "schedule:\n  - {ritual: evening, time: '21:30', weekdays: [Monday, sun]}\n"
    )
    env = isolated_env(tmp_path, RITUAL_CONFIG=str(path))
    assert run_cli("check", str(path), env=env).status == 0
    ran = run_cli("run", "morning", "--text", env=env, stdin="fine\n" * 12)
    assert ran.status == 0, ran.stderr
    found = run_cli("journal", "search", "fine", "--limit", str(SEARCH_LIMIT.high), env=env)
    assert found.status == 0, found.stderr
    huge = run_cli("journal", "search", "fine", "--limit", str(10**30), env=env)
    assert huge.status == 2 and "is not a whole number from 1 to" in capsys.readouterr().err
