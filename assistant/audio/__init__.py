"""Sound in and out: sounddevice mic and player, WAV files, resampling.

Everything here speaks one format to the rest of ritual: 16 kHz mono signed
16-bit little-endian PCM, as ``bytes`` (Vosk's ``AcceptWaveform`` takes bytes
only). sounddevice is imported lazily inside the adapters, so importing this
package needs no PortAudio.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from assistant.wav_format import ANSWER_RATE
from assistant.wav_format import SAMPLE_WIDTH as SAMPLE_WIDTH

RATE = ANSWER_RATE
"""Hertz: the rate of every stream handed to the recogniser and every kept answer"""


def seconds_of(data: bytes, rate: int = RATE) -> float:
    """Length of mono int16 PCM ``data``, in seconds."""
    return len(data) / (SAMPLE_WIDTH * rate)


class AudioSource(Protocol):
    """Where a listener gets its audio: 16 kHz mono int16 bytes, in order."""

    def read(self, timeout: float) -> bytes | None:
        """The next chunk; ``b""`` when nothing came within ``timeout`` seconds,
        None when the input has ended for good (a file). Raises AudioError when
        the device went away."""

    def drain(self) -> None:
        """Drop everything captured so far (half-duplex: what was heard while we spoke)."""


class Player(Protocol):
    def play(self, path: Path) -> None:
        """Play a WAV file and return once it has been played to the end."""


class StreamPlayer(Player, Protocol):
    def play_stream(self, chunks: Iterable[bytes], rate: int) -> None:
        """Play mono int16 chunks at ``rate`` as they come (the first while the
        next are still being made); return once the last has been heard."""
