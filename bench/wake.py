"""The wake detector on its own: how often it misses a spoken wake phrase, how often
unrelated speech wakes it, and what it costs. Audio goes through the detector's
source as fast as it decodes (a WAV file, not the mic): ten minutes of talk take
seconds, and the decisions are the same as in real time (they run on audio time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio.wav import WavSource, write_wav
from assistant.core.hands_free import DEFAULT_WAKE
from assistant.speech.vosk_model import SharedModel
from assistant.speech.vosk_wake import VoskWakeListener, decoys_for
from bench import RATE, ROOT
from tests.engine.sounds import NOISE, spoken

UNRELATED = ROOT / "tests" / "data" / "unrelated-ko.txt"
SPEEDS = (130, 160, 190)
"""espeak-ng words per minute: a slow, an ordinary and a quick speaker"""
NOISES = (("quiet", None), ("pink 20 dB", 20.0), ("pink 10 dB", 10.0))
FALSE_WAKE_MINUTES = 10.0


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


def phrase_audio(text: str, speed: int, snr: float | None, seed: int) -> np.ndarray[Any, Any]:
    """A wake phrase with a second of room before and after, at ``snr`` dB of pink noise."""
    speech = spoken(text, rate=speed)
    signal = np.concatenate([np.zeros(RATE), speech, np.zeros(int(1.5 * RATE))])
    if snr is not None:
        signal = signal + pink(len(signal), seed) * _level(speech) / 10 ** (snr / 20)
    return signal + np.random.default_rng(seed).normal(0.0, NOISE, len(signal))


def _wav(path: Path, signal: np.ndarray[Any, Any]) -> Path:
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
    return _wav(path, signal + rng.normal(0.0, NOISE, len(signal)))


@dataclass
class DetectorFigures:
    tried: int
    missed: list[str]
    false_wakes: int
    talk_minutes: float
    cpu_per_audio_second: float


def measure_detector(model_path: Path, work: Path, log: Any = print) -> DetectorFigures:
    phrases = DEFAULT_WAKE["ko"]
    model = SharedModel(model_path)
    detector = VoskWakeListener(model, WavSource(_wav(work / "q.wav", np.zeros(RATE))), phrases,
                                decoys=decoys_for("ko"))  # fmt: skip
    missed, tried, seed = [], 0, 0
    for phrase, ritual in phrases.items():
        for speed in SPEEDS:
            for label, snr in NOISES:
                seed += 1
                wav = _wav(work / f"wake-{seed}.wav", phrase_audio(phrase, speed, snr, seed))
                detector.source = WavSource(wav)
                woke = detector.wait(60.0, fresh=True)
                tried += 1
                if woke != ritual:
                    missed.append(f"{phrase} at {speed} wpm, {label}: {woke or 'nothing'}")
    log(f"  wake phrases: {tried - len(missed)} of {tried} heard")
    detector.source = WavSource(talk(work / "talk.wav", FALSE_WAKE_MINUTES))
    wakes, heard_before = 0, detector.heard_seconds
    cpu = time.process_time()
    while True:
        woke = detector.wait(3600.0, fresh=False)
        if woke is None:
            break
        wakes += 1
    cpu = time.process_time() - cpu
    audio = detector.heard_seconds - heard_before
    log(f"  {audio / 60:.1f} minutes of unrelated talk: {wakes} false wake(s)")
    model.close()
    return DetectorFigures(tried, missed, wakes, round(audio / 60, 2), cpu / audio)


def bench_wake(model: Path, work: Path, log: Any = print) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    found = measure_detector(model, work, log)
    return {
        "wake_miss_rate": round(len(found.missed) / found.tried, 3),
        "false_wakes_per_hour": round(found.false_wakes / (found.talk_minutes / 60), 2),
        "details": {
            "wake": {
                "phrases_tried": found.tried,
                "missed": found.missed,
                "false_wakes": found.false_wakes,
                "unrelated_talk_minutes": found.talk_minutes,
                "detector_cpu_s_per_audio_s": round(found.cpu_per_audio_second, 4),
            }
        },
    }
