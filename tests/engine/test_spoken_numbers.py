"""A mood on a scale, spoken: number words heard by the real Korean model.

docs/engines.md: espeak-ng's Korean numbers, in the grammar recogniser with the
scale's words (하나 … 다섯 and 일 … 오) beside the command phrases, come out
reliably as themselves for 넷, 사, 오 and 이 (three seeds each); 하나, 둘, 셋,
다섯, 일 and 삼 are heard as another number or none, from espeak-ng's voice
(the open recogniser makes little of any of them). The tests use the reliable
ones.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from assistant.audio.wav import WavSource
from assistant.core.conductor import NAVIGATION
from assistant.core.endpoint import EndpointRules
from assistant.core.numbers import number_in, scale_words
from assistant.core.ports import ListenRequest
from assistant.core.voice_commands import commands_for, only
from assistant.speech.vosk_listener import VoskListener
from tests.cli import ROOT
from tests.engine.test_voice_ritual import run_ritual
from tests.support.sounds import answer_wav
from tests.support.virtual_audio import VirtualAudio

pytestmark = pytest.mark.engine
SCALE = scale_words("ko", 1, 5)


def hear_on_the_scale(listener: VoskListener, wav: Path) -> tuple[str, str]:
    listener.source = WavSource(wav)
    request = ListenRequest(
        step="mood",
        commands=only(commands_for("ko"), NAVIGATION),
        rules=EndpointRules(silence=2.0, max_seconds=15.0, no_speech_seconds=4.0),
        expected=SCALE,
    )
    heard = listener.listen(request)
    assert heard.command is None
    return heard.text, heard.matched


@pytest.mark.parametrize(("word", "number"), [("넷", 4), ("오", 5), ("이", 2), ("사", 4)])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_spoken_number_word_is_heard_as_itself(
    listener: VoskListener, tmp_path: Path, word: str, number: int, seed: int
) -> None:
    wav, _ = answer_wav(tmp_path / "number.wav", word, tail=3.0, seed=seed)
    _, matched = hear_on_the_scale(listener, wav)
    assert matched == word
    assert number_in(matched, "ko", 1, 5) == number


def test_a_sentence_is_not_taken_for_a_number(listener: VoskListener, tmp_path: Path) -> None:
    wav, _ = answer_wav(tmp_path / "sentence.wav", "오늘은 정말 좋은 하루였어요", tail=3.0)
    text, matched = hear_on_the_scale(listener, wav)
    assert text and matched == ""
    assert number_in(text, "ko", 1, 5) is None


@pytest.mark.slow
def test_a_mood_by_voice_is_asked_again_then_kept_in_the_front_matter(
    virtual_audio: VirtualAudio, ko_model: Path, tmp_path: Path
) -> None:
    sentence, _ = answer_wav(
        tmp_path / "sentence.wav", "오늘은 정말 좋은 하루였어요", lead=0.5, tail=2.5
    )
    four, _ = answer_wav(tmp_path / "four.wav", "넷", lead=0.5, tail=3.0)
    done, events = run_ritual(
        virtual_audio,
        tmp_path,
        ko_model,
        {"mood": [sentence, four]},
        ritual=ROOT / "tests" / "data" / "mood-ko.yaml",
    )
    time.sleep(0.1)
    assert done.returncode == 0, done.stderr
    spoken = [e["text"] for e in events if e["event"] == "speaking"]
    assert spoken[2] == "숫자를 하나만 말씀해 주세요. 1부터 5까지요."  # no number in the sentence
    assert spoken[3] == "5점 중에 4점이군요. 고마워요."
    assert [e["step"] for e in events if e["event"] == "listening"] == ["mood", "mood"]
    entry = Path(events[-1]["path"]).read_text(encoding="utf-8")
    assert re.search(r"^mood: 4$", entry, re.M), entry
    assert re.search(r"^status: complete$", entry, re.M)
