"""A whole voice ritual through the CLI, on real engines and virtual devices.

``ritual run`` runs in a process of its own (PortAudio there sees the virtual
PulseAudio devices from the start), speaking with pyttsx3 + espeak-ng onto the
virtual speaker, and listening on the virtual mic with the real Korean Vosk
model. The test plays the part of the user: it waits for each ``listening``
event and plays a WAV answer into the virtual mic.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import pytest

from assistant.audio.wav import read_wav
from assistant.core.prompts import ritual_prompts
from assistant.core.ritual import placeholder_values
from assistant.core.ritual_file import load_ritual
from assistant.core.voice_spec import VoiceSpec
from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker
from tests.support.event_tail import EventTail
from tests.support.sounds import answer_wav, loud_seconds
from tests.support.virtual_audio import VirtualAudio

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]
RITUAL = ROOT / "tests" / "data" / "voice-ko.yaml"
TIMEOUT = 120.0


def run_ritual(
    audio: VirtualAudio,
    tmp: Path,
    model: Optional[Path],
    answers: dict[str, Path] | dict[str, list[Path]],
    env_extra: Optional[dict[str, str]] = None,
    ritual: Path = RITUAL,
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """Run the ritual, answering each ``listening`` step with its WAV (or, for a step
    asked more than once, with the next of its WAVs).

    With ``model`` None, ritual finds its model itself (``env_extra`` may say where)."""
    queued = {step: list(wav) if isinstance(wav, list) else [wav] for step, wav in answers.items()}
    events = EventTail(tmp / "events.jsonl")
    env = {
        **audio.client_env(),
        "RITUAL_CACHE": str(tmp / "cache"),
        "RITUAL_CONFIG": str(tmp / "no-config.yaml"),
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "PYTHONUNBUFFERED": "1",
        **(env_extra or {}),
    }
    env.pop("RITUAL_JOURNAL", None)
    env.pop("RITUAL_MODEL", None)
    (tmp / "no-config.yaml").write_text("name: tester\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "run", str(ritual), "--journal", str(tmp / "journal"),
         *(["--model", str(model)] if model else []), "--events", str(events.path)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + TIMEOUT
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            for event in events.poll():
                if event["event"] == "listening" and queued.get(event["step"]):
                    audio.feed(queued[event["step"]].pop(0))
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate()
    events.poll()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), events.seen


@pytest.mark.slow
def test_a_voice_ritual_heard_answered_and_stopped_by_voice(
    virtual_audio: VirtualAudio, ko_model: Path, tmp_path: Path
) -> None:
    # The answers end in a room's noise floor, long enough for the step's silence: once
    # a WAV is played out the virtual mic gives exact zeros, on which Vosk's endpointer
    # may never close a sentence (a real mic always hears something).
    feeling, feeling_speech = answer_wav(
        tmp_path / "feeling.wav", "오늘은 정말 좋은 하루였어요", lead=0.5, tail=2.5
    )
    # an answer, then the stop command after a pause shorter than the step's silence
    need, need_speech = answer_wav(
        tmp_path / "need.wav", "저는 조금 쉬고 싶어요", "중지", lead=0.5, gap=1.6, tail=3.5
    )
    with virtual_audio.record(tmp_path / "speaker.wav") as speaker:
        done, events = run_ritual(
            virtual_audio, tmp_path, ko_model, {"feeling": feeling, "need": need}
        )
        time.sleep(0.3)
    assert done.returncode == 0, done.stderr
    kinds = [e["event"] for e in events]

    # -- the events tell the story ------------------------------------------------------
    assert [e["step"] for e in events if e["event"] == "listening"] == ["feeling", "need"], events
    heard = {e["step"]: e["text"] for e in events if e["event"] == "heard"}
    assert set(heard) == {"feeling", "need"} and all(heard.values())
    assert {"event": "command", "name": "stop"}.items() <= next(
        e for e in events if e["event"] == "command"
    ).items()
    assert kinds[-1] == "done" and events[-1]["status"] == "stopped"

    # -- the entry: a transcript per answer, saved as stopped, audio beside it -----------
    entry = Path(events[-1]["path"])
    text = entry.read_text(encoding="utf-8")
    assert re.search(r"^status: stopped$", text, re.M), text
    assert "model: vosk-model-small-ko-test" in text
    for step in ("feeling", "need"):
        assert heard[step] in text
    audio = sorted((entry.parent / entry.stem).glob("*.wav"))
    assert [a.name for a in audio] == ["01-feeling.wav", "02-need.wav"]
    details = json.loads((entry.parent / entry.stem / "transcript.json").read_text())
    # seconds from the last word to the end: the step's silence (2 s) for the first; for
    # the second, Vosk closing the command's sentence (its endpoint rules: 0.5 to 2 s of
    # trailing quiet, model.conf)
    ends = {"feeling": (2.0, 2.2), "need": (0.5, 2.6)}
    for kept, fed, speech, step in (
        (audio[0], feeling, feeling_speech, "feeling"),
        (audio[1], need, need_speech, "need"),
    ):
        wav = read_wav(kept)
        assert (wav.rate, wav.channels) == (16000, 1)
        assert os.stat(kept).st_mode & 0o077 == 0
        # all that was said (the feed starts a moment after the listening event) ...
        assert loud_seconds(kept) == pytest.approx(loud_seconds(fed), abs=0.3)
        assert wav.seconds > speech
        # ... and not much more
        [said] = details[step]
        assert said["seconds"] == pytest.approx(wav.seconds, abs=0.01)
        low, high = ends[step]
        assert low <= said["seconds"] - said["words"][-1]["end"] <= high

    # -- the prompts were heard on the speaker, whole ------------------------------------
    spoken = [e["text"] for e in events if e["event"] == "speaking"]
    assert spoken[:2] == ["안녕하세요. 잠깐 함께해요.", "오늘 기분이 어떠세요?"]
    # Every prompt the ritual may say was rendered ahead while it ran, so the cache
    # holds more than was spoken; what was heard is exactly the spoken ones.
    cache = tmp_path / "cache" / "speech"
    ritual = load_ritual(RITUAL)
    may_say = ritual_prompts(ritual, placeholder_values(datetime.now(), "tester"))
    assert len(list(cache.glob("*.wav"))) == len(may_say)
    espeak = Pyttsx3Speaker(cache_dir=cache, player=None, voice=VoiceSpec(), language="ko")  # type: ignore[arg-type]
    prompts = [espeak.cache_path(text) for text in set(spoken)]
    assert all(p.is_file() for p in prompts)
    expected = sum(loud_seconds(p) for p in prompts)
    assert loud_seconds(speaker) == pytest.approx(expected, rel=0.15)


def test_without_a_microphone_the_fix_is_named(ko_model: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PULSE_SERVER": f"unix:{tmp_path}/no-sound-server",
        "RITUAL_CACHE": str(tmp_path),
    }
    probe = subprocess.run(
        [sys.executable, "-m", "assistant", "devices"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if probe.stdout.split("Outputs")[0].count("Hz"):
        pytest.skip("this machine has a real microphone")
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "run", str(RITUAL), "--model", str(ko_model),
         "--journal", str(tmp_path / "journal")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "no microphone found" in done.stderr and "--text" in done.stderr
