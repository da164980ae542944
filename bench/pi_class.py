"""The voice ritual and ``ritual listen`` on a Raspberry-Pi-class CPU (bench/quota.py).

The same runs as the full-speed figures, with ritual's process (and the workers it
starts) held to 0.3 of a core: turn latency, wake to greeting, and whether the
microphone lost audio because ritual fell behind (input overflows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.listen import mic_overflows, run_listen
from bench.quota import cpu_quota
from bench.ritual_run import Folders, run_ritual
from bench.stats import summary
from bench.studio import Studio
from bench.turns import turns
from bench.voice_ritual import RITUAL, _answers, _silences

PI_CORES = 0.3


def bench_pi_class(
    studio: Studio, model: Path, work: Path, runs: int, log: Any = print
) -> dict[str, Any]:
    silences = _silences()
    answers = _answers(work / "answers", silences)
    firsts: list[float] = []
    laters: list[float] = []
    parts: dict[str, list[float]] = {"to_heard": [], "heard_to_speaking": [], "to_sound": []}
    latencies, overflows = [], 0
    with cpu_quota(PI_CORES) as enter:
        for n in range(runs + 1):  # the first fills the speech cache: not counted
            folders = Folders(
                work / f"journal-{n}",
                work / "cache",
                work / f"events-{n}.jsonl",
                work / f"home-{n}",
            )
            run = run_ritual(studio, RITUAL, model, folders, answers, preexec=enter)
            if run.returncode != 0:
                raise RuntimeError(f"ritual failed under the quota:\n{run.stderr}")
            overflows += mic_overflows(run.stderr)
            if n:
                measured = turns(run, silences)
                found = [t.latency_ms for t in measured]
                for t in measured[1:]:
                    parts["to_heard"].append(t.to_heard_ms)
                    parts["heard_to_speaking"].append(t.heard_to_speaking_ms)
                    parts["to_sound"].append(t.speaking_to_sound_ms)
                latencies += found
                firsts += found[:1]
                laters += found[1:]
                log(f"  pi-class ritual {n}: turns {[round(t) for t in found]} ms")
        listened = run_listen(
            studio, model, work / "listen", rituals=max(5, runs), idle=False, preexec=enter, log=log
        )
    log(f"  pi-class listen: wake to greeting {[round(t) for t in listened.wake_to_prompt_ms]} ms")
    return {
        "pi_class_turn_latency_ms": summary(latencies),
        "pi_class_first_turn_ms": summary(firsts),
        "pi_class_wake_to_prompt_ms": summary(listened.wake_to_prompt_ms),
        "pi_class_mic_overflows": overflows + listened.overflows,
        "details": {
            "pi_class": {
                "cores": PI_CORES,
                # A fresh process's first answer is Vosk's first utterance on a new
                # recogniser, which expands its share of the decoding graph as it
                # goes (2-3 CPU s on the Korean model, a few times a later answer's).
                "first_turn_ms": summary(firsts),
                "later_turns_ms": summary(laters),
                "later_turn_parts_ms": {
                    "last_speech_to_heard_minus_silence": summary(parts["to_heard"]),
                    "heard_to_speaking": summary(parts["heard_to_speaking"]),
                    "speaking_to_first_sound": summary(parts["to_sound"]),
                },
                "wake_misses": listened.misses,
                "listen_rituals": listened.rituals,
            }
        },
    }
