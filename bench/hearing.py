"""What ritual's listener thought it heard, lined up with what was really played.

ritual keeps each answer's audio (16 kHz WAV, from the moment it started
listening) and, in ``transcript.json`` beside the entry, the recogniser's word
times relative to that audio and why the answer ended. Finding the kept audio
in the bench's recording (cross-correlation: it went through PulseAudio and
two resamplers, so it is not bit-exact, but it correlates sharply) puts Vosk's
last word end on the recording's clock, next to the real end of speech.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio.wav import read_wav
from bench import RATE

SEARCH = 3.0
"""seconds around where the answer was fed in which to look for the kept audio"""


@dataclass(frozen=True)
class Heard:
    ended_by: str
    """why ritual's listener ended the answer (silence, command, …)"""
    last_word_end: float | None
    """seconds from the start of the kept audio to the end of the last word"""
    audio: Path | None


def best_offset(signal: np.ndarray[Any, Any], template: np.ndarray[Any, Any], lo: int) -> int:
    """Index in ``signal`` (from ``lo`` on) where ``template`` matches best."""
    a = signal.astype(np.float64)
    b = template.astype(np.float64)
    if len(a) < len(b):
        raise ValueError("the recording is shorter than the sound looked for")
    n = 1 << (len(a) + len(b)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n)), n)
    return lo + int(np.argmax(corr[: len(a) - len(b) + 1]))


def listener_view(events: list[dict[str, Any]]) -> dict[str, Heard]:
    """Each step's first answer as ritual's listener reported it."""
    done = next((e for e in events if e["event"] == "done"), None)
    if done is None:
        return {}
    entry = Path(done["path"])
    try:
        details = json.loads((entry.parent / entry.stem / "transcript.json").read_text())
    except (OSError, ValueError):
        return {}
    view = {}
    for step, parts in details.items():
        part = parts[0]
        words = part.get("words") or []
        audio = entry.parent / part["audio"] if part.get("audio") else None
        view[step] = Heard(
            str(part.get("ended_by")), float(words[-1]["end"]) if words else None, audio
        )
    return view


def word_end_early_ms(
    mic: np.ndarray[Any, Any], heard: Heard, near: int, speech_end: int
) -> float | None:
    """How long before the real end of speech (index ``speech_end`` in ``mic``)
    Vosk put the end of the last word; ``near``: where the answer was fed."""
    if heard.audio is None or heard.last_word_end is None:
        return None
    kept = np.frombuffer(read_wav(heard.audio).frames, dtype="<i2")
    lo = max(0, near - int(SEARCH * RATE))
    hi = min(len(mic), near + len(kept) + int(SEARCH * RATE))
    start = best_offset(mic[lo:hi], kept, lo)
    return 1000 * (speech_end - start - heard.last_word_end * RATE) / RATE
