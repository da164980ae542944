"""One way to run the command line in tests: ``run_cli("check", path)``."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from assistant.cli import main
from assistant.context import Context
from assistant.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Result:
    status: int
    stdout: str
    stderr: str


class _Input(io.StringIO):
    def isatty(self) -> bool:
        return False


class _Terminal(io.StringIO):
    """Output that says it is a terminal (colour is allowed)."""

    def isatty(self) -> bool:
        return True


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment whose config, data and cache folders all live under ``home``."""
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
        "PATH": os.environ.get("PATH", ""),
    }
    env.update(extra)
    return env


def run_cli(
    *args: str,
    env: Mapping[str, str],
    stdin: str = "",
    terminal: bool = False,
    typing: bool = False,
    passphrase: Optional[str] = None,
) -> Result:
    """Run ``ritual ARGS`` in this process with its own streams and environment;
    ``terminal``: stdout says it is a terminal; ``typing``: stdin does (someone types
    ``stdin``); ``passphrase``: what is typed when a passphrase is asked for."""
    out, err = _Terminal() if terminal else io.StringIO(), io.StringIO()
    context = Context(
        environ=env,
        settings_factory=lambda: load_settings(env),
        stdin=_Terminal(stdin) if typing else _Input(stdin),
        stdout=out,
        stderr=err,
        ask_secret=None if passphrase is None else (lambda prompt: passphrase),
    )
    saved = {
        k: os.environ.get(k)
        for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "HOME")
    }
    # platformdirs reads the process environment; point it at the test's folders.
    os.environ.update({k: env[k] for k in saved if k in env})
    try:
        try:
            status = main(list(args), context)
        except SystemExit as e:  # argparse usage errors and --help
            status = int(e.code or 0)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Result(status, out.getvalue(), err.getvalue())


def spawn_cli(
    *args: str, env: Mapping[str, str], stdin: Optional[int] = subprocess.PIPE
) -> subprocess.Popen[str]:
    """Start ``python -m assistant ARGS`` as a real process (signals, SIGKILL)."""
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
