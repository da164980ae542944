"""Test audio made with the real espeak-ng, and measuring what was heard."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.audio.resample import to_mono_16k
from assistant.audio.wav import read_wav, write_wav

RATE = 16000
UNRELATED = Path(__file__).resolve().parents[1] / "data" / "unrelated-ko.txt"
SPEEDS = (130, 160, 190)
"""espeak-ng words per minute: a slow, an ordinary and a quick speaker"""
NOISE = 30.0
"""a faint noise floor (about -60 dBFS): real mics never give digital silence, and
Vosk's grammar mode misses words after exact zeros (docs/engines.md measured with it)"""


def need_espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        pytest.skip("espeak-ng is not installed (sudo apt install espeak-ng)")
    return path


def need_piper() -> None:
    """Piper has no build for a 32-bit system; ./setup leaves it out there."""
    if importlib.util.find_spec("piper") is None:
        pytest.skip("Piper is not installed (./setup --piper; it needs a 64-bit system)")


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


def unrelated_sentences() -> list[str]:
    lines = UNRELATED.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def pink(n: int, seed: int) -> np.ndarray[Any, Any]:
    """Unit-RMS pink (1/f) noise: like a fan, a fridge, a street far away."""
    rng = np.random.default_rng(seed)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum = rng.normal(0, 1, len(freqs)) + 1j * rng.normal(0, 1, len(freqs))
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, n)
    return noise / (np.std(noise) + 1e-9)


def _level(speech: np.ndarray[Any, Any]) -> float:
    frames = speech[: len(speech) // 320 * 320].reshape(-1, 320)
    energy = np.sqrt((frames.astype(float) ** 2).mean(axis=1))
    return float(np.sqrt((energy[energy > 0.1 * energy.max()] ** 2).mean()))


def phrase_audio(
    text: str, speed: int, snr: float | None, seed: int, voice: str = "ko"
) -> np.ndarray[Any, Any]:
    """A wake phrase with a second of room before and after, at ``snr`` dB of pink noise."""
    speech = spoken(text, voice=voice, rate=speed)
    signal = np.concatenate([np.zeros(RATE), speech, np.zeros(int(1.5 * RATE))])
    if snr is not None:
        signal = signal + pink(len(signal), seed) * _level(speech) / 10 ** (snr / 20)
    return signal + np.random.default_rng(seed).normal(0.0, NOISE, len(signal))


def room_audio(snr: float | None, seconds: float, seed: int) -> np.ndarray[Any, Any]:
    """The room of ``phrase_audio`` with nobody speaking in it."""
    level = _level(spoken("의식 시작")) / 10 ** (snr / 20) if snr is not None else 0.0
    quiet = np.random.default_rng(seed).normal(0.0, NOISE, int(seconds * RATE))
    return quiet + pink(int(seconds * RATE), seed) * level


def wav_of(path: Path, signal: np.ndarray[Any, Any]) -> Path:
    write_wav(path, np.clip(signal, -32768, 32767).astype("<i2").tobytes(), RATE)
    return path


def talk(path: Path, minutes: float, seed: int = 0) -> Path:
    """``minutes`` of unrelated speech, round the sentences, with pauses of room noise
    and, every few sentences, half a minute of noise alone."""
    rng = np.random.default_rng(seed)
    voiced = [spoken(t, rate=int(rng.choice(SPEEDS))) for t in unrelated_sentences()]
    parts: list[np.ndarray[Any, Any]] = []
    total, n = 0, 0
    while total < minutes * 60 * RATE:
        quiet = 30.0 if n % 12 == 11 else rng.uniform(0.3, 2.5)
        parts += [np.zeros(int(quiet * RATE)), voiced[n % len(voiced)]]
        total += len(parts[-2]) + len(parts[-1])
        n += 1
    signal = np.concatenate(parts)[: int(minutes * 60 * RATE)]
    signal = signal + pink(len(signal), seed) * 60.0  # a room, well under the voice
    return wav_of(path, signal + rng.normal(0.0, NOISE, len(signal)))


class NoSound:
    """An audio source that never hears anything (a listener's source until a test
    gives it a WAV)."""

    def read(self, timeout: float) -> bytes | None:
        return None

    def drain(self) -> None:
        pass
