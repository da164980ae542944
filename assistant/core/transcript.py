"""Tidy what the recogniser heard into journal text. Pure: no engine imports.

Vosk returns lower-case words without punctuation, one result per stretch of
speech (as its own endpointer cuts them), with each word's start and end. A
pause between two words of a result ends a sentence too, and a shorter one is a
comma; each sentence gets its first letter up, the pronoun "I" up, and a full
stop at the end. This is what every entry has at first, and all that a
machine without the second listen (a 32-bit Pi) will ever have. Tokens in brackets (``[unk]``,
``[noise]``, and the numbered fillers some models emit) are not words and go.
The raw text and word timings are kept too, as the entry's details.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Optional

from assistant.core.ports import Utterance, Word

_BRACKETED = re.compile(r"\[[^\]]*\]")
_SPACES = re.compile(r"\s+")
_PRONOUN_I = re.compile(r"\bi(?=$|\s|'(?:m|ve|ll|d|s)\b)")
_END = (".", "!", "?", "…", "。", "？", "！")
SENTENCE_PAUSE_S = 0.6
"""a pause between words at least this long ends a sentence (people breathe
between sentences; within one, Vosk's word timings mostly touch)"""
COMMA_PAUSE_S = 0.3
"""a shorter pause, at least this long, is a comma"""


def tidy_sentence(text: str) -> str:
    """One recogniser result as a sentence; "" when it holds no words."""
    text = _SPACES.sub(" ", _BRACKETED.sub(" ", text)).strip()
    if not text:
        return ""
    text = _PRONOUN_I.sub("I", text)
    text = text[0].upper() + text[1:]
    if not text.endswith(_END):
        text += "."
    return text


def tidy_transcript(sentences: Iterable[str]) -> str:
    """Several results as one paragraph of sentences."""
    return " ".join(s for s in (tidy_sentence(t) for t in sentences) if s)


def sentences_from_words(
    text: str,
    words: Sequence[Word],
    *,
    pause: float = SENTENCE_PAUSE_S,
    comma: float = COMMA_PAUSE_S,
) -> list[str]:
    """One recogniser result cut into sentences at its pauses, with commas at the
    shorter ones; ``[text]`` as it is when its word timings do not match its words."""
    spoken = [w for w in words if not _BRACKETED.fullmatch(w.text)]
    if not spoken or [w.text for w in spoken] != _BRACKETED.sub(" ", text).split():
        return [text]
    sentences: list[list[str]] = [[spoken[0].text]]
    for before, word in zip(spoken, spoken[1:]):
        gap = word.start - before.end
        if gap >= pause:
            sentences.append([word.text])
            continue
        if gap >= comma:
            sentences[-1][-1] += ","
        sentences[-1].append(word.text)
    return [" ".join(s) for s in sentences]


def tidy_heard(results: Iterable[tuple[str, Sequence[Word]]]) -> str:
    """Recogniser results, each with its words, as one paragraph of sentences."""
    return tidy_transcript(
        part for text, words in results for part in sentences_from_words(text, words)
    )


def details_of(utterance: Utterance, audio: Optional[str] = None) -> dict[str, Any]:
    """What the recogniser said about one part of an answer, as kept in the details
    beside the entry (``transcript.json``): raw text, word timings, why it ended."""
    return {
        "raw": utterance.raw,
        "seconds": round(utterance.seconds, 3),
        "ended_by": utterance.ended_by.value,
        "words": [
            {"word": w.text, "start": w.start, "end": w.end, "conf": w.conf}
            for w in utterance.words
        ],
        **({"audio": audio} if audio is not None else {}),
        **dict(utterance.extra),
    }
