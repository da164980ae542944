"""``ritual transcribe [ENTRY...]``: transcribe kept audio again, rewrite the entries."""

from __future__ import annotations

import argparse
import functools
import json
import wave
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from assistant.context import Context
from assistant.core.journal import ANSWERED, Answer, Entry
from assistant.errors import JournalError
from assistant.store import EntryFile, JournalFolder

if TYPE_CHECKING:
    from assistant.speech.vosk_transcriber import VoskTranscriber


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "transcribe",
        parents=[common],
        help="transcribe kept audio again with the current model",
        description="Transcribe each answer's kept audio again with the current model "
        "and rewrite the entries (all entries with audio when none are named).",
    )
    p.add_argument("entries", nargs="*", type=Path, metavar="ENTRY", help="entry .md files")
    p.set_defaults(func=run)


def _details(result: Any) -> dict[str, Any]:
    return {
        "raw": result.raw,
        "seconds": round(result.seconds, 3),
        "words": [
            {"word": w.text, "start": w.start, "end": w.end, "conf": w.conf} for w in result.words
        ],
    }


def retranscribe(
    entry: Entry, base: Path, transcriber: VoskTranscriber, warn: Callable[[str], None]
) -> tuple[Entry, dict[str, Any]]:
    """The entry with every answer that has audio transcribed again, and the details."""
    details: dict[str, Any] = {}

    def redo(files: tuple[str, ...], key: str) -> Optional[str]:
        texts = []
        for name in files:
            wav = base / name
            if not wav.is_file():
                warn(f"the audio {name} is missing; that answer is left as it was")
                return None
            try:
                result = transcriber.transcribe(wav)
            except (OSError, EOFError, ValueError, wave.Error) as e:
                warn(f"cannot read the audio {name} ({e}); that answer is left as it was")
                return None
            details.setdefault(key, []).append({**_details(result), "audio": name})
            texts.append(result.text)
        joined = " ".join(t for t in texts if t)
        # Never trade words for nothing: a model that hears nothing keeps the old text.
        return joined or None

    answers = []
    for a in entry.answers:
        new: Answer = a
        text = redo(a.audio, a.id) if a.audio else None
        if text is not None:
            new = replace(new, text=text, state=ANSWERED)
        f = a.follow_up
        f_text = redo(f.audio, f"{a.id}/follow-up") if f is not None and f.audio else None
        if f is not None and f_text is not None:
            new = replace(new, follow_up=replace(f, text=f_text, state=ANSWERED))
        answers.append(new)
    return replace(entry, answers=tuple(answers), model=transcriber.model_name), details


def _merged_details(path: Path, details: dict[str, Any]) -> dict[str, Any]:
    """The new details, with what the earlier transcription said kept as ``previous``."""
    try:
        kept = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        kept = {}
    if not isinstance(kept, dict):
        kept = {}
    merged = dict(kept)
    for key, value in details.items():
        merged[key] = value
        if key in kept:
            merged.setdefault("previous", {})[key] = kept[key]
    return merged


def _warn(ctx: Context, path: Path, message: str) -> None:
    ctx.err(f"{path}: {message}")


def run(args: argparse.Namespace, ctx: Context) -> int:
    # Imported here: the engines load only when there is audio to transcribe.
    from assistant.speech.models import find_model
    from assistant.speech.vosk_transcriber import VoskTranscriber

    folder = JournalFolder(ctx.settings.journal_dir)
    paths = list(args.entries) or folder.entries()
    transcribers: dict[str, VoskTranscriber] = {}
    changed = 0
    for path in paths:
        if not path.is_file():
            raise JournalError(f"{path}: no such entry")
        entry = folder.read(path)
        if not any(a.audio or (a.follow_up and a.follow_up.audio) for a in entry.answers):
            continue
        language = entry.language or "en-us"
        if language not in transcribers:
            transcribers[language] = VoskTranscriber(
                find_model(ctx.settings, language, ctx.environ)
            )
        transcriber = transcribers[language]
        updated, details = retranscribe(
            entry, path.parent, transcriber, functools.partial(_warn, ctx, path)
        )
        target = EntryFile(folder, path)
        target.save(updated)
        if details:
            target.save_details(_merged_details(target.audio_dir / "transcript.json", details))
        changed += 1
        ctx.out(f"{path}: transcribed again with {transcriber.model_name}")
    if not changed:
        ctx.out("No entries with kept audio.")
    return 0
