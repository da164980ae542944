"""One decode of a recording, timed in process CPU: ``python -m bench.cpu_worker
KIND MODEL WAV``, prints ``{"cpu": seconds, "text": ...}`` as JSON.

KIND is ``bare`` (a plain Vosk loop), ``ours`` (VoskListener as a ritual step
uses it: command phrases, word times, the answer's audio kept) or
``ours-no-commands`` (the same without the grammar recogniser). Only the decode
is timed: loading the model and the warm-up come before, in every kind alike.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from assistant.audio.wav import read_wav
from assistant.journal.answer_audio import StreamingAnswerAudio

CHUNK_BYTES = 1600
"""0.05 s of 16 kHz int16: the mic's block, in every kind"""
FOREVER = 1e9
"""seconds: the answer ends only at the end of the file"""


class WavSource:
    """An AudioSource reading a recording as fast as the listener asks."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def read(self, timeout: float) -> bytes | None:
        if self.position >= len(self.data):
            return None
        chunk = self.data[self.position : self.position + CHUNK_BYTES]
        self.position += CHUNK_BYTES
        return chunk

    def drain(self) -> None:
        """Nothing to drop: a file holds no echo of our own voice."""


def bare(model_path: str, data: bytes) -> tuple[float, str]:
    import numpy as np
    import vosk

    vosk.SetLogLevel(-2)
    recogniser = vosk.KaldiRecognizer(vosk.Model(model_path), 16000)
    # Warmed up as VoskListener is (1 s of faint noise): a fresh recogniser stalls
    # on its first block, and that must not count against either side.
    noise = np.random.default_rng(0).normal(0.0, 30.0, 16000)
    recogniser.AcceptWaveform(np.clip(noise, -32768, 32767).astype("<i2").tobytes())
    recogniser.FinalResult()
    started = time.process_time()
    texts = []
    for i in range(0, len(data), CHUNK_BYTES):
        if recogniser.AcceptWaveform(data[i : i + CHUNK_BYTES]):
            texts.append(json.loads(recogniser.Result())["text"])
    texts.append(json.loads(recogniser.FinalResult())["text"])
    return time.process_time() - started, " ".join(t for t in texts if t)


def ours(model_path: str, data: bytes, *, commands: bool) -> tuple[float, str]:
    from assistant.core.conductor import NAVIGATION
    from assistant.core.endpoint import EndpointRules
    from assistant.core.ports import ListenRequest
    from assistant.core.voice_commands import commands_for, only
    from assistant.speech.vosk_listener import VoskListener

    listener = VoskListener(Path(model_path), WavSource(data))
    listener.wait_loaded()
    with tempfile.TemporaryDirectory() as tmp:
        request = ListenRequest(
            step="bench",
            commands=only(commands_for("ko"), NAVIGATION) if commands else {},
            rules=EndpointRules(FOREVER, FOREVER, FOREVER),
            audio=StreamingAnswerAudio(Path(tmp) / "answer.wav"),
        )
        started = time.process_time()
        heard = listener.listen(request)
        cpu = time.process_time() - started
    listener.close()
    return cpu, heard.raw


def main(argv: list[str]) -> None:
    kind, model_path, wav = argv
    data = read_wav(Path(wav)).frames
    if kind == "bare":
        cpu, text = bare(model_path, data)
    else:
        cpu, text = ours(model_path, data, commands=kind == "ours")
    print(json.dumps({"cpu": cpu, "text": text}, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
