"""No sound server at all (Raspberry Pi OS Lite): PortAudio opens ALSA's default
device itself. ALSA's own plugins stand in for a sound card: ``file`` hands the
microphone a recording and keeps what is played, over the ``null`` device."""

from __future__ import annotations

import json
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


HEAR = """
import json
import numpy as np
from assistant.audio.mic import SoundDeviceMic
mic = SoundDeviceMic()
heard = b""
while len(heard) < 2 * 16000 * 2:
    heard += mic.read(timeout=1.0) or b""
mic.close()
x = np.frombuffer(heard, "<i2").astype(float)[1600:]  # past the filter's start
spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
print(json.dumps({
    "rate": mic.rate, "channels": mic.channels, "channel": mic.channel,
    "dbfs": 20 * np.log10(np.sqrt(np.mean(x ** 2)) / 32768),
    "hz": float(np.argmax(spectrum)) * 16000 / len(x),
}))
"""


def test_a_stereo_only_mic_with_one_silent_side_is_heard_whole_at_16k(tmp_path: Path) -> None:
    """A mic HAT: two channels, the microphone on the right, silence on the left, at
    the card's own rate. ritual takes the right side, resampled to 16 kHz."""
    pytest.importorskip("sounddevice", reason="sounddevice is not installed")
    env = bare_alsa(tmp_path)
    rate = 44100  # what PortAudio opens ALSA's default at; the raw file plays at it
    n = 4 * rate
    tone = [int(8000 * math.sin(2 * math.pi * 1000 * i / rate)) for i in range(n)]
    frames = [s for sample in tone for s in (0, sample)]
    (tmp_path / "mic.raw").write_bytes(struct.pack(f"<{len(frames)}h", *frames))
    result = python(HEAR, env)
    if "PortAudio library not found" in result.stderr:
        pytest.skip("PortAudio is not installed (sudo apt install libportaudio2)")
    assert result.returncode == 0, result.stderr
    heard = json.loads(result.stdout)
    assert (heard["rate"], heard["channels"], heard["channel"]) == (rate, 2, 1)
    # a sine of amplitude 8000 is -15.2 dBFS: averaged with the silent side, -21.2
    assert heard["dbfs"] == pytest.approx(-15.2, abs=0.5)
    assert heard["hz"] == pytest.approx(1000, abs=5)
