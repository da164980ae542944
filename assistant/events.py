"""``--events FILE``: one JSON object per line, flushed at once."""

from __future__ import annotations

import json
import time
from typing import IO, Optional

from assistant.core.ports import Event


class JsonLinesEvents:
    """Writes ``{"event": ..., "time": <unix seconds>, ...}`` lines: an ``EventSink``.

    An LED on a Pi or a test waiting to speak can follow the file as it grows.
    """

    def __init__(self, stream: Optional[IO[str]]) -> None:
        self.stream = stream

    def __call__(self, event: Event, /, **fields: object) -> None:
        if self.stream is None:
            return
        record = {"event": event.value, "time": round(time.time(), 6), **fields}
        self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.stream.flush()
