"""No sound server at all (Raspberry Pi OS Lite): PortAudio opens ALSA's default
device itself. ALSA's own plugins stand in for a sound card: ``file`` hands the
microphone a recording and keeps what is played, over the ``null`` device."""

from __future__ import annotations

import math
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.audio.wav import write_wav
from tests.cli import ROOT

pytestmark = pytest.mark.engine

RATE = 16000


def bare_alsa(tmp_path: Path) -> dict[str, str]:
    """An environment with no PulseAudio or PipeWire to find, and an ~/.asoundrc whose
    default device reads ``mic.raw`` and writes ``played.raw``."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text(
        "pcm.!default {\n  type file\n  slave.pcm null\n"
        f'  file "{tmp_path / "played.raw"}"\n  infile "{tmp_path / "mic.raw"}"\n'
        "  format raw\n}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULSE_", "PIPEWIRE_"))}
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    return {**env, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}


def python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """In a process of its own: ALSA reads ~/.asoundrc once, when PortAudio starts."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_without_a_sound_server_ritual_plays_and_hears_through_alsa(tmp_path: Path) -> None:
    pytest.importorskip("sounddevice", reason="sounddevice is not installed")
    env = bare_alsa(tmp_path)
    tone = [int(8000 * math.sin(2 * math.pi * 440 * n / 44100)) for n in range(44100 * 3)]
    (tmp_path / "mic.raw").write_bytes(struct.pack(f"<{len(tone)}h", *tone))
    doctor = subprocess.run(
        [sys.executable, "-m", "assistant", "doctor", "--journal", str(tmp_path / "j")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "FIX PortAudio" in doctor.stdout:
        pytest.skip("PortAudio is not installed (sudo apt install libportaudio2)")
    lines = doctor.stdout.splitlines()
    assert "OK  sound server: none (bare ALSA)" in doctor.stdout, doctor.stdout
    assert any(line.startswith("OK  speaker: ") and "'default'" in line for line in lines)
    # the recording's level: a sine of amplitude 8000 is -15 dBFS
    assert any(line.startswith("OK  microphone: ") and "-15 dBFS" in line for line in lines)

    (tmp_path / "played.raw").unlink()  # the doctor's own listening is written there too
    sound = tmp_path / "prompt.wav"
    samples = [int(6000 * math.sin(2 * math.pi * 300 * n / RATE)) for n in range(RATE)]
    write_wav(sound, struct.pack(f"<{RATE}h", *samples), RATE)
    played = python(
        "from pathlib import Path\nfrom assistant.audio.player import SoundDevicePlayer\n"
        f"SoundDevicePlayer().play(Path({str(sound)!r}))\n",
        env,
    )
    assert played.returncode == 0, played.stderr
    heard = (tmp_path / "played.raw").read_bytes()
    out = struct.unpack(f"<{len(heard) // 2}h", heard[: len(heard) // 2 * 2])
    loud = [s for s in out if abs(s) > 1000]
    # the whole second reached the "card": 89 % of a sine's samples are above a sixth
    # of its peak (more of them if the device was opened at a higher rate)
    assert len(loud) >= 0.85 * RATE
    assert max(abs(s) for s in out) == pytest.approx(6000, abs=400)
