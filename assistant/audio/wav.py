"""WAV files: read, write atomically, read as a stream (``WavSource``).

Only 16-bit PCM, which is what espeak-ng, Vosk and our recordings use.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from assistant.audio import RATE, SAMPLE_WIDTH
from assistant.safe_files import replace_file
from assistant.wav_format import wav_header

HEADER_BYTES = 44


@dataclass(frozen=True)
class WavAudio:
    frames: bytes
    """interleaved int16 little-endian samples"""
    rate: int
    """Hertz"""
    channels: int = 1

    @property
    def seconds(self) -> float:
        return len(self.frames) / (SAMPLE_WIDTH * self.channels * self.rate)


def read_wav(path: Path) -> WavAudio:
    """Read a 16-bit PCM WAV file (raises ValueError for anything else)."""
    with wave.open(str(path), "rb") as w:
        return _pcm16(w, str(path))


def wav_from_bytes(data: bytes, where: str) -> WavAudio:
    """A 16-bit PCM WAV file's audio from its bytes (an encrypted file, decrypted in memory)."""
    with wave.open(io.BytesIO(data), "rb") as w:
        return _pcm16(w, where)


def _pcm16(w: wave.Wave_read, where: str) -> WavAudio:
    if w.getsampwidth() != SAMPLE_WIDTH:
        raise ValueError(f"{where}: {8 * w.getsampwidth()}-bit audio; 16-bit PCM expected")
    return WavAudio(w.readframes(w.getnframes()), w.getframerate(), w.getnchannels())


def write_wav(path: Path, frames: bytes, rate: int, channels: int = 1) -> None:
    """Write a WAV file atomically: a temp file in the same folder, fsync, rename."""
    replace_file(path, wav_header(len(frames), rate, channels) + frames)


class WavSource:
    """An AudioSource reading a WAV file (any rate, mono or not), for tests and
    re-transcription. It returns chunks as fast as asked: the listener's clock is
    audio time, so the result does not depend on how fast this runs."""

    def __init__(self, path: Path, *, chunk_seconds: float = 0.1) -> None:
        from assistant.audio.resample import to_mono_16k

        audio = read_wav(path)
        self._data = to_mono_16k(audio.frames, audio.rate, audio.channels)
        self._chunk = int(chunk_seconds * RATE) * SAMPLE_WIDTH
        self._pos = 0

    def read(self, timeout: float) -> bytes | None:
        if self._pos >= len(self._data):
            return None
        chunk = self._data[self._pos : self._pos + self._chunk]
        self._pos += len(chunk)
        return chunk

    def drain(self) -> None:
        # A file holds nothing "heard while we spoke": keep it all.
        pass


def read_answer(
    path: Path, read_audio: Optional[Callable[[Path], bytes]] = None
) -> tuple[bytes, float]:
    """A kept answer's audio as 16 kHz mono int16 bytes, and its length in seconds;
    ``read_audio`` reads the file (decrypting it in memory), None: as it is."""
    from assistant.audio.resample import to_mono_16k

    audio = read_wav(path) if read_audio is None else wav_from_bytes(read_audio(path), str(path))
    return to_mono_16k(audio.frames, audio.rate, audio.channels), audio.seconds
