"""`ritual transcribe` on real kept audio with the real (Korean) Vosk model."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from assistant.core.journal import Answer, Entry, EntryStatus, parse_entry
from assistant.journal.folder import EntryFile, JournalFolder
from tests.cli import isolated_env, run_cli

pytestmark = pytest.mark.engine


def espeak_wav(text: str, out: Path) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (sudo apt install espeak-ng)")
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(out), text], check=True)
    return out


def test_transcribe_rewrites_answers_from_their_audio(tmp_path: Path, ko_model: Path) -> None:
    folder = JournalFolder(tmp_path / "journal")
    started = datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc)
    path = folder.reserve(started.date(), "voice")
    sink = EntryFile(folder, path)
    audio = sink.audio_file(1, "feeling")
    assert audio is not None
    espeak_wav("오늘은 기분이 좋아요. 날씨가 맑아요.", audio)  # espeak's own 22050 Hz
    entry = Entry(
        "voice", "Voice", started, status=EntryStatus.COMPLETE, model="old-model", language="ko"
    )
    entry = entry.with_answer(
        Answer(
            "feeling",
            "기분이 어때요?",
            "placeholder",
            audio=(f"{sink.audio_dir.name}/01-feeling.wav",),
        )
    )
    entry = entry.with_answer(Answer("typed", "Typed?", "Kept as typed."))
    sink.save(entry)

    result = run_cli("transcribe", str(path), "--model", str(ko_model), env=isolated_env(tmp_path))
    assert result.status == 0, result.stderr
    again = parse_entry(path.read_text())
    feeling = again.answer("feeling")
    assert feeling is not None and feeling.text not in ("", "placeholder")
    assert feeling.text.endswith(".")
    assert again.answer("typed").text == "Kept as typed."  # type: ignore[union-attr]
    assert again.model == ko_model.name and again.status == "complete"
    details = json.loads((sink.audio_dir / "transcript.json").read_text())
    assert details["feeling"][0]["words"], details
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # Deterministic model (dither off): a second pass gives the same transcript.
    run_cli("transcribe", str(path), "--model", str(ko_model), env=isolated_env(tmp_path))
    assert parse_entry(path.read_text()).answer("feeling").text == feeling.text  # type: ignore[union-attr]


def test_transcribe_without_audio_says_so(tmp_path: Path) -> None:
    result = run_cli("transcribe", "--journal", str(tmp_path / "j"), env=isolated_env(tmp_path))
    assert result.status == 0 and "No entries with kept audio." in result.stdout


def test_a_transcript_of_nothing_never_replaces_words(tmp_path: Path, ko_model: Path) -> None:
    import wave

    folder = JournalFolder(tmp_path / "journal")
    started = datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc)
    path = folder.reserve(started.date(), "voice")
    sink = EntryFile(folder, path)
    quiet, broken = sink.audio_file(1, "quiet"), sink.audio_file(2, "broken")
    assert quiet is not None and broken is not None
    with wave.open(str(quiet), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(bytes(32000))
    broken.write_bytes(b"RIFF not really a wav")
    entry = Entry("voice", "Voice", started, status=EntryStatus.COMPLETE, language="ko")
    for n, (answer_id, wav) in enumerate((("quiet", quiet), ("broken", broken)), start=1):
        entry = entry.with_answer(
            Answer(
                answer_id, f"Q{n}?", "I slept well.", audio=(f"{sink.audio_dir.name}/{wav.name}",)
            )
        )
    sink.save(entry)
    result = run_cli("transcribe", str(path), "--model", str(ko_model), env=isolated_env(tmp_path))
    assert result.status == 0, result.stderr
    assert "02-broken.wav (not a WAVE file); that answer is left as it was" in result.stderr
    again = parse_entry(path.read_text())
    assert [a.text for a in again.answers] == ["I slept well.", "I slept well."]
