"""The Vosk listener on the real Korean model, hearing real (espeak-ng) speech.

docs/engines.md: espeak-ng's Korean is barely intelligible to the model as open
speech, but in grammar mode 중지, 네 and 아니요 are recognised reliably, and a
whole sentence comes out as a run of several command words, which is how a
command is told from an answer.
"""

from __future__ import annotations

import os
import stat
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Optional

import pytest

from assistant.audio import RATE, SAMPLE_WIDTH
from assistant.audio.resample import to_mono_16k
from assistant.audio.wav import WavSource, read_wav
from assistant.core.endpoint import EndpointRules
from assistant.core.errors import AudioError
from assistant.core.ports import InputLost, ListenRequest, Utterance
from assistant.core.voice_commands import Command
from assistant.journal.answer_audio import StreamingAnswerAudio
from assistant.speech import vosk_listener
from assistant.speech.vosk_listener import VoskListener
from tests.support.sounds import NoSound, answer_wav, loud_seconds, noise_wav, spoken
from tests.support.virtual_audio import VirtualAudio, missing_tools

pytestmark = pytest.mark.engine

COMMANDS = {Command.STOP: ("중지",), Command.DONE: ("네",), Command.REDO: ("아니요",)}
SENTENCE = "오늘은 정말 좋은 하루였어요"
SECOND = "저는 중지하고 싶지 않아요"


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sounds")


def hear(
    listener: VoskListener, wav: Path, audio_path: Optional[Path] = None, **rules: float
) -> Utterance:
    listener.source = WavSource(wav)
    request = ListenRequest(
        step="test",
        commands=COMMANDS,
        rules=EndpointRules(**rules),
        audio=StreamingAnswerAudio(audio_path) if audio_path else None,
    )
    return listener.listen(request)


@pytest.mark.parametrize(
    ("word", "command"), [("중지", "stop"), ("네", "done"), ("아니요", "redo")]
)
def test_a_spoken_command_word_is_the_command(
    listener: VoskListener, sounds: Path, word: str, command: str
) -> None:
    wav, _ = answer_wav(sounds / f"{command}.wav", word, tail=3.0)
    heard = hear(listener, wav)
    assert (heard.command, heard.ended_by, heard.text) == (command, "command", "")
    assert heard.extra["sentences"][0]["grammar"] == word  # type: ignore[index]


def test_a_sentence_is_an_answer_not_a_command(listener: VoskListener, sounds: Path) -> None:
    wav, speech = answer_wav(sounds / "sentence.wav", SENTENCE, tail=4.0)
    heard = hear(listener, wav, silence=2.0)
    assert heard.command is None
    assert heard.ended_by == "silence"
    assert heard.text.endswith(".") and len(heard.text.split()) >= 3
    [sentence] = heard.extra["sentences"]  # type: ignore[misc]
    assert len(sentence["grammar"].split()) > 1  # several command words: not one command
    # words are timed from the start of the answer, with confidences
    assert heard.words[0].start == pytest.approx(0.8, abs=0.4)
    assert heard.words[-1].end <= 0.8 + speech + 0.1
    assert all(0.0 <= w.conf <= 1.0 for w in heard.words)
    # the answer ends `silence` after the last word (to the 0.1 s chunk)
    assert heard.seconds == pytest.approx(heard.words[-1].end + 2.0, abs=0.15)


def test_a_sentence_with_a_command_word_inside_is_an_answer(
    listener: VoskListener, sounds: Path
) -> None:
    wav, _ = answer_wav(sounds / "inside.wav", SECOND, tail=4.0)
    heard = hear(listener, wav, silence=2.0)
    assert (heard.command, heard.ended_by) == (None, "silence")
    assert heard.text


def test_an_answer_closed_by_a_command(listener: VoskListener, sounds: Path) -> None:
    wav, _ = answer_wav(sounds / "answer-done.wav", SENTENCE, "네", gap=1.6, tail=3.0)
    heard = hear(listener, wav, silence=3.0)
    assert heard.command == "done" and heard.ended_by == "command"
    assert heard.text and "네" not in heard.text.split()
    assert len(heard.extra["sentences"]) == 2  # type: ignore[arg-type]


def test_two_sentences_with_a_short_pause_are_one_answer(
    listener: VoskListener, sounds: Path
) -> None:
    wav, _ = answer_wav(sounds / "two.wav", SENTENCE, SECOND, gap=1.6, tail=4.0)
    heard = hear(listener, wav, silence=3.0)
    assert heard.ended_by == "silence" and heard.command is None
    assert heard.text.count(".") == 2  # a full stop per sentence


def test_the_room_between_sentences_is_not_decoded_and_nothing_said_is_lost(
    listener: VoskListener, sounds: Path
) -> None:
    gap, lead = 2.5, 0.8
    wav, _ = answer_wav(sounds / "apart.wav", SENTENCE, SECOND, lead=lead, gap=gap, tail=5.0)
    before = listener.decoded_seconds
    heard = hear(listener, wav, silence=4.0)
    assert heard.ended_by == "silence" and heard.command is None
    sentences = [s["text"] for s in heard.extra["sentences"]]  # type: ignore[index, union-attr]
    assert len(sentences) == 2 and all(sentences), sentences
    # Word times stay those of the answer, though the recogniser skipped the room.
    second_starts = lead + len(spoken(SENTENCE)) / RATE + gap
    second = next(w for w in heard.words if w.start > second_starts - 1.0)
    assert second.start == pytest.approx(second_starts, abs=0.4)
    decoded = listener.decoded_seconds - before
    assert decoded < heard.seconds - 2.0  # most of the gap and of the silence after


def test_a_short_word_after_a_pause_is_waited_for(listener: VoskListener, sounds: Path) -> None:
    """The partial text lags the voice: a word said after a pause must still count
    as speech (the silence is counted from it), and keep its own time."""
    gap, lead, word = 1.6, 0.8, "좋아요"
    wav, spoken_seconds = answer_wav(sounds / "then.wav", SENTENCE, word, lead=lead, gap=gap,
                                     tail=5.0)  # fmt: skip
    word_end = lead + spoken_seconds
    listener.source = WavSource(wav)
    no_commands = ListenRequest(step="test", commands={}, rules=EndpointRules(silence=3.0))
    heard = listener.listen(no_commands)
    assert heard.ended_by == "silence"
    assert len(heard.extra["sentences"]) == 2  # type: ignore[arg-type]
    last = heard.words[-1]
    assert last.end == pytest.approx(word_end, abs=0.5)
    # Vosk puts a word's end a little early; the silence is counted from there.
    assert heard.seconds >= last.end + 3.0 - 0.11


def test_silence_only_is_no_speech(listener: VoskListener, sounds: Path) -> None:
    wav = noise_wav(sounds / "quiet.wav", seconds=12.0)
    heard = hear(listener, wav, no_speech_seconds=5.0)
    assert (heard.ended_by, heard.text, heard.command) == ("no_speech", "", None)
    assert heard.seconds == pytest.approx(5.0, abs=0.11)


def test_max_seconds_cuts_a_long_answer(listener: VoskListener, sounds: Path) -> None:
    wav, _ = answer_wav(sounds / "long.wav", SENTENCE, SECOND, tail=2.0)
    heard = hear(listener, wav, max_seconds=2.5)
    assert heard.ended_by == "max_seconds"
    assert heard.seconds == pytest.approx(2.5, abs=0.11)
    assert heard.text  # what was said up to then is kept


def test_input_that_ends_keeps_what_was_said(listener: VoskListener, sounds: Path) -> None:
    wav, _ = answer_wav(sounds / "short-tail.wav", SENTENCE, tail=0.3)
    heard = hear(listener, wav, silence=3.0)
    assert heard.ended_by == "end_of_input" and heard.text


def test_the_answers_audio_is_kept_as_it_is_heard(
    listener: VoskListener, sounds: Path, tmp_path: Path
) -> None:
    wav, speech = answer_wav(sounds / "kept.wav", SENTENCE, tail=4.0)
    out = tmp_path / "01-feel.wav"
    heard = hear(listener, wav, silence=2.0, audio_path=out)
    assert heard.audio == out
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with wave.open(str(out)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        assert w.getnframes() / 16000 == pytest.approx(heard.seconds, abs=0.01)
    assert loud_seconds(out) == pytest.approx(loud_seconds(wav), abs=0.1)
    assert loud_seconds(out) <= speech


def test_no_audio_is_kept_when_only_a_command_was_said(
    listener: VoskListener, sounds: Path, tmp_path: Path
) -> None:
    wav, _ = answer_wav(sounds / "stop-kept.wav", "중지", tail=3.0)
    out = tmp_path / "02-need.wav"
    heard = hear(listener, wav, audio_path=out)
    assert heard.command == "stop" and heard.audio is None
    assert not out.exists()


def test_a_model_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    from assistant.core.errors import ModelError

    ears = VoskListener(tmp_path / "vosk-model-small-xx-0.1", NoSound())
    with pytest.raises(ModelError, match="not a Vosk model folder"):
        ears.listen(ListenRequest(step="x", commands=COMMANDS))


# -- through the microphone: real PortAudio on virtual PulseAudio devices ---------------


def listen_in_thread(
    listener: VoskListener, request: ListenRequest
) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["heard"] = listener.listen(request)
        except Exception as e:
            result["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_a_command_through_the_microphone(
    listener: VoskListener, virtual_audio: VirtualAudio, sounds: Path
) -> None:
    from assistant.audio.mic import SoundDeviceMic

    mic = SoundDeviceMic()  # the default input: the virtual mic
    try:
        listener.source = mic
        # Heard "while the assistant spoke": dropped by the half-duplex drain.
        virtual_audio.feed(answer_wav(sounds / "echo.wav", "아니요", tail=0.2)[0])
        ready = threading.Event()
        request = ListenRequest(
            step="mic", commands=COMMANDS, rules=EndpointRules(silence=2.0), on_ready=ready.set
        )
        thread, result = listen_in_thread(listener, request)
        assert ready.wait(10)
        virtual_audio.feed(answer_wav(sounds / "mic-stop.wav", "중지", tail=2.5)[0])
        thread.join(20)
        heard = result.get("heard")
        assert isinstance(heard, Utterance), result
        assert (heard.command, heard.text) == ("stop", "")
        assert mic.rate == 44100  # resampled to 16 kHz on the way
    finally:
        mic.close()


def test_a_microphone_that_goes_away_keeps_what_was_heard(
    listener: VoskListener, virtual_audio: VirtualAudio, sounds: Path, tmp_path: Path
) -> None:
    from assistant.audio.mic import SoundDeviceMic

    # A sound server of its own, to pull away mid-answer.
    doomed = VirtualAudio(tmp_path / "doomed")
    doomed.start()
    saved = os.environ["PULSE_SERVER"]
    os.environ["PULSE_SERVER"] = doomed.env["PULSE_SERVER"]
    try:
        mic = SoundDeviceMic(lost_after=2.0)
    finally:
        os.environ["PULSE_SERVER"] = saved
    try:
        listener.source = mic
        ready = threading.Event()
        request = ListenRequest(
            step="lost",
            commands=COMMANDS,
            rules=EndpointRules(silence=30.0),
            audio=StreamingAnswerAudio(tmp_path / "lost.wav"),
            on_ready=ready.set,
        )
        thread, result = listen_in_thread(listener, request)
        assert ready.wait(10)
        doomed.feed(answer_wav(sounds / "before-loss.wav", SENTENCE, tail=1.8)[0])
        doomed.stop()
        thread.join(20)
        lost = result.get("error")
        assert isinstance(lost, InputLost), result
        assert isinstance(lost, AudioError)
        assert "microphone" in str(lost)
        assert lost.heard.ended_by == "input_lost"
        assert lost.heard.text  # what was said before is there to save
        assert lost.heard.audio == tmp_path / "lost.wav"
    finally:
        doomed.stop()
        mic.close()


@pytest.mark.skipif(missing_tools() is not None, reason=f"no virtual audio: {missing_tools()}")
def test_virtual_audio_is_available() -> None:
    # A marker that CI really runs the device tests (they skip, with the reason, elsewhere).
    assert missing_tools() is None


class LiveSource:
    """A WAV file arriving in real time from the moment this is made (the end of a
    prompt), as from a microphone: ``drain`` drops what has arrived so far."""

    def __init__(self, path: Path) -> None:
        audio = read_wav(path)
        self._data = to_mono_16k(audio.frames, audio.rate, audio.channels)
        self._started = time.monotonic()
        self._pos = 0
        self.drained_at: Optional[float] = None
        """seconds after the prompt ended that the listener dropped what it had heard"""

    def _arrived(self) -> int:
        seconds = time.monotonic() - self._started
        return min(len(self._data), int(seconds * RATE) * SAMPLE_WIDTH)

    def drain(self) -> None:
        self._pos = max(self._pos, self._arrived())
        self.drained_at = time.monotonic() - self._started

    def read(self, timeout: float) -> Optional[bytes]:
        if self._pos >= len(self._data):
            return None
        deadline = time.monotonic() + timeout
        while self._arrived() <= self._pos and time.monotonic() < deadline:
            time.sleep(0.01)
        chunk = self._data[self._pos : self._arrived()]
        self._pos += len(chunk)
        return chunk


def test_what_is_said_while_the_model_still_loads_is_heard(ko_model: Path, sounds: Path) -> None:
    """On a slow machine the model may still be loading when a question ends; someone
    who answers at once must not lose the start of the answer."""
    wav, _ = answer_wav(sounds / "at-once.wav", "중지", lead=0.1, tail=3.0)
    source = LiveSource(wav)
    ears = VoskListener(ko_model, source)  # loads from now on, about a second
    try:
        heard = ears.listen(ListenRequest(step="test", commands=COMMANDS, rules=EndpointRules()))
        assert heard.command == Command.STOP, heard
        assert ears.load_seconds is not None and source.drained_at is not None
        assert source.drained_at < ears.load_seconds  # it was heard while loading
    finally:
        ears.close()


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_the_prompts_warm_the_recogniser_until_the_first_answer(
    listener: VoskListener, sounds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The greeting and the breathing are decoded while they play (the first answer
    then costs less); the first answer stops that between two blocks, and from then
    on the recogniser is the answers' alone."""
    # What is tested is the warming, not the scheduler: on a busy test machine a
    # thread of lower priority may wait for CPU for longer than the test would.
    monkeypatch.setattr(vosk_listener, "_lower_this_threads_priority", lambda: None)
    prompt, _ = answer_wav(sounds / "prompt.wav", "네", lead=0.2, tail=0.2)  # short: cheap
    longer, _ = answer_wav(sounds / "longer.wav", *[SECOND] * 4, tail=0.2)
    ears = VoskListener(listener.shared, NoSound(), warm_up=False)  # the model is loaded
    try:
        ears.wait_loaded(timeout=60)
        (sounds / ".private-1.wav").write_bytes(prompt.read_bytes())
        ears.warm_with(sounds / ".private-1.wav")  # the user's own words: not decoded
        ears.warm_with(prompt)
        length = read_wav(prompt).seconds
        assert wait_for(lambda: ears.decoded_seconds >= length - 0.2, 120)
        assert ears.decoded_seconds == pytest.approx(length, abs=0.25)
        ears.warm_with(longer)
        time.sleep(0.2)
        heard = hear(ears, answer_wav(sounds / "stop.wav", "중지", tail=3.0)[0])
        assert heard.command == "stop"
        warmed = ears.decoded_seconds - heard.seconds
        assert warmed < length + read_wav(longer).seconds / 2
        after = ears.decoded_seconds
        ears.warm_with(prompt)
        time.sleep(0.2)
        assert ears.decoded_seconds == after
    finally:
        ears.close()
