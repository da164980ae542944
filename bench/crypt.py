"""Encryption at rest (``python -m bench --only crypt``).

- ``encrypt_save_overhead_ms``: the time an encrypted entry save takes over a plain
  one, in the same process and the same run (target ≤ 50 ms). Saves of the same
  entry alternate between a plain and an encrypted journal folder, each one the
  whole ``EntryFile.save`` (render, encrypt, temp file, fsync, rename); per round,
  the difference of the two medians.
- ``decrypt_10y_search_s``: ``ritual journal search`` on the ten-year journal of
  ``bench/journal_gen.py``, encrypted, as a process of its own, as a person meets it
  day to day: the passphrase's scrypt, the kept encrypted index decrypted into
  memory, the entries changed since checked by size and mtime, the search (target
  2.5 s). The first search after the journal was encrypted builds that index from
  every entry (``decrypt_10y_first_search_s`` in the details). Beside it the same
  search on the same journal in plaintext with its index in the cache, the
  identity's unlock alone, and the search process's peak memory.
- ``decrypt_10y_search_s_pi``: the same under a 0.3-core CPU quota (target 10 s).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from bench import ROOT
from bench.journal import _env, _timed
from bench.journal_gen import generate, make_entry
from bench.quota import cpu_quota, quota_missing
from bench.stats import summary

PASSPHRASE = "a bench of quiet evenings"
SAVES = 60
"""saves of each kind per round"""
PI_CORES = 0.3


def bench_crypt(work: Path, runs: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    from assistant.journal.crypt import KeyRing, create_identity, unlock

    home = work / "home"
    env = {**_env(home), "RITUAL_BENCH_PASSPHRASE": PASSPHRASE}
    identity = home / "config" / "ritual" / "identity.age"
    started = time.perf_counter()
    public = create_identity(identity, PASSPHRASE)
    made_s = time.perf_counter() - started
    unlocks = []
    for _ in range(min(runs, 3)):
        t = time.perf_counter()
        unlock(identity, lambda: PASSPHRASE)
        unlocks.append(time.perf_counter() - t)
    log(f"  identity made in {made_s:.1f} s; unlocked in {min(unlocks):.2f} s")
    overhead, plain_ms, sealed_ms = _save_overhead(work / "saves", public, runs, log)

    journal = work / "journal-10y"
    entries = generate(journal, years=10, end=date.today())
    plain_search = [
        _timed(["journal", "search", "hopeful", "--journal", str(journal)], env)
        for _ in range(runs)
    ]
    config = home / "config" / "ritual" / "config.yaml"
    config.write_text(
        f"encryption:\n  recipients: [{public}]\n  passphrase_env: RITUAL_BENCH_PASSPHRASE\n"
    )
    t = time.perf_counter()
    _timed(["journal", "encrypt", "--journal", str(journal)], env)
    encrypt_s = time.perf_counter() - t
    log(f"  {entries} entries encrypted in place in {encrypt_s:.1f} s")
    ring = KeyRing(identity, lambda: PASSPHRASE)
    assert all(p.name.endswith(".md.age") for p in journal.rglob("*.md*"))
    assert ring.unlocked is False
    first_s, _ = _search_process(journal, env)  # builds the kept encrypted index
    log(f"  first encrypted search {first_s:.2f} s (every entry decrypted once)")
    searches: list[float] = []
    peak_mb: list[float] = []
    for n in range(runs):
        seconds, mb = _search_process(journal, env)
        searches.append(seconds)
        peak_mb.append(mb)
        log(f"  round {n + 1}: encrypted search {seconds:.2f} s (peak {mb:.0f} MB)")
    details: dict[str, Any] = {
        "entries": entries,
        "identity_made_s": round(made_s, 2),
        "unlock_s": summary(unlocks, digits=2),
        "plain_save_ms": summary(plain_ms, digits=2),
        "encrypted_save_ms": summary(sealed_ms, digits=2),
        "encrypt_10y_in_place_s": round(encrypt_s, 1),
        "decrypt_10y_first_search_s": round(first_s, 2),
        "plain_10y_search_s": summary(plain_search, digits=2),
        "decrypt_10y_search_peak_mb": summary(peak_mb, digits=0),
    }
    pi = _pi_class(journal, env, log)
    details.update(pi)
    found = {
        "encrypt_save_overhead_ms": summary(overhead, digits=2),
        "decrypt_10y_search_s": summary(searches, digits=2),
        "details": details,
    }
    if "pi_class_decrypt_10y_search_s" in pi:
        found["decrypt_10y_search_s_pi"] = pi["pi_class_decrypt_10y_search_s"]
    return found


def _save_overhead(
    work: Path, public: str, runs: int, log: Callable[[str], None]
) -> tuple[list[float], list[float], list[float]]:
    import random

    from assistant.journal.crypt import AgeSealer
    from assistant.journal.folder import EntryFile, JournalFolder

    entry = make_entry(random.Random(1), date.today(), "evening")
    entry = entry.__class__(**{**entry.__dict__, "started": datetime.now(timezone.utc)})
    plain = EntryFile(JournalFolder(work / "plain"))
    sealed = EntryFile(JournalFolder(work / "sealed", sealer=AgeSealer([public])))
    plain.save(entry)  # each claims its file first, as a session does
    sealed.save(entry)
    overhead, plain_ms, sealed_ms = [], [], []
    for n in range(runs):
        times: dict[str, list[float]] = {"plain": [], "sealed": []}
        for i in range(SAVES * 2):
            kind, sink = ("plain", plain) if (i + n) % 2 else ("sealed", sealed)
            t = time.perf_counter()
            sink.save(entry)
            times[kind].append((time.perf_counter() - t) * 1000)
        p, s = statistics.median(times["plain"]), statistics.median(times["sealed"])
        plain_ms.append(p)
        sealed_ms.append(s)
        overhead.append(s - p)
        log(f"  round {n + 1}: save {p:.2f} ms plain, {s:.2f} ms encrypted")
    return overhead, plain_ms, sealed_ms


def _search_process(
    journal: Path, env: dict[str, str], enter: Optional[Callable[[], None]] = None
) -> tuple[float, float]:
    """Seconds of an encrypted ``journal search`` process, and its peak memory (MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "journal", "search", "hopeful",
         "--journal", str(journal)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, preexec_fn=enter,
    )  # fmt: skip
    seconds = time.monotonic() - started
    if done.returncode != 0 or "hopeful" not in done.stdout.lower():
        raise RuntimeError(f"encrypted search failed:\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def _pi_class(journal: Path, env: dict[str, str], log: Callable[[str], None]) -> dict[str, Any]:
    why = quota_missing()
    if why:
        log(f"  no Pi-class figure: {why}")
        return {"pi_class_skipped": why}
    with cpu_quota(PI_CORES, "ritual-bench-crypt") as enter:
        seconds, _ = _search_process(journal, env, enter)
    log(f"  at 0.3 core: encrypted search {seconds:.1f} s")
    return {"pi_class_quota_cores": PI_CORES, "pi_class_decrypt_10y_search_s": round(seconds, 1)}
