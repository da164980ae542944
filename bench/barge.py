"""Barge-in: commands said over prompts, and prompts with nobody talking.

All in the simulated room of the tests (tests/support/echo_room.py): the prompt
comes back into the mic 80 ms late, at -6 or 0 dB, with a reflection 120 ms late
at -16 dB, over a quiet (-60 dBFS) or a busy (-40 dBFS) room's noise. The mic's
reads drive the room's clock, so it runs faster than real time and every time is
in exact samples of the mic: the figures are audio time, not wall time (a real
device's output latency, tens of ms, comes on top of the stop time).
"""

from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import numpy as np

from assistant.core.barge_in import DURING_PROMPT, prompt_commands
from assistant.core.ports import Speaker
from assistant.core.voice_commands import Command, commands_for
from assistant.core.voice_spec import Engine, VoiceSpec
from tests.support.echo_room import Echo, EchoRoom
from tests.support.sounds import spoken

RATE = 16000
KO_PROMPTS = (
    "천천히 숨을 들이쉬세요. 그리고 천천히 내쉬세요. 오늘 하루를 떠올려 보세요.",
    "오늘 감사한 일 세 가지를 생각해 보세요. 작은 것도 괜찮아요.",
    "어깨의 힘을 빼고 편하게 앉으세요. 지금 이 순간에 머물러 보세요.",
    "내일 하고 싶은 일 하나를 정해 보세요. 무엇이든 좋아요.",
)
EN_PROMPTS = (
    "Breathe in slowly, and let your shoulders drop. Now breathe out, as slowly as you can.",
    "Think of one thing that went well today, however small it was, and stay with it a moment.",
    "Picture tomorrow morning. What is the one thing you want to do first, before anything else?",
    "Notice the sounds around you, near and far, and let each of them pass by without a judgement.",
)
"""as long as the Korean ones (4.6 s or more): each command is said, and ends, well
inside its prompt (shorter, the last ones ran past the prompt's end)"""
SAID = (
    ("중지", Command.STOP),
    ("다음", Command.SKIP),
    ("잠깐", Command.PAUSE),
    ("다시", Command.REPEAT),
)
"""Korean commands (the test model's language), said by espeak-ng"""
ROOMS = {"quiet": 30.0, "noisy": 300.0}
"""room noise, RMS in int16 units: about -60 and -40 dBFS"""
ECHOES = (-6.0, 0.0)
ECHO_DELAY = 0.08
FALSE_MINUTES = 20.0
PI_CORES = 0.3
PI_MINUTES = 1.0
COMMANDS = prompt_commands(commands_for("ko"), DURING_PROMPT, "")
SpeakerFor = Callable[[EchoRoom], Speaker]


def bench_barge(
    model: Path,
    work: Path,
    *,
    piper: bool,
    minutes: float = FALSE_MINUTES,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    from assistant.speech.vosk_model import SharedModel

    shared = SharedModel(model)
    shared.get(timeout=120)
    voices: dict[str, tuple[Any, tuple[str, ...]]] = {"espeak-ng": (_espeak, KO_PROMPTS)}
    if piper:
        voices["piper"] = (_piper, EN_PROMPTS)
    else:
        log("  no Piper voice: the espeak-ng voice only")
    trials: list[dict[str, Any]] = []
    false, cpu, seconds = 0, 0.0, 0.0
    for voice, (make, prompts) in voices.items():
        with make(work / voice) as speaker_for:
            trials += _commands(shared, speaker_for, voice, prompts)
            right = sum(t["heard"] == t["said"] for t in trials if t["voice"] == voice)
            log(f"  {voice}: {right} of {len(SAID) * 4} commands over prompts heard right")
            found = _nobody(shared, speaker_for, prompts, minutes / len(voices))
            log(f"  {voice}: {found[0]} false barge-in(s) over {found[2] / 60:.1f} min of prompts")
            false, cpu, seconds = false + found[0], cpu + found[1], seconds + found[2]
    shared.close()
    return (
        _figures(trials, false, cpu, seconds)
        | _pi_class(model, work, log)
        | {
            "echo_return_loss_db": _echo_return_loss(),
        }
    )


def _figures(
    trials: list[dict[str, Any]], false: int, cpu: float, seconds: float
) -> dict[str, Any]:
    right = [t for t in trials if t["heard"] == t["said"]]
    wrong = [t for t in trials if t["heard"] not in (None, t["said"])]
    stops = [t["stop_ms"] for t in right if t["stop_ms"] is not None]
    return {
        "barge_in_success_rate": round(len(right) / len(trials), 3),
        "barge_in_wrong_command_rate": round(len(wrong) / len(trials), 3),
        "barge_in_stop_ms": round(statistics.median(stops)) if stops else None,
        "false_barge_ins_per_hour": round(false * 3600 / seconds, 2),
        "barge_in_cpu_pct": round(100 * cpu / seconds, 2),
        "details": {
            "barge": {
                "commands": len(trials),
                "false_barge_ins": false,
                "false_minutes": round(seconds / 60, 1),
                "stop_ms_range": [min(stops), max(stops)] if stops else None,
                "trials": trials,
            }
        },
    }


def _commands(
    shared: Any, speaker_for: SpeakerFor, voice: str, prompts: tuple[str, ...]
) -> list[dict[str, Any]]:
    from assistant.speech.barge_in import BargeInSpeaker

    trials = []
    for room_name, noise in ROOMS.items():
        for gain in ECHOES:
            room = EchoRoom(echo=Echo(delay=ECHO_DELAY, gain_db=gain), noise=noise)
            speaker = BargeInSpeaker(speaker_for(room), room, room, shared)
            for n, (word, command) in enumerate(SAID):
                room.said = [(1.2 + 0.6 * n, spoken(word))]
                heard = speaker.say_until(prompts[n % len(prompts)], COMMANDS)
                stop = None
                if room.stopped_at is not None and room.said_end is not None:
                    stop = round((room.stopped_at - room.said_end) * 1000 / RATE)
                trials.append(
                    {
                        "voice": voice,
                        "room": room_name,
                        "echo_db": gain,
                        "said": command.value,
                        "heard": heard.value if heard else None,
                        "stop_ms": stop,
                    }
                )
    return trials


def _nobody(
    shared: Any, speaker_for: SpeakerFor, prompts: tuple[str, ...], minutes: float
) -> tuple[int, float, float]:
    """Prompts with echo and a busy room's noise, nobody talking: (commands taken,
    CPU seconds of listening, seconds of prompts)."""
    from assistant.speech.barge_in import BargeInSpeaker

    false, cpu, seconds, n = 0, 0.0, 0.0, 0
    while seconds < minutes * 60:
        room = EchoRoom(echo=Echo(delay=ECHO_DELAY, gain_db=ECHOES[n % 2]), noise=300.0, seed=n)
        speaker = BargeInSpeaker(speaker_for(room), room, room, shared)
        for prompt in prompts:
            false += speaker.say_until(prompt, COMMANDS) is not None
            seconds += room.prompt_samples / RATE
            cpu += speaker.last.cpu_seconds if speaker.last else 0.0
        n += 1
    return false, cpu, seconds


@contextlib.contextmanager
def _espeak(folder: Path) -> Iterator[SpeakerFor]:
    from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker

    made: list[Pyttsx3Speaker] = []

    def speaker_for(room: EchoRoom) -> Speaker:
        made.append(Pyttsx3Speaker(cache_dir=folder, player=room, voice=VoiceSpec(), language="ko"))
        return made[-1]

    try:
        yield speaker_for
    finally:
        for speaker in made:
            speaker.close()


@contextlib.contextmanager
def _piper(folder: Path) -> Iterator[SpeakerFor]:
    from assistant.modelstore.voices import packaged_voices
    from assistant.speech.piper_speaker import PiperSpeaker, PiperWorker

    files = next(v for v in packaged_voices() if v.name == "en_US-joe-medium")
    worker = PiperWorker(files)
    made: list[PiperSpeaker] = []

    def speaker_for(room: EchoRoom) -> Speaker:
        made.append(
            PiperSpeaker(
                cache_dir=folder,
                player=room,
                voice=files,
                spec=VoiceSpec(engine=Engine.PIPER),
                worker=worker,
            )
        )
        return made[-1]

    try:
        yield speaker_for
    finally:
        worker.close()
        for speaker in made:
            speaker.prefetcher.close()


def _echo_return_loss() -> dict[str, float]:
    """The linear canceller alone, AEC3 alone (for comparison), and all of barge-in's
    cleaning (the canceller, noise suppression and the residual's suppression) on the
    bench's echo path (-6 dB, 80 ms, the reflection, the quiet room), over a
    prompt's second half."""
    from assistant.audio.echo import AEC3, LINEAR, echo_return_loss_db, new_canceller
    from assistant.speech.barge_in import EchoPath

    far = spoken(" ".join(KO_PROMPTS[:2])).astype(np.int16)
    near = np.zeros(len(far))
    for delay, gain in ((ECHO_DELAY, -6.0), (0.12, -16.0)):
        lag = int(delay * RATE)
        near[lag:] += far[: len(far) - lag] * 10 ** (gain / 20)
    near = (near + np.random.default_rng(0).normal(0, 30, len(near))).astype(np.int16)
    path = EchoPath(cancel=True)
    path.near += near.tobytes()
    path.far += far.tobytes()
    suppressed = np.frombuffer(path.cleaned(playing=False), dtype="<i2")
    shift = path.shift or 0
    aligned = np.concatenate([np.zeros(shift, np.int16), far[: len(far) - shift]])
    usable = len(suppressed)
    half = slice(usable // 2, usable)
    figures = {}
    for engine in (LINEAR, AEC3):
        canceller = new_canceller(engine)
        canceller.learn(near[:usable], aligned[:usable])
        alone = canceller.process(near[:usable], aligned[:usable])
        figures[engine] = round(echo_return_loss_db(near[half], alone[half]), 1)
    figures["with_suppression"] = round(echo_return_loss_db(near[half], suppressed[half]), 1)
    return figures


def _pi_class(model: Path, work: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """A minute of prompts (espeak-ng, from the cache) under 0.3 of a core: the share
    of that quota listening over a prompt takes (over 100: it falls behind)."""
    from bench.quota import cpu_quota, quota_missing

    why = quota_missing()
    if why:
        log(f"  no Pi-class figure: {why}")
        return {"pi_class_barge_in_skipped": why}
    cache = work / "espeak-ng"
    command = [sys.executable, "-m", "bench.barge_pi", str(model), str(cache), str(PI_MINUTES)]
    with cpu_quota(PI_CORES, "ritual-bench-barge") as enter:
        done = subprocess.run(command, preexec_fn=enter, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the Pi-class barge-in run failed:\n{done.stderr}")
    measured = json.loads(done.stdout)
    pct = round(100 * measured["wall_s"] / measured["audio_s"], 1)
    log(f"  at {PI_CORES} core: {pct} % of real time to listen over prompts")
    return {"pi_class_quota_cores": PI_CORES, "pi_class_barge_in_realtime_pct": pct}
