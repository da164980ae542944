"""Hands-free configuration: wake phrases, the schedule, `ritual check` on a config,
the systemd user unit, and `ritual listen` refusing what it cannot do."""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from assistant import service
from assistant.core.errors import RitualFileError
from assistant.core.hands_free import (
    DEFAULT_WAKE,
    WAKE_SYLLABLES,
    Offer,
    parse_hands_free,
    syllables,
)
from tests.cli import isolated_env, run_cli


def test_wake_phrases_and_schedule_are_read() -> None:
    hands_free = parse_hands_free(
        """
wake:
  en:
    "Ritual, good morning!": morning
  ko:
    "의식 좋은 아침": morning
schedule:
  - {ritual: evening, time: "21:30", weekdays: [Mon, tue]}
  - {ritual: morning, time: 07:05}
offers: {snooze_minutes: 5, snoozes: 1}
"""
    )
    assert hands_free.wake_phrases("en-US") == {"ritual good morning": "morning"}
    assert hands_free.wake_phrases("ko") == {"의식 좋은 아침": "morning"}
    assert hands_free.schedule == (
        Offer("evening", time(21, 30), frozenset({0, 1})),
        Offer("morning", time(7, 5)),  # YAML 1.1 reads 07:05 as a number: still a time
    )
    assert (hands_free.offers.snooze_minutes, hands_free.offers.snoozes) == (5.0, 1)


def test_the_defaults_start_with_a_name_word() -> None:
    hands_free = parse_hands_free("name: Alex\n")
    assert hands_free.wake_phrases("en-us") == DEFAULT_WAKE["en"]
    assert all(p.startswith("ritual ") for p in DEFAULT_WAKE["en"])
    assert hands_free.schedule == ()


def test_every_problem_names_its_line() -> None:
    text = """wake:
  en:
    "hello": evening
    "ritual, write": nowhere
    "good night": evening
schedule:
  - {ritual: evening, time: "25:00"}
  - {ritual: morning, time: "7:30", weekdays: [mon, funday]}
  - {time: "8:00"}
offers: {snooze_minutes: 0, naps: 2}
"""
    with pytest.raises(RitualFileError) as caught:
        parse_hands_free(text, "c.yaml", known_rituals={"morning", "evening"})
    assert [str(p) for p in caught.value.problems] == [
        "c.yaml:3: a wake phrase needs two or more words, starting with a name word "
        "(like 'ritual, good morning'), not 'hello'",
        "c.yaml:4: there is no ritual called 'nowhere' (`ritual list` shows them)",
        "c.yaml:5: a wake phrase starts with the name word 'ritual' (like 'ritual, good night'),"
        " so that ordinary talk does not wake ritual; not 'good night'",
        "c.yaml:7: time is HH:MM on a 24-hour clock (like '21:30'), not '25:00'",
        "c.yaml:8: 'funday' is not a day; use mon, tue, wed, thu, fri, sat, sun",
        "c.yaml:9: a schedule entry needs a ritual and a time (HH:MM)",
        "c.yaml:10: offers: snooze_minutes must be a number from 1 to 240, not 0",
        "c.yaml:10: unknown key 'naps' in offers; known: "
        "('snooze_minutes', 'snoozes', 'grace_minutes')",
    ]


def test_ritual_check_reads_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text("name: Alex\nschedule:\n  - {ritual: evening, time: '21:30'}\n")
    env = isolated_env(tmp_path)
    assert run_cli("check", str(config), env=env).status == 0
    config.write_text("name: Alex\nschedule:\n  - {ritual: evenin, time: '21:30'}\n")
    result = run_cli("check", str(config), env=env)
    assert result.status == 1
    assert f"{config}:3: there is no ritual called 'evenin'" in result.stderr


def test_ritual_check_with_no_files_checks_the_config_and_every_ritual(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    config = tmp_path / "config" / "ritual" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("wake:\n  en:\n    one: morning\n")
    result = run_cli("check", env=env)
    assert result.status == 1
    assert f"{config}:3: a wake phrase needs two or more words" in result.stderr
    config.write_text("name: Alex\n")
    result = run_cli("check", env=env)
    assert result.status == 0, result.stderr
    assert "file(s) OK" in result.stdout and int(result.stdout.split()[0]) >= 5


def test_listen_without_wake_phrases_or_schedule_says_what_to_add(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    result = run_cli("listen", "--no-wake", env=env)
    assert result.status == 1
    assert "add a 'schedule:' to the config file" in result.stderr
    config = tmp_path / "c.yaml"
    config.write_text("language: de\n")
    result = run_cli("--config", str(config), "listen", env=env)
    assert result.status == 1
    assert "there are no wake phrases for de" in result.stderr


def test_listen_names_a_missing_ritual_before_it_starts(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("wake:\n  en:\n    'ritual, sing': karaoke\n")
    result = run_cli("--config", str(config), "listen", env=isolated_env(tmp_path))
    assert result.status == 1
    assert "no ritual called 'karaoke'" in result.stderr


def test_a_second_listener_refuses_to_start_whatever_its_cache(tmp_path: Path) -> None:
    # one lock per user: another cache folder (or state folder) is no way around it
    env = isolated_env(
        tmp_path, RITUAL_CACHE=str(tmp_path / "other-cache"), RITUAL_STATE=str(tmp_path / "s")
    )
    (tmp_path / "state" / "ritual").mkdir(parents=True)
    held = os.open(tmp_path / "state" / "ritual" / "listen.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.write(held, b"4242\n")
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # A real second process, as a user would start one.
        result = subprocess.run(
            [sys.executable, "-m", "assistant", "listen"],
            env={**env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(held)
    assert result.returncode == 1
    assert "ritual listen is already running (pid 4242)" in result.stderr


@pytest.mark.parametrize("planted", ["link", "dangling link", "fifo", "folder"])
def test_the_listen_lock_is_never_written_through_what_is_planted_there(
    tmp_path: Path, planted: str
) -> None:
    runtime = tmp_path / "runtime"
    (runtime / "ritual").mkdir(parents=True)
    lock = runtime / "ritual" / "listen.lock"
    victim = tmp_path / "someone-elses.txt"
    if planted == "link":
        victim.write_text("precious\n")
        os.chmod(victim, 0o644)
        lock.symlink_to(victim)
    elif planted == "dangling link":
        lock.symlink_to(victim)
    elif planted == "fifo":
        os.mkfifo(lock)
    else:
        lock.mkdir()
    env = isolated_env(tmp_path, XDG_RUNTIME_DIR=str(runtime))
    result = run_cli("listen", "--no-wake", env=env)  # stops at once: nothing scheduled
    assert result.status == 1 and "unexpected" not in result.stderr, result.stderr
    if planted == "link":
        assert victim.read_text() == "precious\n" and stat.S_IMODE(victim.stat().st_mode) == 0o644
    if planted == "dangling link":
        assert not victim.exists()
    if planted == "folder":
        assert "cannot take the listen lock" in result.stderr and lock.is_dir()
    else:
        assert "add a 'schedule:'" in result.stderr and stat.S_ISREG(lock.lstat().st_mode)


# -- the systemd user unit ----------------------------------------------------------------


def verify(unit: Path, home: Path) -> subprocess.CompletedProcess[str]:
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return subprocess.run(
        ["systemd-analyze", "--user", "--man=no", "verify", str(unit)],
        env={"PATH": os.environ["PATH"], "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (Debian package systemd)",
)
def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = tmp_path / service.UNIT_NAME
    unit.write_text(service.unit_text(service.listen_command(["--config", "/my conf/100%.yaml"])))
    result = verify(unit, tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    # The check can fail: a unit whose program does not exist is refused.
    unit.write_text(service.unit_text(["/nonexistent/python", "-m", "assistant", "listen"]))
    assert verify(unit, tmp_path).returncode == 1


def test_the_unit_runs_listen_with_this_interpreter_and_stops_cleanly() -> None:
    text = service.unit_text(service.listen_command(["--no-wake"]))
    assert f"ExecStart={sys.executable} -m assistant listen --no-wake" in text
    assert "Restart=on-failure" in text and "KillSignal=SIGTERM" in text
    assert "WantedBy=default.target" in text
    assert service.unit_text(["/a b/python", "100%"]).count('"/a b/python" 100%%') == 1


def unit_lines(text: str, key: str) -> list[str]:
    """Every name a unit's ``key=`` lines list."""
    return [
        n
        for line in text.splitlines()
        if line.startswith(f"{key}=")
        for n in line[len(key) + 1 :].split()
    ]


def test_the_unit_waits_for_whichever_sound_server_there_is_and_requires_none() -> None:
    text = service.unit_text(service.listen_command([]))
    after = unit_lines(text, "After")
    # PipeWire: the daemon, its pulse server and the session manager that links the mic;
    # PulseAudio; bare ALSA (Raspberry Pi OS Lite): the user manager's sound.target
    for wanted in ("pipewire.service", "pipewire-pulse.service", "wireplumber.service",
                   "pulseaudio.service", "sound.target"):  # fmt: skip
        assert wanted in after
    # never a requirement: each machine has one of them, or none
    for key in ("Requires", "Wants", "BindsTo", "Requisite"):
        assert unit_lines(text, key) == []


USER_UNITS = Path("/usr/lib/systemd/user")


SHIPPED_WITH = {"sound.target": "systemctl", "wireplumber.service": "wireplumber"}
"""the program whose package ships a unit (else the unit's name before the dot)"""


@pytest.mark.parametrize("unit", service.SOUND_UNITS)
def test_each_unit_waited_for_is_one_debian_ships(unit: str) -> None:
    """A misspelt name in After= is no error to systemd, only no wait: each name is
    checked against the units of the installed packages."""
    program = SHIPPED_WITH.get(unit, unit.split(".")[0])
    if shutil.which(program) is None or not USER_UNITS.is_dir():
        pytest.skip(f"{program} is not installed here: its units cannot be looked at")
    assert (USER_UNITS / unit).exists()


@pytest.mark.skipif(shutil.which("systemctl") is None, reason="systemctl is not installed")
def test_service_install_status_and_remove(tmp_path: Path) -> None:
    env = isolated_env(tmp_path, RITUAL_MODELS_DIR=str(tmp_path / "no-models"))
    unit = tmp_path / "config" / "systemd" / "user" / service.UNIT_NAME
    # No speech model here: a service that would fail at once is refused, with why.
    refused = run_cli("service", "install", env=env)
    assert refused.status == 1 and not unit.exists()
    assert "the service could not start: no speech model for en-us" in refused.stderr
    assert "install anyway with --force" in refused.stderr
    result = run_cli("service", "install", "--force", env=env)
    assert result.status == 0, result.stderr
    assert unit.is_file()
    assert f"wrote {unit}" in result.stdout
    enabled = subprocess.run(
        ["systemctl", "--user", "is-enabled", service.UNIT_NAME],
        env=env,
        capture_output=True,
        text=True,
    )
    assert enabled.stdout.strip() == "enabled"  # systemd itself says so
    status = run_cli("service", "status", env=env)
    assert service.UNIT_NAME in status.stdout
    doctor = run_cli("doctor", env=env)
    assert "service: installed, but it cannot start: no speech model" in doctor.stdout.replace(
        "✗ ", ""
    ), doctor.stdout
    removed = run_cli("service", "remove", env=env)
    assert removed.status == 0 and not unit.exists()
    assert "not installed" in run_cli("service", "status", env=env).stdout


def test_a_wake_phrase_too_long_to_be_heard_is_a_problem() -> None:
    long = "ritual please begin my wonderful morning meditation now"
    text = f"wake:\n  en:\n    '{long}': morning\n    'ritual good morning': morning\n"
    with pytest.raises(RitualFileError) as caught:
        parse_hands_free(text, "c.yaml")
    [problem] = caught.value.problems
    assert f"c.yaml:3: the wake phrase '{long}' is too long to be heard" in str(problem)
    for phrases in DEFAULT_WAKE.values():
        for phrase in phrases:
            assert syllables(phrase) <= WAKE_SYLLABLES
    assert syllables("의식 마무리") == 5 and syllables("ritual good night") == 4


def test_a_lock_folder_that_belongs_to_someone_else_is_not_used(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("making a folder that belongs to another user needs root")
    shared = tmp_path / "shared"
    (shared / "ritual").mkdir(parents=True)
    os.chown(shared / "ritual", 65534, 65534)  # nobody's
    result = run_cli("listen", "--no-wake", env=isolated_env(tmp_path, XDG_RUNTIME_DIR=str(shared)))
    assert result.status == 1 and "belongs to someone else" in result.stderr, result.stderr
    assert list((shared / "ritual").iterdir()) == []
