"""Text mode: prompts printed, answers typed (on a terminal or piped in)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import IO

from assistant.core.commands import match_command
from assistant.ports import ListenRequest, Utterance


class TextSpeaker:
    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def say(self, text: str, *, private: bool = False) -> None:
        print(text, file=self.out, flush=True)


class TextListener:
    """One typed line is one answer; a line that is wholly a command is that command.

    An empty line is "nothing said"; the end of input stops the ritual (saved).
    """

    def __init__(self, stdin: IO[str], out: IO[str]) -> None:
        self.stdin = stdin
        self.out = out
        self.interactive = stdin.isatty()

    def listen(self, request: ListenRequest) -> Utterance:
        request.on_ready()
        if self.interactive:
            print("> ", end="", file=self.out, flush=True)
        line = self.stdin.readline()
        if not line:
            return Utterance(command="stop", ended_by="end_of_input")
        text = line.strip()
        command = match_command(text, request.commands)
        if command:
            return Utterance(command=command, ended_by="command")
        if not text:
            return Utterance(ended_by="no_speech")
        return Utterance(text=text)


class SystemClock:
    def __init__(self, pauses: bool = True) -> None:
        self.pauses = pauses
        """False skips pauses and breathing time (piped text mode, tests)"""

    def now(self) -> datetime:
        return datetime.now().astimezone()

    def sleep(self, seconds: float) -> None:
        if self.pauses and seconds > 0:
            time.sleep(seconds)
