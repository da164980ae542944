"""Stop signals for the commands that run rituals (``run``, ``listen``).

A timer or a service manager stopping ritual (SIGTERM), or the terminal closing
(SIGHUP), unwinds like Ctrl-C, so that a ritual in progress saves its entry as
stopped on the way out.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Optional

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class StopSignal:
    """Which stop signal came, if any: on the way up the interrupt may change its
    type (the listener adds what it heard), so it is remembered here."""

    def __init__(self) -> None:
        self.received: Optional[int] = None

    def handle(self, signum: int, frame: Optional[FrameType]) -> None:
        self.received = signum
        raise KeyboardInterrupt


@contextlib.contextmanager
def stopping_on_signals() -> Iterator[StopSignal]:
    """While the block runs, SIGTERM and SIGHUP raise KeyboardInterrupt."""
    stop = StopSignal()
    previous = {signum: signal.signal(signum, stop.handle) for signum in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
