"""PortAudio for real, on virtual PulseAudio devices: devices, the player, doctor."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.audio.wav import read_wav
from assistant.core.errors import AudioError
from tests.support.sounds import answer_wav, loud_seconds
from tests.support.virtual_audio import VirtualAudio

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]


def ritual(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own: PortAudio there sees the virtual devices."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_virtual_devices_are_listed_with_the_defaults_marked(
    virtual_audio: VirtualAudio,
) -> None:
    from assistant.audio.devices import find_device, list_devices

    names = {d.name for d in list_devices()}
    assert {"pulse", "default"} <= names
    mic, speaker = find_device(None, "input"), find_device(None, "output")
    assert mic.default_input and speaker.default_output and mic.default_rate > 0
    assert find_device("PULS", "output").name == "pulse"  # a part of the name, any case
    assert find_device(find_device("pulse", "input").index, "input").name == "pulse"


@pytest.mark.parametrize(
    ("device", "message"),
    [
        ("usb headset", r"no microphone has 'usb headset' in its name; found: .*'pulse'"),
        (99, "number 99"),
    ],
)
def test_a_device_that_is_not_there_is_named_with_those_that_are(
    virtual_audio: VirtualAudio, device: str | int, message: str
) -> None:
    from assistant.audio.devices import find_device

    with pytest.raises(AudioError, match=message):
        find_device(device, "input")


def test_the_player_plays_to_the_end_on_the_speaker(
    virtual_audio: VirtualAudio, tmp_path: Path
) -> None:
    from assistant.audio.player import SoundDevicePlayer

    sound, _ = answer_wav(tmp_path / "prompt.wav", "오늘 기분이 어떠세요", lead=0.2, tail=0.2)
    length = read_wav(sound).seconds
    player = SoundDevicePlayer()
    with virtual_audio.record(tmp_path / "heard.wav") as heard:
        started = time.perf_counter()
        player.play(sound)
        took = time.perf_counter() - started
        time.sleep(0.3)
    # returns once played, not once queued (the start of listening depends on it)
    assert length - 0.05 <= took <= length + 1.0
    assert player.played == 1
    assert loud_seconds(heard) == pytest.approx(loud_seconds(sound), abs=0.2)


def test_a_lead_in_of_silence_comes_before_the_sound(
    virtual_audio: VirtualAudio, tmp_path: Path
) -> None:
    """For an HDMI output, which swallows the first few hundred ms of each stream."""
    from assistant.audio.player import SoundDevicePlayer

    sound, _ = answer_wav(tmp_path / "prompt.wav", "네", lead=0.0, tail=0.1)
    player = SoundDevicePlayer(lead_in=0.6)
    with virtual_audio.record(tmp_path / "heard.wav") as heard:
        started = time.perf_counter()
        player.play(sound)
        took = time.perf_counter() - started
        time.sleep(0.3)
    assert took >= read_wav(sound).seconds + 0.55
    assert loud_seconds(heard) == pytest.approx(loud_seconds(sound), abs=0.2)


def test_ritual_devices_lists_inputs_and_outputs(virtual_audio: VirtualAudio) -> None:
    done = ritual("devices", env=virtual_audio.client_env())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Inputs (microphones):"
    assert any(line.startswith("*") and "default" in line and "Hz" in line for line in lines)
    assert "Outputs (speakers):" in lines


def test_ritual_doctor_explains_every_check(
    virtual_audio: VirtualAudio, ko_model: Path, tmp_path: Path
) -> None:
    # The second listen's timing (a model load) is left out: test_polish.py covers it.
    env = {**virtual_audio.client_env(), "RITUAL_POLISH": "off"}
    done = ritual("doctor", "--model", str(ko_model), "--journal", str(tmp_path / "j"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    checks = ("espeak-ng", "PortAudio", "speaker", "speech model", "second listen")
    for what in (*checks, "microphone", "journal"):
        assert any(line.startswith(f"OK  {what}:") for line in lines), done.stdout
    # what this machine is, first: the tests' own PulseAudio is the sound server
    assert lines[0].startswith("OK  machine: ") and "-bit userland" in lines[0]
    assert lines[2].startswith("OK  sound server: PulseAudio"), lines[2]
    # a journal folder others can read is a FIX, with the command that fixes it
    (tmp_path / "open").mkdir(mode=0o755)
    (tmp_path / "open").chmod(0o755)
    done = ritual("doctor", "--model", str(ko_model), "--journal", str(tmp_path / "open"), env=env)
    assert done.returncode == 1
    assert f"FIX journal: {tmp_path / 'open'} can be read by others" in done.stdout
    assert f"chmod 700 {tmp_path / 'open'}" in done.stdout


def test_doctor_without_devices_suggests_text_mode(tmp_path: Path, ko_model: Path) -> None:
    # No sound server at all (and no sound card on the test machines).
    env = {**VirtualAudio(tmp_path).client_env(), "RITUAL_POLISH": "off"}
    env["PULSE_SERVER"] = f"unix:{tmp_path}/nothing-here"
    done = ritual("doctor", "--model", str(ko_model), "--journal", str(tmp_path / "j"), env=env)
    if "OK  microphone" in done.stdout:
        pytest.skip("this machine has a real microphone")
    assert done.returncode == 1
    assert "FIX microphone:" in done.stdout and "--text" in done.stdout


def test_no_portaudio_names_the_package(tmp_path: Path) -> None:
    # sounddevice raises OSError at import when the PortAudio library is not there.
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sounddevice.py").write_text('raise OSError("PortAudio library not found")\n')
    env = {"PYTHONPATH": f"{fake}:{ROOT}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = ritual("devices", env=env)
    assert done.returncode == 1
    assert "PortAudio is not installed" in done.stderr
    assert "sudo apt install libportaudio2" in done.stderr
