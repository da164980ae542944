"""The second listen with faster-whisper (CTranslate2): a ``Transcriber`` that hears
a whole kept answer again and returns cased, punctuated text.

Imported only by ``assistant.engines``, and only when polishing: faster-whisper
and its model take half a second and some 150 MB to load. Settings that keep a
small model from inventing words: one whole answer per call, silence cut off
first, no carrying text from one 30-second window into the next, and greedy
decoding (beam 1: as good on clean speech, half the time of beam 5).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from assistant.audio import RATE
from assistant.audio.wav import read_answer
from assistant.core.endpoint import EndedBy
from assistant.core.errors import ModelError
from assistant.core.polish import speech_span
from assistant.core.ports import Utterance

FRAME_SECONDS = 0.03
"""the loudness of each 30 ms decides where the speech starts and ends"""


def frame_energies(samples: np.ndarray[Any, Any], rate: int = RATE) -> list[float]:
    """The RMS of each ``FRAME_SECONDS`` of int16 ``samples``."""
    size = int(rate * FRAME_SECONDS)
    whole = len(samples) - len(samples) % size
    if whole == 0:
        return []
    frames = samples[:whole].astype(np.float32).reshape(-1, size)
    rms: list[float] = np.sqrt((frames * frames).mean(axis=1)).tolist()
    return rms


class WhisperTranscriber:
    """A Transcriber on one faster-whisper model, loaded once."""

    def __init__(
        self,
        model_path: Path,
        *,
        name: str,
        language: str = "en",
        threads: int = 1,
        read_audio: Optional[Callable[[Path], bytes]] = None,
    ) -> None:
        self.model_name = name
        self.language = language
        self.read_audio = read_audio
        """reads an answer's audio file (decrypting it in memory); None: as it is"""
        started = time.perf_counter()
        self.model = load_whisper(model_path, threads)
        self.load_seconds = time.perf_counter() - started
        self.audio_seconds = 0.0
        """speech heard so far (after trimming), for the cost figures"""

    def transcribe(self, wav: Path) -> Utterance:
        frames, seconds = read_answer(wav, self.read_audio)
        samples = np.frombuffer(frames, dtype=np.int16)
        span = speech_span(frame_energies(samples), FRAME_SECONDS)
        if span is None:
            return Utterance(seconds=seconds, audio=wav, ended_by=EndedBy.END_OF_INPUT)
        speech = samples[int(span[0] * RATE) : int(span[1] * RATE)]
        self.audio_seconds += len(speech) / RATE
        segments, _ = self.model.transcribe(
            speech.astype(np.float32) / 32768.0,
            language=self.language,
            beam_size=1,
            condition_on_previous_text=False,
            vad_filter=False,
            without_timestamps=True,
        )
        text = " ".join(s.text.strip() for s in segments if s.text.strip())
        return Utterance(
            text=text,
            raw=text,
            seconds=seconds,
            audio=wav,
            ended_by=EndedBy.END_OF_INPUT,
        )


def load_whisper(model_path: Path, threads: int) -> Any:
    """The CTranslate2 Whisper model in the folder ``model_path`` (int8 on the CPU);
    a ModelError saying what to do otherwise."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as e:
        raise ModelError(
            f"faster-whisper is missing ({e}); install it with ./setup --whisper "
            "in ritual's folder (or pip install faster-whisper)"
        ) from None
    if not (model_path / "model.bin").is_file():
        raise ModelError(f"{model_path} is not a faster-whisper model folder (no model.bin)")
    try:
        # The path must be a str: faster-whisper takes anything else for a hub name.
        return WhisperModel(
            str(model_path), device="cpu", compute_type="int8", cpu_threads=max(1, threads)
        )
    except Exception as e:  # ctranslate2 raises RuntimeError/ValueError on a damaged model
        raise ModelError(f"cannot load the second-pass model {model_path} ({e})") from None
