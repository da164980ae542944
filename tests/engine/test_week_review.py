"""The Korean weekly review, spoken by espeak-ng and answered by voice on the real
Korean Vosk model: the week's figures said in Korean, a goal read back, its answer
heard and kept under its own id.

Kept short (about 15 s): the review's figures line and first goal only
(tests/data/week-review-ko.yaml), a fast voice, a short silence.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.core.journal import Answer, Entry, EntryStatus
from bench.journal_gen import write_entry
from tests.engine.test_voice_ritual import ROOT, run_ritual
from tests.support.sounds import answer_wav
from tests.support.virtual_audio import VirtualAudio

pytestmark = pytest.mark.engine
GOAL = "매일 아침 명상하기"


def _entry(day: date, ritual: str, *answers: Answer) -> Entry:
    started = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=8)
    return Entry(
        ritual=ritual,
        title=ritual,
        started=started,
        status=EntryStatus.COMPLETE,
        language="ko",
        answers=answers,
    )


@pytest.mark.slow
def test_the_korean_weekly_review_is_spoken_and_answered(
    virtual_audio: VirtualAudio, ko_model: Path, tmp_path: Path
) -> None:
    journal = tmp_path / "journal"
    today = date.today()
    vision = Answer("spiritual", "마음을 위한 목표는?", GOAL, property_key="goal_spiritual")
    write_entry(journal, _entry(today - timedelta(days=2), "weekly-vision-ko", vision))
    for back, mood in ((1, 4), (2, 4), (8, 3)):  # this week 4, last week 3
        said = Answer("mood", "기분은?", "넷", number=mood)
        write_entry(journal, _entry(today - timedelta(days=back), "mood", said))
    config = tmp_path / "config.yaml"
    config.write_text("name: tester\nvoice: {rate: 380}\n", encoding="utf-8")
    answer, _ = answer_wav(tmp_path / "answer.wav", "명상을 세 번 했어요", lead=0.5, tail=2.5)
    done, events = run_ritual(
        virtual_audio,
        tmp_path,
        ko_model,
        {"spiritual_review": answer},
        env_extra={"RITUAL_CONFIG": str(config)},
        ritual=ROOT / "tests" / "data" / "week-review-ko.yaml",
    )
    assert done.returncode == 0, done.stderr
    spoken = [e["text"] for e in events if e["event"] == "speaking"]
    # the figures as Korean says them: three days (사흘), the mood up on last week
    assert "이번 주에는 사흘 함께했어요. 평균 기분: 4점. 지난주보다 좋아졌어요." in spoken
    recalled = next(e for e in events if e["event"] == "speaking" and GOAL in e["text"])
    assert recalled.get("private") is True
    assert [e["step"] for e in events if e["event"] == "listening"] == ["spiritual_review"]
    heard = next(e["text"] for e in events if e["event"] == "heard")
    assert heard  # the real model heard the answer (its words are espeak-ng Korean)
    entry = Path(events[-1]["path"])
    text = entry.read_text(encoding="utf-8")
    assert re.search(r"^status: complete$", text, re.M)
    assert f"## 마음과 영혼을 위한 목표는 이것이었어요. {GOAL}. 어떻게 되었나요?" in text
    assert heard in text
