"""When an answer is over. Pure: fed with recogniser results and audio time.

Speech is what the recogniser turns into words, not loudness: a fan, a street
or a quiet room give no words, so they count as silence; a mumbled word does
count. The clock is audio time (seconds of audio heard since listening began),
never the wall clock, so the decision is the same however fast audio is fed.

- While a sentence is being decoded, every change of the partial text is
  speech at that moment (it lags the voice by a few tenths of a second).
- When the recogniser closes a sentence (its own endpointer, after about a
  second of quiet), the end of its last word is exactly when speech stopped.

The partial text lags the voice (by 0.5-0.8 s with the small Korean model), so
speech that starts in the last moment before ``no_speech_seconds`` counts as
none; the conductor then asks once more.

The answer ends at the first of:
- ``command``: a sentence that was wholly a command phrase;
- ``max_seconds``: the answer's time is up;
- ``no_speech``: not a word for ``no_speech_seconds`` since listening began;
- ``silence``: ``silence`` seconds without speech, after some speech.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.core.vocabulary import Vocabulary
from assistant.core.voice_commands import Command

DEFAULT_SILENCE = 3.0
"""seconds of quiet after speech that end an answer: people pause to think"""
DEFAULT_MAX_SECONDS = 120.0
DEFAULT_NO_SPEECH_SECONDS = 8.0


class EndedBy(Vocabulary):
    """Why listening to one answer stopped."""

    SILENCE = "silence"
    COMMAND = "command"
    MAX_SECONDS = "max_seconds"
    NO_SPEECH = "no_speech"
    END_OF_INPUT = "end_of_input"
    """the audio (a file) or the typed input ended"""
    INPUT_LOST = "input_lost"
    """the microphone went away"""
    INTERRUPTED = "interrupted"
    """Ctrl-C or a signal"""


@dataclass(frozen=True)
class EndpointRules:
    silence: float = DEFAULT_SILENCE
    """seconds of quiet after speech that end the answer"""
    max_seconds: float = DEFAULT_MAX_SECONDS
    """the answer ends here whatever happens"""
    no_speech_seconds: float = DEFAULT_NO_SPEECH_SECONDS
    """with no speech at all for this long, nothing was heard"""


class AnswerEndpoint:
    """A small state machine: feed it results in order, ask ``decide(at)``."""

    def __init__(self, rules: EndpointRules) -> None:
        self.rules = rules
        self.heard_speech = False
        self.last_speech: float | None = None
        """audio time of the latest speech (a word's end, or a partial's change)"""
        self.command: Command | None = None
        self._partial = ""

    def partial(self, at: float, text: str) -> None:
        """The recogniser's partial text for the sentence in progress, at audio time ``at``."""
        if text == self._partial:
            return
        self._partial = text
        if text:
            self.heard_speech = True
            self.last_speech = at

    def sentence(
        self,
        at: float,
        text: str,
        *,
        last_word_end: float | None = None,
        command: Command | None = None,
    ) -> None:
        """A sentence closed at audio time ``at``; ``last_word_end`` when the words are timed."""
        self._partial = ""
        if command is not None:
            self.command = command
            self.heard_speech = True
            self.last_speech = at if last_word_end is None else last_word_end
        elif text:
            self.heard_speech = True
            # The word's own end is exact; the partial's last change came later than
            # the voice did, so this may move the speech end earlier. That is right.
            self.last_speech = min(at, last_word_end) if last_word_end is not None else at

    def decide(self, at: float) -> EndedBy | None:
        """Why the answer is over at audio time ``at``, or None to keep listening."""
        if self.command is not None:
            return EndedBy.COMMAND
        if at >= self.rules.max_seconds:
            return EndedBy.MAX_SECONDS
        if not self.heard_speech:
            return EndedBy.NO_SPEECH if at >= self.rules.no_speech_seconds else None
        assert self.last_speech is not None
        if at - self.last_speech >= self.rules.silence:
            return EndedBy.SILENCE
        return None

    def quiet_in_sentence(self, at: float) -> float:
        """Seconds the sentence in progress has gone without a change (0 with none)."""
        if not self._partial or self.last_speech is None:
            return 0.0
        return at - self.last_speech

    @property
    def in_sentence(self) -> bool:
        """A sentence is being decoded (the recogniser has not closed it yet)."""
        return bool(self._partial)
