"""Re-transcription: an entry's kept audio heard again by a (newer) model.

Never trades words for nothing: an answer whose audio is missing or unreadable,
or in which the model hears nothing, keeps its text. The details the earlier
transcription kept are not lost either: they move under ``previous``.
"""

from __future__ import annotations

import wave
from dataclasses import replace
from pathlib import Path
from typing import Callable, Optional

from assistant.core.journal import Answer, AnswerState, Entry, details_key, sealed_twin
from assistant.core.ports import Details, Transcriber
from assistant.core.transcript import details_of


def kept_file(path: Path) -> Path:
    """``path``, or its other form when only that is there: an entry names its audio
    as it was written, and encrypting or decrypting the journal renames the file."""
    if path.exists():
        return path
    twin = Path(sealed_twin(path))
    return twin if twin.exists() else path


def has_audio(entry: Entry) -> bool:
    return any(a.audio or (a.follow_up and a.follow_up.audio) for a in entry.answers)


def retranscribe(
    entry: Entry, base: Path, transcriber: Transcriber, warn: Callable[[str], None]
) -> tuple[Entry, Details]:
    """The entry with every answer that has audio transcribed again, and the new details.

    ``base`` is the folder the entry's audio paths are relative to."""
    details: Details = {}

    def redo(files: tuple[str, ...], key: str) -> Optional[str]:
        texts = []
        for name in files:
            wav = kept_file(base / name)
            if not wav.is_file():
                warn(f"the audio {name} is missing; that answer is left as it was")
                return None
            try:
                result = transcriber.transcribe(wav)
            except (OSError, EOFError, ValueError, wave.Error) as e:
                warn(f"cannot read the audio {name} ({e}); that answer is left as it was")
                return None
            details.setdefault(key, []).append(details_of(result, name))
            texts.append(result.text)
        return " ".join(t for t in texts if t) or None

    answers = []
    for a in entry.answers:
        new: Answer = a
        text = redo(a.audio, details_key(a.id)) if a.audio else None
        if text is not None:
            new = replace(new, text=text, state=AnswerState.ANSWERED)
        f = a.follow_up
        if f is not None and f.audio:
            f_text = redo(f.audio, details_key(a.id, follow_up=True))
            if f_text is not None:
                new = replace(new, follow_up=replace(f, text=f_text, state=AnswerState.ANSWERED))
        answers.append(new)
    return replace(entry, answers=tuple(answers), model=transcriber.model_name), details


def merge_details(kept: object, details: Details) -> Details:
    """The new details, with what the earlier transcription said kept as ``previous``."""
    earlier = kept if isinstance(kept, dict) else {}
    merged = dict(earlier)
    for key, value in details.items():
        merged[key] = value
        if key in earlier:
            merged.setdefault("previous", {})[key] = earlier[key]
    return merged
