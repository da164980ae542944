"""The second listen: an answer's kept audio heard again by a better model. Pure.

Vosk hears live (fast, small, lower-case); a second model, when there is one for
the ritual's language, hears each kept answer again, whole, and its cased and
punctuated text goes into the entry. These rules decide when its words are
trusted, so that polishing can only make an entry better:

- it never replaces words with nothing, and never puts words where Vosk heard
  none (a model that hears "Thank you." in silence is inventing);
- a result much longer than Vosk's, or full of repeats, is refused: on quiet or
  short audio such models are known to write what was never said;
- silence before and after the speech is cut off first (``speech_span``);
- one answer is heard at a time, each of its audio files whole;
- the ritual's language picks the model; a language without one keeps Vosk's text.

What Vosk said, and which model polished, stay in the details beside the entry
(``transcript.json``) under ``POLISH_KEY``, so nothing is lost.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional, TypeVar

from assistant.core.journal import Answer, AnswerState, Entry, details_key
from assistant.core.language import language_candidates
from assistant.core.ports import Details, Transcriber
from assistant.core.retranscribe import kept_file

T = TypeVar("T")

POLISH_KEY = "polish"
"""the details' key for what the second listen did, per answer key"""
POLISHED_FIELD = "polished"
"""front-matter key: the model that polished every answer of the entry"""
MAX_GROWTH = 1.5
"""a polished answer may have this many times Vosk's words (plus ``SLACK_WORDS``)"""
SLACK_WORDS = 4
"""short answers vary most: "I'm fine" against Vosk's "i am fine" is a word more"""
MOST_REPEATS = 3
"""the same three words in a row this many times is a model going round in a loop"""
SPEECH_MARGIN_S = 0.25
"""audio kept before the first and after the last loud frame: soft consonants"""
_WORD = re.compile(r"[\w']+")
_BRACKETED = re.compile(r"\[[^\]]*\]")
"""[unk] and the like: not words (the tidy text leaves them out)"""


def language_model(models: Mapping[str, T], language: str) -> Optional[T]:
    """The second-pass model for a ritual's language: ``models`` is keyed by the
    language each serves (``en`` for an English-only model, ``*`` for one that hears
    every language); None keeps Vosk's text."""
    for code in [*language_candidates(language), "*"]:
        if code in models:
            return models[code]
    return None


def words_of(text: str) -> list[str]:
    """The words of ``text``, lower-case, without punctuation (for comparing)."""
    return [w.lower() for w in _WORD.findall(text)]


def refusal(vosk_text: str, heard: str) -> Optional[str]:
    """Why the second listen's text ``heard`` must not replace ``vosk_text``; None
    when it may."""
    before, after = words_of(vosk_text), words_of(heard)
    if not after:
        return "it heard no words"
    if not before:
        return "Vosk heard no words there"
    if len(after) > MAX_GROWTH * len(before) + SLACK_WORDS:
        return f"it heard {len(after)} words where Vosk heard {len(before)}"
    if loops(after):
        return "it repeats itself"
    return None


def loops(words: Sequence[str]) -> bool:
    """Whether ``words`` go round in a loop: a phrase of two or three words said
    ``MOST_REPEATS`` times back to back (one word, once more than that: "no, no,
    no" is speech), or, in a longer answer, one three-word phrase that keeps
    coming back."""
    for size in (1, 2, 3):
        needed = MOST_REPEATS + (size == 1)
        for i in range(len(words) - size * needed + 1):
            phrase = words[i : i + size]
            if all(words[i + k * size : i + (k + 1) * size] == phrase for k in range(needed)):
                return True
    triples = Counter(tuple(words[i : i + 3]) for i in range(len(words) - 2))
    return len(words) >= 12 and max(triples.values()) >= MOST_REPEATS


def speech_span(
    energies: Sequence[float], frame_seconds: float, *, margin: float = SPEECH_MARGIN_S
) -> Optional[tuple[float, float]]:
    """Where the speech is, in seconds, from the loudness (RMS) of each frame: from
    the first to the last frame well above the room's own level, with ``margin``
    either side. None when no frame stands out (silence, or only hum)."""
    if not energies:
        return None
    ordered = sorted(energies)
    floor = ordered[len(ordered) // 10]
    loudest = ordered[-1]
    threshold = max(floor * 3.0, floor + (loudest - floor) * 0.1, 60.0)
    loud = [i for i, e in enumerate(energies) if e >= threshold]
    if not loud:
        return None
    total = len(energies) * frame_seconds
    start = max(0.0, loud[0] * frame_seconds - margin)
    end = min(total, (loud[-1] + 1) * frame_seconds + margin)
    return start, end


@dataclass(frozen=True)
class Polished:
    """What the second listen made of one answer (or follow-up)."""

    key: str
    """``details_key`` of the answer"""
    vosk: str
    """the text it was given (what Vosk heard, as the entry had it)"""
    text: str = ""
    """the better text, "" when refused"""
    refused: str = ""
    """why its text was not used"""

    def record(self, engine: str) -> dict[str, str]:
        kept = {"engine": engine, "vosk": self.vosk}
        return {**kept, "refused": self.refused} if self.refused else {**kept, "text": self.text}


def judged(key: str, vosk_text: str, heard: str) -> Polished:
    heard = " ".join(heard.split())
    why = refusal(vosk_text, heard)
    return Polished(key, vosk_text, refused=why) if why else Polished(key, vosk_text, heard)


@dataclass(frozen=True)
class Work:
    """One answer to polish: its key, the text it has, its audio files (whole)."""

    key: str
    text: str
    audio: tuple[str, ...]


def work_of(entry: Entry, done: Mapping[str, object]) -> list[Work]:
    """The answers of ``entry`` worth a second listen that have not had one: answered
    in words, with kept audio, not polished yet (``done`` is the details' record)."""
    todo = []
    for a in entry.answers:
        parts: list[tuple[str, str, tuple[str, ...], AnswerState]] = [
            (details_key(a.id), a.text, a.audio, a.state)
        ]
        if a.follow_up is not None:
            f = a.follow_up
            parts.append((details_key(a.id, follow_up=True), f.text, f.audio, f.state))
        for key, text, audio, state in parts:
            if state is AnswerState.ANSWERED and text.strip() and audio and key not in done:
                todo.append(Work(key, text, audio))
    return todo


def with_polish(entry: Entry, results: Mapping[str, Polished]) -> Entry:
    """``entry`` with each accepted result's text in place of the answer's, as long as
    the answer still says what was polished (an answer said again keeps its new text)."""

    def better(key: str, text: str) -> str:
        done = results.get(key)
        return done.text if done and done.text and done.vosk == text else text

    answers: list[Answer] = []
    for a in entry.answers:
        new = replace(a, text=better(details_key(a.id), a.text))
        if a.follow_up is not None:
            f = a.follow_up
            f_text = better(details_key(a.id, follow_up=True), f.text)
            new = replace(new, follow_up=replace(f, text=f_text))
        answers.append(new)
    return replace(entry, answers=tuple(answers))


def marked(entry: Entry, engine: str, done: Mapping[str, object]) -> Entry:
    """``entry`` with ``polished: <engine>`` in its front matter once no answer is
    left to polish (``ritual polish`` then passes it over)."""
    if work_of(entry, done) or entry.extra.get(POLISHED_FIELD) == engine:
        return entry
    return replace(entry, extra={**entry.extra, POLISHED_FIELD: engine})


def polish_entry(
    entry: Entry,
    base: Path,
    transcriber: Transcriber,
    done: Mapping[str, object],
    warn: Callable[[str], None],
    details: Optional[Details] = None,
) -> tuple[Entry, dict[str, Polished]]:
    """Hear each answer of ``entry`` not polished yet again, one at a time, and the
    entry with the accepted texts. ``base`` is the folder its audio paths are
    relative to; ``done`` the details' polish record. An answer whose audio cannot
    be read keeps its text and is tried again next time; one edited by hand since
    Vosk wrote it (its words are not those ``details`` keep) is left as it is."""
    results: dict[str, Polished] = {}
    for work in work_of(entry, done):
        if edited_by_hand(work, details or {}):
            continue
        texts = []
        for name in work.audio:
            wav = kept_file(base / name)
            try:
                texts.append(transcriber.transcribe(wav).text)
            except Exception as e:  # a failing second listen must never cost the entry
                warn(f"cannot hear {name} again ({e}); that answer keeps its text")
                break
        else:
            results[work.key] = judged(work.key, work.text, " ".join(t for t in texts if t))
    return with_polish(entry, results), results


def edited_by_hand(work: Work, details: Details) -> bool:
    """Whether an answer's words are no longer what the recogniser heard (its raw
    text in the details); an answer with no details is taken as heard."""
    parts = details.get(work.key)
    if not isinstance(parts, list) or not parts:
        return False
    raw = " ".join(str(p.get("raw", "")) for p in parts if isinstance(p, dict))
    heard = words_of(_BRACKETED.sub(" ", raw))
    return heard != words_of(work.text)


def polish_details(details: Details, results: Mapping[str, Polished], engine: str) -> Details:
    """``details`` with the record of ``results`` added under ``POLISH_KEY``."""
    kept = details.get(POLISH_KEY)
    record = dict(kept) if isinstance(kept, dict) else {}
    record.update({key: p.record(engine) for key, p in results.items()})
    return {**details, POLISH_KEY: record} if record else dict(details)


def polish_record(details: object) -> Mapping[str, object]:
    """The answers already polished (or refused), from an entry's details."""
    kept = details.get(POLISH_KEY) if isinstance(details, dict) else None
    return kept if isinstance(kept, dict) else {}
