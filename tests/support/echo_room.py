"""A simulated room for barge-in: a speaker and a mic in one, faster than real time.

What ritual plays comes back into the mic late and quieter, with a second, later
reflection, over room noise, plus whatever a person says at given moments. The
mic's reads drive the room's clock: each read "plays" the next 50 ms, so a test
runs as fast as the listener can take the audio, and every time is exact (in
samples of the mic). A player and an AudioSource at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from assistant.audio.player import PlaybackStopped, PlaybackTap
from assistant.audio.resample import resample
from assistant.audio.wav import read_wav

RATE = 16000
BLOCK = 800
"""samples per mic read (50 ms, as the real mic's blocks)"""


@dataclass
class Echo:
    delay: float = 0.05
    """seconds from playing to the direct echo"""
    gain_db: float = -6.0
    """the echo's level against what was played"""
    reflection: tuple[float, float] = (0.12, -16.0)
    """a later, quieter echo: (seconds after playing, dB)"""


@dataclass
class EchoRoom:
    echo: Echo = field(default_factory=Echo)
    noise: float = 30.0
    """room noise, RMS in int16 units (30 is about -60 dBFS; 300 a busy room)"""
    seed: int = 0
    tap: Optional[PlaybackTap] = None
    said: list[tuple[float, np.ndarray[Any, Any]]] = field(default_factory=list)
    """(seconds after the next prompt starts, 16 kHz samples): a person speaking"""

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)
        self._prompt = np.zeros(0)
        self._voice = np.zeros(0)
        self._pos = 0
        self._until = 0
        self._cut: Optional[int] = None
        self._playing = threading.Event()
        self._played = threading.Event()
        self.stopped_at: Optional[int] = None
        """mic sample (from the prompt's start) at which playback was stopped"""
        self.said_end: Optional[int] = None
        """mic sample at which the person's words end (their last loud sample)"""
        self.prompt_samples = 0

    # -- the player ---------------------------------------------------------------
    def play(self, path: Path) -> None:
        audio = read_wav(path)
        self.play_stream([audio.frames], audio.rate)

    def play_stream(self, chunks: Iterable[bytes], rate: int) -> None:
        pcm = resample(b"".join(chunks), rate, RATE)
        self._prompt = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        self.prompt_samples = len(self._prompt)
        self._voice = self._words(len(self._prompt) + RATE)
        self._pos, self._cut, self.stopped_at = 0, None, None
        self._until = len(self._prompt) + int(0.2 * RATE)
        self._played.clear()
        if self.tap is not None:
            self.tap.start(RATE)
        self._playing.set()
        self._played.wait(timeout=120)
        self._playing.clear()
        if self._cut is not None:
            raise PlaybackStopped

    def stop(self) -> None:
        if self._cut is None:
            self._cut = self.stopped_at = self._pos
            self._played.set()

    def _words(self, length: int) -> np.ndarray[Any, Any]:
        voice = np.zeros(length)
        self.said_end = None
        for at, samples in self.said:
            start = int(at * RATE)
            end = min(length, start + len(samples))
            voice[start:end] += samples[: end - start]
            loud = np.flatnonzero(np.abs(samples) >= 33)  # -60 dBFS
            if len(loud):
                self.said_end = start + int(loud[-1])
        self.said = []
        return voice

    # -- the mic ------------------------------------------------------------------
    def skip_pending(self) -> None:
        pass

    def drain(self) -> None:
        pass

    def read(self, timeout: float) -> Optional[bytes]:
        if not self._playing.wait(timeout) or self._played.is_set():
            return b""
        start, end = self._pos, self._pos + BLOCK
        played = self._played_now(start, end)
        if self.tap is not None:
            self.tap.played(played.astype(np.int16))
        mic = self._heard(start, end) + self._voice_at(start, end)
        mic += self._rng.normal(0.0, self.noise, BLOCK)
        self._pos = end
        if end >= self._until:
            self._played.set()
        return np.clip(mic, -32768, 32767).astype("<i2").tobytes()

    def _played_now(self, start: int, end: int) -> np.ndarray[Any, Any]:
        out = np.zeros(end - start)
        stop = len(self._prompt) if self._cut is None else min(self._cut, len(self._prompt))
        lo, hi = max(start, 0), min(end, stop)
        if hi > lo:
            out[lo - start : hi - start] = self._prompt[lo:hi]
        return out

    def _heard(self, start: int, end: int) -> np.ndarray[Any, Any]:
        out = np.zeros(end - start)
        paths = ((self.echo.delay, self.echo.gain_db), self.echo.reflection)
        for delay, gain_db in paths:
            lag = int(delay * RATE)
            out += self._played_now(start - lag, end - lag) * 10 ** (gain_db / 20)
        return out

    def _voice_at(self, start: int, end: int) -> np.ndarray[Any, Any]:
        out = np.zeros(end - start)
        hi = min(end, len(self._voice))
        if hi > start:
            out[: hi - start] = self._voice[start:hi]
        return out
