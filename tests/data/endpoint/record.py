"""Record what Vosk reports, chunk by chunk, for tests/test_endpoint.py.

    python tests/data/endpoint/record.py MODEL_DIR OUT.jsonl TEXT [TEXT...]

Each TEXT is spoken with espeak-ng -v ko (after 0.8 s of a faint noise floor,
followed by 5 s of it), fed to a fresh open recogniser in 0.1 s chunks; every
line of OUT is one event: {"at": s, "partial": text} when the partial text
changed, {"at": s, "sentence": text, "last_word_end": s} when Vosk closed a
sentence. Times are seconds of audio from the start.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def speech(text: str) -> bytes:
    from assistant.audio.resample import to_mono_16k
    from assistant.audio.wav import read_wav

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
        audio = read_wav(raw)
    return to_mono_16k(audio.frames, audio.rate)


def main(model: str, out: str, texts: list[str]) -> None:
    import vosk

    vosk.SetLogLevel(-2)
    rec = vosk.KaldiRecognizer(vosk.Model(model), 16000)
    rec.SetWords(True)
    rng = np.random.default_rng(0)
    parts = []
    for text in texts:
        parts += [np.zeros(12800), np.frombuffer(speech(text), "<i2").astype(float)]
    parts.append(np.zeros(80000))
    signal = np.concatenate(parts)
    signal += rng.normal(0, 30, signal.shape)
    data = np.clip(signal, -32768, 32767).astype("<i2").tobytes()
    events, last, at = [], "", 0.0
    for i in range(0, len(data), 3200):
        at = round(at + len(data[i : i + 3200]) / 32000, 3)
        if rec.AcceptWaveform(data[i : i + 3200]):
            result = json.loads(rec.Result())
            words = result.get("result", [])
            end = round(words[-1]["end"], 3) if words else None
            events.append({"at": at, "sentence": result.get("text", ""), "last_word_end": end})
            last = ""
        else:
            partial = json.loads(rec.PartialResult()).get("partial", "")
            if partial != last:
                events.append({"at": at, "partial": partial})
                last = partial
    Path(out).write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
