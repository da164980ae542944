"""The system clock: implements the core's ``Clock`` port."""

from __future__ import annotations

import time
from datetime import datetime


class SystemClock:
    def __init__(self, pauses: bool = True) -> None:
        self.pauses = pauses
        """False skips pauses and breathing time (piped text mode, tests)"""

    def now(self) -> datetime:
        return datetime.now().astimezone()

    def sleep(self, seconds: float) -> None:
        if self.pauses and seconds > 0:
            time.sleep(seconds)
