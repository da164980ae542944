"""``python -m bench.voice_probe ENGINE RUNS``: speak a read-back RUNS times, in a
process of its own (so that it can run under a CPU quota, away from the recorder).

It opens the speaker as ``ritual run`` does (engines.open_speaker, the default
output device), prints ``worker PID`` (0 for espeak-ng) and waits for a line on
stdin (the bench moves the worker into its group then); then, for each run, it
prints ``request T`` (time.monotonic()) just before asking for the prompt and
``done T`` after it was heard, with a pause between runs.
"""

from __future__ import annotations

import sys
import time

from assistant.audio.player import SoundDevicePlayer
from assistant.core.phrases import phrases_for
from assistant.core.voice_spec import Engine, VoiceSpec
from assistant.engines import open_speaker
from assistant.settings import load_settings

ANSWER = "I want to call my sister and then go for a long walk in the park after work"
READ_BACK = phrases_for("en")["heard"].format(answer=ANSWER)
PAUSE = 0.8
"""seconds between runs: the recording sees each prompt's start on silence"""


def main(engine: str, runs: int) -> int:
    import os

    settings = load_settings(os.environ)
    voice = VoiceSpec(engine=Engine(engine))
    speaker = open_speaker(
        settings, language="en-us", voice=voice, player=SoundDevicePlayer(), notice=print
    )
    piper = getattr(speaker, "piper", None)
    worker = piper.worker if piper is not None else None
    try:
        print(f"worker {worker.pid if worker else 0}", flush=True)
        sys.stdin.readline()
        if worker is not None:
            worker.wait_ready()
        speaker.say("Ready.")  # the output stream's first opening is not the figure
        for _ in range(runs):
            time.sleep(PAUSE)
            print(f"request {time.monotonic()}", flush=True)
            speaker.say(READ_BACK, private=True)
            print(f"done {time.monotonic()}", flush=True)
    finally:
        speaker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
