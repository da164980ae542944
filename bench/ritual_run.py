"""One voice ritual, run as a user would: ``python -m assistant run`` in its own
process on the studio's devices, answered by voice after each ``listening`` event.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from bench import ROOT
from bench.recorder import Recorder, Recording
from bench.speech import Answer
from bench.studio import Studio
from tests.support.event_tail import EventTail

TIMEOUT = 120.0
"""seconds one ritual may take before it is killed (it takes about 25)"""
POLL = 0.01
"""seconds between looks at the events file: how late an answer may start"""


@dataclass(frozen=True)
class Folders:
    """Where one run keeps its files; ``cache`` is shared by runs that should
    find their prompts already rendered."""

    journal: Path
    cache: Path
    events: Path
    home: Path


@dataclass
class Fed:
    step: str
    answer: Answer
    started: float
    """time.monotonic() when paplay was started"""


@dataclass
class RitualRun:
    returncode: int
    stderr: str
    events: list[dict[str, Any]]
    fed: list[Fed]
    recording: Recording
    spawned: float
    """time.monotonic() just before the process was started"""
    unix_offset: float
    """time.time() - time.monotonic() at spawn: maps event times onto our clock"""
    peak_rss_mb: float
    """ru_maxrss of the ritual process (and the workers it waited for)"""
    synth_files: int = 0
    """prompts rendered into the cache during this run"""
    extra: dict[str, Any] = field(default_factory=dict)

    def event_time(self, event: dict[str, Any]) -> float:
        """An event's time on time.monotonic()'s clock."""
        return float(event["time"]) - self.unix_offset


def _env(studio: Studio, folders: Folders) -> dict[str, str]:
    env = {
        **studio.child_env(),
        "RITUAL_CACHE": str(folders.cache),
        "RITUAL_CONFIG": str(folders.home / "config.yaml"),
        "XDG_CONFIG_HOME": str(folders.home / "config"),
        "XDG_DATA_HOME": str(folders.home / "data"),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("RITUAL_JOURNAL", "RITUAL_MODEL", "RITUAL_DEBUG", "RITUAL_MODELS_DIR"):
        env.pop(name, None)
    return env


def _cached_prompts(cache: Path) -> set[str]:
    return {p.name for p in (cache / "speech").glob("*.wav")}


def run_ritual(
    studio: Studio,
    ritual: Path,
    model: Path,
    folders: Folders,
    answers: dict[str, Answer],
    preexec: Callable[[], None] | None = None,
) -> RitualRun:
    """Run ``ritual`` to its end, answering each step in ``answers`` once.

    ``preexec`` runs in the child before ritual starts (bench/quota.py: a CPU quota)."""
    folders.home.mkdir(parents=True, exist_ok=True)
    (folders.home / "config.yaml").write_text("name: bench\n", encoding="utf-8")
    before = _cached_prompts(folders.cache)
    tail = EventTail(folders.events)
    pending = dict(answers)
    fed: list[Fed] = []
    playing: subprocess.Popen[bytes] | None = None
    stderr_path = folders.home / "stderr.txt"
    with Recorder() as recorder, stderr_path.open("wb") as stderr:
        time.sleep(0.2)  # the recording runs before anything can be heard
        unix_offset = time.time() - time.monotonic()
        spawned = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "run", str(ritual),
             "--journal", str(folders.journal), "--model", str(model),
             "--events", str(folders.events)],
            cwd=ROOT, env=_env(studio, folders), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=stderr, preexec_fn=preexec,
        )  # fmt: skip
        status, usage = _answer_until_exit(proc, tail, pending, fed, studio, playing)
        time.sleep(0.3)  # the last sound reaches the recording
    tail.poll()
    assert recorder.recording is not None
    return RitualRun(
        returncode=status,
        stderr=stderr_path.read_text(encoding="utf-8", errors="replace"),
        events=tail.seen,
        fed=fed,
        recording=recorder.recording,
        spawned=spawned,
        unix_offset=unix_offset,
        peak_rss_mb=usage.ru_maxrss / 1024,
        synth_files=len(_cached_prompts(folders.cache) - before),
    )


def _answer_until_exit(
    proc: subprocess.Popen[bytes],
    tail: EventTail,
    pending: dict[str, Answer],
    fed: list[Fed],
    studio: Studio,
    playing: subprocess.Popen[bytes] | None,
) -> tuple[int, Any]:
    """Feed answers as ritual asks for them; reap it with wait4 for its rusage."""
    deadline = time.monotonic() + TIMEOUT
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                return proc.returncode, usage
            if time.monotonic() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                raise TimeoutError(f"the ritual did not end within {TIMEOUT:g} s")
            for event in tail.poll():
                if event["event"] == "listening" and event["step"] in pending:
                    if playing is not None:
                        playing.wait()
                    answer = pending.pop(event["step"])
                    fed.append(Fed(event["step"], answer, time.monotonic()))
                    playing = studio.feed(answer.wav)
            time.sleep(POLL)
    finally:
        if playing is not None:
            playing.wait()
