"""Render one prompt to a WAV with pyttsx3, in a process of its own.

Run by ``Pyttsx3Speaker`` with the job (JSON) as its last argument; it exits
with one of the statuses below, and says why on stderr. It imports nothing of
ritual's, so it runs the same from a checkout or an install.

Why a process per prompt (docs/engines.md): pyttsx3 prints "Audio saved to …"
on stdout, produces only the last item queued before ``runAndWait()``, and may
hang on a second ``runAndWait()``; with espeak-ng, ``runAndWait()`` returns
before espeak-ng's own thread has written the file, so this waits for the
"finished-utterance" event.
"""

from __future__ import annotations

import json
import sys
import threading
from enum import IntEnum
from typing import Any, Optional, TypedDict


class Exit(IntEnum):
    """The worker's exit statuses (numbers of their own: Piper's worker uses 20s)."""

    OK = 0
    FAILED = 1
    NO_PYTTSX3 = 10
    NO_ESPEAK = 11
    NO_VOICE = 12


class Job(TypedDict):
    """What to render, given as the last argument (JSON)."""

    text: str
    out: str
    """the WAV file to write"""
    voice: str
    """an espeak-ng voice name or language (en-us, ko)"""
    rate: Optional[int]
    """words a minute; None for the voice's own"""
    volume: Optional[float]
    """0..1; None for the voice's own"""
    timeout: float
    """seconds to wait for espeak-ng to finish the sound"""


def _voice_id(path: str) -> str:
    return path.replace("\\", "/").split("/")[-1].lower()


def find_voice(voices: list[Any], wanted: str) -> Optional[Any]:
    """The voice whose id, name or language is ``wanted`` (e.g. en-us, ko), or None."""
    for voice in voices:
        languages = [str(x).lower() for x in (voice.languages or [])]
        if wanted in (voice.id.lower(), _voice_id(voice.id), str(voice.name).lower()):
            return voice
        if wanted in languages:
            return voice
    return None


def render(job: Job) -> Exit:
    """Render ``job["text"]`` into ``job["out"]``; an exit status."""
    try:
        import pyttsx3
    except ImportError as e:
        if "espeak" in str(e).lower():
            return Exit.NO_ESPEAK
        print(e, file=sys.stderr)
        return Exit.NO_PYTTSX3
    except (OSError, RuntimeError) as e:
        print(e, file=sys.stderr)
        return Exit.NO_ESPEAK
    try:
        engine = pyttsx3.init()
    except (OSError, RuntimeError) as e:
        print(e, file=sys.stderr)
        return Exit.NO_ESPEAK
    voices = engine.getProperty("voices")
    wanted = str(job["voice"]).lower().replace("_", "-")
    voice = find_voice(voices, wanted) or find_voice(voices, wanted.split("-")[0])
    if voice is None:
        print(", ".join(sorted({_voice_id(v.id) for v in voices})), file=sys.stderr)
        return Exit.NO_VOICE
    engine.setProperty("voice", voice.id)
    if job.get("rate") is not None:
        engine.setProperty("rate", job["rate"])
    if job.get("volume") is not None:
        engine.setProperty("volume", job["volume"])
    finished = threading.Event()
    engine.connect("finished-utterance", lambda **_: finished.set())
    engine.save_to_file(job["text"], job["out"])
    engine.runAndWait()
    if not finished.wait(float(job["timeout"])):
        print("espeak-ng did not finish the sound", file=sys.stderr)
        return Exit.FAILED
    return Exit.OK


if __name__ == "__main__":
    sys.exit(render(json.loads(sys.argv[-1])))  # the job is the last argument
