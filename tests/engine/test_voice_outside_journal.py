"""A voice ritual on real engines never writes through a symlink planted in the journal.

The real listener opens each answer's WAV; a symlink put where that WAV goes is
replaced by a private file, not written through. (A symlinked audio folder is
refused by the store before the listener is asked: tests/test_outside_the_journal.py.)
"""

from __future__ import annotations

import stat
from datetime import datetime
from pathlib import Path

import pytest

from assistant.core.journal import audio_dirname, entry_filename, entry_subdir, parse_entry
from tests.engine.test_voice_ritual import RITUAL, run_ritual
from tests.support.sounds import answer_wav
from tests.support.virtual_audio import VirtualAudio

pytestmark = pytest.mark.engine


def audio_folder_of_today(journal: Path) -> Path:
    today = datetime.now().astimezone().date()
    folder = journal / entry_subdir(today)
    folder.mkdir(parents=True)
    return folder / audio_dirname(entry_filename(today, RITUAL.stem))


@pytest.mark.slow
def test_planted_symlinks_are_not_followed_by_a_voice_ritual(
    virtual_audio: VirtualAudio, ko_model: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("keep me\n")
    victim.chmod(0o644)
    audio = audio_folder_of_today(tmp_path / "journal")
    audio.mkdir()
    (audio / "01-feeling.wav").symlink_to(victim)  # where the first answer's audio goes
    (audio / "transcript.json").symlink_to(victim)
    feeling, _ = answer_wav(tmp_path / "feeling.wav", "오늘은 정말 좋은 하루였어요", tail=2.5)
    need, _ = answer_wav(
        tmp_path / "need.wav", "저는 조금 쉬고 싶어요", "중지", lead=0.5, gap=1.6, tail=3.5
    )
    done, events = run_ritual(virtual_audio, tmp_path, ko_model, {"feeling": feeling, "need": need})
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "keep me\n" and stat.S_IMODE(victim.stat().st_mode) == 0o644
    kept = audio / "01-feeling.wav"
    assert not kept.is_symlink() and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert not (audio / "transcript.json").is_symlink()
    entry = parse_entry(Path(events[-1]["path"]).read_text())
    assert entry.answer("feeling").audio == (f"{audio.name}/01-feeling.wav",)  # type: ignore[union-attr]
