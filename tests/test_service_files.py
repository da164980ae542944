"""``ritual service``: the unit file is ritual's own and says exactly what was checked.
A planted link is replaced, never written through; a folder, a hand-edited unit and
odd characters in a path are said, not stepped over."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant import safe_files, service
from tests.cli import isolated_env, run_cli

pytestmark = pytest.mark.skipif(
    shutil.which("systemctl") is None, reason="systemctl is not installed (service install)"
)


def unit_of(home: Path) -> Path:
    return home / "config" / "systemd" / "user" / service.UNIT_NAME


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "my config.yaml"
    config.write_text("schedule:\n  - {ritual: morning, time: '07:30'}\n")
    return isolated_env(tmp_path, RITUAL_CONFIG=str(config), RITUAL_JOURNAL="~/diary")


def install(env: dict[str, str]) -> tuple[int, str, str]:
    # --force: these tests are about the unit file, on a machine with no model or speaker
    result = run_cli("service", "install", "--no-wake", "--force", env=env)
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
    return result.status, result.stdout, result.stderr


def test_the_unit_runs_with_the_config_and_journal_install_checked(
    env: dict[str, str], tmp_path: Path
) -> None:
    status, _, err = install({**env, 'RITUAL_ODD" NAME': "x", "RITUAL_%h": "y"})
    assert status == 0, err
    text = unit_of(tmp_path).read_text()
    assert "ODD" not in text and "%h" not in text  # only names systemd takes as they are
    assert f'Environment="RITUAL_CONFIG={tmp_path}/my config.yaml"' in text
    assert f'Environment="RITUAL_JOURNAL={tmp_path}/diary"' in text


def test_links_at_the_unit_and_its_temp_name_are_never_written_through(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    unit = unit_of(tmp_path)
    unit.parent.mkdir(parents=True)
    unit.symlink_to(victim)
    status, _, err = install(env)
    assert status == 0, err
    assert victim.read_text() == "precious\n" and not unit.is_symlink()
    # a link waiting at the temporary name: the exclusive create refuses it
    monkeypatch.setattr(safe_files, "temp_name", lambda name: f".{name}.0000beef.tmp")
    (unit.parent / f".{service.UNIT_NAME}.0000beef.tmp").symlink_to(victim)
    unit.unlink()
    status, _, err = install(env)
    assert status == 1 and "cannot write" in err
    assert victim.read_text() == "precious\n" and not unit.exists()


def test_a_hand_edited_unit_is_kept_and_said(env: dict[str, str], tmp_path: Path) -> None:
    unit = unit_of(tmp_path)
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/bin/true\n# mine\n")
    status, out, err = install(env)
    assert status == 0, err
    assert "kept it as" in out
    assert unit.with_name(service.UNIT_NAME + ".before").read_text().endswith("# mine\n")
    status, out, _ = install(env)
    assert status == 0 and "kept it as" not in out  # ritual's own unit: replaced quietly


def test_a_folder_at_the_unit_path_is_said_by_every_action(
    env: dict[str, str], tmp_path: Path
) -> None:
    unit = unit_of(tmp_path)
    unit.mkdir(parents=True)
    for action in ("install", "remove", "status"):
        result = run_cli(
            "service",
            action,
            *(["--no-wake", "--force"] if action == "install" else []),
            env=env,
        )
        assert result.status == 1 and "is a folder, not a unit" in result.stderr, result.stderr
        assert unit.is_dir()


def test_odd_characters_in_paths_are_taken_literally_or_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    text = service.unit_text(["/opt/py", "--journal", "/d/${HOME}/%h/$x"], {"RITUAL_X": "%u$y"})
    assert "/d/$${HOME}/%%h/$$x" in text and 'Environment="RITUAL_X=%%u$y"' in text
    journal = tmp_path / "two\nlines"
    status, _, err = install({**env, "RITUAL_JOURNAL": str(journal)})
    assert status == 1 and "newline" in err and not unit_of(tmp_path).exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_a_unit_with_odd_characters_passes_systemd_analyze(tmp_path: Path) -> None:
    unit = tmp_path / service.UNIT_NAME
    command = service.listen_command(["--journal", '/a "b"/${HOME}/100%/c\\d;e'])
    unit.write_text(service.unit_text(command, {"RITUAL_CONFIG": '/x/"y"/50%\\z'}))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    result = subprocess.run(
        ["systemd-analyze", "--user", "--man=no", "verify", str(unit)],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")
