"""Waiting for a wake phrase: a Vosk grammar recogniser over the phrases.

Grammar mode is cheap (about 1 % of a core) but cannot say "none of these" with a
model that has no ``[unk]`` word (the small Korean one): any speech is forced onto
the grammar. So a wake needs all of:

- the whole result is exactly one phrase (unrelated speech comes out as runs of
  several phrase words, seldom as exactly one phrase);
- it is said on its own: the first thing heard after the room was quiet, and
  followed by a pause (the middle of a conversation can map onto a phrase too);
- every word of it is heard with at least ``min_conf`` confidence;
- nothing woke it in the last ``refractory`` seconds.

A loudness gate (audio/loudness.py) feeds the recogniser only what stands out
from the room, so hours of quiet cost next to nothing.

It decides early: after ``PAUSE_SECONDS`` of quiet following words that are (or
begin) a phrase, the result is closed then and there, instead of waiting for
Vosk's own endpointer (a second of silence or more).

Nothing of what it hears is written anywhere, and only the ritual's name is logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Optional

from assistant.audio import RATE, AudioSource, seconds_of
from assistant.audio.loudness import LoudnessGate
from assistant.core.voice_commands import normalize
from assistant.speech.vosk_model import SharedModel, import_vosk, quiet_audio

log = logging.getLogger(__name__)

READ_TIMEOUT = 0.25
"""seconds to wait for the next chunk before looking at the time again"""
PAUSE_SECONDS = 0.5
"""the quiet after a phrase that closes it: Vosk's own endpointer waits a second or
more, and its partial text lags the voice by half a second"""
LONGEST_PHRASE = 2.5
"""seconds: speech that goes on longer than any wake phrase cannot be one (it must be
said on its own), so the recogniser is not fed the rest of it"""
MIN_CONF = 0.7
WEAK_CONF = 0.9
"""below this, a short word after a whole phrase is taken for noise"""
REFRACTORY_SECONDS = 3.0
UNKNOWN = "[unk]"


def unknown_words(model: Any, phrases: Iterable[str]) -> dict[str, list[str]]:
    """The words of each phrase the model does not know (phrase -> words; only the
    phrases with some): Vosk drops them from a grammar, so such a phrase never wakes."""
    found = {}
    for phrase in phrases:
        missing = [w for w in normalize(phrase).split() if model.vosk_model_find_word(w) < 0]
        if missing:
            found[phrase] = missing
    return found


class VoskWakeListener:
    """A WakeListener (see core/companion.py) on a shared Vosk model and a microphone."""

    def __init__(
        self,
        model: SharedModel,
        source: AudioSource,
        phrases: Mapping[str, str],
        *,
        min_conf: float = MIN_CONF,
        refractory: float = REFRACTORY_SECONDS,
    ) -> None:
        self.model = model
        self.source = source
        self.phrases = {normalize(p): ritual for p, ritual in phrases.items()}
        """normalized phrase -> ritual"""
        self.min_conf = min_conf
        self.refractory = refractory
        self.heard_seconds = 0.0
        """audio fed so far (the recogniser's clock)"""
        self.rejected = 0
        """results that were exactly a phrase but too unsure: a figure for tuning"""
        self.gate = LoudnessGate()
        """the recogniser hears only what stands out from the room: it costs nothing
        while the room is quiet"""
        self._recogniser: Any = None
        self._awake_at = -refractory
        self._segment = 0.0
        """seconds of sound fed since the room was last quiet"""
        self._first = True
        """nothing has been said since the room was last quiet"""

    def _build(self) -> Any:
        if self._recogniser is None:
            vosk = import_vosk()
            for phrase, words in unknown_words(self.model.get(), self.phrases).items():
                log.warning(
                    "the wake phrase '%s' can never wake: the speech model %s does not know %s",
                    phrase,
                    self.model.name,
                    ", ".join(f"'{w}'" for w in words),
                )
            # No filler words ("decoys"): measured, they need pruning per phrase
            # set and cost misses; saying the phrase on its own does their job.
            grammar = [*self.phrases, UNKNOWN]
            # ensure_ascii=False: Vosk's JSON reader does not decode \uXXXX escapes.
            self._recogniser = vosk.KaldiRecognizer(
                self.model.get(), RATE, json.dumps(grammar, ensure_ascii=False)
            )
            self._recogniser.SetWords(True)
            self._recogniser.AcceptWaveform(quiet_audio(0.5))  # a fresh one stalls once
            self._recogniser.Reset()
        return self._recogniser

    def wait(
        self, seconds: float, *, fresh: bool, on_ready: Callable[[], None] = lambda: None
    ) -> Optional[str]:
        """Listen for up to ``seconds`` (audio time, or wall time when no audio comes)."""
        recogniser = self._build()
        if fresh:
            self.source.drain()  # what came in while ritual spoke is its own voice
            self._forget(recogniser)
            self.gate.reset()
            self._awake_at = -self.refractory  # a ritual ran since: the phrase is new
        on_ready()
        started, heard = time.monotonic(), 0.0
        while max(heard, time.monotonic() - started) < seconds:
            chunk = self.source.read(READ_TIMEOUT)
            if chunk is None:
                return None  # a file source has ended
            if not chunk:
                continue
            heard += seconds_of(chunk)
            self.heard_seconds += seconds_of(chunk)
            was_open = self.gate.open
            loud = self.gate.process(chunk)
            if not loud:
                if was_open:
                    self._forget(recogniser)  # the phrase, if any, was judged by now
                continue
            self._segment += seconds_of(loud)
            if self._segment > LONGEST_PHRASE:
                continue  # a conversation, not a wake phrase: save the CPU
            ritual = self._feed(recogniser, loud)
            if ritual is not None:
                self._awake_at = self.heard_seconds
                return ritual
        return None

    def _forget(self, recogniser: Any) -> None:
        recogniser.Reset()
        self._first = True
        self._segment = 0.0

    def _feed(self, recogniser: Any, chunk: bytes) -> Optional[str]:
        if recogniser.AcceptWaveform(chunk):
            return self._judge(recogniser.Result())
        partial = json.loads(recogniser.PartialResult()).get("partial", "")
        if partial in self.phrases and self.gate.quiet_seconds >= PAUSE_SECONDS:
            # A phrase, then a pause: close the result now (with the words' confidence).
            return self._judge(recogniser.FinalResult())
        return None

    def _judge(self, result: str) -> Optional[str]:
        words = self._spoken(json.loads(result).get("result", []))
        text = " ".join(str(w["word"]) for w in words)
        first, self._first = self._first, self._first and not text
        ritual = self.phrases.get(text)
        if ritual is None or not first or self.gate.quiet_seconds < PAUSE_SECONDS:
            return None  # a phrase only wakes when said on its own, between pauses
        confs = [float(w.get("conf", 0.0)) for w in words]
        if not confs or min(confs) < self.min_conf:
            self.rejected += 1
            log.debug("a wake phrase heard too unsure (%.2f): ignored", min(confs, default=0))
            return None
        if self.heard_seconds - self._awake_at < self.refractory:
            return None
        return ritual

    def _spoken(self, words: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The result's words without a weak guess at the noise after a phrase:
        closing a result early (in a noisy room) can add a short, unsure word."""
        while len(words) > 1 and _weak(words[-1]):
            if " ".join(str(w["word"]) for w in words[:-1]) in self.phrases:
                return words[:-1]
            break
        return words

    def close(self) -> None:
        self._recogniser = None


def _weak(word: dict[str, Any]) -> bool:
    """A word the recogniser is unsure of that lasts under a quarter of a second."""
    length = float(word.get("end", 0.0)) - float(word.get("start", 0.0))
    return float(word.get("conf", 0.0)) < WEAK_CONF and length < 0.25
