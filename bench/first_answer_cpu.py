"""``python -m bench.first_answer_cpu``: the CPU a fresh recogniser spends on a
session's first answer, warmed as the listener does it, against a later answer.

Vosk composes its graph lazily per recogniser, so the first answer of a fresh
``ritual run`` costs more than the rest. The listener feeds 1 s of quiet at load
and then decodes its own prompts as they play; this measures what each buys, in
CPU seconds of the decoding thread (``time.thread_time``), which a busy machine
changes far less than wall time. On the bench ritual (bench/ritual.yaml): the
greeting and first question are what plays before the first answer; "every
prompt x2" is about what a ritual with a breathing exercise plays.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio.wav import read_wav
from assistant.speech.vosk_model import quiet_audio
from bench.voice_ritual import ANSWERS
from tests.support.kmodel import ko_model_copy
from tests.support.sounds import answer_wav, spoken

BEFORE_FIRST = ("안녕하세요. 잠깐 함께해요.", "오늘 기분이 어떠세요?")
EVERY = (*BEFORE_FIRST, "지금 무엇이 필요하세요?", "오늘 고마운 일은 무엇인가요?", "고마워요.")
BLOCK = 3200  # 0.1 s, as the microphone hands it over


def _pcm(texts: tuple[str, ...]) -> bytes:
    audio = np.concatenate([spoken(t) for t in texts])
    pcm: bytes = np.clip(audio * 32767, -32768, 32767).astype("<i2").tobytes()
    return pcm


def _feed(recogniser: Any, audio: bytes) -> float:
    started = time.thread_time()
    for start in range(0, len(audio), BLOCK):
        recogniser.AcceptWaveform(audio[start : start + BLOCK])
    json.loads(recogniser.FinalResult())
    recogniser.Reset()
    return time.thread_time() - started


def main(rounds: int = 2) -> None:
    import vosk

    vosk.SetLogLevel(-1)
    work = Path(tempfile.mkdtemp(prefix="first-answer-"))
    model = vosk.Model(str(ko_model_copy(work / "model")))
    first = read_wav(answer_wav(work / "first.wav", ANSWERS["feeling"], tail=2.0)[0]).frames
    later = read_wav(answer_wav(work / "later.wav", ANSWERS["need"], tail=2.0)[0]).frames
    warmings = {
        "1 s of quiet (the load)": quiet_audio(1.0),
        "quiet + the prompts before it": quiet_audio(1.0) + _pcm(BEFORE_FIRST),
        "quiet + every prompt x2": quiet_audio(1.0) + _pcm(EVERY * 2),
    }
    for _ in range(rounds):
        for label, warm in warmings.items():
            recogniser = vosk.KaldiRecognizer(model, 16000)
            recogniser.SetWords(True)
            warmed = _feed(recogniser, warm)
            answer = _feed(recogniser, first)
            second = _feed(recogniser, later)
            print(
                f"{label:30} warm-up {len(warm) / 32000:4.1f} s of audio ({warmed:.2f} CPU s); "
                f"first answer {answer:.2f} CPU s, the next {second:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
