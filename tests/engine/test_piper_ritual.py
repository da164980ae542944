"""A whole ritual spoken by Piper onto the virtual speaker, every public prompt
rendered before it is needed, the read-back made as it is spoken."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from assistant.core.prompts import prompts_ahead, upcoming_values
from assistant.core.ritual_file import load_ritual
from assistant.modelstore.voices import PiperVoiceFiles
from assistant.speech.piper_speaker import PiperSpeaker
from tests.cli import ROOT
from tests.engine.test_piper import StreamRecorder, workers_alive
from tests.support.event_tail import EventTail
from tests.support.sounds import answer_wav, loud_seconds
from tests.support.virtual_audio import VirtualAudio

pytestmark = pytest.mark.engine
RITUAL = ROOT / "tests" / "data" / "piper-ko.yaml"
TIMEOUT = 120.0


def ritual_env(audio: VirtualAudio, tmp: Path) -> dict[str, str]:
    (tmp / "config.yaml").write_text("name: tester\n")
    env = {
        **audio.client_env(),
        "RITUAL_CACHE": str(tmp / "cache"),
        "RITUAL_CONFIG": str(tmp / "config.yaml"),
        "RITUAL_VOICES_DIR": str(tmp / "voices"),
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("RITUAL_JOURNAL", None)
    return env


def start(env: dict[str, str], tmp: Path, model: Path, events: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "run", str(RITUAL), "--journal", str(tmp / "journal"),
         "--model", str(model), "--events", str(events)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def cached(tmp: Path) -> set[Path]:
    return set((tmp / "cache" / "speech").glob("*.wav"))


@pytest.mark.slow
def test_a_ritual_spoken_by_piper_from_prepared_prompts(
    virtual_audio: VirtualAudio, ko_model: Path, piper_voice: PiperVoiceFiles, tmp_path: Path
) -> None:
    env = ritual_env(virtual_audio, tmp_path)
    answer, _ = answer_wav(
        tmp_path / "answer.wav", "오늘은 정말 좋은 하루였어요", lead=0.5, tail=2.5
    )
    keep, _ = answer_wav(tmp_path / "keep.wav", "네", lead=0.5, tail=1.5)

    # -- prepared before: every prompt without the user's words, in Piper's voice ------
    prepared = subprocess.run(
        [sys.executable, "-m", "assistant", "prepare", str(RITUAL)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert prepared.returncode == 0, prepared.stderr
    assert "Piper voice en_US-joe-medium" in prepared.stdout
    ritual = load_ritual(RITUAL)
    texts = prompts_ahead(ritual, upcoming_values(datetime.now().astimezone(), "tester", 2))
    before = cached(tmp_path)
    assert len(before) == len(texts)

    # -- the ritual, by voice --------------------------------------------------------
    events = EventTail(tmp_path / "events.jsonl")
    answers = [answer, keep]
    with virtual_audio.record(tmp_path / "speaker.wav") as speaker_wav:
        proc = start(env, tmp_path, ko_model, events.path)
        deadline = time.monotonic() + TIMEOUT
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                for event in events.poll():
                    if event["event"] == "listening" and answers:
                        virtual_audio.feed(answers.pop(0))
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                proc.kill()
            _, err = proc.communicate()
        time.sleep(0.3)
    events.poll()
    assert proc.returncode == 0, err
    assert "espeak-ng" not in err  # no fallback
    seen: list[dict[str, Any]] = events.seen
    assert seen[-1]["event"] == "done" and seen[-1]["status"] == "complete"
    heard = [e["text"] for e in seen if e["event"] == "heard"]
    assert heard, seen
    entry = Path(seen[-1]["path"]).read_text(encoding="utf-8")
    assert heard[0] in entry

    # nothing was rendered during the ritual, and the read-back was kept nowhere
    assert cached(tmp_path) == before
    spoken = [e["text"] for e in seen if e["event"] == "speaking"]
    read_back = [t for t in spoken if heard[0] in t]
    assert read_back and read_back[0].startswith("이렇게 들었어요:")
    piper = PiperSpeaker(
        cache_dir=tmp_path / "cache" / "speech", player=StreamRecorder(), voice=piper_voice,
        spec=ritual.voice,
    )  # fmt: skip
    public = [t for t in dict.fromkeys(spoken) if t not in read_back]
    files = [piper.cache.path(t) for t in public]
    assert all(f in before for f in files), public

    # what the speaker played: the public prompts from the cache, and the read-back
    from_cache = sum(loud_seconds(f) for f in files)
    played = loud_seconds(speaker_wav)
    assert played - from_cache > 1.0, (played, from_cache)
    assert played < from_cache + 8.0
    assert workers_alive() == []


def test_sigterm_mid_ritual_saves_the_entry_and_ends_the_worker(
    virtual_audio: VirtualAudio, ko_model: Path, piper_voice: PiperVoiceFiles, tmp_path: Path
) -> None:
    env = ritual_env(virtual_audio, tmp_path)
    events = EventTail(tmp_path / "events.jsonl")
    proc = start(env, tmp_path, ko_model, events.path)
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not any(
            e["event"] == "listening" for e in events.poll() + events.seen
        ):
            time.sleep(0.05)
        assert workers_alive(), "the Piper worker should be running"
        os.kill(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    events.poll()
    assert proc.returncode == 130, err
    assert events.seen[-1]["event"] == "done" and events.seen[-1]["status"] == "stopped"
    assert workers_alive() == []
