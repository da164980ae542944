"""A scheduled offer on real engines, with a clock that skips the waiting: "later"
heard by the real Korean model, asked again ten (skipped) minutes on, "yes", the
ritual runs. Without wake phrases, as for people who want no always-on microphone."""

from __future__ import annotations

import io
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from assistant.app import listen
from assistant.settings import load_settings
from tests.support.event_tail import EventTail, EventWaiter
from tests.support.sounds import answer_wav
from tests.support.virtual_audio import VirtualAudio

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]
TZ = timezone(timedelta(hours=1))


class SkippingClock:
    """Real time passing, except that waits are skipped (and counted as time passed)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.began = time.monotonic()
        self.skipped = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began + self.skipped)

    def sleep(self, seconds: float) -> None:
        self.skipped += max(0.0, seconds)


@pytest.mark.slow
def test_an_offer_answered_later_then_yes(
    virtual_audio: VirtualAudio, ko_model: Path, tmp_path: Path
) -> None:
    rituals = tmp_path / "rituals"
    rituals.mkdir()
    ritual = (ROOT / "tests" / "data" / "voice-ko.yaml").read_text(encoding="utf-8")
    (rituals / "evening.yaml").write_text(ritual.replace("음성 점검", "저녁"), encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(
        "name: tester\nlanguage: ko\nschedule:\n  - {ritual: evening, time: '21:30'}\n",
        encoding="utf-8",
    )
    env = {
        "HOME": str(tmp_path),
        "RITUAL_CONFIG": str(config),
        "RITUAL_RITUALS": str(rituals),
        "RITUAL_CACHE": str(tmp_path / "cache"),
        "RITUAL_JOURNAL": str(tmp_path / "journal"),
        "RITUAL_MODEL": str(ko_model),
    }
    settings = load_settings(env)
    clock = SkippingClock(datetime(2026, 11, 30, 21, 29, 50, tzinfo=TZ))
    events = EventTail(tmp_path / "events.jsonl")
    failure: list[BaseException] = []

    def run() -> None:
        try:
            listen(
                settings,
                wake=False,
                events=str(events.path),
                stdout=io.StringIO(),
                environ=env,
                clock=clock,
                until=datetime(2026, 11, 30, 21, 45, tzinfo=TZ),
            )
        except BaseException as e:
            failure.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    waiter = EventWaiter(events)

    def wait_for(event: str, **fields: Any) -> dict[str, Any]:
        found = waiter.next(event, 90, lambda: not failure, **fields)
        if found is None:
            raise AssertionError(f"no {event}: {failure or events.seen}")
        return found

    def say(name: str, text: str) -> None:
        virtual_audio.feed(answer_wav(tmp_path / f"{name}.wav", text, lead=0.3, tail=2.0)[0])

    wait_for("offered", ritual="evening")
    wait_for("listening", step="offer")
    say("later", "잠시")
    snoozed = wait_for("snoozed", ritual="evening")
    assert snoozed["until"].startswith("2026-11-30T21:40")
    wait_for("offered", ritual="evening")
    wait_for("listening", step="offer")
    say("yes", "네")
    wait_for("listening", step="feeling")
    say("stop", "중지")
    wait_for("done", status="stopped")
    thread.join(60)
    assert not thread.is_alive() and not failure, failure
    spoken = [e["text"] for e in events.seen if e["event"] == "speaking"]
    assert spoken[0] == "저녁 시간이에요. 시작할까요? 네, 잠시, 아니요 중에서 말씀해 주세요."
    assert spoken[1] == "알겠어요. 10분 뒤에 다시 여쭤볼게요."
    assert [e["name"] for e in events.seen if e["event"] == "command"][:2] == ["later", "begin"]
    assert [e["step"] for e in events.seen if e["event"] == "listening"][-1] == "feeling"
    # stopped before its first answer: the ritual ran, and kept no empty entry
    assert list((tmp_path / "journal").rglob("*.md")) == []
