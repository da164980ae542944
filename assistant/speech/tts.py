"""The voice: pyttsx3 (espeak-ng on Linux) renders each prompt to a cached WAV,
which the player plays to the end.

pyttsx3 runs in a short-lived worker process, one per prompt not yet in the
cache, because of what FACTS.md measured about it: it prints "Audio saved to …"
on stdout (ours must stay clean: ``--events -`` writes JSON there), only the
last item queued before ``runAndWait()`` is produced, and a second
``runAndWait()`` hangs with some drivers; and with espeak-ng, ``runAndWait()``
returns before espeak-ng's own thread has written the file (measured: about 1
prompt in 150 went missing on a busy machine), so the worker waits for the
"finished-utterance" event. A worker has its own stdout, renders exactly one
item, and can be killed on a timeout, so a hung synthesis is an error
message, never a frozen ritual. It costs about 0.1 s, once per prompt:
the second run of a ritual synthesises nothing.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import functools
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.audio import Player
from assistant.audio.wav import read_wav
from assistant.errors import SpeechError
from assistant.settings import VoiceSettings

log = logging.getLogger(__name__)

ESPEAK_FIX = "sudo apt install espeak-ng"
TIMEOUT = 30.0
"""seconds one prompt may take to render (a few hundred ms on a Raspberry Pi)"""
CACHE_VERSION = "2"
"""bumped when the rendering changes (2: quiet ends trimmed)"""
"""part of every cache key: bump it when rendering changes"""

# Exit statuses of the worker, mapped to messages in _check_worker.
_NO_PYTTSX3, _NO_ESPEAK, _NO_VOICE = 3, 4, 5

# The worker imports nothing of ours, so it runs the same from a checkout or an
# install. Its stdout is /dev/null; errors come back on stderr.
_WORKER = r"""
import json, sys
job = json.loads(sys.argv[1])
try:
    import pyttsx3
except ImportError as e:
    if "espeak" in str(e).lower():
        sys.exit(4)
    print(e, file=sys.stderr); sys.exit(3)
except (OSError, RuntimeError) as e:
    print(e, file=sys.stderr); sys.exit(4)
try:
    engine = pyttsx3.init()
except (OSError, RuntimeError) as e:
    print(e, file=sys.stderr); sys.exit(4)
voices = engine.getProperty("voices")
def find(wanted):
    for v in voices:
        base = v.id.replace("\\", "/").split("/")[-1].lower()
        langs = [str(x).lower() for x in (v.languages or [])]
        if wanted in (v.id.lower(), base, str(v.name).lower()) or wanted in langs:
            return v
    return None
wanted = job["voice"].lower().replace("_", "-")
voice = find(wanted) or find(wanted.split("-")[0])
if voice is None:
    names = sorted({v.id.replace("\\", "/").split("/")[-1].lower() for v in voices})
    print(", ".join(names), file=sys.stderr); sys.exit(5)
engine.setProperty("voice", voice.id)
if job["rate"] is not None:
    engine.setProperty("rate", job["rate"])
if job["volume"] is not None:
    engine.setProperty("volume", job["volume"])
# runAndWait() returns as soon as espeak-ng has *started* (it synthesises on a
# thread of its own); the file is written, then "finished-utterance" is sent.
import threading
finished = threading.Event()
engine.connect("finished-utterance", lambda **_: finished.set())
engine.save_to_file(job["text"], job["out"])
engine.runAndWait()
if not finished.wait(job["timeout"]):
    print("espeak-ng did not finish the sound", file=sys.stderr); sys.exit(1)
"""


@functools.lru_cache(maxsize=1)
def espeak_missing() -> str | None:
    """A message naming the fix when the espeak-ng library cannot be found.

    Asked once per process: find_library runs ``ldconfig -p``.
    """
    if sys.platform.startswith("linux") and not (
        ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak")
    ):
        return f"espeak-ng (the speech synthesiser) is not installed. Install it with: {ESPEAK_FIX}"
    return None


class Pyttsx3Speaker:
    """A Speaker: render with pyttsx3 into a cache of WAVs, play with a Player."""

    def __init__(
        self,
        *,
        cache_dir: Path,
        player: Player,
        voice: VoiceSettings,
        language: str,
        timeout: float = TIMEOUT,
        python: str = sys.executable,
    ) -> None:
        self.cache_dir = cache_dir
        self.player = player
        self.voice = voice.name or language
        """espeak-ng voice name or language code (en-us, ko, ...)"""
        self.rate = voice.rate
        self.volume = voice.volume
        self.timeout = timeout
        self.python = python
        """the interpreter that runs the worker (one with pyttsx3 installed)"""
        self.synth_calls = 0
        """prompts rendered (cache misses) since this speaker was made"""
        self.synth_seconds = 0.0
        """wall time spent rendering them"""

    def say(self, text: str, *, private: bool = False) -> None:
        if not any(c.isalnum() for c in text):
            return  # nothing espeak-ng would voice ("...", "—")
        if not private:
            self.player.play(self.render(text))
            return
        # The user's own words: rendered for this once, played, and gone.
        path = self.render(text)
        try:
            self.player.play(path)
        finally:
            with contextlib.suppress(OSError):
                path.unlink()

    def cache_path(self, text: str) -> Path:
        key = json.dumps(
            [CACHE_VERSION, text, self.voice, self.rate, self.volume], ensure_ascii=False
        )
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.cache_dir / f"{digest}.wav"

    def render(self, text: str) -> Path:
        """The WAV of ``text`` in this voice: from the cache, or rendered into it."""
        path = self.cache_path(text)
        if path.is_file():
            return path
        try:
            # Private: a recall prompt reads a diary answer back ("This morning you said…").
            self.cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.cache_dir, 0o700)
        except OSError as e:
            raise SpeechError(
                f"cannot create the speech cache {self.cache_dir} ({e.strerror})"
            ) from None
        # Rendered beside its final name, then renamed: a half-written file is never
        # taken for a cached prompt.
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.wav")
        try:
            self._synthesize(text, tmp)
            trim_quiet_ends(tmp)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return path

    def _synthesize(self, text: str, out: Path) -> None:
        missing = espeak_missing()
        if missing:
            raise SpeechError(missing)
        job = json.dumps({"text": text, "voice": self.voice, "rate": self.rate,
                          "volume": self.volume, "out": str(out),
                          "timeout": self.timeout})  # fmt: skip
        started = time.perf_counter()
        try:
            worker = subprocess.Popen(
                [self.python, "-c", _WORKER, job],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # pyttsx3's "Audio saved to" goes nowhere
                stderr=subprocess.PIPE,
                cwd=self.cache_dir,
                start_new_session=True,  # so a timeout can end it and anything it started
            )
        except OSError as e:
            raise SpeechError(f"cannot start speech synthesis ({e.strerror})") from None
        try:
            _, err = worker.communicate(timeout=self.timeout)
        except BaseException as e:  # a timeout, or Ctrl-C: the worker must not live on
            _kill(worker)
            if not isinstance(e, subprocess.TimeoutExpired):
                raise
            raise SpeechError(
                f"speech synthesis did not finish within {self.timeout:g} s; check that "
                f"`espeak-ng -v {self.voice} hello` speaks, and run `ritual doctor`"
            ) from None
        self.synth_calls += 1
        self.synth_seconds += time.perf_counter() - started
        self._check_worker(worker.returncode, err.decode("utf-8", "replace").strip(), out)

    def _check_worker(self, status: int, stderr: str, out: Path) -> None:
        if status == _NO_ESPEAK:
            raise SpeechError(f"espeak-ng cannot be used ({stderr}). Install it with: {ESPEAK_FIX}")
        if status == _NO_PYTTSX3:
            raise SpeechError(
                f"pyttsx3 is missing ({stderr}); reinstall ritual (pip install pyttsx3)"
            )
        if status == _NO_VOICE:
            raise SpeechError(
                f"there is no espeak-ng voice {self.voice!r}; set voice: {{name: ...}} in the "
                f"config or the ritual to one of: {stderr}"
            )
        if status != 0:
            last = stderr.splitlines()[-1] if stderr else f"exit status {status}"
            raise SpeechError(f"speech synthesis failed: {last}")
        try:
            audio = read_wav(out)
        except (OSError, ValueError, EOFError) as e:
            raise SpeechError(f"speech synthesis wrote no usable sound ({e})") from None
        if not audio.frames:
            raise SpeechError("speech synthesis produced no sound (is espeak-ng working?)")


def _kill(worker: subprocess.Popen[bytes]) -> None:
    """End the worker and anything it started (it leads its own process group)."""
    with contextlib.suppress(OSError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.communicate()


QUIET = 33
"""int16 amplitude below which a sample is silence (about -60 dBFS)"""
KEPT_QUIET = 0.05
"""seconds of the quiet ends kept, so no sound starts or stops abruptly"""


def trim_quiet_ends(path: Path) -> None:
    """Cut espeak-ng's near-silent lead and tail (about 0.3 s) from a rendered prompt.

    The listener only starts once a prompt has finished playing: a quiet tail is
    time in which the user's first syllable would be lost.
    """
    import numpy as np

    from assistant.audio.wav import read_wav, write_wav

    audio = read_wav(path)
    samples = np.frombuffer(audio.frames, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > QUIET)
    if loud.size == 0:
        return
    keep = int(KEPT_QUIET * audio.rate) * audio.channels
    first = max(0, int(loud[0]) - keep)
    last = min(samples.size, int(loud[-1]) + 1 + keep)
    first -= first % audio.channels
    last += (-last) % audio.channels
    write_wav(path, samples[first:last].tobytes(), audio.rate, audio.channels)
