"""The default voice: pyttsx3 (espeak-ng on Linux) renders each prompt to a cached
WAV (ahead of time when the session asks, see ``prepare``), which the player
plays to the end.

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
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from assistant.audio import Player
from assistant.audio.wav import read_wav
from assistant.core.errors import SpeechError
from assistant.core.voice_spec import Engine, VoiceSpec
from assistant.speech import pyttsx3_worker
from assistant.speech.prompt_cache import Prefetcher, PromptCache, private_folder

log = logging.getLogger(__name__)

ESPEAK_FIX = "sudo apt install espeak-ng"
TIMEOUT = 30.0
"""seconds one prompt may take to render (a few hundred ms on a Raspberry Pi)"""
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
        self.cache = PromptCache(
            cache_dir, [Engine.ESPEAK.value, self.voice, self.rate, self.volume]
        )
        self.prefetcher = Prefetcher(self.render_ahead, name="espeak-ahead")
        self.synth_calls = 0
        """prompts rendered (cache misses) since this speaker was made"""
        self.synth_seconds = 0.0
        """wall time spent rendering them"""
        self._counting = threading.Lock()

    def say(self, text: str, *, private: bool = False) -> None:
        if not any(c.isalnum() for c in text):
            return  # nothing espeak-ng would voice ("...", "—")
        if not private:
            self.player.play(self.render(text))
            return
        # The user's own words: rendered for this once, in memory where there is a
        # place for it, played, and gone. Under a name no prompt has, so that no
        # cached prompt is ever taken for it.
        folder = private_folder(self.cache.folder)
        path = folder / f".private-{os.getpid()}-{threading.get_ident()}.wav"
        try:
            self.cache.store(text, lambda tmp: self._synthesize(text, tmp), into=path)
            self.player.play(path)
        finally:
            with contextlib.suppress(OSError):
                path.unlink()

    def prepare(self, texts: Sequence[str]) -> None:
        self.prefetcher.add(t for t in texts if any(c.isalnum() for c in t))

    def cache_path(self, text: str) -> Path:
        return self.cache.path(text)

    def render(self, text: str) -> Path:
        """The WAV of ``text`` in this voice: from the cache, or rendered into it."""
        path = self.cache.lookup(text)
        if path is None:
            self.prefetcher.claim(text)  # being rendered ahead right now: wait for it
            path = self.cache.lookup(text)
        return path or self.cache.store(text, lambda tmp: self._synthesize(text, tmp))

    @property
    def description(self) -> str:
        return f"espeak-ng voice {self.voice}"

    def render_ahead(self, text: str) -> bool:
        """Render ``text`` into the cache unless it is there; True when it was rendered."""
        if self.cache.lookup(text):
            return False
        self.cache.store(text, lambda tmp: self._synthesize(text, tmp))
        return True

    def close(self) -> None:
        self.prefetcher.close()

    def _synthesize(self, text: str, out: Path) -> None:
        missing = espeak_missing()
        if missing:
            raise SpeechError(missing)
        job = pyttsx3_worker.Job(
            text=text,
            out=str(out),
            voice=self.voice,
            rate=self.rate,
            volume=self.volume,
            timeout=self.timeout,
        )
        started = time.perf_counter()
        try:
            worker = subprocess.Popen(
                [self.python, "-c", _RUN_WORKER, str(WORKER), json.dumps(job)],
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
        with self._counting:
            self.synth_calls += 1
            self.synth_seconds += time.perf_counter() - started
        self._check_worker(worker.returncode, err.decode("utf-8", "replace").strip(), out)

    def _check_worker(self, status: int, stderr: str, out: Path) -> None:
        if status == pyttsx3_worker.Exit.NO_ESPEAK:
            raise SpeechError(f"espeak-ng cannot be used ({stderr}). Install it with: {ESPEAK_FIX}")
        if status == pyttsx3_worker.Exit.NO_PYTTSX3:
            raise SpeechError(
                f"pyttsx3 is missing ({stderr}); reinstall ritual (pip install pyttsx3)"
            )
        if status == pyttsx3_worker.Exit.NO_VOICE:
            raise SpeechError(
                f"there is no espeak-ng voice {self.voice!r}; set voice: {{name: ...}} in the "
                f"config or the ritual to one of: {stderr}"
            )
        if status != pyttsx3_worker.Exit.OK:
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
