"""Tidy what the recogniser heard into journal text. Pure: no engine imports.

Vosk returns lower-case words without punctuation, one result per sentence (as
its own endpointer cuts them). We make a sentence of each: first letter up, the
pronoun "I" up, a full stop at the end. Tokens in brackets (``[unk]``,
``[noise]``, and the numbered fillers some models emit) are not words and go.
The raw text and word timings are kept too, as the entry's details.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Optional

from assistant.core.ports import Utterance

_BRACKETED = re.compile(r"\[[^\]]*\]")
_SPACES = re.compile(r"\s+")
_PRONOUN_I = re.compile(r"\bi(?=$|\s|'(?:m|ve|ll|d|s)\b)")
_END = (".", "!", "?", "…", "。", "？", "！")


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
