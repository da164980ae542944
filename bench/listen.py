"""``ritual listen`` as a user has it: one process, woken by voice again and again.

The listener runs on the studio's devices (studio.py), so the spoken wake phrase
(left channel) and ritual's greeting (right channel) land on one sample clock:
``wake_to_prompt_ms`` is from the last sample of the phrase to the first audible
sample of the greeting. Each ritual is a greeting and one question, answered
"네" (done), so cycles are short; the process's memory is read after the first
few and after the last. Its CPU while waiting is read from /proc over a minute
and more of room noise and unrelated talk played into the mic.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from bench import RATE, ROOT
from bench.recorder import Recorder, Recording
from bench.speech import Answer, make_answer
from bench.stats import summary
from bench.studio import Studio
from bench.turns import first_audible
from bench.wake import talk
from tests.support.event_tail import EventTail

RITUAL = """title: 잠깐 점검
language: ko
commands: {stop: [중지], done: [네]}
steps:
  - say: "안녕하세요."
  - ask: "오늘 기분이 어떠세요?"
    id: feeling
    silence: 1
"""
WARM_RITUALS = 5
"""rituals before the memory baseline is read (caches, grammar recognisers, …)"""
WOKE_WITHIN = 10.0
"""seconds after a wake phrase ends in which ritual must have woken (else a miss)"""
IDLE_SECONDS = 70.0


@dataclass
class ListenRun:
    """What one listening process did."""

    wake_to_prompt_ms: list[float] = field(default_factory=list)
    misses: int = 0
    rituals: int = 0
    rss_mb: list[float] = field(default_factory=list)
    """after each ritual"""
    idle_cpu_pct: Optional[float] = None
    overflows: int = 0
    stderr: str = ""


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Listener:
    def __init__(
        self, studio: Studio, model: Path, work: Path, preexec: Optional[Callable[[], None]]
    ):
        rituals = work / "rituals"
        rituals.mkdir(parents=True, exist_ok=True)
        (rituals / "morning.yaml").write_text(RITUAL, encoding="utf-8")
        (work / "config.yaml").write_text("name: bench\nlanguage: ko\n", encoding="utf-8")
        self.events = EventTail(work / "events.jsonl")
        env = {
            **studio.child_env(),
            "RITUAL_CACHE": str(work / "cache"),
            "RITUAL_CONFIG": str(work / "config.yaml"),
            "RITUAL_RITUALS": str(rituals),
            "PYTHONUNBUFFERED": "1",
        }
        self.stderr_path = work / "stderr.txt"
        with self.stderr_path.open("wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "assistant", "listen", "--journal", str(work / "journal"),
                 "--model", str(model), "--events", str(self.events.path)],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=stderr, preexec_fn=preexec,
            )  # fmt: skip

    def wait_for(self, event: str, timeout: float) -> Optional[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            for seen in self.events.poll():
                if seen["event"] == event:
                    return seen
            time.sleep(0.01)
        return None

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


def _wake_to_prompt(recording: Recording, phrase: Answer, fed_at: float) -> Optional[float]:
    """Milliseconds from the end of the spoken phrase to the greeting's first sound."""
    from bench.hearing import best_offset

    lo = recording.index(fed_at - 0.3)
    hi = min(len(recording.mic), lo + len(phrase.samples) + 2 * RATE)
    start = best_offset(recording.mic[lo:hi], phrase.samples, lo)
    end = start + phrase.speech_end
    onset = first_audible(recording.speaker, end)
    return None if onset is None else 1000 * (onset - end) / RATE


def run_listen(
    studio: Studio,
    model: Path,
    work: Path,
    *,
    rituals: int,
    idle: bool,
    preexec: Optional[Callable[[], None]] = None,
    log: Any = print,
) -> ListenRun:
    """One listening process: optionally a minute of idle talk, then ``rituals`` woken ones."""
    from assistant.core.hands_free import DEFAULT_WAKE

    work.mkdir(parents=True, exist_ok=True)
    phrase_text = next(p for p, r in DEFAULT_WAKE["ko"].items() if r == "morning")
    phrase = make_answer(work / "wake.wav", phrase_text, lead=0.5, tail=1.5, seed=1)
    done = make_answer(work / "done.wav", "네", lead=0.3, tail=2.0, seed=2)
    found = ListenRun()
    listener = _Listener(studio, model, work, preexec)
    try:
        with Recorder() as recorder:
            if listener.wait_for("waiting", 120) is None:
                raise RuntimeError(f"ritual listen did not start:\n{listener.stop()}")
            time.sleep(2.0)  # the model loads on its own thread
            if idle:
                found.idle_cpu_pct = _idle_cpu(studio, listener, work)
                log(f"  waiting: {found.idle_cpu_pct:.2f} % of a core")
            fed_times = _cycles(studio, listener, phrase, done, rituals, found, log)
        assert recorder.recording is not None
        for fed_at in fed_times:
            ms = _wake_to_prompt(recorder.recording, phrase, fed_at)
            if ms is not None:
                found.wake_to_prompt_ms.append(ms)
    finally:
        found.stderr = listener.stop()
    found.overflows = mic_overflows(found.stderr)
    return found


def mic_overflows(stderr: str) -> int:
    """How many times ritual's mic lost audio, from its warnings (the count is cumulative)."""
    counts = re.findall(r"the microphone lost audio (\d+) time", stderr)
    return max((int(n) for n in counts), default=0)


def _idle_cpu(studio: Studio, listener: _Listener, work: Path) -> float:
    sound = talk(work / "idle-talk.wav", IDLE_SECONDS / 60, seed=7)
    before, started = _cpu_seconds(listener.proc.pid), time.monotonic()
    studio.feed(sound).wait()
    used = _cpu_seconds(listener.proc.pid) - before
    if listener.events.poll() and any(e["event"] == "woke" for e in listener.events.seen):
        raise RuntimeError("unrelated talk woke ritual while measuring its idle CPU")
    return 100 * used / (time.monotonic() - started)


def _cycles(
    studio: Studio,
    listener: _Listener,
    phrase: Answer,
    done: Answer,
    rituals: int,
    found: ListenRun,
    log: Any,
) -> list[float]:
    """Wake ritual ``rituals`` times; the monotonic times the phrase was fed."""
    fed_times = []
    while found.rituals < rituals:
        fed_at = time.monotonic()
        studio.feed(phrase.wav).wait()
        if listener.wait_for("woke", WOKE_WITHIN) is None:
            found.misses += 1
            if found.misses > 5:
                raise RuntimeError(f"ritual did not wake 5 times:\n{listener.stop()}")
            continue
        fed_times.append(fed_at)
        if listener.wait_for("listening", 30) is None:
            raise RuntimeError(f"the woken ritual did not ask:\n{listener.stop()}")
        studio.feed(done.wav).wait()
        if listener.wait_for("waiting", 30) is None:
            raise RuntimeError(f"ritual did not go back to waiting:\n{listener.stop()}")
        found.rituals += 1
        found.rss_mb.append(_rss_mb(listener.proc.pid))
        if found.rituals % 10 == 0:
            log(f"  {found.rituals} rituals, RSS {found.rss_mb[-1]:.0f} MB")
        time.sleep(0.5)
    return fed_times


def bench_listen(
    studio: Studio, model: Path, work: Path, rituals: int, log: Any = print
) -> dict[str, Any]:
    run = run_listen(studio, model, work / "listen", rituals=rituals, idle=True, log=log)
    base = run.rss_mb[WARM_RITUALS - 1] if len(run.rss_mb) >= WARM_RITUALS else run.rss_mb[0]
    growth = 100 * (run.rss_mb[-1] - base) / base
    shutil.rmtree(work / "listen" / "journal", ignore_errors=True)
    return {
        "wake_idle_cpu_pct": round(run.idle_cpu_pct or 0.0, 2),
        "wake_to_prompt_ms": summary(run.wake_to_prompt_ms),
        "listen_rss_growth_pct": round(growth, 2),
        "details": {
            "listen": {
                "rituals": run.rituals,
                "wake_misses_in_real_time": run.misses,
                "rss_mb_after_ritual": [round(r, 1) for r in run.rss_mb],
                "rss_baseline_after_ritual": min(WARM_RITUALS, len(run.rss_mb)),
                "idle_seconds": IDLE_SECONDS,
                "mic_overflows": run.overflows,
            }
        },
    }
