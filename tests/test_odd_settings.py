"""Odd settings, rituals, reframes and folders: a clear message naming the fix, at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.core.journal import parse_entry
from assistant.core.reframe import MATCH_SECONDS, parse_reframes
from tests.cli import ROOT, Result, isolated_env, run_cli
from tests.test_cli import journal_files

REFRAME_ASK = "title: Reframed\nsteps:\n  - ask: How was it?\n    id: how\n    reframe: true\n"


def clean(result: Result) -> bool:
    return "unexpected error" not in result.stderr and "Traceback" not in result.stderr


# -- reframe patterns that backtrack --------------------------------------------------------


def reframes_with(pattern: str) -> str:
    return f"en:\n  - name: risky\n    patterns: ['{pattern}']\n    follow_up: And then?\n"


@pytest.mark.parametrize("pattern", ["^(a+)+$", "(\\w+\\s?)*x", "(a{1,9}){2,}", "(a)\\1"])
def test_check_refuses_a_pattern_that_can_backtrack_for_ever(tmp_path: Path, pattern: str) -> None:
    path = tmp_path / "reframes.yaml"
    path.write_text(reframes_with(pattern))
    result = run_cli("check", str(path), env=isolated_env(tmp_path))
    assert result.status == 1 and clean(result), result.stderr
    assert f"{path}:2: pattern" in result.stderr
    assert "could take for ever" in result.stderr


def test_bundled_patterns_and_ordinary_ones_pass(tmp_path: Path) -> None:
    bundled = run_cli("check", str(ROOT / "rituals" / "reframes.yaml"), env=isolated_env(tmp_path))
    assert bundled.status == 0, bundled.stderr
    for pattern in ("\\bi (?:always|never) fail\\b", "(?:so |very )*tired", "a{3}", "(ab){2}"):
        parse_reframes(reframes_with(pattern))


def test_a_slow_pattern_that_passes_check_is_cut_off_at_run_time(tmp_path: Path) -> None:
    # Overlapping alternatives under a repeat are not caught by the scan; the time
    # limit is what bounds them (without it this answer takes longer than a lifetime).
    rituals = tmp_path / "config" / "ritual" / "rituals"
    rituals.mkdir(parents=True)
    (rituals / "reframes.yaml").write_text(reframes_with("(a|a)*b"))
    (rituals / "reframed.yaml").write_text(REFRAME_ASK)
    journal = tmp_path / "journal"
    began = time.monotonic()
    result = run_cli(
        "run", "reframed", "--text", "--journal", str(journal),
        env=isolated_env(tmp_path), stdin="a" * 60 + "\n",
    )  # fmt: skip
    assert time.monotonic() - began < MATCH_SECONDS + 5
    assert result.status == 0 and clean(result), result.stderr
    assert "took too long" in result.stderr and "And then?" not in result.stdout
    assert parse_entry(journal_files(journal)[0].read_text()).answers[0].text == "a" * 60


def test_a_matching_pattern_still_asks_its_follow_up(tmp_path: Path) -> None:
    rituals = tmp_path / "config" / "ritual" / "rituals"
    rituals.mkdir(parents=True)
    (rituals / "reframes.yaml").write_text(reframes_with("(?:so |very )*tired"))
    (rituals / "reframed.yaml").write_text(REFRAME_ASK)
    result = run_cli(
        "run", "reframed", "--text", "--journal", str(tmp_path / "j"),
        env=isolated_env(tmp_path), stdin="I am so very tired\nA nap.\n",
    )  # fmt: skip
    assert result.status == 0 and "And then?" in result.stdout


def test_a_binary_user_reframes_file_is_named(tmp_path: Path) -> None:
    rituals = tmp_path / "config" / "ritual" / "rituals"
    rituals.mkdir(parents=True)
    (rituals / "reframes.yaml").write_bytes(b"\xff\xfe\x00binary")
    env = isolated_env(tmp_path)
    result = run_cli("run", "morning", "--text", "--journal", str(tmp_path / "j"), env=env)
    assert result.status == 1 and clean(result), result.stderr
    assert "reframes.yaml: not a text file" in result.stderr
    checked = run_cli("check", str(rituals / "reframes.yaml"), env=env)
    assert checked.status == 1 and "not a text file" in checked.stderr


# -- the config file and the environment ----------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("journal: 123\n", "config.yaml:1: journal is a folder"),
        ("name: x\njournal: [a, b]\n", "config.yaml:2: journal is a folder"),
        ("journal: ''\n", "config.yaml:1: journal is a folder"),
        ("name: [a, b]\n", "config.yaml:1: name is a text"),
        ("model: 5\n", "config.yaml:1: model is a folder"),
        ("models_dir: {a: 1}\n", "config.yaml:1: models_dir is a folder"),
        ("\n\ninput_device: true\n", "config.yaml:3: a device is a number or a part of its name"),
        ("keep_audio: 'no'\n", "config.yaml:1: keep_audio is true or false"),
        ("name: x\npolish: sometimes\n", "config.yaml:2: polish is one of auto, background"),
        ("lead_in: 5\n", "config.yaml:1: lead_in is seconds of silence"),
        ("lead_in: yes\n", "config.yaml:1: lead_in is seconds of silence"),
        ("name: x\nmic_channel: middle\n", "config.yaml:2: mic_channel is auto, left, right"),
        ("voice: {name: 5}\n", "config.yaml:1: the voice name is a text"),
        ("journal: ~nouser-here/j\n", "config.yaml:1: cannot expand ~nouser-here"),
        ("name: x\nfoo: 1\n", "config.yaml:2: unknown setting 'foo'"),
        ("date: 2026-13-45\n", "config.yaml:1: cannot read this setting"),
    ],
)
def test_a_config_value_of_the_wrong_type_is_named_by_line(
    tmp_path: Path, config: str, message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(config)
    before = set(Path.cwd().iterdir())
    result = run_cli("journal", "list", "--config", str(path), env=isolated_env(tmp_path))
    assert result.status == 1 and clean(result), result.stderr
    assert message in result.stderr
    assert set(Path.cwd().iterdir()) == before  # nothing made in the current folder


def test_relative_folders_in_the_config_are_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "settings"
    folder.mkdir()
    (folder / "config.yaml").write_text("journal: my-journal\n")
    env = isolated_env(tmp_path, RITUAL_CONFIG=str(folder / "config.yaml"))
    result = run_cli("run", "journal", "--text", env=env, stdin="Here.\n")
    assert result.status == 0, result.stderr
    assert len(journal_files(folder / "my-journal")) == 1


def test_an_empty_journal_flag_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli("journal", "list", "--journal", "", env=isolated_env(tmp_path))
    assert result.status == 2 and "an empty path" in capsys.readouterr().err


def test_a_journal_under_an_unknown_user_is_named(tmp_path: Path) -> None:
    env = isolated_env(tmp_path, RITUAL_JOURNAL="~nouser-here/j")
    result = run_cli("run", "journal", "--text", env=env, stdin="Hi.\n")
    assert result.status == 1 and clean(result), result.stderr
    assert "RITUAL_JOURNAL: cannot expand ~nouser-here" in result.stderr
    assert not Path("~nouser-here").exists()


def test_an_empty_ritual_config_variable_means_the_usual_file(tmp_path: Path) -> None:
    usual = tmp_path / "config" / "ritual" / "config.yaml"
    usual.parent.mkdir(parents=True)
    usual.write_text("journal: 7\n")
    result = run_cli("journal", "list", env=isolated_env(tmp_path, RITUAL_CONFIG=""))
    assert result.status == 1 and f"{usual}:1: journal is a folder" in result.stderr


# -- folders and files that are not what they seem -----------------------------------------


def test_a_fifo_named_like_a_ritual_does_not_hang_list(tmp_path: Path) -> None:
    rituals = tmp_path / "config" / "ritual" / "rituals"
    rituals.mkdir(parents=True)
    os.mkfifo(rituals / "evening.yaml")
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "list"],
        cwd=ROOT,
        env={**isolated_env(tmp_path), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert "evening" in proc.stdout and "[bundled" in proc.stdout.split("evening")[1]


def test_a_broken_model_is_named_before_anything_is_spoken(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage-model"
    for part in ("am/final.mdl", "conf/model.conf"):
        (garbage / part).parent.mkdir(parents=True, exist_ok=True)
        (garbage / part).write_bytes(os.urandom(64))
    events = tmp_path / "events.jsonl"
    result = run_cli(
        "run", "morning", "--model", str(garbage), "--journal", str(tmp_path / "j"),
        "--events", str(events), env=isolated_env(tmp_path),
    )  # fmt: skip
    assert result.status == 1 and clean(result), result.stderr
    assert f"{garbage} is incomplete" in result.stderr and "graph/" in result.stderr
    assert not events.exists() or "speaking" not in events.read_text()


def test_show_with_an_impossible_date_says_so_even_on_an_empty_journal(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    result = run_cli("journal", "show", "2026-13-45", "--journal", str(tmp_path / "j"), env=env)
    assert result.status == 2 and "'2026-13-45' is not a date" in result.stderr


def test_a_journal_that_is_a_file_is_named(tmp_path: Path) -> None:
    journal = tmp_path / "journal.md"
    journal.write_text("my notes\n")
    for command in (["journal", "list"], ["journal", "export"], ["run", "journal", "--text"]):
        result = run_cli(*command, "--journal", str(journal), env=isolated_env(tmp_path))
        assert result.status == 1 and clean(result), (command, result.stderr)
        assert str(journal) in result.stderr and ("a file" in result.stderr), result.stderr
    assert journal.read_text() == "my notes\n"


def test_check_takes_a_file_with_only_shared_keys_for_a_ritual(tmp_path: Path) -> None:
    # Found by the property tests: `language` and `voice` are keys of a ritual and of
    # the config, so a broken ritual holding only them was checked as a config, "OK".
    path = tmp_path / "mine.yaml"
    path.write_text("language:\n")
    result = run_cli("check", str(path), env=isolated_env(tmp_path))
    assert result.status == 1 and f"{path}:1: the ritual has no 'title'" in result.stderr
