"""The ears: Vosk streaming recognition of one answer at a time.

One model, loaded by path (``vosk_model``) on a background thread
started at construction, so it loads while the greeting is spoken; one
long-lived open recogniser (``Reset()`` between answers) and, beside it, a
grammar recogniser over the command phrases valid at the moment.

Telling a command from an answer: every short sentence the open recogniser
closes (or we close, see SENTENCE_QUIET) is also judged by the grammar
recogniser over the same audio. A grammar recogniser maps any speech to *some*
run of its phrases (Korean has no ``[unk]`` to reject with), but a whole
sentence comes out as several of them; so a sentence is a command only when the
grammar heard exactly one phrase (or the open recogniser itself heard exactly a
command phrase). The grammar recogniser is only run on a sentence once it has
closed, and only when its words are short enough to be a command: a second
decode of every answer would cost a fifth more CPU (bench/README.md).

The room between sentences is not decoded: once a sentence has closed and the
room has been quiet for ``SKIP_AFTER`` seconds, audio goes to the recogniser only
when a loudness gate opens again (with the half second before it). Decoding a
room's noise costs Vosk as much as a fifth of real time; on a slow CPU (a
Raspberry Pi) that is what kept the next prompt waiting after an answer."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import queue
import threading
import time
import wave
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.audio import RATE, SAMPLE_WIDTH, AudioSource, seconds_of
from assistant.audio.loudness import LoudnessGate
from assistant.audio.resample import to_mono_16k
from assistant.audio.wav import read_wav
from assistant.core.endpoint import AnswerEndpoint, EndedBy
from assistant.core.errors import AudioError, ModelError
from assistant.core.ports import (
    AnswerAudio,
    InputLost,
    ListenInterrupted,
    ListenRequest,
    Utterance,
    Word,
)
from assistant.core.transcript import tidy_heard
from assistant.core.voice_commands import Command, CommandSet, match_command, normalize
from assistant.speech.vosk_model import SharedModel, import_vosk, quiet_audio

log = logging.getLogger(__name__)

READ_TIMEOUT = 0.25
"""seconds to wait for the next chunk before looking at the clock again"""
WARM_UP_SECONDS = 1.0
"""audio fed once after loading: a fresh recogniser stalls on its first block"""
WARM_SPEECH_SECONDS = 30.0
"""at most this much of ritual's own prompts is decoded before the first answer"""
WARM_BLOCK_SECONDS = 0.1
WARM_NICE = 5
"""how much lower than the rest of ritual the warming thread runs"""
"""the warming thread looks for the first answer between blocks this long"""
SENTENCE_QUIET = 1.2
"""seconds of audio without a change in the partial text that close a sentence.
Vosk's own endpointer closes one after 0.5 to 2 s of trailing silence, but now
and then not at all (seen on a noise floor, and on the exact zeros of a virtual
mic); a command is only judged once its sentence is closed, so "stop" would
otherwise wait for the whole answer's silence."""
COMMAND_SECONDS = 2.5
"""a sentence whose words last longer than this is an answer: the grammar
recogniser is not asked about it"""
GRAMMAR_LEAD = 0.6
"""seconds of audio before the first word given to the grammar recogniser: it
misses a word at the very start of its input"""
GRAMMAR_TAIL = 0.3
"""seconds of audio after the last word given to the grammar recogniser"""
KEPT_SECONDS = 8.0
"""recent audio kept for judging the sentence in progress (a command is short)"""
SKIP_AFTER = 1.0
"""seconds after the last speech and the last loud block before the room is no
longer decoded: the partial text lags the voice by up to 0.8 s, so a short word
after a pause gets the time to show as a sentence; and by then the gate's idea
of the room's floor (a quarter of its window) is made of this pause, not speech"""
GATE_RISE_DB = 6.0
"""how far above the room's floor a block must be to be decoded between
sentences: lower than the wake gate's (a mumbled second sentence must be heard)"""
GATE_HANGOVER = 0.3
"""seconds the gate stays open after the last loud block, between sentences"""
GRAMMAR_CACHE = 8
"""grammar recognisers kept, one per set of command phrases (sets recur)"""
UNKNOWN = "[unk]"


@dataclass
class _Sentence:
    text: str
    """the open recogniser's text"""
    words: list[Word]
    grammar: str
    """the grammar recogniser's text over the same audio"""
    command: Command | None
    matched: str = ""
    """the expected phrase (ListenRequest.expected) the grammar recogniser heard, if one"""


@dataclass
class _Answer:
    """What has been heard so far in one ``listen``."""

    sentences: list[_Sentence] = field(default_factory=list)
    seconds: float = 0.0
    command: Command | None = None

    def utterance(self, ended_by: EndedBy, audio: Path | None) -> Utterance:
        answer = [(s.text, s.words) for s in self.sentences if s.command is None]
        return Utterance(
            text=tidy_heard(answer),
            command=self.command,
            raw=" ".join(s.text for s in self.sentences if s.text),
            words=tuple(w for s in self.sentences for w in s.words),
            seconds=round(self.seconds, 3),
            audio=audio,
            ended_by=ended_by,
            matched=next((s.matched for s in reversed(self.sentences) if s.matched), ""),
            extra={
                "sentences": [
                    {
                        "text": s.text,
                        "grammar": s.grammar,
                        "command": s.command.value if s.command else None,
                        **({"matched": s.matched} if s.matched else {}),
                    }
                    for s in self.sentences
                ]
            },
        )


class _Hearing:
    """One answer being heard: the open and the grammar recogniser fed alike, each
    closed sentence judged (answer or command), the end decided by the endpoint."""

    def __init__(
        self,
        recogniser: Any,
        grammar: Any,
        request: ListenRequest,
        offset: float,
        gate: LoudnessGate,
    ):
        self.open = recogniser
        self.grammar = grammar
        self.commands = request.commands
        self.expected = {normalize(p) for p in request.expected} - {""}
        self.offset = offset
        """the open recogniser's clock at the start of this answer, seconds"""
        self.endpoint = AnswerEndpoint(request.rules)
        self.answer = _Answer()
        self.recent = bytearray()
        """the last KEPT_SECONDS of audio of the sentence in progress"""
        self.recent_start = 0.0
        """where ``recent`` starts, in seconds of this answer"""
        self.gate = gate
        self.skipping = False
        """the room between sentences is not being decoded"""
        self.skipped = 0.0
        """seconds of this answer not given to the recogniser (its clock lags by that)"""
        self.fed = 0.0
        """seconds of this answer given to the recogniser"""
        self.loud_at = 0.0
        """answer time of the last block the gate let through"""

    def feed(self, chunk: bytes) -> EndedBy | None:
        """Hear a chunk; why the answer is over, or None."""
        self.answer.seconds += seconds_of(chunk)
        self.recent += chunk
        excess = len(self.recent) - int(KEPT_SECONDS * RATE) * SAMPLE_WIDTH
        if excess > 0:
            del self.recent[:excess]
            self.recent_start += seconds_of(bytes(excess))
        passed = self.gate.process(chunk)
        if self.gate.open:
            self.loud_at = self.answer.seconds
        if not self.skipping and self._between_sentences():
            self.skipping = True
            self.gate.reset()  # what it holds from now on is what the recogniser missed
        elif self.skipping and passed:
            # The room stands out again: the held half second and this chunk are heard.
            self.skipping = False
            self.skipped -= seconds_of(passed) - seconds_of(chunk)
            chunk = passed
        if self.skipping:
            self.skipped += seconds_of(chunk)
            return self.endpoint.decide(self.answer.seconds)
        self.fed += seconds_of(chunk)
        if self.open.AcceptWaveform(chunk):
            self.close_sentence(self.open.Result())
        else:
            partial = json.loads(self.open.PartialResult()).get("partial", "")
            self.endpoint.partial(self.answer.seconds, partial)
            if self.endpoint.quiet_in_sentence(self.answer.seconds) >= SENTENCE_QUIET:
                self.close_sentence(self.open.FinalResult())
        return self.endpoint.decide(self.answer.seconds)

    def _between_sentences(self) -> bool:
        endpoint = self.endpoint
        return (
            endpoint.last_speech is not None
            and not endpoint.in_sentence
            and not self.gate.open
            and self.answer.seconds - max(endpoint.last_speech, self.loud_at) >= SKIP_AFTER
        )

    def close_sentence(self, result: str) -> None:
        """The open recogniser closed a sentence: judge it over the same audio."""
        parsed = json.loads(result)
        text = str(parsed.get("text", ""))
        # Nothing is skipped while a sentence is open, nor within SKIP_AFTER of a
        # sound (a word not yet in the partial text): its words all lag by the same.
        lag = self.offset - self.skipped
        words = [
            Word(
                text=str(w["word"]),
                start=round(float(w["start"]) - lag, 3),
                end=round(float(w["end"]) - lag, 3),
                conf=round(float(w["conf"]), 3),
            )
            for w in parsed.get("result", [])
        ]
        said = self.grammar_text(words)
        self.recent.clear()
        self.recent_start = self.answer.seconds
        command = match_command(text, self.commands) or (
            match_command(said, self.commands) if said else None
        )
        # A short sentence the grammar heard as exactly one expected phrase (a number
        # on a scale): kept beside the open recogniser's words, which stay the answer.
        matched = normalize(said) if command is None and normalize(said) in self.expected else ""
        if text or command or matched:
            self.answer.sentences.append(_Sentence(text, words, said, command, matched))
        if command is not None:
            self.answer.command = command
        self.endpoint.sentence(
            self.answer.seconds,
            text,
            last_word_end=words[-1].end if words else None,
            command=command,
        )

    def grammar_text(self, words: list[Word]) -> str:
        """What the grammar recogniser hears in a short sentence ("" for a long one)."""
        if self.grammar is None or not words or words[-1].end - words[0].start > COMMAND_SECONDS:
            return ""
        start = max(0.0, words[0].start - GRAMMAR_LEAD - self.recent_start)
        end = words[-1].end + GRAMMAR_TAIL - self.recent_start
        audio = self.recent[int(start * RATE) * SAMPLE_WIDTH : int(end * RATE) * SAMPLE_WIDTH]
        heard = []
        if self.grammar.AcceptWaveform(bytes(audio)):
            heard.append(json.loads(self.grammar.Result()).get("text", ""))
        heard.append(json.loads(self.grammar.FinalResult()).get("text", ""))
        self.grammar.Reset()
        return " ".join(t for t in heard if t)

    def finish(self, ended_by: EndedBy | None) -> EndedBy:
        """Close the sentence still open (silence shorter than Vosk's own endpointer,
        max_seconds, the end of the input): it is part of the answer, or its command."""
        if ended_by is not EndedBy.COMMAND:
            self.close_sentence(self.open.FinalResult())
        if self.answer.command is not None:
            return EndedBy.COMMAND
        return ended_by or EndedBy.END_OF_INPUT


class VoskListener:
    """A Listener on a Vosk model and an AudioSource (a mic, or a WAV file)."""

    def __init__(
        self,
        model: SharedModel | Path,
        source: AudioSource,
        *,
        warm_up: bool = True,
    ) -> None:
        self.shared = model if isinstance(model, SharedModel) else SharedModel(model)
        self.model_path = self.shared.path
        self.model_name = self.shared.name
        self.source = source
        self.load_seconds: float | None = None
        """how long the model took to load (and warm up), once it has"""
        self._warm_up = warm_up
        self._model: Any = None
        self._open: Any = None
        self._grammars: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self._fed = 0.0
        """seconds of audio the open recogniser has had: its word times count from
        its creation, across Reset()s"""
        self._gate = LoudnessGate(rise_db=GATE_RISE_DB, hangover=GATE_HANGOVER)
        """how loud the room is, kept from one answer to the next"""
        self._error: ModelError | None = None
        self._warm_sounds: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self._warm_stop = threading.Event()
        self._warmer: threading.Thread | None = None
        self._loaded = threading.Event()
        self._thread = threading.Thread(target=self._load, name="vosk-load", daemon=True)
        self._thread.start()

    # -- loading ------------------------------------------------------------------------
    def _load(self) -> None:
        started = time.perf_counter()
        try:
            vosk = import_vosk()
            self._model = self.shared.get()
            self._open = vosk.KaldiRecognizer(self._model, RATE)
            self._open.SetWords(True)
            if self._warm_up:
                self._feed_open(quiet_audio(WARM_UP_SECONDS))
                self._open.FinalResult()
            self.load_seconds = time.perf_counter() - started
            log.debug("model %s loaded in %.2f s", self.model_name, self.load_seconds)
        except ModelError as e:
            self._error = e
        except Exception as e:
            self._error = ModelError(f"cannot load the speech model {self.model_path} ({e})")
        finally:
            self._loaded.set()

    # -- warming on the prompts --------------------------------------------------------
    def warm_with(self, sound: Path) -> None:
        """Decode a prompt's sound (a WAV file) while it plays, until the first answer.

        The recogniser composes its graph lazily, so its first utterance costs
        seconds of CPU; speech fed before it (the greeting, the breathing) pays
        that while the user listens. A thread of lower priority does it, stopped
        by the first ``listen`` between two blocks."""
        if self._warm_stop.is_set() or sound.name.startswith("."):
            return  # answering already; or a private read-back (hidden file), not a prompt
        self._warm_sounds.put(sound)
        if self._warmer is None:
            self._warmer = threading.Thread(target=self._warm, name="vosk-warm", daemon=True)
            self._warmer.start()

    def _warm(self) -> None:
        _lower_this_threads_priority()
        self._loaded.wait()
        fed = 0.0
        while self._error is None and fed < WARM_SPEECH_SECONDS:
            sound = self._warm_sounds.get()
            if sound is None or self._warm_stop.is_set():
                return
            try:
                wav = read_wav(sound)
                audio = to_mono_16k(wav.frames, wav.rate, wav.channels)
            except (OSError, ValueError, EOFError, wave.Error):
                continue  # gone from the cache meanwhile: warming is only a help
            block = int(WARM_BLOCK_SECONDS * RATE) * SAMPLE_WIDTH
            for start in range(0, len(audio), block):
                if self._warm_stop.is_set():
                    return
                self._feed_open(audio[start : start + block])
                fed += WARM_BLOCK_SECONDS

    def _stop_warming(self) -> None:
        """Before the first answer: the recogniser is the answer's alone from now on."""
        if self._warm_stop.is_set():
            return
        self._warm_stop.set()
        self._warm_sounds.put(None)
        if self._warmer is not None:
            self._warmer.join()

    @property
    def decoded_seconds(self) -> float:
        """Seconds of audio the recogniser has decoded since it was made (the room
        between sentences is not)."""
        return self._fed

    def wait_loaded(self, timeout: float | None = None) -> None:
        """Block until the model is ready; raise its ModelError if it failed."""
        if not self._loaded.wait(timeout):
            raise ModelError(f"the speech model {self.model_path} is still loading")
        if self._error is not None:
            raise self._error

    def _feed_open(self, chunk: bytes) -> bool:
        self._fed += seconds_of(chunk)
        return bool(self._open.AcceptWaveform(chunk))

    def _grammar(self, commands: CommandSet, expected: tuple[str, ...] = ()) -> Any:
        """The grammar recogniser for these phrases (None when there are none)."""
        said = {normalize(p) for ps in commands.values() for p in ps} | set(
            map(normalize, expected)
        )
        phrases = tuple(sorted(said - {""}))
        if not phrases:
            return None
        if phrases in self._grammars:
            self._grammars.move_to_end(phrases)
            return self._grammars[phrases]
        vosk = import_vosk()

        # ensure_ascii=False: Vosk's JSON reader does not decode \\uXXXX escapes, so
        # json.dumps' default silently turns every Korean phrase into no phrase at all.
        grammar = json.dumps([*phrases, UNKNOWN], ensure_ascii=False)
        recogniser = vosk.KaldiRecognizer(self._model, RATE, grammar)
        self._grammars[phrases] = recogniser
        while len(self._grammars) > GRAMMAR_CACHE:
            self._grammars.popitem(last=False)
        return recogniser

    # -- listening ----------------------------------------------------------------------
    def listen(self, request: ListenRequest) -> Utterance:
        try:
            self.source.drain()  # half-duplex: what came in while we spoke is our own voice
        except AudioError as e:
            raise InputLost(str(e), Utterance(ended_by=EndedBy.INPUT_LOST)) from None
        # Only then wait for a model still loading (seconds on a Raspberry Pi): what
        # the user says meanwhile waits in the mic's queue and is heard, not dropped.
        self.wait_loaded()
        self._stop_warming()
        grammar = self._grammar(request.commands, request.expected)
        self._open.Reset()
        if grammar is not None:
            grammar.Reset()
        recording = request.audio
        try:
            request.on_ready()
            utterance = self._hear(request, grammar, recording)
        except BaseException:
            if recording is not None:
                _close(recording)
            raise
        if recording is None:
            return utterance
        if utterance.text:
            _close(recording)
            return utterance
        # Only a command, or silence: there is no answer whose audio the diary keeps.
        with contextlib.suppress(OSError):
            recording.discard()
        return dataclasses.replace(utterance, audio=None)

    def _hear(self, request: ListenRequest, grammar: Any, writer: AnswerAudio | None) -> Utterance:
        self._gate.reset()  # the room's floor is kept: ritual only spoke meanwhile
        hearing = _Hearing(self._open, grammar, request, offset=self._fed, gate=self._gate)
        audio = writer.path if writer is not None else None
        ended_by: EndedBy | None = None
        try:
            while ended_by is None:
                chunk = self.source.read(READ_TIMEOUT)
                if chunk is None:
                    ended_by = EndedBy.END_OF_INPUT
                elif chunk:
                    if writer is not None:
                        writer = _keep(writer, chunk)
                    ended_by = hearing.feed(chunk)
                else:
                    ended_by = hearing.endpoint.decide(hearing.answer.seconds)
        except AudioError as e:
            hearing.finish(EndedBy.INPUT_LOST)
            heard = hearing.answer.utterance(EndedBy.INPUT_LOST, audio)
            raise InputLost(f"{e}; what was heard before is kept", heard) from None
        except KeyboardInterrupt:
            # Ctrl-C mid-answer: the conductor keeps the words heard so far.
            hearing.finish(EndedBy.INTERRUPTED)
            raise ListenInterrupted(hearing.answer.utterance(EndedBy.INTERRUPTED, audio)) from None
        finally:
            self._fed += hearing.fed
        return hearing.answer.utterance(hearing.finish(ended_by), audio)

    def close(self) -> None:
        self._stop_warming()
        self._thread.join(timeout=10)  # a daemon: a slow load does not keep ritual alive
        self._grammars.clear()
        self._open = None
        self._model = None
        self.shared.close()


def _keep(writer: AnswerAudio, chunk: bytes) -> AnswerAudio | None:
    """Write a chunk of the answer's audio; on a full disk stop keeping audio, but
    go on listening: the transcript matters more, and the file so far stays valid."""
    try:
        writer.write(chunk)
    except OSError as e:
        log.warning("stopped keeping the audio in %s (%s)", writer.path, e.strerror)
        _close(writer)
        return None
    return writer


def _close(writer: AnswerAudio) -> None:
    try:
        writer.close()
    except OSError as e:
        log.warning("the audio in %s may be incomplete (%s)", writer.path, e.strerror)


def _lower_this_threads_priority() -> None:
    """Nice +5 for the calling thread alone (Linux keeps a nice value per thread): the
    player and the mic come first. Not +19: the first answer waits for this thread to
    finish its block, and on a busy machine a thread at 19 gets next to no CPU (a
    ritual under test stalled for tens of seconds that way)."""
    with contextlib.suppress(OSError, AttributeError):
        thread = threading.get_native_id()
        now = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, now + WARM_NICE))
