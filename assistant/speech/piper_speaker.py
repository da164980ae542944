"""The warm voice: Piper neural speech, from one worker process that keeps the
voice loaded for the whole session.

Prompts that hold none of the user's words are rendered whole into the speech
cache (ahead of time when the session asks for it, see ``prepare``) and played
from there. Private prompts, and any prompt not ready yet, are spoken as they
are made: the first clause is sent on its own, so speech starts after it, and
the worker renders the rest while that plays. docs/engines.md has the figures.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import queue
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Optional, Union

from assistant.audio import StreamPlayer
from assistant.audio.wav import write_wav
from assistant.core.errors import SpeechError
from assistant.core.voice_spec import Engine, VoiceSpec
from assistant.modelstore.voices import PiperVoiceFiles
from assistant.speech import piper_worker
from assistant.speech.prompt_cache import Prefetcher, PromptCache

log = logging.getLogger(__name__)

WORKER = Path(piper_worker.__file__)
_RUN_WORKER = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"
"""runs the worker by its path, without putting its folder first on sys.path"""
START_TIMEOUT = 60.0
"""seconds to load a voice (under 1 s here; a Raspberry Pi reads 63 MB off an SD card)"""
SENTENCE_TIMEOUT = 60.0
"""seconds one sentence may take (a long one takes a few seconds on a Pi)"""
NATURAL_WPM = 200
"""words per minute Piper voices speak at their own pace, roughly (en_US-joe-medium
157-255 on ritual's prompts; pyttsx3's espeak-ng default is 200 too)"""
FIRST_PART_WORDS = 4
"""a first sentence longer than this is cut at its first comma, colon or semicolon"""
_CLAUSE_END = re.compile(r"[,;:](?=\s)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def length_scale(rate: Optional[int]) -> Optional[float]:
    """Piper's length scale (>1 slower) for a rate in words per minute; None: the voice's own."""
    return round(NATURAL_WPM / rate, 3) if rate else None


def first_parts(text: str) -> list[str]:
    """``text`` as parts to synthesise in turn, the first one short.

    Piper makes a sentence in one go: the wait before speech is that of the first
    sentence. A read-back ("I heard: <the whole answer>. Say keep ...") would start
    only after the whole answer was made, so a long first sentence is cut after its
    first clause ("I heard:"), which is where a person would pause anyway.
    """
    text = " ".join(text.split())
    first, *rest = _SENTENCE_END.split(text, maxsplit=1)
    parts = [first]
    if len(first.split()) > FIRST_PART_WORDS:
        for mark in _CLAUSE_END.finditer(first):
            if len(first[: mark.end()].split()) >= 2:
                parts = [first[: mark.end()], first[mark.end() :].strip()]
                break
    return parts + rest


def _safe(text: str) -> str:
    # Piper reads [[ ... ]] as raw phonemes; a diary answer must only ever be words.
    return text.replace("[[", "[ [").replace("]]", "] ]")


class PiperWorker:
    """The worker process and the thread that reads what it sends."""

    def __init__(
        self,
        voice: PiperVoiceFiles,
        *,
        python: str = sys.executable,
        start_timeout: float = START_TIMEOUT,
        sentence_timeout: float = SENTENCE_TIMEOUT,
    ) -> None:
        self.voice = voice
        self.python = python
        self.start_timeout = start_timeout
        self.sentence_timeout = sentence_timeout
        self.sample_rate = voice.sample_rate
        self._process: Optional[subprocess.Popen[bytes]] = None
        self._stderr: Optional[IO[bytes]] = None
        self._ready = threading.Event()
        self._failure: Optional[SpeechError] = None
        self._requests: dict[int, queue.Queue[Union[bytes, SpeechError, None]]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._reader: Optional[threading.Thread] = None
        self._closing = False
        self._starting = threading.Lock()
        self.started_at = 0.0
        self.ready_seconds: Optional[float] = None
        """from start() to the voice being loaded and warmed up"""

    @property
    def pid(self) -> Optional[int]:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start loading the voice; returns at once (``synthesize`` waits for it)."""
        with self._starting:  # the thread rendering ahead may be first to need it
            if self._process is None:
                self._spawn()

    def _spawn(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # A file, not a pipe: nobody reads it until something went wrong.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.started_at = time.monotonic()
        try:
            self._process = subprocess.Popen(
                [self.python, "-c", _RUN_WORKER, str(WORKER),
                 str(self.voice.model), str(self.voice.config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                # Its own session: Ctrl-C in the terminal reaches ritual, which ends
                # the worker in order (and it ends by itself when its stdin closes).
                start_new_session=True,
            )  # fmt: skip
        except OSError as e:
            raise SpeechError(f"cannot start Piper ({e.strerror})") from None
        self._reader = threading.Thread(target=self._read, name="piper-reader", daemon=True)
        self._reader.start()

    def wait_ready(self) -> None:
        self.start()
        if not self._ready.wait(self.start_timeout):
            self.close()
            raise SpeechError(
                f"the Piper voice {self.voice.name} did not load within {self.start_timeout:g} s"
            )
        if self._failure is not None:
            raise self._failure

    def synthesize(self, parts: Sequence[str], *, urgent: bool, **settings: Any) -> Iterator[bytes]:
        """Send the request now; the iterator yields its PCM (mono int16 at
        ``sample_rate``), a sentence at a time, as the worker makes it."""
        self.wait_ready()
        ident = next(self._ids)
        answers: queue.Queue[Union[bytes, SpeechError, None]] = queue.Queue()
        request = {"id": ident, "parts": [_safe(p) for p in parts], "urgent": urgent, **settings}
        with self._lock:
            self._requests[ident] = answers
            try:
                assert self._process is not None and self._process.stdin is not None
                self._process.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
                self._process.stdin.flush()
            except (OSError, ValueError):
                self._requests.pop(ident, None)
                raise (self._failure or SpeechError("Piper stopped working")) from None
        return self._answers(ident, answers)

    def _answers(
        self, ident: int, answers: queue.Queue[Union[bytes, SpeechError, None]]
    ) -> Iterator[bytes]:
        try:
            while True:
                try:
                    item = answers.get(timeout=self.sentence_timeout)
                except queue.Empty:
                    raise SpeechError(
                        f"Piper made no sound within {self.sentence_timeout:g} s"
                    ) from None
                if item is None:
                    return
                if isinstance(item, SpeechError):
                    raise item
                yield item
        finally:
            with self._lock:
                self._requests.pop(ident, None)

    # -- the reader thread -----------------------------------------------------------
    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        try:
            while True:
                head = _read_exactly(stdout, 4)
                if head is None:
                    break
                (size,) = struct.unpack(">I", head)
                raw = _read_exactly(stdout, size)
                if raw is None:
                    break
                header = json.loads(raw)
                payload = b""
                if header.get("type") == "chunk":
                    payload = _read_exactly(stdout, int(header["bytes"])) or b""
                self._route(header, payload)
        except (OSError, ValueError) as e:
            log.debug("reading from Piper: %s", e)
        self._ended()

    def _route(self, header: dict[str, Any], payload: bytes) -> None:
        kind = header.get("type")
        if kind == "ready":
            self.sample_rate = int(header.get("sample_rate") or self.sample_rate)
            self.ready_seconds = time.monotonic() - self.started_at
            self._ready.set()
            return
        with self._lock:
            answers = self._requests.get(header.get("id", -1))
        if answers is None:
            return  # a request nobody waits for any more
        if kind == "chunk":
            answers.put(payload)
        elif kind == "done":
            answers.put(None)
        else:
            answers.put(SpeechError(f"Piper could not say that: {header.get('message')}"))

    def _ended(self) -> None:
        """The worker's output ended: it exited (or was ended). Tell everyone waiting."""
        process = self._process
        status = None
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                status = process.wait(timeout=5)
        self._failure = self._failure or SpeechError(self._why(status))
        with self._lock:
            waiting = list(self._requests.values())
        for answers in waiting:
            answers.put(self._failure)
        self._ready.set()

    def _why(self, status: Optional[int]) -> str:
        said = ""
        if self._stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                self._stderr.seek(0)
                lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
                said = lines[-1] if lines else ""
        if status == piper_worker.Exit.NO_PIPER and self.python != sys.executable:
            return (
                f"Piper is not installed for {self.python} ({said}). Install it there with: "
                f"{self.python} -m pip install 'piper-tts>=1.8'"
            )
        if status == piper_worker.Exit.NO_PIPER:
            return (
                f"Piper is not installed ({said}). "
                "Install it with ./setup --piper in ritual's folder"
            )
        if status == piper_worker.Exit.BAD_VOICE:
            return f"the Piper voice {self.voice.model} cannot be loaded ({said})"
        if self._closing:
            return "Piper was stopped"
        return f"Piper stopped working ({said or f'exit status {status}'})"

    def close(self) -> None:
        """End the worker: its stdin closes (it exits by itself), then a signal if need be."""
        process = self._process
        if process is None or self._closing:
            return
        self._closing = True
        with contextlib.suppress(OSError, ValueError):
            assert process.stdin is not None
            process.stdin.close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            # Busy with a long sentence: there is no one left to hear it.
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()


def _read_exactly(stream: IO[bytes], size: int) -> Optional[bytes]:
    data = b""
    while len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            return None
        data += more
    return data


class PiperSpeaker:
    """A Speaker: Piper prompts from the cache, or spoken as they are made."""

    def __init__(
        self,
        *,
        cache_dir: Path,
        player: StreamPlayer,
        voice: PiperVoiceFiles,
        spec: VoiceSpec,
        worker: Optional[PiperWorker] = None,
    ) -> None:
        self.player = player
        self.voice = voice
        self.worker = worker or PiperWorker(voice)
        self.settings: dict[str, Any] = {
            "length_scale": length_scale(spec.rate),
            "volume": 1.0 if spec.volume is None else spec.volume,
        }
        self.cache = PromptCache(
            cache_dir, [Engine.PIPER.value, *voice.identity(), *self.settings.values()]
        )
        self.prefetcher = Prefetcher(self.render_ahead, name="piper-ahead")
        self.synth_calls = 0
        """prompts rendered into the cache (misses) since this speaker was made"""
        self.synth_seconds = 0.0
        self._counting = threading.Lock()

    def start(self) -> None:
        """Start loading the voice in the background (the first prompt waits for it)."""
        self.worker.start()

    def say(self, text: str, *, private: bool = False) -> None:
        if not any(c.isalnum() for c in text):
            return  # nothing to voice ("...", "—")
        if private:
            # The user's own words: heard once, kept nowhere.
            self.player.play_stream(self._live(text), self.worker.sample_rate)
            return
        path = self.cache.lookup(text)
        if path is None:
            self.prefetcher.claim(text)  # being rendered ahead right now: wait for it
            path = self.cache.lookup(text)
        if path is not None:
            self.player.play(path)
            return
        # Not ready: spoken as it is made, and kept for the next time.
        heard: list[bytes] = []
        self.player.play_stream(_kept(self._live(text), heard), self.worker.sample_rate)
        pcm = b"".join(heard)
        if pcm:
            self.cache.store(text, lambda tmp: write_wav(tmp, pcm, self.worker.sample_rate))

    def prepare(self, texts: Sequence[str]) -> None:
        self.prefetcher.add(t for t in texts if any(c.isalnum() for c in t))

    @property
    def description(self) -> str:
        return f"Piper voice {self.voice.name}"

    def render_ahead(self, text: str) -> bool:
        """Render ``text`` into the cache unless it is there; True when it was rendered."""
        if self.cache.lookup(text):
            return False
        started = time.perf_counter()
        pcm = b"".join(self.worker.synthesize([text], urgent=False, **self.settings))
        if not pcm:
            raise SpeechError(f"Piper made no sound for {text!r}")
        self.cache.store(text, lambda tmp: write_wav(tmp, pcm, self.worker.sample_rate))
        with self._counting:
            self.synth_calls += 1
            self.synth_seconds += time.perf_counter() - started
        return True

    def _live(self, text: str) -> Iterator[bytes]:
        return self.worker.synthesize(first_parts(text), urgent=True, **self.settings)

    def close(self) -> None:
        # The worker first: a prompt being rendered ahead ends with it.
        self.worker.close()
        self.prefetcher.close()


def _kept(chunks: Iterator[bytes], into: list[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        into.append(chunk)
        yield chunk
