"""Piper speech synthesis in a process of its own: one voice, loaded once.

Run by ``PiperSpeaker`` as ``python piper_worker.py MODEL.onnx CONFIG.json``.
It imports nothing of ritual's, and ritual never imports Piper (GPL-3.0): the
two meet only through this pipe.

stdin: one JSON request per line,
    {"id": 1, "parts": ["I heard:", "call my sister."], "length_scale": 1.1,
     "volume": 0.9, "urgent": true}
stdout: frames of a 4-byte big-endian header length, a JSON header, then its
payload: {"type": "ready", "sample_rate": 22050} once the voice is loaded and
warmed up; per request {"id", "type": "chunk", "bytes": N} + N bytes of mono
int16 PCM for each sentence, then {"id", "type": "done"} (or "error").

Urgent requests (a prompt someone is waiting for) go before the rest, at the
next sentence boundary of a request rendered ahead. The worker ends when its
stdin closes, which is also what happens when ritual dies in any way. Exit
statuses (``Exit``): 20 Piper is not installed, 21 the voice cannot be loaded,
1 another failure; the reason is on stderr. The frames are typed below.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import threading
from collections import deque
from collections.abc import Iterator
from enum import IntEnum
from typing import Any, BinaryIO, Literal, Optional, TypedDict, Union


class Exit(IntEnum):
    """The worker's exit statuses (numbers of their own: the pyttsx3 worker uses 10s)."""

    OK = 0
    FAILED = 1
    NO_PIPER = 20
    BAD_VOICE = 21


class Ready(TypedDict):
    type: Literal["ready"]
    sample_rate: int
    """Hertz"""


class Chunk(TypedDict):
    id: Any
    type: Literal["chunk"]
    bytes: int
    """the length of the PCM payload that follows the header"""


class Done(TypedDict):
    id: Any
    type: Literal["done"]


class Failed(TypedDict):
    id: Any
    type: Literal["error"]
    message: str


Frame = Union[Ready, Chunk, Done, Failed]
"""a header on stdout"""

THREADS = "1"
"""one thread for ONNX Runtime and for numpy's BLAS: ritual's listener needs the rest"""


class Requests:
    """Requests read from stdin on a thread, urgent ones first."""

    def __init__(self) -> None:
        self.urgent: deque[dict[str, Any]] = deque()
        self.ahead: deque[dict[str, Any]] = deque()
        self.closed = False
        self.changed = threading.Condition()

    def read(self, stream: Any) -> None:
        for line in stream:
            try:
                request = json.loads(line)
            except ValueError:
                continue  # not a request (an empty line): nothing to answer
            if not isinstance(request, dict) or not isinstance(request.get("parts"), list):
                continue
            with self.changed:
                (self.urgent if request.get("urgent") else self.ahead).append(request)
                self.changed.notify()
        with self.changed:
            self.closed = True
            self.changed.notify()

    def next(self, *, wait: bool) -> Optional[dict[str, Any]]:
        """The next urgent request, else the next one; None when there is none
        (and, with ``wait``, once stdin has closed)."""
        with self.changed:
            while wait and not self.urgent and not self.ahead and not self.closed:
                self.changed.wait()
            if self.urgent:
                return self.urgent.popleft()
            if wait and self.ahead:
                return self.ahead.popleft()
            return None


class Output:
    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def send(self, header: Frame, payload: bytes = b"") -> None:
        head = json.dumps(header).encode("utf-8")
        self.stream.write(struct.pack(">I", len(head)) + head + payload)
        self.stream.flush()


def load_voice(model: str, config: str) -> Any:
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    options = onnxruntime.SessionOptions()
    # PiperVoice.load() takes no thread setting; its default session uses every core.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )
    with open(config, encoding="utf-8") as f:
        return PiperVoice(session=session, config=PiperConfig.from_dict(json.load(f)))


def sentences(voice: Any, request: dict[str, Any]) -> Iterator[bytes]:
    """The request's audio, one sentence at a time."""
    from piper import SynthesisConfig

    syn = SynthesisConfig(
        length_scale=request.get("length_scale"), volume=request.get("volume", 1.0)
    )
    for part in request["parts"]:
        for chunk in voice.synthesize(part, syn_config=syn):
            yield chunk.audio_int16_bytes


def serve(voice: Any, requests: Requests, out: Output) -> None:
    # (id, its sentences) of the request rendered ahead that is under way
    current: Optional[tuple[Any, Iterator[bytes]]] = None
    while True:
        request = requests.next(wait=current is None)
        if request is not None:
            if not request.get("urgent") and current is not None:
                raise AssertionError("one request ahead at a time")
            job = (request.get("id"), sentences(voice, request))
            if request.get("urgent"):
                run(job, out, whole=True)
                continue
            current = job
        elif current is None:
            return  # stdin closed and nothing left to do
        if current is not None and run(current, out, whole=False):
            current = None


def run(job: tuple[Any, Iterator[bytes]], out: Output, *, whole: bool) -> bool:
    """Send the job's next sentence (all of them if ``whole``); True when it is over."""
    ident, chunks = job
    try:
        for pcm in chunks:
            out.send({"id": ident, "type": "chunk", "bytes": len(pcm)}, pcm)
            if not whole:
                return False
    except BrokenPipeError:
        raise
    except Exception as e:  # a bad request must not end the voice for the others
        out.send({"id": ident, "type": "error", "message": f"{type(e).__name__}: {e}"})
        return True
    out.send({"id": ident, "type": "done"})
    return True


def main(argv: list[str]) -> int:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = THREADS  # before numpy or onnxruntime is imported
    # Our frames get the real stdout; anything a library prints goes to stderr.
    out = Output(os.fdopen(os.dup(1), "wb"))
    os.dup2(2, 1)
    model, config = argv[-2:]
    try:
        import onnxruntime  # noqa: F401
        import piper  # noqa: F401
    except ImportError as e:
        print(f"{e}", file=sys.stderr)
        return Exit.NO_PIPER
    try:
        voice = load_voice(model, config)
    except Exception as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return Exit.BAD_VOICE
    try:
        # The first synthesis loads espeak-ng's phonemiser (a broken wheel fails
        # only here) and warms ONNX Runtime up: do it now, not on the first prompt.
        list(voice.synthesize("Ready."))
    except Exception as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return Exit.FAILED
    requests = Requests()
    threading.Thread(target=requests.read, args=(sys.stdin,), daemon=True).start()
    try:
        out.send({"type": "ready", "sample_rate": voice.config.sample_rate})
        serve(voice, requests, out)
    except BrokenPipeError:
        pass  # ritual has gone: so do we
    return Exit.OK


if __name__ == "__main__":
    sys.exit(main(sys.argv))
