"""The child of the Pi-class barge-in figure (bench/barge.py), run under a CPU quota:
listens over a few minutes of prompts with nobody talking and prints how long that
took, as JSON. Usage: python -m bench.barge_pi MODEL CACHE MINUTES"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    from assistant.speech.vosk_model import SharedModel
    from bench.barge import KO_PROMPTS, _espeak, _nobody

    model, cache, minutes = Path(argv[0]), Path(argv[1]), float(argv[2])
    shared = SharedModel(model)
    shared.get(timeout=600)
    with _espeak(cache) as speaker_for:
        started = time.monotonic()
        false, cpu, seconds = _nobody(shared, speaker_for, KO_PROMPTS, minutes)
        wall = time.monotonic() - started
    shared.close()
    print(json.dumps({"audio_s": seconds, "wall_s": wall, "cpu_s": cpu, "false": false}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
