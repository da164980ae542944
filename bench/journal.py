"""Figures 6–10: the journal at ten years (``python -m bench --only journal``).

A synthetic journal of ten years, two entries a day (``bench/journal_gen.py``),
against an empty journal in the same run. Every command runs in its own
process, as a user starts it, from spawn to exit; the index's own work is also
timed inside one process. Needs no speech engine.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Optional

from bench import ROOT
from bench.journal_gen import generate, make_entry, write_entry
from bench.quota import cpu_quota, quota_missing
from bench.stats import summary

EVENING_ANSWERS = [
    "It went well, I rested at lunch.",  # the morning intention, read back
    "A four.",  # mood
    "The walk home.",
    "That I need more sleep.",
    "The meeting ran long.",
    "The worry about the deadline.",
    "Tea, my sister's call, the rain.",
]
PI_CORES = 0.3
"""the CPU quota of the Pi-class figures (bench/quota.py: a Raspberry Pi 4 core)"""


def _env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
    }


def _timed(
    argv: list[str],
    env: dict[str, str],
    stdin: str = "",
    enter: Optional[Callable[[], None]] = None,
) -> float:
    """Seconds from spawn to exit of ``python -m assistant ARGV`` (``enter``: run in the
    child before it starts, to put it under a CPU quota)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "assistant", *argv],
        cwd=ROOT, env=env, input=stdin, text=True, capture_output=True, check=False,
        preexec_fn=enter,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"ritual {' '.join(argv[:3])} failed:\n{done.stderr}")
    return elapsed


def _evening(
    journal: Path, env: dict[str, str], enter: Optional[Callable[[], None]] = None
) -> float:
    """A typed evening ritual to its end; the entry it wrote is removed again."""
    before = set(journal.rglob("*.md"))
    seconds = _timed(
        ["run", "evening", "--text", "--journal", str(journal)],
        env,
        stdin="".join(a + "\n" for a in EVENING_ANSWERS),
        enter=enter,
    )
    for path in set(journal.rglob("*.md")) - before:
        path.unlink()
    return seconds


def bench_journal(work: Path, runs: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    from assistant.journal.folder import JournalFolder
    from assistant.journal.index import JournalIndex

    home = work / "home"
    env = _env(home)
    empty, full = work / "empty-journal", work / "journal-10y"
    empty.mkdir(parents=True)
    started = time.monotonic()
    entries = generate(full, years=10, end=date.today())
    size_mb = sum(p.stat().st_size for p in full.rglob("*.md")) / 1e6
    log(f"  generated {entries} entries ({size_mb:.0f} MB) in {time.monotonic() - started:.0f} s")

    rebuild: list[float] = []
    folder = JournalFolder(full)
    cache = home / "cache" / "ritual"
    for n in range(min(runs, 3)):
        with JournalIndex.open(folder, cache) as index:
            t = time.perf_counter()
            index.rebuild()
            rebuild.append(time.perf_counter() - t)
        log(f"  rebuild {n + 1}: {rebuild[-1]:.2f} s")

    start_empty: list[float] = []
    start_full: list[float] = []
    ratios: list[float] = []
    search: list[float] = []
    listing: list[float] = []
    version: list[float] = []
    for n in range(runs):
        # in turn which goes first, so that a warmer second run favours neither
        for journal, times in ((empty, start_empty), (full, start_full))[:: 1 if n % 2 else -1]:
            times.append(_evening(journal, env))
        ratios.append(start_full[-1] / start_empty[-1])
        search.append(_timed(["journal", "search", "hopeful", "--journal", str(full)], env))
        listing.append(_timed(["journal", "list", "--journal", str(full)], env))
        version.append(_timed(["--version"], env))
        log(
            f"  round {n + 1}: evening {start_empty[-1]:.2f} s empty, {start_full[-1]:.2f} s"
            f" at 10 years; search {search[-1]:.2f} s, list {listing[-1]:.2f} s"
        )

    update: list[float] = []
    day = date.today()
    with JournalIndex.open(folder, cache) as index:
        index.refresh()
        index_mb = index.path.stat().st_size / 1e6 if index.path else 0.0
        for n in range(runs):
            day += timedelta(days=1)
            for ritual in ("morning", "evening"):
                write_entry(full, make_entry(random.Random(n), day, ritual))
            t = time.perf_counter()
            done = index.refresh()
            update.append(time.perf_counter() - t)
            assert done.read == 2, done
    log(f"  one new day into the index: {', '.join(f'{s * 1000:.0f} ms' for s in update)}")

    details: dict[str, Any] = {
        "entries": entries,
        "journal_mb": round(size_mb, 1),
        "evening_empty_ms": summary([s * 1000 for s in start_empty]),
        "evening_10y_ms": summary([s * 1000 for s in start_full]),
        "ritual_version_ms": summary([s * 1000 for s in version]),
        "index_mb": round(index_mb, 1),
    }
    details.update(_pi_class(full, empty, env, min(runs, 3), log))
    shutil.rmtree(full, ignore_errors=True)
    return {
        "journal_10y_start_ratio": summary(ratios, digits=2),
        "journal_10y_search_ms": summary([s * 1000 for s in search]),
        "journal_10y_list_ms": summary([s * 1000 for s in listing]),
        "journal_10y_update_ms": summary([s * 1000 for s in update]),
        "journal_10y_rebuild_s": summary(rebuild, digits=2),
        "details": details,
    }


def _pi_class(
    full: Path, empty: Path, env: dict[str, str], runs: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """The same commands at 0.3 of a core (cgroup v1 quota): what a Pi would feel."""
    why = quota_missing()
    if why:
        log(f"  no Pi-class figures: {why}")
        return {"pi_class_skipped": why}
    with cpu_quota(PI_CORES, "ritual-bench-journal") as enter:
        empty_s = [_evening(empty, env, enter) for _ in range(runs)]
        full_s = [_evening(full, env, enter) for _ in range(runs)]
        search = [
            _timed(["journal", "search", "hopeful", "--journal", str(full)], env, enter=enter)
            for _ in range(runs)
        ]
        listing = [
            _timed(["journal", "list", "--journal", str(full)], env, enter=enter)
            for _ in range(runs)
        ]
    log(f"  at 0.3 core: evening {min(full_s):.2f} s, search {min(search):.2f} s")
    return {
        "pi_class_quota_cores": PI_CORES,
        "pi_class_evening_empty_ms": summary([s * 1000 for s in empty_s]),
        "pi_class_evening_10y_ms": summary([s * 1000 for s in full_s]),
        "pi_class_search_ms": summary([s * 1000 for s in search]),
        "pi_class_list_ms": summary([s * 1000 for s in listing]),
    }
