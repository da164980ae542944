"""Processes timed and measured from outside: spawn, reap with wait4, read rusage.

Every process-level figure (start-up, peak RSS) is taken the same way for
ritual and for its baseline, so the two compare like with like.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import ROOT


def spawn_and_wait(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, Any]:
    """Run ``argv`` to its end: (seconds from spawn to exit, its rusage).

    wait4 gives the child's own ru_maxrss (the largest of it and the children it
    waited for); resource.RUSAGE_CHILDREN would mix in every earlier child.
    """
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} … failed with status {proc.returncode}")
    return elapsed, usage


def python_startup_seconds() -> float:
    """The floor under any start-up figure: a bare interpreter, spawned and gone."""
    elapsed, _ = spawn_and_wait([sys.executable, "-c", "pass"])
    return elapsed


def model_only_peak_mb(model: Path, wavs: list[Path]) -> float:
    """Peak RSS of a process that loads the model and warms one recogniser on ``wavs``."""
    _, usage = spawn_and_wait(
        [sys.executable, "-m", "bench.model_only", str(model), *map(str, wavs)]
    )
    return float(usage.ru_maxrss) / 1024
