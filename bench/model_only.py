"""The memory baseline: a process that only loads the model and warms one recogniser.

``python -m bench.model_only MODEL [WAV...]``. It imports nothing but Vosk and
the standard library (no numpy, no ritual), so its peak RSS is the model's own
cost. It warms the recogniser as VoskListener does (1 s of faint noise), then
decodes the WAVs it is given: the same answers the ritual hears, so that the
graph pieces Vosk caches while decoding (docs/engines.md: 530 MB after load, more
while decoding) are in the baseline too and the difference is ritual's own.
"""

from __future__ import annotations

import array
import random
import sys
import wave

RATE = 16000
CHUNK = 800
"""samples per AcceptWaveform (0.05 s, the mic's block)"""


def quiet(seconds: float) -> bytes:
    rng = random.Random(0)
    samples = (int(rng.gauss(0.0, 30.0)) for _ in range(int(seconds * RATE)))
    return array.array("h", samples).tobytes()


def main(argv: list[str]) -> None:
    import vosk

    vosk.SetLogLevel(-2)
    model = vosk.Model(argv[0])
    recogniser = vosk.KaldiRecognizer(model, RATE)
    recogniser.AcceptWaveform(quiet(1.0))
    recogniser.FinalResult()
    for path in argv[1:]:
        with wave.open(path, "rb") as w:
            data = w.readframes(w.getnframes())
        for i in range(0, len(data), 2 * CHUNK):
            if recogniser.AcceptWaveform(data[i : i + 2 * CHUNK]):
                recogniser.Result()
        recogniser.FinalResult()
        recogniser.Reset()


if __name__ == "__main__":
    main(sys.argv[1:])
