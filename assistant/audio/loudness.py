"""A loudness gate: lets sound through only while it stands out from the room.

``ritual listen`` waits for hours; a recogniser fed the fridge's hum all night
spends a core-percent on nothing. The gate tracks the room's noise floor (it
follows the quietest recent level down at once, and drifts up slowly, so a fan
switched on is learnt in seconds and speech is not) and opens when a block is
``rise_db`` above it. It opens with the ``preroll`` before the loud block, so a
word's soft start is not lost, and stays open ``hangover`` seconds after the last
loud block, so the recogniser hears the pause that ends a phrase.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from assistant.audio import RATE, SAMPLE_WIDTH


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
        rise_db: float = 6.0,
        drift_db_per_second: float = 1.0,
        preroll: float = 0.5,
        hangover: float = 1.2,
    ) -> None:
        self.rise_db = rise_db
        self.drift = drift_db_per_second
        self.preroll = preroll
        self.hangover = hangover
        self.floor_db: float | None = None
        """the room's noise floor, dBFS"""
        self.open = False
        self._quiet_bytes = 0
        self._held: deque[bytes] = deque()
        self._held_bytes = 0

    def process(self, chunk: bytes) -> bytes:
        """What of the audio so far to pass on: b"" while the room is quiet."""
        seconds = len(chunk) / (SAMPLE_WIDTH * RATE)
        level = level_db(chunk)
        if self.floor_db is None or level < self.floor_db:
            self.floor_db = level
        else:
            self.floor_db += self.drift * seconds
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
        """Forget the held audio and close (after ritual spoke); the floor is kept."""
        self.open = False
        self._quiet_bytes = 0
        self._held.clear()
        self._held_bytes = 0
