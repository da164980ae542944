"""Text mode: prompts printed, answers typed (on a terminal or piped in)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Optional

from assistant.context import write_to
from assistant.core.endpoint import EndedBy
from assistant.core.ports import ListenRequest, Utterance
from assistant.core.voice_commands import Command, match_command

SAVED = "; what you said so far is saved"


class TextSpeaker:
    def __init__(self, out: Optional[IO[str]]) -> None:
        self.out = out

    def say(self, text: str, *, private: bool = False) -> None:
        write_to(self.out, text + "\n", what="the prompts", note=SAVED)

    def prepare(self, texts: Sequence[str]) -> None:
        pass  # printing needs nothing ahead


class TextListener:
    """One typed line is one answer; a line that is wholly a command is that command.

    An empty line is "nothing said"; the end of input stops the ritual (saved).
    """

    def __init__(self, stdin: IO[str], out: Optional[IO[str]]) -> None:
        self.stdin = stdin
        self.out = out
        self.interactive = stdin.isatty()

    def listen(self, request: ListenRequest) -> Utterance:
        request.on_ready()
        if self.interactive:
            write_to(self.out, "> ", what="the prompts", note=SAVED)
        line = self.stdin.readline()
        if not line:
            return Utterance(command=Command.STOP, ended_by=EndedBy.END_OF_INPUT)
        text = line.strip()
        command = match_command(text, request.commands)
        if command:
            return Utterance(command=command, ended_by=EndedBy.COMMAND)
        if not text:
            return Utterance(ended_by=EndedBy.NO_SPEECH)
        return Utterance(text=text)
