"""The wake detector on the real Korean model, fed faster than real time from files:
spoken wake phrases wake it, ten minutes of unrelated talk and room noise never do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.wav import WavSource
from assistant.core.hands_free import DEFAULT_WAKE
from assistant.speech.vosk_model import SharedModel
from assistant.speech.vosk_wake import VoskWakeListener
from tests.support.sounds import SPEEDS, phrase_audio, talk, wav_of

pytestmark = pytest.mark.engine
PHRASES = DEFAULT_WAKE["ko"]


@pytest.fixture(scope="module")
def detector(
    ko_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VoskWakeListener]:
    quiet = wav_of(tmp_path_factory.mktemp("quiet") / "q.wav", np.zeros(16000))
    model = SharedModel(ko_model)
    yield VoskWakeListener(model, WavSource(quiet), PHRASES)
    model.close()


@pytest.mark.parametrize("speed", SPEEDS)
@pytest.mark.parametrize(("phrase", "ritual"), sorted(PHRASES.items()))
def test_a_spoken_wake_phrase_wakes_its_ritual(
    detector: VoskWakeListener, tmp_path: Path, phrase: str, ritual: str, speed: int
) -> None:
    detector.source = WavSource(wav_of(tmp_path / "wake.wav", phrase_audio(phrase, speed, 20.0, 3)))
    assert detector.wait(30.0, fresh=True) == ritual


@pytest.mark.slow
def test_ten_minutes_of_unrelated_talk_never_wakes_it(
    detector: VoskWakeListener, tmp_path: Path
) -> None:
    detector.source = WavSource(talk(tmp_path / "talk.wav", minutes=10.0, seed=11))
    heard_before = detector.heard_seconds
    woke = []
    while (ritual := detector.wait(3600.0, fresh=False)) is not None:
        woke.append((round(detector.heard_seconds - heard_before), ritual))
    assert detector.heard_seconds - heard_before >= 600
    assert woke == []


def test_a_phrase_with_words_the_model_does_not_know_is_said_at_start(
    detector: VoskWakeListener, caplog: pytest.LogCaptureFixture
) -> None:
    odd = VoskWakeListener(detector.model, detector.source, {"의식 뷁뷁": "morning", **PHRASES})
    with caplog.at_level("WARNING"):
        odd._build()
    assert "'의식 뷁뷁' can never wake" in caplog.text and "'뷁뷁'" in caplog.text
    assert "의식 시작" not in caplog.text


def test_check_given_the_model_names_wake_words_it_does_not_know(
    detector: VoskWakeListener, ko_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.speech import vosk_model
    from tests.cli import isolated_env, run_cli

    loaded = detector.model.get()  # the same real model, not loaded a second time
    monkeypatch.setattr(vosk_model, "load_vosk_model", lambda path: loaded)

    config = tmp_path / "config.yaml"
    config.write_text(
        "language: ko\nwake:\n  ko:\n    '의식 시작': morning\n    '의식 뷁뷁': evening\n"
    )
    env = isolated_env(tmp_path)
    assert run_cli("check", str(config), env=env).status == 0  # no model: not looked at
    result = run_cli("check", str(config), "--model", str(ko_model), env=env)
    assert result.status == 1
    assert "'의식 뷁뷁' can never wake" in result.stderr and "'뷁뷁'" in result.stderr
    assert "의식 시작" not in result.stderr
