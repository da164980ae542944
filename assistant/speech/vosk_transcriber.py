"""Transcribe a kept answer's WAV file again, with whatever model is current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Optional

from assistant.audio import RATE
from assistant.audio.wav import read_answer
from assistant.core.endpoint import EndedBy
from assistant.core.ports import Utterance, Word
from assistant.core.transcript import tidy_heard
from assistant.speech.vosk_model import import_vosk, load_vosk_model

CHUNK_BYTES = 8000
"""0.25 s of 16 kHz int16: the size the live listener feeds too"""


class VoskTranscriber:
    """A Transcriber: one model, one recogniser, reset between files."""

    def __init__(
        self, model_path: Path, *, read_audio: Optional[Callable[[Path], bytes]] = None
    ) -> None:
        self.read_audio = read_audio
        """reads an answer's audio file (decrypting it in memory); None: as it is"""
        vosk = import_vosk()
        self.model = load_vosk_model(model_path)
        self.model_name = model_path.name
        self.recognizer = vosk.KaldiRecognizer(self.model, RATE)
        self.recognizer.SetWords(True)

    def transcribe(self, wav: Path) -> Utterance:
        frames, seconds = read_answer(wav, self.read_audio)
        sentences: list[dict[str, Any]] = []
        for start in range(0, len(frames), CHUNK_BYTES):
            if self.recognizer.AcceptWaveform(frames[start : start + CHUNK_BYTES]):
                sentences.append(json.loads(self.recognizer.Result()))
        sentences.append(json.loads(self.recognizer.FinalResult()))
        self.recognizer.Reset()
        heard = [(s["text"], _words(s)) for s in sentences if s.get("text")]
        texts = [text for text, _ in heard]
        return Utterance(
            text=tidy_heard(heard),
            raw=" ".join(texts),
            words=tuple(w for _, words in heard for w in words),
            seconds=seconds,
            audio=wav,
            ended_by=EndedBy.END_OF_INPUT,
        )


def _words(result: dict[str, Any]) -> tuple[Word, ...]:
    return tuple(
        Word(w["word"], float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
        for w in result.get("result", [])
    )
