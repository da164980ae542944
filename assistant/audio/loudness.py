"""A loudness gate: lets sound through only while it stands out from the room.

``ritual listen`` waits for hours; a recogniser fed the fridge's hum all night
spends a core-percent on nothing. The gate takes the room's noise floor as a low
percentile of the block levels of the last few seconds (noise such as a fan
swings several dB from block to block, so the quietest block alone would make
every louder one look like speech; a fan switched on is learnt within the
window, while the pauses between words keep speech from being learnt) and opens
when a block is ``rise_db`` above it. It opens with the ``preroll`` before the
loud block, so a word's soft start is not lost, and stays open ``hangover``
seconds after the last loud block, so the recogniser hears the pause that ends
a phrase.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from assistant.audio import RATE, SAMPLE_WIDTH

LOWEST_FLOOR_DB = -65.0
"""the floor is never taken lower: a virtual or muted mic gives digital silence, next
to which the faintest hiss would count as a voice (so sound under -56 dBFS, far
below a voice across the room, never opens the gate)"""


def level_db(chunk: bytes) -> float:
    """RMS level of 16-bit PCM, in dB relative to full scale."""
    samples = np.frombuffer(chunk, dtype="<i2").astype(np.float64)
    if not samples.size:
        return -120.0
    rms = math.sqrt(float(np.mean(samples * samples)))
    return 20 * math.log10(max(rms, 1e-3) / 32768)


class LoudnessGate:
    def __init__(
        self,
        *,
        rise_db: float = 9.0,
        window: float = 4.0,
        percentile: float = 20.0,
        preroll: float = 0.5,
        hangover: float = 1.2,
    ) -> None:
        self.rise_db = rise_db
        self.window = window
        self.percentile = percentile
        self.preroll = preroll
        self.hangover = hangover
        self.floor_db: float | None = None
        self.lowest_db = LOWEST_FLOOR_DB
        """the floor is never taken lower than this (dBFS); barge-in raises it to
        under the echo's level"""
        """the room's noise floor, dBFS"""
        self._levels: deque[tuple[float, int]] = deque()
        """(dBFS, bytes) of the blocks of the last ``window`` seconds"""
        self._level_bytes = 0
        self.open = False
        self._quiet_bytes = 0
        self._held: deque[bytes] = deque()
        self._held_bytes = 0

    def process(self, chunk: bytes) -> bytes:
        """What of the audio so far to pass on: b"" while the room is quiet."""
        level = level_db(chunk)
        self.floor_db = self._floor(level, len(chunk))
        if level >= self.floor_db + self.rise_db:
            self._quiet_bytes = 0
            if not self.open:
                self.open = True
                held = b"".join(self._held)
                self._held.clear()
                self._held_bytes = 0
                return held + chunk
            return chunk
        if self.open:
            self._quiet_bytes += len(chunk)
            if self._quiet_bytes <= int(self.hangover * RATE) * SAMPLE_WIDTH:
                return chunk
            self.open = False
        self._hold(chunk)
        return b""

    def _floor(self, level: float, size: int) -> float:
        self._levels.append((level, size))
        self._level_bytes += size
        limit = int(self.window * RATE) * SAMPLE_WIDTH
        while self._level_bytes - self._levels[0][1] >= limit:
            self._level_bytes -= self._levels.popleft()[1]
        floor = float(np.percentile([lv for lv, _ in self._levels], self.percentile))
        return max(floor, self.lowest_db)

    @property
    def quiet_seconds(self) -> float:
        """How long the sound let through has been quiet (0 while it is loud)."""
        return self._quiet_bytes / (SAMPLE_WIDTH * RATE)

    def _hold(self, chunk: bytes) -> None:
        """Keep the last ``preroll`` seconds of quiet (counted in bytes: exact)."""
        self._held.append(chunk)
        self._held_bytes += len(chunk)
        limit = int(self.preroll * RATE) * SAMPLE_WIDTH
        while self._held and self._held_bytes - len(self._held[0]) >= limit:
            self._held_bytes -= len(self._held.popleft())

    def reset(self) -> None:
        """Forget the held audio and close (after ritual spoke); the room's floor is
        kept: the room has not changed while ritual spoke."""
        self.open = False
        self._quiet_bytes = 0
        self._held.clear()
        self._held_bytes = 0
