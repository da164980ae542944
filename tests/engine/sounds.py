"""Test audio made with the real espeak-ng, and measuring what was heard."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.resample import to_mono_16k
from assistant.audio.wav import read_wav, write_wav

RATE = 16000
NOISE = 30.0
"""a faint noise floor (about -60 dBFS): real mics never give digital silence, and
Vosk's grammar mode misses words after exact zeros (docs/engines.md measured with it)"""


def need_espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        pytest.skip("espeak-ng is not installed (sudo apt install espeak-ng)")
    return path


def spoken(text: str, voice: str = "ko", rate: int | None = None) -> np.ndarray:
    """``text`` spoken by espeak-ng (at ``rate`` words per minute), as 16 kHz mono
    float samples."""
    espeak = need_espeak()
    speed = ["-s", str(rate)] if rate else []
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run([espeak, "-v", voice, *speed, "-w", str(raw), text], check=True)
        audio = read_wav(raw)
    return np.frombuffer(to_mono_16k(audio.frames, audio.rate), dtype="<i2").astype(float)


def answer_wav(
    out: Path, *texts: str, lead: float = 0.8, gap: float = 0.8, tail: float = 0.5, seed: int = 0
) -> tuple[Path, float]:
    """A WAV of ``texts`` spoken in turn, over a noise floor; returns it and the
    seconds of speech in it (lead and tail excluded)."""
    parts = [np.zeros(int(lead * RATE))]
    for n, text in enumerate(texts):
        if n:
            parts.append(np.zeros(int(gap * RATE)))
        parts.append(spoken(text))
    spoken_seconds = sum(len(p) for p in parts) / RATE - lead
    parts.append(np.zeros(int(tail * RATE)))
    return noise_wav(out, np.concatenate(parts), seed=seed), spoken_seconds


def noise_wav(
    out: Path, signal: np.ndarray | None = None, *, seconds: float = 0.0, seed: int = 0
) -> Path:
    """``signal`` (or ``seconds`` of nothing) over the noise floor, as a 16 kHz WAV."""
    if signal is None:
        signal = np.zeros(int(seconds * RATE))
    noisy = signal + np.random.default_rng(seed).normal(0.0, NOISE, signal.shape)
    write_wav(out, np.clip(noisy, -32768, 32767).astype("<i2").tobytes(), RATE)
    return out


def loud_seconds(path: Path, threshold: float = 500.0, frame: float = 0.02) -> float:
    """Seconds of ``path`` whose 20 ms RMS is above ``threshold`` (speech, not noise floor)."""
    audio = read_wav(path)
    samples = np.frombuffer(to_mono_16k(audio.frames, audio.rate, audio.channels), "<i2")
    n = int(frame * RATE)
    frames = samples[: len(samples) // n * n].astype(float).reshape(-1, n)
    rms = np.sqrt((frames**2).mean(axis=1)) if len(frames) else np.zeros(0)
    return float((rms > threshold).sum() * frame)


class NoSound:
    """An audio source that never hears anything (a listener's source until a test
    gives it a WAV)."""

    def read(self, timeout: float) -> bytes | None:
        return None

    def drain(self) -> None:
        pass
