"""Follow a ritual's ``--events`` file as it is written (tests and benchmarks)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Optional


class EventTail:
    """Reads the events file as the ritual writes it (JSON lines, flushed at once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.buffer = ""
        self.seen: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        try:
            with self.path.open(encoding="utf-8") as f:
                f.seek(self.offset)
                self.buffer += f.read()
                self.offset = f.tell()
        except FileNotFoundError:
            return []
        *lines, self.buffer = self.buffer.split("\n")
        new = [json.loads(line) for line in lines if line.strip()]
        self.seen += new
        return new


class EventWaiter:
    """Waits for events one after another, in order: an event that came in the same
    batch as the one waited for is not lost, the next wait finds it."""

    def __init__(self, tail: EventTail) -> None:
        self.tail = tail
        self.cursor = 0

    def next(
        self, event: str, timeout: float, alive: Callable[[], bool], **fields: Any
    ) -> Optional[dict[str, Any]]:
        """The next ``event`` with ``fields`` after the last one found, or None."""
        deadline = time.monotonic() + timeout
        while True:
            while self.cursor < len(self.tail.seen):
                seen = self.tail.seen[self.cursor]
                self.cursor += 1
                if seen["event"] == event and all(seen.get(k) == v for k, v in fields.items()):
                    return seen
            if time.monotonic() > deadline or not alive():
                return None
            time.sleep(0.02)
            self.tail.poll()
