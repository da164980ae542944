"""The linear echo canceller and the delay measurement, on synthetic signals: the
echo of a played sound is taken out of the mic, and a word said over it is kept.

The far end is coloured noise shaped like speech in level (bursts and pauses), so
the tests need no speech engine; the echo path is the bench's (a direct echo and
a later, quieter reflection) over a faint room noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from assistant.audio.echo import echo_return_loss_db, estimate_delay
from assistant.audio.linear_echo import BLOCK, LinearEchoCanceller

RATE = 16000
SECONDS = 6


def speechlike(seconds: float, seed: int) -> np.ndarray[Any, Any]:
    """Low-passed noise in 150-400 ms bursts with pauses between, about -20 dBFS."""
    rng = np.random.default_rng(seed)
    noise = np.convolve(rng.normal(0, 1, int(seconds * RATE)), np.hanning(9), "same")
    envelope = np.zeros(len(noise))
    at = 0
    while at < len(noise):
        length = int(rng.uniform(0.15, 0.4) * RATE)
        envelope[at : at + length] = np.hanning(length)[: len(envelope[at : at + length])]
        at += length + int(rng.uniform(0.05, 0.2) * RATE)
    signal = noise * envelope
    return signal * (3000 / np.sqrt(np.mean(signal**2)))


def echo_of(far: np.ndarray[Any, Any], gain_db: float, delay: int) -> np.ndarray[Any, Any]:
    """The far end as the mic hears it ``delay`` samples later: direct, a reflection."""
    near = np.zeros(len(far))
    for lag, gain in ((delay, gain_db), (delay + 640, gain_db - 10)):
        near[lag:] += far[: len(far) - lag] * 10 ** (gain / 20)
    return near


def cancel(near: np.ndarray[Any, Any], far: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """As barge-in does: learn from the first second and a half, then cancel all."""
    usable = len(near) // BLOCK * BLOCK
    near16 = np.clip(near[:usable], -32768, 32767).astype(np.int16)
    far16 = far[:usable].astype(np.int16)
    canceller = LinearEchoCanceller()
    start = int(1.5 * RATE) // BLOCK * BLOCK
    canceller.learn(near16[:start], far16[:start])
    return canceller.process(near16, far16).astype(np.float64)


@pytest.mark.parametrize("gain_db", [-6.0, 0.0])
def test_the_echo_is_taken_out_and_a_word_said_over_it_is_kept(gain_db: float) -> None:
    far = speechlike(SECONDS, seed=1)
    room = np.random.default_rng(2).normal(0, 30, len(far))
    echo = echo_of(far, gain_db, delay=480) + room
    word = np.zeros(len(far))
    said = slice(int(3.0 * RATE), int(3.8 * RATE))
    word[said] = speechlike(0.8, seed=3)
    alone = cancel(echo, far)
    over = cancel(echo + word, far)
    usable = len(alone)
    late = slice(usable // 2, usable)
    assert echo_return_loss_db(echo[late], alone[late]) >= 20.0
    # What the word added to the output is the word itself, within -15 dB: talk
    # did not throw the filter off (it would cancel or smear the word).
    added = over[said] - alone[said]
    error_db = 10 * np.log10(np.sum((added - word[said]) ** 2) / np.sum(word[said] ** 2))
    assert error_db <= -15.0


def test_with_no_echo_in_the_mic_nothing_is_taken_out() -> None:
    far = speechlike(SECONDS, seed=4)
    near = speechlike(SECONDS, seed=5) * 0.3  # someone talking; the far end not heard
    out = cancel(near, far)
    assert abs(echo_return_loss_db(near[: len(out)], out)) <= 1.0


def test_the_delay_of_the_echo_is_found_and_how_clearly() -> None:
    far = speechlike(2.0, seed=6)
    near = echo_of(far, -6.0, delay=1280) + np.random.default_rng(7).normal(0, 30, len(far))
    played = far[:RATE]
    lag, clear = estimate_delay(played, near, int(0.8 * RATE))
    assert lag == 1280
    assert clear >= 0.8
    _, unclear = estimate_delay(played, speechlike(2.0, seed=8), int(0.8 * RATE))
    assert unclear < 0.3
