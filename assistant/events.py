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

    def __init__(self, stream: Optional[IO[str]], *, private: bool = False) -> None:
        self.stream = stream
        self.private = private
        """leave out what the user said (``heard``) and what is read back to them (a
        ``speaking`` marked private): an encrypted journal's words stay out of files"""

    def __call__(self, event: Event, /, **fields: object) -> None:
        if self.stream is None:
            return
        if self.private and (
            event is Event.HEARD or (event is Event.SPEAKING and fields.get("private"))
        ):
            fields = {k: v for k, v in fields.items() if k != "text"}
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
