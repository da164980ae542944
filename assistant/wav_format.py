"""The WAV format ritual writes: 16-bit PCM, little-endian. Shared by the audio
adapters (prompts, read-backs) and the journal (answers), and free of both."""

from __future__ import annotations

import struct

SAMPLE_WIDTH = 2
"""bytes per sample (int16)"""
ANSWER_RATE = 16000
"""Hertz: every kept answer is 16 kHz mono"""


def wav_header(data_bytes: int, rate: int, channels: int = 1) -> bytes:
    """The 44-byte header of a PCM WAV file holding ``data_bytes`` of int16 samples."""
    block = channels * SAMPLE_WIDTH
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + data_bytes, b"WAVE",
        b"fmt ", 16, 1, channels, rate, rate * block, block, 8 * SAMPLE_WIDTH,
        b"data", data_bytes,
    )  # fmt: skip
