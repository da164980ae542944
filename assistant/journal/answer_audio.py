"""An answer's recording on its way into the journal (the core's ``AnswerAudio``).

The entry file hands one out per answer (``EntryFile.open_audio``); the listener
only writes chunks to it and says at the end whether it is kept (``close``) or not
(``discard``: nobody spoke). How it reaches the disk is the journal's business:

- ``StreamingAnswerAudio``: a 16 kHz mono WAV valid on disk after every chunk, so a
  crash or power cut mid-answer leaves everything heard up to the last chunk;
- ``SealedAnswerAudio`` (encryption on): held in memory while spoken and written
  encrypted in one atomic write at ``close``: no plaintext audio reaches the disk.
  The cost: the answer's audio in memory (32 kB a second, about 4 MB for a
  two-minute answer), and a crash mid-answer loses that answer's audio (its words
  so far are saved as usual).
"""

from __future__ import annotations

import contextlib
import os
import struct
from pathlib import Path
from typing import BinaryIO, Callable, Optional

from assistant.safe_files import open_folder, open_new_in_place, remove_at, replace_file
from assistant.wav_format import ANSWER_RATE, SAMPLE_WIDTH, wav_header


class StreamingAnswerAudio:
    """A WAV whose header sizes are patched after each chunk (two 4-byte writes)."""

    def __init__(self, path: Path, rate: int = ANSWER_RATE) -> None:
        self.path = path
        self.rate = rate
        self.data_bytes = 0
        # The folder is inside the journal: it must not be a symlink either.
        fd = open_new_in_place(path, follow_folder=False)
        self._file: Optional[BinaryIO] = os.fdopen(fd, "wb")
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

    def discard(self) -> None:
        """Nothing worth keeping was said: the file goes."""
        if self._file is not None:
            f, self._file = self._file, None
            f.close()
        with contextlib.suppress(OSError), open_folder(self.path.parent, follow=False) as folder:
            remove_at(folder, self.path.name)

    def __enter__(self) -> StreamingAnswerAudio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SealedAnswerAudio:
    """An answer's WAV kept in memory, written encrypted when the answer ends."""

    def __init__(self, path: Path, seal: Callable[[bytes], bytes], rate: int = ANSWER_RATE) -> None:
        self.path = path
        self.rate = rate
        self._seal = seal
        self._frames: Optional[bytearray] = bytearray()

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

    def discard(self) -> None:
        """Nothing worth keeping was said: nothing was ever written."""
        if self._frames is not None:
            self._frames[:] = b"\0" * len(self._frames)
            self._frames = None

    def __enter__(self) -> SealedAnswerAudio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
