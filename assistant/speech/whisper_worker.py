"""Polishing in a process of its own, at low priority, while the ritual goes on.

``BackgroundWhisper`` (a ``PolishWorker``) starts ``python -m
assistant.speech.whisper_worker MODEL NAME LANGUAGE THREADS``. A process, not a
thread: the live listener keeps its core and the interpreter's lock, the worker
runs niced, and at the session's end it can be stopped at once, mid-answer.

stdin: one JSON request a line, {"job": "feel#1", "audio": ["/path/01-feel.wav"]}
stdout: one JSON line each, {"job": ..., "text": ...} or {"job": ..., "error": ...};
{"ready": true} first, once the model is loaded. It ends when its stdin closes.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Optional

from assistant.core.polish_sink import Heard

NICENESS = 10
"""the worker's priority below the ritual's (the listener must never wait for it)"""
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""the folder holding the ``assistant`` package: the worker runs this very code"""


class BackgroundWhisper:
    """A ``PolishWorker`` on a faster-whisper model in a niced worker process."""

    def __init__(
        self, model: Path, *, name: str, engine: str, language: str, threads: int = 1
    ) -> None:
        self.engine = engine
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")])
        )
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._process: subprocess.Popen[str] = subprocess.Popen(
            [sys.executable, "-m", "assistant.speech.whisper_worker",
             str(model), name, language, str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            text=True,
            start_new_session=True,  # Ctrl-C reaches ritual, which ends the worker
        )  # fmt: skip
        self._heard: queue.Queue[Heard] = queue.Queue()
        self._jobs: list[str] = []
        self._closing = False
        self._reader = threading.Thread(target=self._read, name="polish-reader", daemon=True)
        self._reader.start()

    def submit(self, key: str, audio: Sequence[Path]) -> None:
        self._jobs.append(key)
        request = json.dumps({"job": key, "audio": [str(p) for p in audio]})
        try:
            assert self._process.stdin is not None
            self._process.stdin.write(request + "\n")
            self._process.stdin.flush()
        except (OSError, ValueError):
            self._heard.put(Heard(key, error="the polishing worker has stopped"))

    def collect(self, timeout: float = 0.0) -> list[Heard]:
        heard = []
        try:
            heard.append(
                self._heard.get(timeout=timeout) if timeout > 0 else self._heard.get_nowait()
            )
            while True:
                heard.append(self._heard.get_nowait())
        except queue.Empty:
            pass
        return heard

    def _read(self) -> None:
        out = self._process.stdout
        assert out is not None
        for line in out:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and isinstance(message.get("job"), str):
                self._heard.put(
                    Heard(
                        message["job"], str(message.get("text", "")), str(message.get("error", ""))
                    )
                )
        if self._closing:
            return
        # The worker ended (no faster-whisper, a damaged model): every job left fails.
        for job in self._jobs:
            self._heard.put(Heard(job, error=self._failure()))

    def _failure(self) -> str:
        self._stderr.seek(0)
        last = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return last[-1] if last else "the polishing worker has stopped"

    def close(self) -> None:
        self._closing = True
        if self._process.poll() is None:
            self._process.kill()  # mid-answer too: what is left waits for `ritual polish`
        self._process.wait()
        self._reader.join(timeout=5.0)  # it reads to the end of the pipe, then stops
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()


def _serve(model: str, name: str, language: str, threads: int, out: IO[str]) -> None:
    from assistant.speech.whisper_transcriber import WhisperTranscriber

    transcriber = WhisperTranscriber(Path(model), name=name, language=language, threads=threads)
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        job = request["job"]
        try:
            texts = [transcriber.transcribe(Path(p)).text for p in request["audio"]]
            reply: dict[str, str] = {"job": job, "text": " ".join(t for t in texts if t)}
        except Exception as e:  # one unreadable answer must not end the others
            reply = {"job": job, "error": str(e) or type(e).__name__}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def main(argv: Optional[Sequence[str]] = None) -> int:
    model, name, language, threads = (argv or sys.argv[1:])[:4]
    os.nice(NICENESS)  # before the model starts its threads: they inherit it
    _serve(model, name, language, int(threads), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
