"""WAV files: read, write atomically, stream an answer to disk as it is spoken.

Only 16-bit PCM, which is what espeak-ng, Vosk and our recordings use.
"""

from __future__ import annotations

import io
import os
import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Protocol

from assistant.audio import RATE, SAMPLE_WIDTH
from assistant.safe_files import open_new_in_place, replace_file

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


def wav_header(data_bytes: int, rate: int, channels: int = 1) -> bytes:
    """The 44-byte header of a PCM WAV file holding ``data_bytes`` of int16 samples."""
    block = channels * SAMPLE_WIDTH
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + data_bytes, b"WAVE",
        b"fmt ", 16, 1, channels, rate, rate * block, block, 8 * SAMPLE_WIDTH,
        b"data", data_bytes,
    )  # fmt: skip


def write_wav(path: Path, frames: bytes, rate: int, channels: int = 1) -> None:
    """Write a WAV file atomically: a temp file in the same folder, fsync, rename."""
    replace_file(path, wav_header(len(frames), rate, channels) + frames)


class AnswerWriter(Protocol):
    """Where the listener puts an answer's audio as it is heard."""

    path: Path

    @property
    def seconds(self) -> float: ...

    def write(self, chunk: bytes) -> None: ...

    def close(self) -> None: ...


class StreamingWavWriter:
    """A 16 kHz mono WAV that is valid on disk after every ``write``.

    The header's sizes are patched after each chunk (two 4-byte writes), so a
    crash or power cut mid-answer leaves a playable file with everything heard
    up to the last chunk.
    """

    def __init__(self, path: Path, rate: int = RATE) -> None:
        self.path = path
        self.rate = rate
        self.data_bytes = 0
        fd = open_new_in_place(path, follow_folder=False)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        try:
            self._file.write(wav_header(0, rate))
            self._file.flush()
        except BaseException:
            self._file.close()
            raise

    @property
    def seconds(self) -> float:
        return self.data_bytes / (SAMPLE_WIDTH * self.rate)

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise ValueError(f"{self.path} is closed")
        f = self._file
        f.seek(0, os.SEEK_END)
        f.write(chunk)
        self.data_bytes += len(chunk)
        f.seek(4)
        f.write(struct.pack("<I", 36 + self.data_bytes))
        f.seek(40)
        f.write(struct.pack("<I", self.data_bytes))
        f.flush()

    def close(self) -> None:
        if self._file is None:
            return
        f, self._file = self._file, None
        try:
            f.flush()
            os.fsync(f.fileno())
        finally:
            f.close()

    def __enter__(self) -> StreamingWavWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SealedWavWriter:
    """An answer's WAV kept in memory while it is spoken, and written encrypted, in
    one atomic write, when the answer ends (``close``): no plaintext audio ever
    reaches the disk. The cost: the answer's audio in memory (32 kB a second, about
    4 MB for a two-minute answer, twice that for a moment at ``close``), and a
    crash mid-answer loses that answer's audio (its words so far are saved as usual).
    """

    def __init__(self, path: Path, seal: Callable[[bytes], bytes], rate: int = RATE) -> None:
        self.path = path
        self.rate = rate
        self._seal = seal
        self._frames: bytearray | None = bytearray()

    @property
    def data_bytes(self) -> int:
        return len(self._frames or b"")

    @property
    def seconds(self) -> float:
        return self.data_bytes / (SAMPLE_WIDTH * self.rate)

    def write(self, chunk: bytes) -> None:
        if self._frames is None:
            raise ValueError(f"{self.path} is closed")
        self._frames += chunk

    def close(self) -> None:
        if self._frames is None:
            return
        frames, self._frames = self._frames, None
        sealed = self._seal(wav_header(len(frames), self.rate) + bytes(frames))
        frames[:] = b"\0" * len(frames)  # not left lying in freed memory longer than needed
        replace_file(self.path, sealed, follow_folder=False)

    def __enter__(self) -> SealedWavWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
