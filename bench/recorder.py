"""Recording the studio's stereo mix, with each sample's time on our clock.

The callback only copies the block and notes when it arrived (time.monotonic).
A sample can only arrive after it was played, and it arrives late by a varying
delivery delay (server fragments, thread wake-ups); so the earliest arrivals,
``arrived - index / RATE`` at its minimum over the recording, give the clock
of sample 0. The spread above that minimum is reported as the mapping's jitter.
PulseAudio's null sink runs on the same monotonic clock, so there is no drift.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import RATE

BLOCK = 160
"""frames per callback (10 ms): small, so arrival times are fine-grained"""


@dataclass
class Recording:
    mic: np.ndarray[Any, Any]
    """int16: what ritual's mic got (the answers we fed)"""
    speaker: np.ndarray[Any, Any]
    """int16: what ritual played"""
    t0: float
    """time.monotonic() of sample 0"""
    jitter: float
    """seconds: 95th percentile of the delivery delay above the earliest one"""
    overflows: int
    """blocks PortAudio reported as lost: any makes the sample clock unreliable"""

    def index(self, t: float) -> int:
        """The sample played at monotonic time ``t`` (clamped into the recording)."""
        return min(max(0, round((t - self.t0) * RATE)), len(self.mic))

    def time(self, index: int) -> float:
        return self.t0 + index / RATE


class Recorder:
    """``with Recorder() as rec: ...`` then ``rec.recording``.

    Needs ``Studio.point_this_process()`` before sounddevice is first imported.
    """

    def __init__(self) -> None:
        self._blocks: list[bytes] = []
        self._arrivals: list[float] = []
        self._overflows = 0
        self._lock = threading.Lock()
        self._stream: Any = None
        self.recording: Recording | None = None

    def _callback(self, indata: Any, frames: int, when: Any, status: Any) -> None:
        arrived = time.monotonic()
        with self._lock:
            self._blocks.append(bytes(indata))
            self._arrivals.append(arrived)
            if status.input_overflow:
                self._overflows += 1

    def __enter__(self) -> Recorder:
        import sounddevice as sd

        self._stream = sd.RawInputStream(
            device="pulse", samplerate=RATE, channels=2, dtype="int16",
            blocksize=BLOCK, latency="low", callback=self._callback,
        )  # fmt: skip
        self._stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.stop()
        self._stream.close()
        with self._lock:
            blocks, arrivals = self._blocks, self._arrivals
        frames = np.frombuffer(b"".join(blocks), dtype="<i2").reshape(-1, 2)
        ends = np.cumsum([len(b) // 4 for b in blocks]) / RATE
        delays = np.asarray(arrivals) - ends
        t0 = float(delays.min()) if len(delays) else time.monotonic()
        jitter = float(np.percentile(delays - t0, 95)) if len(delays) else 0.0
        self.recording = Recording(
            mic=frames[:, 0].copy(),
            speaker=frames[:, 1].copy(),
            t0=t0,
            jitter=jitter,
            overflows=self._overflows,
        )
