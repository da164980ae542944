"""`ritual listen` on real engines: spoken wake phrases run rituals in one process, a
lost microphone comes back, SIGTERM stops it cleanly.

The listener runs as a process of its own, as a service would, on a private
PulseAudio, with the real Korean Vosk model and espeak-ng. The test plays the user:
it follows the events file and plays espeak-ng speech into the virtual mic.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from assistant.app import PREPARE_DAYS
from assistant.core.catalog import RitualCatalog
from assistant.core.hands_free import DEFAULT_WAKE
from assistant.core.prompts import prompts_ahead, upcoming_values
from tests.support.event_tail import EventTail, EventWaiter
from tests.support.sounds import answer_wav
from tests.support.virtual_audio import VirtualAudio

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]
RITUAL = ROOT / "tests" / "data" / "voice-ko.yaml"
WAKE_MORNING, WAKE_EVENING = "의식 시작", "의식 마무리"


class Listener:
    """A `ritual listen` process and the events it writes."""

    def __init__(self, audio: VirtualAudio, tmp: Path, model: Path, *args: str) -> None:
        self.audio = audio
        self.tmp = tmp
        rituals = tmp / "rituals"
        rituals.mkdir(exist_ok=True)
        for name, title in (("morning", "아침 점검"), ("evening", "저녁 돌아보기")):
            text = RITUAL.read_text(encoding="utf-8").replace("음성 점검", title)
            (rituals / f"{name}.yaml").write_text(text, encoding="utf-8")
        config = tmp / "config.yaml"
        config.write_text("name: tester\nlanguage: ko\n", encoding="utf-8")
        self.events = EventTail(tmp / "events.jsonl")
        self.waiter = EventWaiter(self.events)
        env = {
            **audio.client_env(),
            "RITUAL_CACHE": str(tmp / "cache"),
            "RITUAL_CONFIG": str(config),
            "RITUAL_RITUALS": str(rituals),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("RITUAL_JOURNAL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "listen", "--journal", str(tmp / "journal"),
             "--model", str(model), "--events", str(self.events.path), *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def wait_for(self, event: str, timeout: float = 60.0, **fields: Any) -> dict[str, Any]:
        found = self.waiter.next(event, timeout, lambda: self.proc.poll() is None, **fields)
        if found is None:
            raise AssertionError(f"no {event} {fields}; seen: {self.events.seen}\n{self.stop()[1]}")
        return found

    def say(self, name: str, *texts: str, tail: float = 1.5) -> None:
        wav, _ = answer_wav(self.tmp / f"{name}.wav", *texts, lead=0.5, tail=tail)
        self.audio.feed(wav)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err

    def entries(self) -> list[Path]:
        return sorted((self.tmp / "journal").rglob("*.md"))


@pytest.fixture
def listener(virtual_audio: VirtualAudio, ko_model: Path, tmp_path: Path) -> Iterator[Listener]:
    running = Listener(virtual_audio, tmp_path, ko_model)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.slow
def test_two_wake_phrases_run_two_rituals_in_one_process(listener: Listener) -> None:
    listener.wait_for("waiting", wake=True)
    time.sleep(1.0)  # the model has loaded and the mic is open
    listener.say("wake-morning", WAKE_MORNING)
    listener.wait_for("woke", ritual="morning")
    listener.wait_for("listening", step="feeling")
    listener.say("stop-1", "중지", tail=2.5)
    listener.wait_for("done", status="stopped")
    listener.wait_for("waiting")
    time.sleep(0.5)
    listener.say("wake-evening", WAKE_EVENING)
    listener.wait_for("woke", ritual="evening")
    listener.wait_for("listening", step="feeling")
    listener.say("answer", "오늘은 정말 좋은 하루였어요", tail=2.5)
    listener.wait_for("listening", step="need")
    listener.say("stop-2", "중지", tail=2.5)
    listener.wait_for("done", status="stopped")
    listener.wait_for("waiting")
    status, err = listener.stop()
    assert status == 0, err
    assert "woke: morning" in err and "woke: evening" in err
    # What woke it is never written: not in the events, the journal, or the log
    # beyond the one line that lists the phrases it was configured with.
    assert [line for line in err.splitlines() if WAKE_MORNING in line] == [
        f"ritual: waiting for: '{WAKE_MORNING}' (morning), '{WAKE_EVENING}' (evening), "
        "'의식 메모' (journal)"
    ]
    assert WAKE_MORNING not in listener.events.path.read_text()
    assert not any(WAKE_MORNING in p.read_text() for p in listener.entries())
    rituals = [re.search(r"^ritual: (\w+)$", p.read_text(), re.M) for p in listener.entries()]
    # the morning was stopped before its first answer: nothing of it is kept
    assert [m.group(1) for m in rituals if m] == ["evening"]
    [evening] = [p for p in listener.entries() if "evening" in p.name]
    assert "## 오늘 기분이 어떠세요?" in evening.read_text()
    done = [e.get("path") for e in listener.events.seen if e["event"] == "done"]
    assert done == ["", str(evening)]


def test_the_prompts_of_its_rituals_are_rendered_from_the_start(listener: Listener) -> None:
    # the rituals the wake phrases name: here morning and evening say the same Korean
    # prompts, and the bundled journal its English ones (in another voice)
    catalog = RitualCatalog(user=listener.tmp / "rituals", bundled=ROOT / "rituals")
    variants = upcoming_values(datetime.now().astimezone(), "tester", PREPARE_DAYS)
    expected = len(
        {
            (ritual.language, text)
            for ritual in map(catalog.load, set(DEFAULT_WAKE["ko"].values()))
            for text in prompts_ahead(ritual, variants, catalog.reframes())
        }
    )
    cache = listener.tmp / "cache" / "speech"
    listener.wait_for("waiting")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(cache.glob("*.wav"))) < expected:
        time.sleep(0.1)
    # no wake phrase was said: every prompt was made ahead, none twice
    assert len(list(cache.glob("*.wav"))) == expected
    status, err = listener.stop()
    assert status == 0, err


def test_sigterm_while_waiting_ends_cleanly(listener: Listener) -> None:
    listener.wait_for("waiting")
    status, err = listener.stop(signal.SIGTERM)
    assert status == 0, err
    assert "Traceback" not in err and "stopped" in err


@pytest.mark.slow
def test_sigterm_in_a_ritual_saves_the_entry(listener: Listener) -> None:
    listener.wait_for("waiting")
    time.sleep(1.0)
    listener.say("wake", WAKE_MORNING)
    listener.wait_for("listening", step="feeling")
    listener.say("answer", "오늘은 정말 좋은 하루였어요", tail=2.5)
    listener.wait_for("listening", step="need")
    status, err = listener.stop(signal.SIGTERM)
    assert status == 0, err
    [entry] = listener.entries()
    text = entry.read_text()
    assert re.search(r"^status: stopped$", text, re.M), text
    assert "## 오늘 기분이 어떠세요?" in text and "_(no answer)_" not in text.split("##")[1]


@pytest.mark.slow
def test_a_lost_microphone_comes_back(ko_model: Path, tmp_path: Path) -> None:
    # A sound server of its own, to take away while ritual waits and bring back.
    audio = VirtualAudio(tmp_path / "pulse")
    audio.start()
    listener = Listener(audio, tmp_path, ko_model)
    try:
        listener.wait_for("waiting")
        time.sleep(1.0)
        audio.stop()
        lost = listener.wait_for("mic_lost", timeout=30)
        assert lost["retry"] == 2.0
        time.sleep(1.0)
        audio.start()
        listener.wait_for("waiting", timeout=60)  # it waits afresh once the mic is back
        time.sleep(1.0)
        listener.say("wake", WAKE_MORNING)
        listener.wait_for("woke", ritual="morning")
        status, err = listener.stop()
        assert status == 0, err
        assert "trying again in 2 s" in err and "the microphone is back" in err
    finally:
        listener.stop()
        audio.stop()
