"""Follow a ritual's ``--events`` file as it is written (tests and benchmarks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


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
