"""Figure 2: CPU time of our listener over a bare Vosk loop, same recording, same run.

Each decode runs in a fresh process (``bench.cpu_worker``): a reused recogniser
gets faster as it caches graph pieces (docs/engines.md), so sharing one process would
favour whichever side runs second. The kinds alternate (bare, ours,
ours-no-commands, bare, …) so that drift of a shared machine hits all alike;
each run's ratio is taken against the bare loop of the same round.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.speech import make_monologue
from bench.stats import summary

SECONDS = 60.0
"""length of the recording decoded"""
KINDS = ("bare", "ours", "ours-no-commands")
TEXTS = [
    "오늘은 정말 좋은 하루였어요",
    "저는 조금 쉬고 싶어요",
    "아침에 친구와 함께 공원을 걸었어요",
    "요즘 일이 많아서 조금 피곤해요",
    "그래도 저녁에는 가족과 맛있는 밥을 먹었어요",
    "내일은 더 천천히 하루를 시작하고 싶어요",
]


def _decode(kind: str, model: Path, wav: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.cpu_worker", kind, str(model), str(wav)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"cpu_worker {kind} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_listener(model: Path, work: Path, runs: int, log: Any = print) -> dict[str, Any]:
    wav = make_monologue(work / "monologue.wav", TEXTS, seconds=SECONDS)
    cpu: dict[str, list[float]] = {kind: [] for kind in KINDS}
    texts: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for n in range(1, runs + 1):
        for kind in KINDS:
            result = _decode(kind, model, wav)
            cpu[kind].append(float(result["cpu"]))
            texts[kind].add(str(result["text"]))
        log(f"  round {n}: " + ", ".join(f"{k} {cpu[k][-1]:.2f} s" for k in KINDS))
    bare = cpu["bare"]
    return {
        "listener_overhead_ratio": summary([o / b for o, b in zip(cpu["ours"], bare)], digits=3),
        "details": {
            "listener_overhead_ratio_without_commands": summary(
                [o / b for o, b in zip(cpu["ours-no-commands"], bare)], digits=3
            ),
            "cpu_seconds": {kind: summary(values, digits=2) for kind, values in cpu.items()},
            "real_time_factor": {
                kind: round(summary(values, digits=4)["median"] / SECONDS, 3)
                for kind, values in cpu.items()
            },
            "recording_seconds": SECONDS,
            # Dither is off in the model copy: ours must hear the same words with
            # and without command phrases (the grammar recogniser only judges).
            # The bare loop also decodes the room between sentences, which ours
            # skips, so its words may differ.
            "same_words_with_and_without_commands": texts["ours"] == texts["ours-no-commands"],
            "same_words_as_the_bare_loop": texts["ours"] == texts["bare"],
        },
    }
