"""``--events FILE``: one JSON object per line, flushed at once."""

from __future__ import annotations

import json
import logging
import time
from typing import IO, Optional

from assistant.core.ports import Event

log = logging.getLogger(__name__)


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
        try:
            self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            self.stream.flush()
        except (OSError, ValueError) as e:
            # A full disk or a reader gone: the diary matters more than the events,
            # so the ritual goes on without them.
            log.warning("stopped writing events (%s); the ritual goes on", _reason(e))
            self.stream = None


def _reason(e: Exception) -> str:
    return (e.strerror if isinstance(e, OSError) else None) or str(e)
