"""Figures 1, 3, 4 and 5, from whole voice rituals run as a user would.

One cold run (empty speech cache) first, then ``runs`` warm runs sharing its
cache, each preceded by its baselines (A B A B …, so drift hits both alike):
a bare ``python -c pass`` and a process that only loads the model.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from assistant.core.ritual import Ask
from assistant.core.ritual_file import load_ritual
from bench import baselines
from bench.ritual_run import Folders, RitualRun, run_ritual
from bench.speech import Answer, make_answer
from bench.stats import summary
from bench.studio import Studio
from bench.turns import Turn, greeting_parts, greeting_start, listening_after_prompt, turns

RITUAL = Path(__file__).with_name("ritual.yaml")
RETRIES = 2
"""times a warm run that missed an answer is done again"""
ANSWERS = {
    "feeling": "오늘은 정말 좋은 하루였어요",
    "need": "저는 조금 쉬고 싶어요",
    "thanks": "친구와 점심을 먹었어요",
}
LEAD = 0.5
"""seconds of room noise before the user speaks"""
TAIL_AFTER_SILENCE = 1.5
"""seconds of room noise fed beyond the step's silence: the answer ends in noise"""


def _silences() -> dict[str, float]:
    """Each question's ``silence``, as ritual itself reads the file."""
    asks = [s.listening for s in load_ritual(RITUAL).steps if isinstance(s, Ask)]
    return {listening.id: listening.silence for listening in asks}


def _answers(folder: Path, silences: dict[str, float]) -> dict[str, Answer]:
    folder.mkdir(parents=True, exist_ok=True)
    answers = {}
    for n, (step, text) in enumerate(ANSWERS.items()):
        tail = silences[step] + TAIL_AFTER_SILENCE
        answers[step] = make_answer(folder / f"{step}.wav", text, lead=LEAD, tail=tail, seed=n)
    return answers


def _check(run: RitualRun, label: str) -> None:
    if run.returncode != 0:
        raise RuntimeError(f"{label}: ritual exited with {run.returncode}:\n{run.stderr}")
    if run.recording.overflows:
        raise RuntimeError(f"{label}: the recording lost audio; its sample clock is unreliable")
    heard = {e["step"] for e in run.events if e["event"] == "heard"}
    if heard != set(ANSWERS):
        raise RuntimeError(f"{label}: ritual heard {sorted(heard)}, not {sorted(ANSWERS)}")


def _first_listening(run: RitualRun) -> float:
    first = next(e for e in run.events if e["event"] == "listening")
    return run.event_time(first) - run.spawned


def _ms(seconds: list[float]) -> list[float]:
    return [1000 * s for s in seconds]


@dataclass
class _Runs:
    """Everything measured, before it is summarised."""

    cold: RitualRun
    warm: list[RitualRun] = field(default_factory=list)
    turns: list[list[Turn]] = field(default_factory=list)
    """per warm run"""
    python_s: list[float] = field(default_factory=list)
    bare_mb: list[float] = field(default_factory=list)
    load_only_mb: list[float] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    """why a warm run was done again"""


def bench_voice_ritual(
    studio: Studio,
    model: Path,
    work: Path,
    runs: int,
    log: Any = print,
    cache: Path | None = None,
) -> dict[str, Any]:
    """``cache``: the rendered prompts' folder, shared with an earlier call (its
    first run is then not cold); by default a new one in ``work``."""
    silences = _silences()
    answers = _answers(work / "answers", silences)
    wavs = [a.wav for a in answers.values()]
    cache = cache or work / "cache"

    def folders(n: int, again: int = 0) -> Folders:
        tag = f"{n}-{again}" if again else str(n)  # a run done again starts afresh
        return Folders(
            work / f"journal-{tag}", cache, work / f"events-{tag}.jsonl", work / f"home-{tag}"
        )

    retried: list[str] = []
    cold = _run_checked(  # done again, it finds some prompts rendered: not the figures' run
        lambda again: run_ritual(studio, RITUAL, model, folders(0, again), answers), 0, retried
    )
    log(f"  cold run: {cold.synth_files} prompts rendered, greeting after "
        f"{1000 * greeting_start(cold):.0f} ms")  # fmt: skip
    done = _Runs(cold, retried=retried)
    for n in range(1, runs + 1):
        done.python_s.append(baselines.python_startup_seconds())
        done.bare_mb.append(baselines.model_only_peak_mb(model, wavs))
        done.load_only_mb.append(baselines.model_only_peak_mb(model, []))
        run = _run_checked(
            lambda again, n=n: run_ritual(studio, RITUAL, model, folders(n, again), answers),
            n,
            done.retried,
        )
        done.warm.append(run)
        done.turns.append(turns(run, silences))
        latencies = [round(t.latency_ms) for t in done.turns[-1]]
        rss = f"peak RSS {run.peak_rss_mb:.0f} MB (bare model {done.bare_mb[-1]:.0f} MB)"
        log(f"  run {n}: greeting {1000 * greeting_start(run):.0f} ms, turns {latencies} ms, {rss}")
    return {
        **_figures(done),
        "details": {
            **_details(done, silences),
            "mix_block_ms": studio.mix_block_ms(),
        },
    }


def _run_checked(run_one: Callable[[int], RitualRun], n: int, retried: list[str]) -> RitualRun:
    """A run (0: the cold one) that heard every answer. On a crowded machine a run
    now and then misses one (at load 7 the first question's listen came back after
    two seconds with no words, and the ritual asked again); it is done again, at
    most ``RETRIES`` times, and counted, so that one miss does not lose the figures."""
    for attempt in range(RETRIES + 1):
        run = run_one(attempt)
        try:
            _check(run, f"run {n}" if n else "cold run")
            return run
        except RuntimeError as e:
            if attempt == RETRIES:
                raise
            retried.append(str(e).splitlines()[0])
    raise AssertionError("unreachable")


def _figures(done: _Runs) -> dict[str, Any]:
    warm = done.warm
    return {
        "turn_latency_over_silence_ms": summary([t.latency_ms for ts in done.turns for t in ts]),
        "greeting_start_ms": summary(_ms([greeting_start(r) for r in warm])),
        "first_listening_ms": summary(_ms([_first_listening(r) for r in warm])),
        "python_startup_ms": summary(_ms(done.python_s)),
        "rss_over_bare_model_mb": summary([r.peak_rss_mb - b for r, b in zip(warm, done.bare_mb)]),
        "second_run_synth_calls": warm[0].synth_files,
    }


def _details(done: _Runs, silences: dict[str, float]) -> dict[str, Any]:
    warm = done.warm
    after_prompt = [listening_after_prompt(r) for r in warm]
    return {
        "turn_parts_ms": _turn_parts([t for ts in done.turns for t in ts]),
        "turns_per_run": len(ANSWERS),
        "runs_done_again": done.retried,
        "turns_per_warm_run": [[_turn_row(t) for t in ts] for ts in done.turns],
        "greeting_parts_ms": {
            "spawn_to_speaking_event": summary(_ms([greeting_parts(r)[0] for r in warm])),
            "speaking_event_to_sound": summary(_ms([greeting_parts(r)[1] for r in warm])),
        },
        # The first question also builds the grammar recogniser.
        "prompt_end_to_listening_ms": {
            "first_question": summary(_ms([a[0] for a in after_prompt])),
            "later_questions": summary(_ms([s for a in after_prompt for s in a[1:]])),
        },
        "silence_s": sorted(set(silences.values())),
        "cold_run": {
            "synth_calls": done.cold.synth_files,
            "greeting_start_ms": round(1000 * greeting_start(done.cold), 1),
            "turn_latency_over_silence_ms": [
                round(t.latency_ms, 1) for t in turns(done.cold, silences)
            ],
        },
        "synth_calls_per_warm_run": [r.synth_files for r in warm],
        "ritual_peak_rss_mb": summary([r.peak_rss_mb for r in warm]),
        "bare_model_peak_rss_mb": summary(done.bare_mb),
        # The same baseline without decoding the answers: the difference then also
        # holds what Vosk itself caches while decoding (not ritual's doing).
        "model_load_only_peak_rss_mb": summary(done.load_only_mb),
        "rss_over_model_load_only_mb": summary(
            [r.peak_rss_mb - b for r, b in zip(warm, done.load_only_mb)]
        ),
        "recorder_jitter_ms": summary(_ms([r.recording.jitter for r in warm])),
    }


def _turn_row(turn: Turn) -> dict[str, Any]:
    early = turn.word_end_early_ms
    return {
        "step": turn.step,
        "latency_ms": round(turn.latency_ms, 1),
        "ended_by": turn.ended_by,
        "vosk_word_end_early_ms": None if early is None else round(early, 1),
    }


def _turn_parts(found: list[Turn]) -> dict[str, float]:
    """Medians of where a turn's time goes (from the events, a few ms coarse)."""
    return {
        "last_speech_to_heard_minus_silence": round(
            statistics.median(t.to_heard_ms for t in found), 1
        ),
        "heard_to_speaking": round(statistics.median(t.heard_to_speaking_ms for t in found), 1),
        "speaking_to_first_sound": round(
            statistics.median(t.speaking_to_sound_ms for t in found), 1
        ),
    }
