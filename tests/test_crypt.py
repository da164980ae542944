"""Encryption at rest on the real pyrage: keys, encrypted entry files, their side
files, the recall state, and a clear message for every way reading can fail."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.audio.wav import wav_from_bytes
from assistant.core.errors import ConfigError, CryptError
from assistant.core.journal import Answer, Entry, render_entry
from assistant.core.ports import Event
from assistant.events import JsonLinesEvents
from assistant.journal.answer_audio import SealedAnswerAudio
from assistant.journal.crypt import (
    AGE_MAGIC,
    AgeSealer,
    KeyRing,
    Locked,
    create_identity,
    is_sealed,
    read_passphrase_file,
)
from assistant.journal.folder import EntryFile, JournalFolder
from assistant.journal.recall_state import PendingRecalls, recalled_soon
from assistant.settings import load_settings
from tests.cli import isolated_env

pyrage = pytest.importorskip("pyrage", reason="encryption needs pyrage (pip install '.[test]')")

PASSPHRASE = "a long walk by the sea"
WHEN = datetime(2026, 11, 30, 7, 5, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An identity file protected by PASSPHRASE, and its public key (made once: scrypt
    takes a second or two)."""
    path = tmp_path_factory.mktemp("key") / "identity.age"
    return path, create_identity(path, PASSPHRASE)


@pytest.fixture
def plain_key(tmp_path: Path) -> tuple[Path, str]:
    """An unprotected identity file in age-keygen's layout (no scrypt: quick)."""
    identity = pyrage.x25519.Identity.generate()
    path = tmp_path / "plain-identity.txt"
    path.write_text(f"# public key: {identity.to_public()}\n{identity}\n")
    return path, str(identity.to_public())


def no_passphrase() -> str:
    raise AssertionError("an unprotected identity needs no passphrase")


def sealed_folder(root: Path, key: tuple[Path, str]) -> JournalFolder:
    return JournalFolder(root, sealer=AgeSealer([key[1]]), opener=KeyRing(key[0], no_passphrase))


def an_entry(text: str = "I feel calm") -> Entry:
    return Entry(
        ritual="morning",
        title="Morning",
        started=WHEN,
        answers=(Answer("feeling", "How are you feeling?", text),),
    )


def test_an_encrypted_entry_and_its_transcript_hold_no_plaintext(
    tmp_path: Path, plain_key: tuple[Path, str]
) -> None:
    folder = sealed_folder(tmp_path / "journal", plain_key)
    sink = EntryFile(folder)
    path = sink.save(an_entry("thimbleberry"))
    sink.save_details({"feeling": [{"raw": "thimbleberry"}]})
    assert path.name == "2026-11-30-morning.md.age"
    data = path.read_bytes()
    assert data.startswith(AGE_MAGIC) and b"thimbleberry" not in data
    assert os.stat(path).st_mode & 0o777 == 0o600
    transcript = sink.audio_dir / "transcript.json.age"
    assert is_sealed(transcript.read_bytes()) and b"thimbleberry" not in transcript.read_bytes()
    assert not (sink.audio_dir / "transcript.json").exists()
    assert folder.read(path).answers[0].text == "thimbleberry"
    assert sink.read_details() == {"feeling": [{"raw": "thimbleberry"}]}
    assert folder.entries() == [path]
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "2026-11-30-morning",
        "2026-11-30-morning.md.age",
    ]  # no temporary file left


def test_a_ritual_reads_an_encrypted_entry_as_locked_and_passes_it_over_quietly(
    tmp_path: Path, plain_key: tuple[Path, str], caplog: pytest.LogCaptureFixture
) -> None:
    path = EntryFile(sealed_folder(tmp_path / "journal", plain_key)).save(an_entry())
    keyless = JournalFolder(tmp_path / "journal")
    with pytest.raises(Locked):
        keyless.read(path)
    with caplog.at_level(logging.WARNING):
        assert keyless.read_or_pass_over(path) is None
        assert keyless.find_answer("morning", "feeling", WHEN.date()) is None
    assert caplog.records == []


def test_a_file_in_both_forms_is_read_once_encrypted_and_its_number_stays_taken(
    tmp_path: Path, plain_key: tuple[Path, str]
) -> None:
    folder = sealed_folder(tmp_path / "journal", plain_key)
    sealed = EntryFile(folder).save(an_entry("new form"))
    plain = sealed.with_name("2026-11-30-morning.md")
    plain.write_text(render_entry(an_entry("old form")))
    assert folder.entries() == [sealed]
    assert folder.entries_on(WHEN.date()) == [sealed]
    assert list(folder.signatures()) == ["2026/11/2026-11-30-morning.md.age"]
    plain.with_name("2026-11-30-morning-2.md").write_text(render_entry(an_entry()))
    assert folder.reserve(WHEN.date(), "morning").name == "2026-11-30-morning-3.md.age"


def test_rewriting_a_plain_entry_with_encryption_on_leaves_only_the_encrypted_form(
    tmp_path: Path, plain_key: tuple[Path, str]
) -> None:
    plain = EntryFile(JournalFolder(tmp_path / "journal")).save(an_entry("before"))
    folder = sealed_folder(tmp_path / "journal", plain_key)
    rewritten = EntryFile(folder, plain).save(an_entry("after"))
    assert rewritten.name.endswith(".md.age") and not plain.exists()
    assert folder.read(rewritten).answers[0].text == "after"


# -- every way reading can fail, each with its own message, nothing overwritten -------------


def test_a_wrong_passphrase_is_said_once_and_never_asked_again_in_the_command(
    tmp_path: Path, protected: tuple[Path, str]
) -> None:
    path = EntryFile(JournalFolder(tmp_path, sealer=AgeSealer([protected[1]]))).save(an_entry())
    before = path.read_bytes()
    asked = []

    def wrong() -> str:
        asked.append(1)
        return "not it"

    ring = KeyRing(protected[0], wrong)
    for _ in range(2):
        with pytest.raises(CryptError, match=f"wrong passphrase for {protected[0]}"):
            ring.open(before, str(path))
    assert asked == [1]
    assert path.read_bytes() == before
    unlocks = []

    def right_one() -> str:
        unlocks.append(1)
        return PASSPHRASE

    right = KeyRing(protected[0], right_one)
    for _ in range(3):  # every file of a command: one unlock
        assert b"I feel calm" in right.open(before, str(path))
    assert unlocks == [1]


def test_an_empty_passphrase_is_refused_before_scrypt(
    tmp_path: Path, protected: tuple[Path, str]
) -> None:
    with pytest.raises(CryptError, match="empty passphrase"):
        create_identity(tmp_path / "new.age", "  ")
    assert not (tmp_path / "new.age").exists()
    with pytest.raises(CryptError, match="empty passphrase"):
        KeyRing(protected[0], lambda: "").keys()


def test_a_missing_identity_names_where_it_was_looked_for_and_the_fix(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "nowhere.age", lambda: PASSPHRASE)
    sealed = AgeSealer([str(pyrage.x25519.Identity.generate().to_public())]).seal(b"x")
    with pytest.raises(CryptError, match=r"no identity file at .*nowhere\.age.*ritual key init"):
        ring.open(sealed, "entry.md.age")


def test_a_cut_short_file_and_a_file_for_someone_else_say_so(
    tmp_path: Path, plain_key: tuple[Path, str]
) -> None:
    ring = KeyRing(plain_key[0], no_passphrase)
    whole = AgeSealer([plain_key[1]]).seal(b"some diary text " * 1000)
    for cut in (whole[:30], whole[: len(whole) // 2], whole[:-1]):
        with pytest.raises(CryptError, match=r"x\.md\.age is damaged or cut short"):
            ring.open(cut, "x.md.age")
    stranger = str(pyrage.x25519.Identity.generate().to_public())
    with pytest.raises(CryptError, match="encrypted to another key"):
        ring.open(AgeSealer([stranger]).seal(b"not yours"), "x.md.age")
    with pytest.raises(CryptError, match="not an age file"):
        ring.open(b"---\nritual: morning\n", "x.md.age")
    assert ring.open(b"plain text", "x.md") == b"plain text"  # told by its bytes


def test_a_new_identity_never_replaces_one_and_a_bad_public_key_is_named(
    tmp_path: Path, protected: tuple[Path, str]
) -> None:
    copy = tmp_path / "identity.age"
    shutil.copy(protected[0], copy)
    before = copy.read_bytes()
    with pytest.raises(CryptError, match="already exists"):
        create_identity(copy, "another one")
    assert copy.read_bytes() == before
    with pytest.raises(CryptError, match="'age1nope' is not an age public key"):
        AgeSealer(["age1nope"], "config.yaml")


def test_a_passphrase_file_must_be_private(tmp_path: Path) -> None:
    path = tmp_path / "pass"
    path.write_text("secret words\n")
    path.chmod(0o644)
    with pytest.raises(CryptError, match="can be read by others; chmod 600"):
        read_passphrase_file(path)
    path.chmod(0o600)
    assert read_passphrase_file(path) == "secret words"


@pytest.mark.skipif(shutil.which("age") is None, reason="the age tool is not installed")
def test_the_age_tool_reads_an_entry_without_ritual(
    tmp_path: Path, protected: tuple[Path, str]
) -> None:
    path = EntryFile(JournalFolder(tmp_path, sealer=AgeSealer([protected[1]]))).save(an_entry())
    key = tmp_path / "key.txt"
    key.write_bytes(pyrage.passphrase.decrypt(protected[0].read_bytes(), PASSPHRASE))
    out = subprocess.run(
        ["age", "-d", "-i", str(key), str(path)], capture_output=True, check=True
    ).stdout
    assert out.decode() == render_entry(an_entry())


# -- audio, events, recall state, config -----------------------------------------------------


def test_an_answers_audio_is_held_in_memory_and_written_encrypted_at_its_end(
    tmp_path: Path, plain_key: tuple[Path, str]
) -> None:
    (tmp_path / "audio").mkdir()
    path = tmp_path / "audio" / "01-feeling.wav.age"
    writer = SealedAnswerAudio(path, seal=AgeSealer([plain_key[1]]).seal)
    samples = bytes(range(256)) * 100
    for start in range(0, len(samples), 3200):
        writer.write(samples[start : start + 3200])
        assert list(path.parent.iterdir()) == []  # nothing on disk while it is spoken
    writer.close()
    data = path.read_bytes()
    assert is_sealed(data) and samples[:64] not in data
    audio = wav_from_bytes(KeyRing(plain_key[0], no_passphrase).open(data, str(path)), "x")
    assert audio.frames == samples and audio.rate == 16000


def test_private_events_carry_no_words(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    with out.open("w") as stream:
        events = JsonLinesEvents(stream, private=True)
        events(Event.HEARD, step="feeling", text="my secret")
        events(Event.SPEAKING, text="You said: my secret", private=True)
        events(Event.SPEAKING, text="How are you?")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert "my secret" not in out.read_text()
    assert lines[0]["step"] == "feeling" and lines[2]["text"] == "How are you?"


def test_the_recall_state_keeps_an_answer_until_read_back_and_two_days_at_most(
    tmp_path: Path,
) -> None:
    today = [date(2026, 11, 30)]
    state = PendingRecalls(tmp_path / "state" / "pending.json", today=lambda: today[0])
    state.keep("morning", "intention", today[0], "be patient")
    assert os.stat(state.path).st_mode & 0o777 == 0o600
    assert state.take("morning", "intention", today[0]) == "be patient"
    assert state.take("morning", "intention", today[0]) is None  # read back: gone
    assert not state.path.exists()
    state.keep("morning", "intention", today[0], "rest")
    state.mark_done("morning", today[0])
    today[0] += timedelta(days=1)
    assert state.done("morning", today[0] - timedelta(days=1))
    assert state.take("morning", "intention", None) == "rest"  # yesterday's, as the latest
    state.keep("morning", "intention", today[0], "walk")
    today[0] += timedelta(days=2)
    state.prune()
    assert not state.path.exists()  # two days on, nothing is left


def test_the_recalls_kept_are_those_read_back_within_two_days() -> None:
    settings = load_settings({"RITUAL_CONFIG": os.devnull})
    from assistant.app import _rituals

    soon = recalled_soon(_rituals(settings))
    assert ("morning", "intention") in soon
    assert ("evening", "gratitude") not in soon  # a week, a month, a year ago: needs the key


def test_encryption_and_retention_settings_are_checked(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    env = isolated_env(tmp_path)

    def settings(text: str) -> object:
        config.write_text(text)
        return load_settings(env, config=config)

    with pytest.raises(ConfigError, match="encryption takes recipients"):
        settings("encryption:\n  recipient: age1x\n")
    with pytest.raises(ConfigError, match=r"retention\.audio_days is a whole number"):
        settings("retention:\n  audio_days: soon\n")
    config.write_text("encryption:\n  recipients: age1abc\n  passphrase_file: pass.txt\n")
    loaded = load_settings(env, config=config)
    assert loaded.encryption.recipients == ("age1abc",)
    assert loaded.encryption.identity == tmp_path / "identity.age"
    assert loaded.encryption.passphrase_file == (tmp_path / "pass.txt").resolve()
    config.write_text("retention:\n  audio_days: 30\n")
    assert load_settings(env, config=config).retention.audio_days == 30


def test_check_and_doctor_say_when_encryption_cannot_work(tmp_path: Path) -> None:
    from assistant.commands.doctor_cmd import check_encryption
    from assistant.settings import config_problems

    config = tmp_path / "config.yaml"
    env = isolated_env(tmp_path)
    config.write_text("encryption:\n  recipients: [age1nope]\n")
    [problem] = config_problems(config, env)
    assert "'age1nope' is not an age public key" in problem.message
    assert not check_encryption(load_settings(env, config=config)).ok
    public = pyrage.x25519.Identity.generate().to_public()
    config.write_text(f"encryption:\n  recipients: [{public}]\n")
    assert config_problems(config, env) == []
    fine = check_encryption(load_settings(env, config=config))
    assert fine.ok and "is not on this machine" in fine.detail
