"""Barge-in: while a prompt plays, hear "stop", "skip", "repeat", "pause" or "back"
over it, and cut the prompt short.

The mic stays open while ritual speaks. What the player plays (the far end) is
taken from its audio callback, resampled to 16 kHz, and cancelled out of the mic
(``audio.echo``); what is left goes through a loudness gate to a small Vosk
grammar recogniser over the command phrases allowed during this prompt (the
conductor has already left out every phrase that shares a word with the prompt).

The Korean model has no ``[unk]``: a grammar recogniser maps any sound to *some*
run of its phrases. So a command is taken only when a whole result is exactly one
phrase, each of its words at or above MIN_CONF, and the sound stood out from the
room (the gate). Nothing else heard during a prompt goes anywhere: no audio and
no text is kept.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol

import numpy as np

from assistant.audio import RATE, SAMPLE_WIDTH, AudioSource, seconds_of
from assistant.audio.echo import (
    LINEAR,
    Canceller,
    Denoiser,
    estimate_delay,
    new_canceller,
    new_denoiser,
)
from assistant.audio.loudness import LOWEST_FLOOR_DB, LoudnessGate
from assistant.audio.player import PlaybackStopped, PlaybackTap
from assistant.audio.resample import StreamResampler
from assistant.core.errors import AudioError
from assistant.core.ports import Speaker
from assistant.core.voice_commands import Command, CommandSet, normalize
from assistant.speech.vosk_model import SharedModel, import_vosk

log = logging.getLogger(__name__)

LEAD = int(0.03 * RATE)
"""samples the far end is fed ahead of its measured echo: AEC3 needs to have the
played sound before its echo (fed exactly aligned it cancels 1-3 dB instead of 30)"""
DELAY_WINDOW = int(1.0 * RATE)
"""samples of the far end the delay is measured over (the prompt's first second)"""
MAX_DELAY = int(0.8 * RATE)
"""the longest delay from playing a sample to its echo in the mic that is searched"""
CLEAR_ECHO = 0.3
"""normalised correlation under which no echo is taken as found (a headset, a muted
speaker): then nothing is cancelled during that prompt"""
REMEASURE_EVERY = int(4.0 * RATE)
"""samples between measurements of the delay (following a slow clock drift)"""
MIN_CONF = 0.75
"""each word of a command must be heard at least this surely"""
QUIET = 0.3
"""seconds of unchanged partial text that close an utterance (a command is judged
before Vosk's own endpointer would close it, so playback stops sooner)"""
PREROLL = 1.0
"""seconds before a loud block the gate passes on with it: the Korean model heard a
short word after half a second of quiet wrongly one time in four ("다음" as "이전"),
after a second of it rightly every time (its features need that much to settle)"""
UNDER_ECHO_DB = 20.0
"""the gate's floor is never taken lower than this far under the echo's level (over
the prompt so far): what the canceller leaves of the echo stays under it, so the
recogniser is not run on it (a voice that much quieter than the echo is not
understood anyway)"""
GATE_RISE_DB = 8.0
"""how far above what is left of the echo (and the room) a sound must stand out"""
RESIDUAL_DB = 15.0
"""what the canceller takes out of the echo at the least, on the echo paths measured"""
ECHO_HEARD_DB = -50.0
"""an echo this loud (dBFS) or louder counts when judging how much is cancelled"""
CANCELLED_BLOCKS = 60
"""the 50 ms blocks of loud echo over which that is judged (3 s of them)"""
MIN_CANCELLED = 10
"""blocks of it needed before the judgement is trusted over RESIDUAL_DB"""
SUPPRESSED = 10 ** (-30 / 20)
"""how far a block that does not stand out from the echo is turned down"""
READ_TIMEOUT = 0.05
GATE_BLOCK = RATE // 20
"""samples the gate judges at a time"""


class LiveSource(AudioSource, Protocol):
    def skip_pending(self) -> None:
        """Drop what was captured so far (and nothing more)."""


class StoppablePlayer(Protocol):
    tap: Optional[PlaybackTap]

    def stop(self) -> None:
        """Silence the sound playing now; its play raises PlaybackStopped."""


class CommandSpotter:
    """A Vosk grammar recogniser over a few phrases, judging whole results."""

    def __init__(self, model: Any, commands: CommandSet) -> None:
        self.phrases = {normalize(p): c for c, ps in commands.items() for p in ps if normalize(p)}
        grammar = json.dumps([*sorted(self.phrases), "[unk]"], ensure_ascii=False)
        self._recogniser = import_vosk().KaldiRecognizer(model, RATE, grammar)
        self._recogniser.SetWords(True)
        self._partial = ""
        self._unchanged = 0.0
        self._fed = False
        """audio went in since the last result"""
        self.heard: list[tuple[str, float]] = []
        """every whole result and its least sure word (for tests and the bench; never
        stored)"""

    def feed(self, audio: bytes) -> Optional[Command]:
        recogniser = self._recogniser
        self._fed = True
        if recogniser.AcceptWaveform(audio):
            return self._judge(recogniser.Result())
        partial = str(json.loads(recogniser.PartialResult()).get("partial", ""))
        if partial and partial == self._partial:
            self._unchanged += seconds_of(audio)
        else:
            self._partial, self._unchanged = partial, 0.0
        if partial and self._unchanged >= QUIET:
            return self.flush()
        return None

    def reset(self) -> None:
        """Forget what was heard of the last prompt."""
        self._recogniser.Reset()
        self._partial, self._unchanged, self._fed = "", 0.0, False

    def flush(self) -> Optional[Command]:
        """Judge what is open now (the gate closed, or the partial text settled)."""
        if not self._fed:
            return None
        command = self._judge(self._recogniser.FinalResult())
        self._recogniser.Reset()
        return command

    def _judge(self, result: str) -> Optional[Command]:
        self._partial, self._unchanged, self._fed = "", 0.0, False
        parsed = json.loads(result)
        text = normalize(str(parsed.get("text", "")))
        if not text:
            return None
        words = parsed.get("result", [])
        sure = min((float(w.get("conf", 0)) for w in words), default=0.0)
        self.heard.append((text, round(sure, 2)))
        if text not in self.phrases or sure < MIN_CONF:
            return None
        return self.phrases[text]


@dataclass
class EchoPath:
    """The far end lined up with the mic, and cancelled out of it, for one prompt."""

    cancel: bool
    """False with a headset: the device cancels its echo itself"""
    near: bytearray = field(default_factory=bytearray)
    far: bytearray = field(default_factory=bytearray)
    done: int = 0
    """mic samples already cancelled and passed on"""
    shift: Optional[int] = None
    """mic sample i is cancelled with far sample i - shift"""
    measured: list[tuple[int, float]] = field(default_factory=list)
    """(lag, correlation) of each delay measurement"""
    echo_gain_db: float = 0.0
    """how loud the echo is against what was played (measured with the delay)"""
    canceller: Optional[Canceller] = None
    """a new one each prompt: the delay changes between prompts (measured up to 80 ms
    apart through PulseAudio), and one kept across them cancelled worse"""
    denoiser: Optional[Denoiser] = None
    engine: str = LINEAR
    cancelled: deque[float] = field(default_factory=lambda: deque(maxlen=CANCELLED_BLOCKS))
    """how many dB the canceller took out of each recent 50 ms of loud echo"""
    _far_energy: float = 0.0
    _level_at: int = 0
    _remeasure_at: int = REMEASURE_EVERY + DELAY_WINDOW

    def cleaned(self, playing: bool) -> bytes:
        """The mic's audio with the echo taken out, as far as both ends allow."""
        # Views, not copies, of all that was heard and played this prompt (copying it
        # for every 50 ms read cost more the longer the prompt). None of them may
        # outlive this call: the buffers cannot grow while one does.
        near = np.frombuffer(self.near, dtype="<i2")
        far = np.frombuffer(self.far, dtype="<i2")
        if self.cancel and self.shift is None and not self._measure(far, near, 0):
            return b""
        if not self.cancel:
            passed = near[self.done :].astype("<i2").tobytes()
            self.done = len(near)
            return passed
        self._follow_drift(far, near)
        if self.canceller is None:
            self.canceller, self.denoiser = new_canceller(self.engine), new_denoiser()
        end = self._cancellable(len(near), len(far), playing, self.canceller.block)
        if end <= self.done:
            return b""
        aligned = self._aligned(far, end)
        if self.done == 0:  # the first second or so, all at once
            self.canceller.learn(near[:end], aligned)
        out = self.canceller.process(near[self.done : end], aligned)
        heard = near[self.done : end].astype(np.float64)
        self.done = end
        if self.denoiser is not None:
            out = self.denoiser.process(out)
        return self._suppress_residual(out, aligned, heard).astype("<i2").tobytes()

    def _cancellable(self, near: int, far: int, playing: bool, block: int) -> int:
        """Up to which mic sample whole blocks can be cancelled now."""
        end = self.done + (near - self.done) // block * block
        if playing:  # the far end for these samples must have been played already
            end = min(end, self.done + max(0, far + (self.shift or 0) - self.done) // block * block)
        return end

    def _aligned(self, far: np.ndarray[Any, Any], end: int) -> np.ndarray[Any, Any]:
        """The far end lined up with mic samples ``done`` to ``end``."""
        start = self.done - (self.shift or 0)
        aligned = np.zeros(end - self.done, dtype=np.int16)
        lo, hi = max(start, 0), min(start + len(aligned), len(far))
        if hi > lo:
            aligned[lo - start : hi - start] = far[lo:hi]
        return aligned

    def echo_level_db(self) -> float:
        """How loud the echo has been in the mic, dBFS (over the prompt so far)."""
        far = np.frombuffer(bytes(self.far[self._level_at * SAMPLE_WIDTH :]), dtype="<i2")
        self._far_energy += float(np.dot(far.astype(np.float64), far))
        self._level_at += len(far)
        if not self._level_at:
            return -120.0
        mean = max(self._far_energy / self._level_at, 1e-6)
        return 10 * math.log10(mean / 32768**2) + self.echo_gain_db

    def _suppress_residual(
        self, out: np.ndarray[Any, Any], far: np.ndarray[Any, Any], near: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """Turn down each 50 ms that does not stand out from what the canceller leaves
        of the echo: the recogniser hears quiet there, not the prompt's remains, which
        it would fit to a command or run into one."""
        out = out.astype(np.float64)
        for at in range(0, len(out), GATE_BLOCK):
            block = slice(at, at + GATE_BLOCK)
            echo_db = _level_db(far[block]) + self.echo_gain_db
            out_db = _level_db(out[block])
            if echo_db > ECHO_HEARD_DB:
                self.cancelled.append(_level_db(near[block]) - out_db)
            if out_db < echo_db - self.cancelled_db():
                out[block] *= SUPPRESSED
        return out

    def cancelled_db(self) -> float:
        """How much the canceller takes out of the echo now, as far as it is sure: the
        median over the last seconds of the echo, at most RESIDUAL_DB. A delay that
        wanders (two devices' clocks) leaves more of the echo than the bench's
        steady room; a word said over the prompt lowers a few of these figures only."""
        if len(self.cancelled) < MIN_CANCELLED:
            return RESIDUAL_DB
        return float(min(RESIDUAL_DB, max(0.0, np.median(self.cancelled))))

    def _measure(self, far: np.ndarray[Any, Any], near: np.ndarray[Any, Any], at: int) -> bool:
        """Measure the delay over the far end from ``at``; False while too little is in."""
        if len(far) < at + DELAY_WINDOW or len(near) < at + DELAY_WINDOW + MAX_DELAY:
            return False
        played = far[at : at + DELAY_WINDOW]
        lag, clear = estimate_delay(played, near[at:], MAX_DELAY)
        self.measured.append((lag, round(clear, 3)))
        if clear >= CLEAR_ECHO:
            self.shift = max(0, lag - LEAD)
            echo = near[at + lag : at + lag + DELAY_WINDOW]
            self.echo_gain_db = min(6.0, _level_db(echo) - _level_db(played))
        elif self.shift is None:
            # No echo to be found (a quiet speaker, a headset): nothing to cancel. AEC3
            # fed a loud far end and no echo of it silences the mic, words and all.
            self.shift, self.cancel = 0, False
        return True

    def _follow_drift(self, far: np.ndarray[Any, Any], near: np.ndarray[Any, Any]) -> None:
        if len(far) >= self._remeasure_at and self._measure(
            far, near, self._remeasure_at - DELAY_WINDOW
        ):
            self._remeasure_at += REMEASURE_EVERY


def _level_db(samples: np.ndarray[Any, Any]) -> float:
    if not len(samples):
        return -120.0
    power = float(np.mean(np.square(samples.astype(np.float64))))
    return 10 * math.log10(max(power, 1e-6) / 32768**2)


class PromptWatch:
    """Listens over one prompt, on a thread of its own, until ``finish``."""

    def __init__(
        self,
        source: LiveSource,
        spotter: CommandSpotter,
        gate: LoudnessGate,
        *,
        cancel: bool,
        on_command: Callable[[], None],
    ) -> None:
        self.source = source
        self.spotter = spotter
        self.gate = gate
        self.on_command = on_command
        self.tap = PlaybackTap()
        self.path = EchoPath(cancel=cancel)
        self.heard: Optional[Command] = None
        self.heard_at: Optional[int] = None
        """mic sample (from the prompt's start) at which the command was taken"""
        self.error: Optional[AudioError] = None
        self.cpu_seconds = 0.0
        self._ended = threading.Event()
        self._resampler: Optional[StreamResampler] = None

    def finish(self) -> None:
        self._ended.set()

    def run(self) -> None:
        try:
            while not self.tap.started.wait(0.05):
                if self._ended.is_set():
                    return
            self.source.skip_pending()
            self._resampler = StreamResampler(self.tap.rate)
            while not self._ended.is_set() and self.heard is None:
                chunk = self.source.read(READ_TIMEOUT)
                if chunk is None:
                    return
                started = time.thread_time()
                self.step(chunk, playing=True)
                self.cpu_seconds += time.thread_time() - started
        except AudioError as e:
            self.error = e
        except Exception as e:  # the prompt plays on; this one just cannot be cut short
            log.warning("barge-in stopped listening over a prompt: %s", e)

    def step(self, chunk: bytes, *, playing: bool) -> None:
        """Take a chunk of the mic and what has been played meanwhile; act on a command."""
        assert self._resampler is not None
        self.path.near += chunk
        for played in self.tap.take():
            self.path.far += self._resampler.process(played.astype("<i2").tobytes())
        cleaned = self.path.cleaned(playing)
        if self.path.cancel and self.path.shift is not None:
            self.gate.lowest_db = max(LOWEST_FLOOR_DB, self.path.echo_level_db() - UNDER_ECHO_DB)
        first = self.path.done - len(cleaned) // SAMPLE_WIDTH
        # The gate judges 50 ms at a time (the first cleaned piece is a second or more).
        for at in range(0, len(cleaned), GATE_BLOCK * SAMPLE_WIDTH):
            block = cleaned[at : at + GATE_BLOCK * SAMPLE_WIDTH]
            loud = self.gate.process(block)
            command = self.spotter.feed(loud) if loud else self.spotter.flush()
            if command is not None:
                self.heard = command
                self.heard_at = first + (at + len(block)) // SAMPLE_WIDTH
                self.on_command()
                return


class BargeInSpeaker:
    """An InterruptibleSpeaker: a speaker whose player can be stopped, a live mic,
    and the listener's model for the small recogniser."""

    def __init__(
        self,
        speaker: Speaker,
        player: StoppablePlayer,
        source: LiveSource,
        model: SharedModel,
        *,
        cancel_echo: bool = True,
    ) -> None:
        self.speaker = speaker
        self.player = player
        self.source = source
        self.model = model
        self.cancel_echo = cancel_echo
        self.gate = LoudnessGate(rise_db=GATE_RISE_DB, preroll=PREROLL, hangover=QUIET + 0.1)
        """kept between prompts: what is left of the echo is much the same"""
        self._spotters: dict[frozenset[tuple[Command, tuple[str, ...]]], CommandSpotter] = {}
        self.last: Optional[PromptWatch] = None
        """the last prompt's watch (its delay measurements, for doctor and the bench)"""

    def say(self, text: str, *, private: bool = False) -> None:
        self.speaker.say(text, private=private)

    def prepare(self, texts: Any) -> None:
        self.speaker.prepare(texts)

    def say_until(
        self, text: str, commands: CommandSet, *, private: bool = False
    ) -> Optional[Command]:
        if not self.model.ready or not commands:
            # The model still loads (the greeting): this prompt cannot be cut short.
            log.debug("barge-in: the model is still loading; this prompt plays to its end")
            self.speaker.say(text, private=private)
            return None
        self.gate.reset()
        self.gate.lowest_db = LOWEST_FLOOR_DB
        watch = PromptWatch(
            self.source,
            self._spotter(commands),
            self.gate,
            cancel=self.cancel_echo,
            on_command=self.player.stop,
        )
        self.last = watch
        thread = threading.Thread(target=watch.run, name="barge-in", daemon=True)
        self.player.tap = watch.tap
        thread.start()
        try:
            self.speaker.say(text, private=private)
        except PlaybackStopped:
            pass
        finally:
            self.player.tap = None
            watch.finish()
            thread.join(timeout=5)
        if watch.error is not None:
            raise watch.error
        return watch.heard

    def _spotter(self, commands: CommandSet) -> CommandSpotter:
        key = frozenset((c, tuple(p)) for c, p in commands.items())
        if key not in self._spotters:
            self._spotters[key] = CommandSpotter(self.model.get(), commands)
        spotter = self._spotters[key]
        spotter.reset()
        return spotter
