"""The wake detector on its own: how often it misses a spoken wake phrase, how often
unrelated speech wakes it, and what it costs. Audio goes through the detector's
source as fast as it decodes (a WAV file, not the mic): twenty minutes of talk take
seconds, and the decisions are the same as in real time (they run on audio time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio.wav import WavSource
from assistant.core.hands_free import DEFAULT_WAKE
from assistant.speech.vosk_model import SharedModel
from assistant.speech.vosk_wake import VoskWakeListener
from bench import RATE
from tests.support.sounds import SPEEDS, phrase_audio, room_audio, talk, wav_of

NOISES = (("quiet", None), ("pink 20 dB", 20.0), ("pink 15 dB", 15.0))
VOICES = ("ko", "ko+f2")
"""espeak-ng's Korean voice, and a higher, female variant of it"""
FALSE_WAKE_MINUTES = 20.0
ROOM_SECONDS = 5.0
"""the room heard before the first phrase said in it"""


@dataclass
class DetectorFigures:
    tried: int
    missed: list[str]
    false_wakes: int
    talk_minutes: float
    cpu_per_audio_second: float


def measure_detector(model_path: Path, work: Path, log: Any = print) -> DetectorFigures:
    phrases = DEFAULT_WAKE["ko"]
    model = SharedModel(model_path)
    detector = VoskWakeListener(model, WavSource(wav_of(work / "q.wav", np.zeros(RATE))), phrases)
    missed, tried = [], 0
    # One room at a time, as at home: the recogniser adapts to a room's sound (its
    # i-vectors carry over between utterances), and a room's noise does not jump
    # from quiet to 15 dB SNR between two phrases: each room is heard for a few
    # seconds before anyone speaks in it.
    cases = [(n, p, s, v) for n in NOISES for p in phrases.items() for s in SPEEDS for v in VOICES]
    for seed, ((label, snr), (phrase, ritual), speed, voice) in enumerate(cases, start=1):
        if cases[seed - 2][0] != (label, snr) or seed == 1:
            room = room_audio(snr, ROOM_SECONDS, seed)
            detector.source = WavSource(wav_of(work / f"room-{seed}.wav", room))
            detector.wait(ROOM_SECONDS + 1, fresh=True)
        audio = phrase_audio(phrase, speed, snr, seed, voice)
        detector.source = WavSource(wav_of(work / f"wake-{seed}.wav", audio))
        woke = detector.wait(60.0, fresh=True)
        tried += 1
        if woke != ritual:
            missed.append(f"{phrase}, {voice} at {speed} wpm, {label}: {woke or 'nothing'}")
    log(f"  wake phrases: {tried - len(missed)} of {tried} heard")
    detector.source = WavSource(talk(work / "talk.wav", FALSE_WAKE_MINUTES))
    wakes, heard_before = 0, detector.heard_seconds
    cpu = time.process_time()
    while True:
        woke = detector.wait(3600.0, fresh=False)
        if woke is None:
            break
        wakes += 1
    cpu = time.process_time() - cpu
    audio = detector.heard_seconds - heard_before
    log(f"  {audio / 60:.1f} minutes of unrelated talk: {wakes} false wake(s)")
    model.close()
    return DetectorFigures(tried, missed, wakes, round(audio / 60, 2), cpu / audio)


def bench_wake(model: Path, work: Path, log: Any = print) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    found = measure_detector(model, work, log)
    return {
        "wake_miss_rate": round(len(found.missed) / found.tried, 3),
        "false_wakes_per_hour": round(found.false_wakes / (found.talk_minutes / 60), 2),
        "details": {
            "wake": {
                "phrases_tried": found.tried,
                "missed": found.missed,
                "false_wakes": found.false_wakes,
                "unrelated_talk_minutes": found.talk_minutes,
                "detector_cpu_s_per_audio_s": round(found.cpu_per_audio_second, 4),
            }
        },
    }
