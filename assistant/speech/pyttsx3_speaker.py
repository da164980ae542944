"""The voice: pyttsx3 (espeak-ng on Linux) renders each prompt to a cached WAV,
which the player plays to the end.

pyttsx3 runs in a short-lived worker process (``pyttsx3_worker``), one per
prompt not yet in the cache: a worker has its own stdout, renders exactly one
item, and can be killed on a timeout, so a hung synthesis is an error message,
never a frozen ritual. It costs about 0.1 s, once per prompt: the second run of
a ritual synthesises nothing.
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
from assistant.core.errors import SpeechError
from assistant.core.voice_spec import VoiceSpec
from assistant.speech import pyttsx3_worker

log = logging.getLogger(__name__)

ESPEAK_FIX = "sudo apt install espeak-ng"
TIMEOUT = 30.0
"""seconds one prompt may take to render (a few hundred ms on a Raspberry Pi)"""
CACHE_VERSION = "2"
"""part of every cache key: bump it when rendering changes (2: quiet ends trimmed)"""
WORKER = Path(pyttsx3_worker.__file__)
_RUN_WORKER = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"
"""runs the worker by its path, without putting its folder first on sys.path"""


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
        voice: VoiceSpec,
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
                [self.python, "-c", _RUN_WORKER, str(WORKER), job],
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
        if status == pyttsx3_worker.NO_ESPEAK:
            raise SpeechError(f"espeak-ng cannot be used ({stderr}). Install it with: {ESPEAK_FIX}")
        if status == pyttsx3_worker.NO_PYTTSX3:
            raise SpeechError(
                f"pyttsx3 is missing ({stderr}); reinstall ritual (pip install pyttsx3)"
            )
        if status == pyttsx3_worker.NO_VOICE:
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
