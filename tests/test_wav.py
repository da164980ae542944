"""WAV helpers and resampling (numpy and soxr only: no devices)."""

from __future__ import annotations

import os
import stat
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.resample import StreamResampler, downmix, resample
from assistant.audio.wav import WavSource, read_wav, write_wav
from assistant.journal.answer_audio import StreamingAnswerAudio


def tone(seconds: float, rate: int, hz: float = 440.0) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (8000 * np.sin(2 * np.pi * hz * t)).astype("<i2").tobytes()


def test_a_streamed_answer_is_a_valid_wav_after_every_chunk(tmp_path: Path) -> None:
    path = tmp_path / "01-feel.wav"
    writer = StreamingAnswerAudio(path)
    chunk = tone(0.1, 16000)
    for n in range(1, 4):
        writer.write(chunk)
        # read by another handle while still open, as after a power cut
        with wave.open(str(path)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
            assert w.getnframes() == n * 1600
    writer.close()
    assert read_wav(path).frames == chunk * 3
    assert writer.seconds == pytest.approx(0.3)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_an_empty_stream_is_a_valid_empty_wav(tmp_path: Path) -> None:
    with StreamingAnswerAudio(tmp_path / "none.wav") as writer:
        pass
    assert read_wav(writer.path).frames == b""


def test_write_wav_is_atomic_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    write_wav(path, tone(0.5, 22050), 22050)
    audio = read_wav(path)
    assert (audio.rate, audio.channels, audio.seconds) == (22050, 1, pytest.approx(0.5))
    assert [p.name for p in tmp_path.iterdir()] == ["x.wav"]


def test_only_16_bit_audio_is_read(tmp_path: Path) -> None:
    path = tmp_path / "8bit.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(1), w.setframerate(8000)
        w.writeframes(b"\x80" * 800)
    with pytest.raises(ValueError, match="16-bit"):
        read_wav(path)


@pytest.mark.parametrize("rate", [44100, 48000, 22050, 16000])
def test_streamed_resampling_matches_the_whole_and_keeps_length(rate: int) -> None:
    pytest.importorskip("soxr")
    data = tone(2.0, rate)
    stream = StreamResampler(rate)
    step = int(0.05 * rate) * 2
    out = b"".join(stream.process(data[i : i + step]) for i in range(0, len(data), step))
    out += stream.flush()
    assert len(out) // 2 == pytest.approx(32000, abs=2)
    whole = np.frombuffer(resample(data, rate, 16000), "<i2").astype(float)
    streamed = np.frombuffer(out, "<i2").astype(float)
    n = min(len(whole), len(streamed))
    assert np.abs(whole[100 : n - 100] - streamed[100 : n - 100]).max() < 50


def test_stereo_is_downmixed() -> None:
    stereo = np.array([100, 300, -200, 0, 7, 7], dtype=np.int16)
    assert downmix(stereo, 2).tolist() == [200, -100, 7]


def test_a_wav_source_gives_16k_mono_chunks_then_ends(tmp_path: Path) -> None:
    path = tmp_path / "in.wav"
    write_wav(path, tone(0.25, 48000), 48000)
    source = WavSource(path, chunk_seconds=0.1)
    source.drain()  # nothing to drop from a file
    chunks = []
    while (chunk := source.read(0.1)) is not None:
        chunks.append(chunk)
    assert [len(c) for c in chunks] == [3200, 3200, 1600]
