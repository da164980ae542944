"""Text mode: prompts printed, answers typed (on a terminal or piped in)."""

from __future__ import annotations

import contextlib
import select
from collections.abc import Sequence
from typing import IO, Optional

from assistant.context import write_to
from assistant.core.endpoint import EndedBy
from assistant.core.ports import ListenRequest, Utterance
from assistant.core.voice_commands import Command, match_command

SAVED = "; what you said so far is saved"
PASTE_GAP = 0.05
"""seconds: lines that follow one another closer than this were pasted together"""


class TextSpeaker:
    def __init__(self, out: Optional[IO[str]]) -> None:
        self.out = out

    def say(self, text: str, *, private: bool = False) -> None:
        write_to(self.out, text + "\n", what="the prompts", note=SAVED)

    def prepare(self, texts: Sequence[str]) -> None:
        pass  # printing needs nothing ahead


class TextListener:
    """One typed line is one answer; a line that is wholly a command is that command.

    A step that allows a long answer takes lines until an empty line, a command
    line ("done") or the end of input. Lines pasted at once on a terminal are one
    answer whatever the step: none of them is left over for the next question, or
    for the shell after the ritual. An empty line is "nothing said"; the end of
    input stops the ritual (saved).
    """

    def __init__(self, stdin: IO[str], out: Optional[IO[str]]) -> None:
        self.stdin = stdin
        self.out = out
        self.interactive = stdin.isatty()

    def listen(self, request: ListenRequest) -> Utterance:
        request.on_ready()
        if request.long:
            return self._long_answer(request)
        self._prompt("> ")
        lines = self._lines()
        if lines is None:
            return _end_of_input()
        text = "\n".join(lines).strip()
        command = match_command(text, request.commands)
        if command:
            return Utterance(command=command, ended_by=EndedBy.COMMAND)
        if not text:
            return Utterance(ended_by=EndedBy.NO_SPEECH)
        return Utterance(text=text)

    def _long_answer(self, request: ListenRequest) -> Utterance:
        if self.interactive:
            done = _phrase(request, Command.DONE)
            self._prompt(f"(as many lines as you like; an empty line or '{done}' ends it)\n")
        kept: list[str] = []
        while True:
            self._prompt("> " if not kept else "  ")
            lines = self._lines()
            if lines is None:
                if kept:
                    return Utterance(text="\n".join(kept).strip(), ended_by=EndedBy.END_OF_INPUT)
                return _end_of_input()
            *body, last = lines
            command = match_command(last, request.commands)
            kept.extend(body if command else lines)
            text = "\n".join(kept).strip()
            if command:
                return Utterance(text=text, command=command, ended_by=EndedBy.COMMAND)
            if not last.strip():  # an empty line typed (or closing a paste)
                return Utterance(text=text, ended_by=EndedBy.SILENCE if text else EndedBy.NO_SPEECH)

    def _lines(self) -> Optional[list[str]]:
        """The next line, with every line pasted along with it; None at the end of input."""
        line = self.stdin.readline()
        if not line:
            return None
        lines = [line.rstrip("\r\n")]
        while self.interactive and self._more_waiting():
            more = self.stdin.readline()
            if not more:
                break
            lines.append(more.rstrip("\r\n"))
        return lines

    def _more_waiting(self) -> bool:
        with contextlib.suppress(OSError, ValueError, TypeError):
            ready, _, _ = select.select([self.stdin], [], [], PASTE_GAP)
            return bool(ready)
        return False

    def _prompt(self, text: str) -> None:
        if self.interactive:
            write_to(self.out, text, what="the prompts", note=SAVED)


def _end_of_input() -> Utterance:
    return Utterance(command=Command.STOP, ended_by=EndedBy.END_OF_INPUT)


def _phrase(request: ListenRequest, command: Command) -> str:
    phrases = request.commands.get(command, ())
    return phrases[0] if phrases else command.value
