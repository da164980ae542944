"""Transcribe a kept answer's WAV file again, with whatever model is current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.audio import RATE
from assistant.audio.resample import to_mono_16k
from assistant.audio.wav import read_wav
from assistant.core.transcript import tidy_transcript
from assistant.errors import ModelError
from assistant.ports import Utterance, Word

CHUNK_BYTES = 8000
"""0.25 s of 16 kHz int16: the size the live listener feeds too"""


class VoskTranscriber:
    """One model, one recogniser, reset between files."""

    def __init__(self, model_path: Path) -> None:
        try:
            import vosk
        except ImportError as e:
            raise ModelError(f"the speech recogniser is missing ({e}); pip install vosk") from None
        vosk.SetLogLevel(-2)
        try:
            self.model = vosk.Model(str(model_path))
        except Exception as e:  # vosk raises a bare Exception when a model cannot load
            raise ModelError(f"cannot load the speech model {model_path} ({e})") from None
        self.model_name = model_path.name
        self.recognizer = vosk.KaldiRecognizer(self.model, RATE)
        self.recognizer.SetWords(True)

    def transcribe(self, wav: Path) -> Utterance:
        audio = read_wav(wav)
        frames = to_mono_16k(audio.frames, audio.rate, audio.channels)
        sentences: list[dict[str, Any]] = []
        for start in range(0, len(frames), CHUNK_BYTES):
            if self.recognizer.AcceptWaveform(frames[start : start + CHUNK_BYTES]):
                sentences.append(json.loads(self.recognizer.Result()))
        sentences.append(json.loads(self.recognizer.FinalResult()))
        self.recognizer.Reset()
        texts = [s.get("text", "") for s in sentences if s.get("text")]
        words = tuple(
            Word(w["word"], float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
            for s in sentences
            for w in s.get("result", [])
        )
        return Utterance(
            text=tidy_transcript(texts),
            raw=" ".join(texts),
            words=words,
            seconds=audio.seconds,
            audio=wav,
            ended_by="end_of_input",
        )
