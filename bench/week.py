"""The weekly review at ten years (``python -m bench --only week``).

``week_review_start_ms``: from spawning ``python -m assistant run weekly-review``
(by voice, on the studio's devices, the Korean model loading in the background) to
the first audible sample of its greeting, on a ten-year journal
(``bench/journal_gen.py``, plus a weekly vision every Sunday); the same on an empty
journal is the baseline, and ``week_review_start_ratio`` the one over the other,
per round (which goes first alternates). Once the greeting is heard the ritual is
interrupted (Ctrl-C) and the entry it began is removed again.

The review's figures are read after the greeting (when a text first says one), so
``details.week.figures_ms`` also times that read, in one process, on both journals.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from assistant.core.journal import Answer, Entry, EntryStatus
from assistant.journal.folder import JournalFolder
from assistant.journal.week import JournalWeek
from bench import ROOT
from bench.journal_gen import TZ, generate, write_entry
from bench.recorder import Recorder
from bench.ritual_run import Folders, _env
from bench.stats import summary
from bench.studio import Studio
from bench.turns import first_audible
from tests.support.event_tail import EventTail

AREAS = ("spiritual", "physical", "intellectual", "relational", "emotional")
HEARD_FOR = 1.0
"""seconds the greeting plays before the ritual is interrupted"""
TIMEOUT = 60.0


def add_visions(root: Path, first: date, last: date) -> int:
    """A weekly vision every Sunday from ``first`` to ``last``: five goals kept as
    properties, as the bundled ritual keeps them. How many were written."""
    rng = random.Random(1)
    day = first + timedelta(days=(6 - first.weekday()) % 7)
    written = 0
    while day <= last:
        started = datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=19)
        goals = tuple(
            Answer(area, f"One goal for your {area} life?", f"Goal {rng.randint(1, 99)}.",
                   property_key=f"goal_{area}")
            for area in AREAS
        )  # fmt: skip
        entry = Entry(
            ritual="weekly-vision",
            title="Weekly vision",
            started=started,
            status=EntryStatus.COMPLETE,
            ended=started + timedelta(minutes=12),
            language="en-us",
            tags=("ritual", "weekly-vision"),
            answers=goals,
        )
        write_entry(root, entry)
        written += 1
        day += timedelta(days=7)
    return written


@dataclass(frozen=True)
class Start:
    sound: float
    """seconds from spawn to the greeting's first audible sample"""
    speaking: float
    """seconds from spawn to its ``speaking`` event"""


def _first_sound(studio: Studio, model: Path, folders: Folders) -> Start:
    """When the greeting was heard; the entry the interrupted ritual began is removed."""
    folders.home.mkdir(parents=True, exist_ok=True)
    (folders.home / "config.yaml").write_text("name: bench\n", encoding="utf-8")
    folders.events.unlink(missing_ok=True)
    tail = EventTail(folders.events)
    with Recorder() as recorder, (folders.home / "stderr.txt").open("wb") as stderr:
        time.sleep(0.2)  # the recording runs before anything can be heard
        unix_offset = time.time() - time.monotonic()
        spawned = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "run", "weekly-review",
             "--journal", str(folders.journal), "--model", str(model),
             "--events", str(folders.events)],
            cwd=ROOT, env=_env(studio, folders), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        try:
            _wait_for_speech(proc, tail)
            time.sleep(HEARD_FOR)
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        time.sleep(0.2)
    tail.poll()
    for event in tail.seen:
        if event["event"] == "saved":
            _remove_entry(Path(event["path"]))
    recording = recorder.recording
    assert recording is not None
    onset = first_audible(recording.speaker, recording.index(spawned))
    if onset is None:
        raise RuntimeError(f"nothing was heard: {(folders.home / 'stderr.txt').read_text()}")
    speaking = next(e for e in tail.seen if e["event"] == "speaking")
    return Start(recording.time(onset) - spawned, speaking["time"] - unix_offset - spawned)


def _wait_for_speech(proc: subprocess.Popen[bytes], tail: EventTail) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if any(e["event"] == "speaking" for e in tail.poll()):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"the weekly review ended with {proc.returncode} before speaking")
        time.sleep(0.01)
    raise TimeoutError("the weekly review did not speak")


def _remove_entry(path: Path) -> None:
    path.unlink(missing_ok=True)
    shutil.rmtree(path.with_suffix(""), ignore_errors=True)  # its audio, if any


def _figures_ms(journal: Path, runs: int) -> dict[str, Any]:
    week = JournalWeek(JournalFolder(journal))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        week.week(date.today())
        times.append(1000 * (time.perf_counter() - started))
    return summary(times, digits=2)


def bench_week(
    studio: Studio, model: Path, work: Path, runs: int, log: Callable[[str], None] = print
) -> dict[str, Any]:
    empty, full = work / "empty-journal", work / "journal-10y"
    empty.mkdir(parents=True)
    started = time.monotonic()
    today = date.today()
    entries = generate(full, years=10, end=today)
    entries += add_visions(full, today.replace(year=today.year - 10), today)
    log(f"  generated {entries} entries in {time.monotonic() - started:.0f} s")
    cache = work / "cache"

    def folders(journal: Path, n: int) -> Folders:
        return Folders(journal, cache, work / f"events-{n}.jsonl", work / f"home-{n}")

    cold = _first_sound(studio, model, folders(full, 0))  # renders the prompts into the cache
    log(f"  cold run: {1000 * cold.sound:.0f} ms")
    on_empty: list[Start] = []
    on_full: list[Start] = []
    ratios: list[float] = []
    for n in range(1, runs + 1):
        pairs = ((empty, on_empty), (full, on_full))
        for journal, times in pairs[:: 1 if n % 2 else -1]:
            times.append(_first_sound(studio, model, folders(journal, n)))
        ratios.append(on_full[-1].sound / on_empty[-1].sound)
        empty_ms, full_ms = 1000 * on_empty[-1].sound, 1000 * on_full[-1].sound
        log(f"  round {n}: {empty_ms:.0f} ms empty, {full_ms:.0f} ms at 10 years")
    return {
        "week_review_start_ms": summary([1000 * s.sound for s in on_full]),
        "week_review_start_ratio": summary(ratios, digits=2),
        "details": {
            "week": {
                "entries": entries,
                "empty_journal_start_ms": summary([1000 * s.sound for s in on_empty]),
                "spawn_to_speaking_event_ms": {
                    "ten_years": summary([1000 * s.speaking for s in on_full]),
                    "empty": summary([1000 * s.speaking for s in on_empty]),
                },
                "cold_run_start_ms": round(1000 * cold.sound, 1),
                "figures_ms": {
                    "ten_years": _figures_ms(full, runs),
                    "empty": _figures_ms(empty, runs),
                },
            }
        },
    }
