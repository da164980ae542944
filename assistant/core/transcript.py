"""Tidy what the recogniser heard into journal text. Pure: no engine imports.

Vosk returns lower-case words without punctuation, one result per sentence (as
its own endpointer cuts them). We make a sentence of each: first letter up, the
pronoun "I" up, a full stop at the end. Tokens in brackets (``[unk]``,
``[noise]``, and the numbered fillers some models emit) are not words and go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
