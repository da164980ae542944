"""A real terminal for tests: a command run on a pseudo-terminal, driven by typing.

Standard library only (``pty``): what a person meets at a keyboard, line
discipline included (Enter, Ctrl-C, a paste that arrives in one burst).
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Terminal:
    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT), "TERM": "dumb"},
            start_new_session=True,  # the pty becomes its controlling terminal: Ctrl-C works
            preexec_fn=_take_terminal,
        )
        os.close(slave)
        self.screen = ""
        self._seen = 0

    def expect(self, text: str, timeout: float = 15.0) -> str:
        """Wait until ``text`` appears after what was last expected; what came before it."""
        deadline = time.monotonic() + timeout
        while text not in self.screen[self._seen :]:
            if not self._read(deadline - time.monotonic()):
                raise AssertionError(f"{text!r} never came; the terminal shows:\n{self.screen}")
        start = self.screen.index(text, self._seen)
        before = self.screen[self._seen : start]
        self._seen = start + len(text)
        return before

    def type(self, text: str) -> None:
        """Type (or paste, when ``text`` holds several lines) at the keyboard."""
        os.write(self.master, text.replace("\n", "\r").encode())

    def finish(self, timeout: float = 20.0) -> int:
        """Wait for the command to end; its exit status."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.1):
            pass
        status = self.proc.wait(timeout=max(deadline - time.monotonic(), 1))
        os.close(self.master)
        return status

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the other side closed
            return False
        self.screen += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return bool(data)


def _take_terminal() -> None:
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def ritual_in_terminal(env: Mapping[str, str], *args: str, then_shell: bool = False) -> Terminal:
    """``ritual ARGS`` on a terminal; ``then_shell``: a shell reads the terminal
    afterwards and shows any line left over for it as ``LEFT[...]``."""
    argv = [sys.executable, "-m", "assistant", *args]
    if then_shell:
        argv = ["bash", "-c", '"$@"; IFS= read -r -t 1 rest; echo "LEFT[$rest]"', "bash", *argv]
    return Terminal(argv, env)
