"""An encrypted voice ritual on real engines: the Korean Vosk model hears espeak-ng
answers on the virtual mic, and neither the answers' audio nor their words reach
the disk in plaintext: not in the journal, the cache, the state folder or TMPDIR.

The words looked for are the ones the model itself heard (read back from the
decrypted entry after the run), so the check does not depend on which words an
espeak-ng voice gets recognised as."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.audio.wav import wav_from_bytes, write_wav
from assistant.journal.crypt import KeyRing, is_sealed
from assistant.journal.folder import JournalFolder
from tests.engine.test_voice_ritual import ROOT, run_ritual
from tests.support.sounds import answer_wav, loud_seconds
from tests.support.virtual_audio import VirtualAudio

pyrage = pytest.importorskip("pyrage", reason="encryption needs pyrage (pip install '.[test]')")
pytestmark = pytest.mark.engine


def holding(folders: list[Path], needle: bytes) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
                found.append(path)
    return found


@pytest.mark.slow
def test_an_encrypted_voice_ritual_keeps_no_plaintext_audio_or_words(
    virtual_audio: VirtualAudio, ko_model: Path, tmp_path: Path
) -> None:
    identity = pyrage.x25519.Identity.generate()
    key = tmp_path / "key.txt"
    key.write_text(f"{identity}\n")
    config = tmp_path / "config.yaml"
    config.write_text(f"name: tester\nencryption:\n  recipients: [{identity.to_public()}]\n")
    (tmp_path / "tmp").mkdir()
    feeling, _ = answer_wav(
        tmp_path / "feeling.wav", "오늘은 정말 좋은 하루였어요", lead=0.5, tail=2.5
    )
    need, _ = answer_wav(
        tmp_path / "need.wav", "저는 조금 쉬고 싶어요", "중지", lead=0.5, gap=1.6, tail=3.5
    )
    done, events = run_ritual(
        virtual_audio,
        tmp_path,
        ko_model,
        {"feeling": feeling, "need": need},
        env_extra={
            "RITUAL_CONFIG": str(config),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "TMPDIR": str(tmp_path / "tmp"),
        },
    )
    assert done.returncode == 0, done.stderr
    heard = [e for e in events if e["event"] == "heard"]
    assert [e["step"] for e in heard] == ["feeling", "need"]
    assert all("text" not in e for e in heard)  # no words in the events file either

    entry = Path(events[-1]["path"])
    assert entry.name.endswith(".md.age") and is_sealed(entry.read_bytes())
    audio_dir = entry.parent / entry.name.removesuffix(".md.age")
    kept = sorted(p.name for p in audio_dir.iterdir())
    assert kept == ["01-feeling.wav.age", "02-need.wav.age", "transcript.json.age"]
    assert all(is_sealed(p.read_bytes()) for p in audio_dir.iterdir())
    journal = entry.parents[2]
    assert not list(journal.rglob("*.wav")) and not list(journal.rglob("transcript.json"))

    folder = JournalFolder(journal, opener=KeyRing(key, lambda: ""))
    answers = {a.id: a.text for a in folder.read(entry).answers}
    assert answers["feeling"] and answers["need"]
    words = {w for text in answers.values() for w in text.replace(".", " ").split() if len(w) > 1}
    scanned = [
        journal,
        tmp_path / "cache",
        tmp_path / "state",
        tmp_path / "tmp",
        tmp_path / "config",
    ]
    for word in sorted(words):
        assert holding(scanned, word.encode()) == [], word

    # what was kept is the answer as it was heard: a 16 kHz WAV, all that was said
    wav = folder.read_bytes(audio_dir / "01-feeling.wav.age")
    audio = wav_from_bytes(wav, "01-feeling")
    assert (audio.rate, audio.channels) == (16000, 1)
    check = tmp_path / "check"
    check.mkdir()
    write_wav(check / "feeling.wav", audio.frames, audio.rate)
    assert loud_seconds(check / "feeling.wav") == pytest.approx(loud_seconds(feeling), abs=0.3)
    assert os.stat(audio_dir / "01-feeling.wav.age").st_mode & 0o077 == 0

    # `ritual transcribe` hears the encrypted recordings again (decrypted in memory) and
    # writes the entry and its transcript back encrypted
    config.write_text(config.read_text() + f"  identity: {key}\n")
    again = subprocess.run(
        [sys.executable, "-m", "assistant", "transcribe", str(entry), "--model", str(ko_model),
         "--journal", str(journal), "--config", str(config)],
        cwd=ROOT, env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "transcribed again" in again.stdout
    assert sorted(p.name for p in audio_dir.iterdir()) == kept
    assert all(is_sealed(p.read_bytes()) for p in [entry, *audio_dir.iterdir()])
    details = json.loads(folder.read_bytes(audio_dir / "transcript.json.age"))
    assert "previous" in details and details["feeling"][0]["raw"]
    for word in sorted(words):
        assert holding(scanned, word.encode()) == [], word
