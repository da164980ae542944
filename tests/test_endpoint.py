"""When an answer is over, decided from recorded sequences of recogniser results."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

import pytest

from assistant.core.endpoint import AnswerEndpoint, EndpointRules

DATA = Path(__file__).parent / "data" / "endpoint"
CHUNK = 0.1


def load(name: str) -> list[dict[str, Any]]:
    """Events recorded by tests/data/endpoint/record.py (real Vosk on espeak-ng speech)."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def replay(
    events: Iterable[dict[str, Any]], rules: EndpointRules, *, until: float = 60.0
) -> tuple[Optional[str], float]:
    """Feed events in audio-time order, deciding after every chunk like the listener."""
    endpoint = AnswerEndpoint(rules)
    pending = sorted(events, key=lambda e: e["at"])
    at = 0.0
    while at < until:
        at = round(at + CHUNK, 3)
        while pending and pending[0]["at"] <= at:
            e = pending.pop(0)
            if "partial" in e:
                endpoint.partial(e["at"], e["partial"])
            else:
                endpoint.sentence(
                    e["at"],
                    e["sentence"],
                    last_word_end=e.get("last_word_end"),
                    command=e.get("command"),
                )
        reason = endpoint.decide(at)
        if reason:
            return reason, at
    return None, at


RECORDED = load("ko-two-sentences.jsonl")
# speech: 0.8-3.3 s ("오늘은 정말 좋은 하루였어요"), 4.1-6.5 s (a second sentence; espeak-ng
# ends each with some quiet of its own). The partial text lags the voice: it first
# appears at 1.6 s. Vosk closes the first sentence at 4.0 s (last word ends 2.94 s),
# the second at 7.1 s (6.12 s).


def test_a_pause_shorter_than_silence_keeps_the_answer_open() -> None:
    reason, at = replay(RECORDED, EndpointRules(silence=3.0))
    assert reason == "silence"
    # the end of the last word (6.12 s, known once Vosk closed the sentence at 7.1 s)
    # plus exactly `silence`, to the chunk
    assert at == pytest.approx(6.12 + 3.0, abs=CHUNK)


def test_a_pause_longer_than_silence_ends_the_answer_after_the_first_sentence() -> None:
    reason, at = replay(RECORDED, EndpointRules(silence=1.5))
    assert reason == "silence"
    assert at == pytest.approx(2.94 + 1.5, abs=CHUNK)


def test_silence_shorter_than_the_recognisers_own_endpointer_uses_the_partial_text() -> None:
    # Vosk closes a sentence only after about a second of quiet; with silence=0.5 the
    # last change of the partial text (3.3 s) is the best we know.
    reason, at = replay(RECORDED, EndpointRules(silence=0.5))
    assert reason == "silence"
    assert at == pytest.approx(3.3 + 0.5, abs=CHUNK)


def test_no_words_at_all_is_no_speech() -> None:
    reason, at = replay([], EndpointRules(no_speech_seconds=8.0))
    assert (reason, at) == ("no_speech", pytest.approx(8.0))


def test_noise_that_gives_empty_sentences_is_not_speech() -> None:
    noise = [{"at": 2.0, "partial": ""}, {"at": 3.1, "sentence": "", "last_word_end": None}]
    assert replay(noise, EndpointRules(no_speech_seconds=5.0))[0] == "no_speech"


def test_speech_that_starts_late_is_not_cut_off_as_no_speech() -> None:
    # Speech from 6.8 s: its first partial text comes at 7.6 s, before no_speech_seconds.
    late = [{**e, "at": e["at"] + 6.0} for e in RECORDED]
    for e in late:
        if e.get("last_word_end") is not None:
            e["last_word_end"] += 6.0
    reason, at = replay(late, EndpointRules(silence=3.0, no_speech_seconds=8.0))
    assert reason == "silence"
    assert at == pytest.approx(6.12 + 6.0 + 3.0, abs=CHUNK)


def test_max_seconds_ends_a_long_answer() -> None:
    reason, at = replay(RECORDED, EndpointRules(silence=3.0, max_seconds=5.0))
    assert (reason, at) == ("max_seconds", pytest.approx(5.0))


def test_a_command_sentence_ends_the_answer_at_once() -> None:
    events = [
        *RECORDED[:7],
        {"at": 5.2, "partial": "조"},
        {"at": 6.4, "sentence": "조 이다", "last_word_end": 5.4, "command": "done"},
    ]
    assert replay(events, EndpointRules(silence=3.0)) == ("command", pytest.approx(6.4))


def test_a_partial_that_stops_changing_counts_as_silence() -> None:
    # A steady noise can keep a partial text up without Vosk ever closing it.
    events = [{"at": 1.0, "partial": "음"}, {"at": 1.4, "partial": "음 음"}]
    assert replay(events, EndpointRules(silence=2.0)) == ("silence", pytest.approx(3.4))


def test_the_state_is_visible() -> None:
    endpoint = AnswerEndpoint(EndpointRules())
    assert not endpoint.heard_speech and not endpoint.in_sentence
    endpoint.partial(1.0, "hello")
    assert endpoint.heard_speech and endpoint.in_sentence and endpoint.last_speech == 1.0
    endpoint.sentence(2.2, "hello there", last_word_end=1.4)
    assert not endpoint.in_sentence and endpoint.last_speech == 1.4
    assert endpoint.decide(4.3) is None and endpoint.decide(4.4) == "silence"


def test_how_long_a_sentence_in_progress_has_been_quiet() -> None:
    # The listener closes a sentence itself when Vosk's endpointer does not (see
    # vosk_listener.SENTENCE_QUIET): it asks how long the partial text stood still.
    endpoint = AnswerEndpoint(EndpointRules())
    assert endpoint.quiet_in_sentence(5.0) == 0.0
    endpoint.partial(5.2, "종")
    endpoint.partial(5.4, "종기")
    assert endpoint.quiet_in_sentence(6.6) == pytest.approx(1.2)
    endpoint.sentence(6.6, "종기", last_word_end=4.83)
    assert endpoint.quiet_in_sentence(7.0) == 0.0
