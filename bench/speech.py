"""The user's voice: espeak-ng Korean answers and a minute of speech with pauses.

Made with the tests' helpers (real espeak-ng, resampled to 16 kHz, over a faint
noise floor: real mics never give digital silence).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio.wav import write_wav
from bench import RATE
from tests.support.sounds import NOISE, spoken

AUDIBLE = 33
"""|sample| from which a sound counts as heard (-60 dBFS). Only ever applied to
clean signals: ritual's speaker channel (digital silence between prompts) and
espeak-ng's speech before the noise floor is added. espeak-ng's sound starts
within a sample of it and fades through it in well under a millisecond."""


@dataclass(frozen=True)
class Answer:
    """One spoken answer as fed to ritual's mic."""

    wav: Path
    samples: np.ndarray[Any, Any]
    """int16, exactly what the WAV holds"""
    speech_end: int
    """index just after the last audible sample of the speech itself (the
    noise floor excluded): where "the user stopped speaking" is"""


def _noisy(signal: np.ndarray[Any, Any], seed: int) -> np.ndarray[Any, Any]:
    noise = np.random.default_rng(seed).normal(0.0, NOISE, signal.shape)
    noisy: np.ndarray[Any, Any] = np.clip(signal + noise, -32768, 32767).astype("<i2")
    return noisy


def make_answer(out: Path, text: str, *, lead: float, tail: float, seed: int) -> Answer:
    """``text`` spoken after ``lead`` seconds, then ``tail`` seconds of noise floor.

    The tail should outlast the step's silence and ritual's reaction: the answer
    then ends in room noise, as it would at home, not in digital zeros.
    """
    speech = spoken(text)
    loud = np.nonzero(np.abs(speech) >= AUDIBLE)[0]
    clean = np.concatenate([np.zeros(int(lead * RATE)), speech, np.zeros(int(tail * RATE))])
    samples = _noisy(clean, seed)
    write_wav(out, samples.tobytes(), RATE)
    return Answer(out, samples, speech_end=int(lead * RATE) + int(loud[-1]) + 1)


def make_monologue(out: Path, texts: list[str], *, seconds: float, seed: int = 0) -> Path:
    """``seconds`` of ``texts`` spoken in turn (round and round) with 0.5-3 s pauses."""
    rng = np.random.default_rng(seed)
    voiced = [spoken(t) for t in texts]
    parts: list[np.ndarray[Any, Any]] = []
    total = 0
    n = 0
    while total < seconds * RATE:
        pause = np.zeros(int(rng.uniform(0.5, 3.0) * RATE))
        parts += [pause, voiced[n % len(voiced)]]
        total += len(pause) + len(voiced[n % len(voiced)])
        n += 1
    signal = np.concatenate(parts)[: int(seconds * RATE)]
    write_wav(out, _noisy(signal, seed).tobytes(), RATE)
    return out
