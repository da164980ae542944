"""Reading a ritual run's recording: when the greeting started, and how long
after each answer's last spoken sample the next prompt started.

Both ends of a turn are found in the same stereo recording (see studio.py), so
a turn's length is a count of samples on one clock: exact to the sample, up
to the mixing sink's block (it renders a few ms ahead of real time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import RATE
from bench.hearing import Heard, best_offset, listener_view, word_end_early_ms
from bench.recorder import Recording
from bench.ritual_run import Fed, RitualRun
from bench.speech import AUDIBLE

SEARCH = 0.3
"""seconds before paplay was started from which to look for a fed answer"""


@dataclass(frozen=True)
class Turn:
    step: str
    latency_ms: float
    """next prompt's first audible sample - answer's last spoken sample - silence"""
    to_heard_ms: float
    """last spoken sample -> the ``heard`` event, minus silence: the listener's part"""
    heard_to_speaking_ms: float
    """``heard`` -> ``speaking`` event: saving the entry, picking the next step"""
    speaking_to_sound_ms: float
    """``speaking`` event -> first audible sample: rendering lookup and the player"""
    ended_by: str
    """why ritual's listener ended the answer"""
    word_end_early_ms: float | None
    """how long before the real end of speech Vosk put the last word's end (the
    endpoint counts the silence from there)"""


def first_audible(samples: np.ndarray[Any, Any], start: int) -> int | None:
    loud = np.nonzero(np.abs(samples[start:].astype(np.int32)) >= AUDIBLE)[0]
    return start + int(loud[0]) if len(loud) else None


def locate(recording: Recording, fed: Fed) -> int:
    """Where the fed answer starts in the mic channel (it arrives bit-exact)."""
    lo = recording.index(fed.started - SEARCH)
    hi = min(len(recording.mic), lo + len(fed.answer.samples) + 2 * RATE)
    return best_offset(recording.mic[lo:hi], fed.answer.samples, lo)


def greeting_start(run: RitualRun) -> float:
    """Seconds from spawning ritual to the greeting's first audible sample."""
    rec = run.recording
    onset = first_audible(rec.speaker, rec.index(run.spawned))
    if onset is None:
        raise ValueError("nothing was heard on the speaker")
    return rec.time(onset) - run.spawned


def greeting_parts(run: RitualRun) -> tuple[float, float]:
    """Seconds from spawn to the greeting's ``speaking`` event, and from it to the sound."""
    speaking = next(e for e in run.events if e["event"] == "speaking")
    said = run.event_time(speaking)
    return said - run.spawned, run.spawned + greeting_start(run) - said


def listening_after_prompt(run: RitualRun) -> list[float]:
    """Seconds from the end of each question's sound to its ``listening`` event.

    Whatever the user says in that window is dropped (half-duplex): it is the
    mic's echo tail, plus anything else ``listen()`` does first (building the
    grammar recogniser, waiting for a model still loading).
    """
    rec = run.recording
    found = []
    for event in run.events:
        if event["event"] != "listening":
            continue
        listening = run.event_time(event)
        before = rec.speaker[: rec.index(listening)]
        loud = np.nonzero(np.abs(before.astype(np.int32)) >= AUDIBLE)[0]
        if len(loud):
            found.append(listening - rec.time(int(loud[-1]) + 1))
    return found


def turns(run: RitualRun, silences: dict[str, float]) -> list[Turn]:
    """One Turn per fed answer that was heard and followed by a prompt."""
    rec = run.recording
    view = listener_view(run.events)
    found = []
    for fed in run.fed:
        start = locate(rec, fed)
        end = start + fed.answer.speech_end
        if first_audible(rec.speaker[: end + 1], start) is not None:
            continue  # ritual spoke during the answer (asked again?): not a turn
        onset = first_audible(rec.speaker, end)
        heard = _event_after(run, "heard", fed.step, rec.time(start))
        speaking = _event_after(run, "speaking", None, rec.time(end))
        if onset is None or heard is None or speaking is None:
            continue
        silence = silences[fed.step]
        heard_as = view.get(fed.step, Heard("unknown", None, None))
        found.append(
            Turn(
                step=fed.step,
                latency_ms=1000 * ((onset - end) / RATE - silence),
                to_heard_ms=1000 * (run.event_time(heard) - rec.time(end) - silence),
                heard_to_speaking_ms=1000 * (run.event_time(speaking) - run.event_time(heard)),
                speaking_to_sound_ms=1000 * (rec.time(onset) - run.event_time(speaking)),
                ended_by=heard_as.ended_by,
                word_end_early_ms=word_end_early_ms(rec.mic, heard_as, start, end),
            )
        )
    return found


def _event_after(
    run: RitualRun, kind: str, step: str | None, after: float
) -> dict[str, Any] | None:
    for event in run.events:
        if event["event"] != kind or run.event_time(event) < after:
            continue
        if step is None or event.get("step") == step:
            return event
    return None
