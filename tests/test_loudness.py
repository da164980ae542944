"""The loudness gate in front of the wake recogniser: quiet rooms pass nothing, a
voice passes with its soft start, a fan switched on is learnt."""

from __future__ import annotations

import numpy as np

from assistant.audio.loudness import LoudnessGate

RATE = 16000
BLOCK = 800  # 50 ms


def blocks(level: float, seconds: float, seed: int = 0) -> list[bytes]:
    noise = np.random.default_rng(seed).normal(0.0, level, int(seconds * RATE))
    pcm = np.clip(noise, -32768, 32767).astype("<i2").tobytes()
    return [pcm[i : i + 2 * BLOCK] for i in range(0, len(pcm), 2 * BLOCK)]


def passed(gate: LoudnessGate, chunks: list[bytes]) -> float:
    return sum(len(gate.process(c)) for c in chunks) / (2 * RATE)


def test_a_quiet_room_passes_nothing_and_a_voice_passes_with_its_start() -> None:
    gate = LoudnessGate(preroll=0.5, hangover=1.0)
    assert passed(gate, blocks(30, 5.0)) == 0.0
    voice = passed(gate, blocks(3000, 1.0, seed=1))
    assert voice == 1.5  # the voice and the half second before it
    assert gate.open
    # then the pause after it, up to the hangover, and nothing more
    assert passed(gate, blocks(30, 3.0, seed=2)) == 1.0
    assert not gate.open


def test_a_steady_noise_is_learnt_as_the_room() -> None:
    gate = LoudnessGate(window=4.0)
    passed(gate, blocks(30, 2.0))
    fan = blocks(300, 40.0, seed=3)  # 20 dB louder, and it stays
    through_first = passed(gate, fan[:100])
    passed(gate, fan[100:-100])
    through_last = passed(gate, fan[-100:])
    assert through_first > 0 and through_last == 0.0


def test_reset_forgets_what_was_held() -> None:
    gate = LoudnessGate(preroll=0.5)
    passed(gate, blocks(30, 2.0))
    gate.reset()
    assert passed(gate, blocks(3000, 0.1, seed=1)) == 0.1


def test_digital_silence_does_not_make_a_hiss_look_like_a_voice() -> None:
    gate = LoudnessGate()
    assert passed(gate, [bytes(2 * BLOCK)] * 40) == 0.0  # a virtual mic's exact zeros
    assert passed(gate, blocks(30, 2.0)) == 0.0  # then the faint hiss of a room
    assert passed(gate, blocks(3000, 0.5, seed=1)) > 0.5
