"""Privacy through the command line, on the real pyrage: a typed ritual's words are
nowhere on disk in plaintext, reading commands unlock once, and every failure has
its own message and overwrites nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest

from assistant.journal.crypt import AGE_MAGIC
from tests.cli import ROOT, Result, isolated_env, run_cli

pytest.importorskip("pyrage", reason="encryption needs pyrage (pip install '.[test]')")

PASSPHRASE = "the quiet hour"
FEELING = "quillmarsh"
"""typed in the morning's first answer, which nothing reads back"""
INTENTION = "brindlewick"
"""typed as the morning's intention, which the evening reads back"""
MORNING = f"I feel {FEELING} today\n4\nmy shoulders\nrest\na walk\nsun\nbe {INTENTION}\nkeep\n"
EVENING = "it went fine\n3\ntea\npatience\nnothing\nthe noise\nthree things\n"


def ritual(*args: str, env: Mapping[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``ritual ARGS`` as a process of its own (its TMPDIR is the test's)."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, input=stdin,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def keyed_env(tmp_path: Path) -> dict[str, str]:
    """An isolated home (config, data, cache, state) and TMPDIR, whose config names the
    passphrase's variable, for scripts."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    tmp.mkdir(parents=True)
    env = isolated_env(home, TMPDIR=str(tmp), RITUAL_TEST_PASSPHRASE=PASSPHRASE)
    config = home / "config" / "ritual" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("name: Sam\nencryption:\n  passphrase_env: RITUAL_TEST_PASSPHRASE\n")
    return env


def files_holding(root: Path, word: str) -> list[str]:
    """Every file under ``root`` whose bytes hold ``word`` (UTF-8 or UTF-16)."""
    needles = [word.encode(), word.encode("utf-16-le")]
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            if any(n in data for n in needles):
                found.append(str(path.relative_to(root)))
    return sorted(found)


def test_a_typed_ritual_leaves_no_plaintext_anywhere_and_the_evening_still_reads_back(
    tmp_path: Path,
) -> None:
    env = keyed_env(tmp_path)
    made = ritual("key", "init", env=env)
    assert made.returncode == 0, made.stderr
    assert "age1" in made.stdout
    events = tmp_path / "tmp" / "events.jsonl"
    morning = ritual("run", "morning", "--text", "--events", str(events), env=env, stdin=MORNING)
    assert morning.returncode == 0, morning.stderr
    assert INTENTION in morning.stdout  # read back to confirm it, on the terminal
    journal = tmp_path / "home" / "data" / "ritual" / "journal"
    entries = list(journal.rglob("*.md*"))
    assert [p.name[-7:] for p in entries] == [".md.age"]
    assert all(p.read_bytes().startswith(AGE_MAGIC) for p in journal.rglob("*") if p.is_file())
    # The whole home, the cache, the state folder and TMPDIR: the first answer is nowhere,
    # the intention only in the recall state, waiting for the evening.
    assert files_holding(tmp_path, FEELING) == []
    assert files_holding(tmp_path, INTENTION) == ["home/state/ritual/pending-recalls.json"]
    for command in (["journal", "search", FEELING], ["journal", "stats"], ["journal", "show"]):
        read = ritual(*command, env=env)
        assert read.returncode == 0, read.stderr
        assert FEELING in read.stdout or command[1] == "stats"
    assert files_holding(tmp_path, FEELING) == []  # no index in the cache, no temp file
    evening = ritual("run", "evening", "--text", env=env, stdin=EVENING)
    assert evening.returncode == 0, evening.stderr
    assert f"your intention was: be {INTENTION}" in evening.stdout
    assert files_holding(tmp_path, INTENTION) == []  # read back, and gone
    from assistant.journal.recall_state import PendingRecalls

    state = PendingRecalls(tmp_path / "home" / "state" / "ritual" / "pending-recalls.json")
    assert state.done("morning", date.today()) and state.done("evening", date.today())
    assert files_holding(tmp_path, "it went fine") == []


@pytest.fixture(scope="module")
def keyed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a key made by ``ritual key init`` (once: scrypt takes a moment),
    whose config is a symlink into a dotfiles folder: it stays one, and the file it
    names gets the key."""
    base = tmp_path_factory.mktemp("keyed")
    env = keyed_env(base)
    config = base / "home" / "config" / "ritual" / "config.yaml"
    dotfiles = base / "dotfiles" / "ritual.yaml"
    dotfiles.parent.mkdir()
    config.rename(dotfiles)
    config.symlink_to(dotfiles)
    assert run_cli("key", "init", env=env).status == 0
    assert config.is_symlink() and "age1" in dotfiles.read_text()
    return base


@pytest.fixture
def home(keyed_home: Path, tmp_path: Path) -> dict[str, str]:
    shutil.copytree(keyed_home / "home", tmp_path / "home")
    (tmp_path / "tmp").mkdir()
    return isolated_env(tmp_path / "home", TMPDIR=str(tmp_path / "tmp"))


def cli(*args: str, env: Mapping[str, str], **kwargs: object) -> Result:
    return run_cli(*args, env=env, **kwargs)  # type: ignore[arg-type]


def journal_of(env: Mapping[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "ritual" / "journal"


@pytest.mark.slow
def test_wrong_missing_cut_short_and_foreign_each_say_what_is_wrong(
    home: dict[str, str],
) -> None:
    assert cli("run", "morning", "--text", env=home, stdin=MORNING).status == 0
    entry = next(journal_of(home).rglob("*.md.age"))
    before = entry.read_bytes()
    wrong = cli("journal", "search", FEELING, env=home, passphrase="not this")
    assert wrong.status == 1 and "wrong passphrase for" in wrong.stderr
    undone = cli("journal", "decrypt", env=home, passphrase="not this")
    assert undone.status == 1 and "wrong passphrase" in undone.stderr
    nobody = cli("journal", "show", env=home)
    assert nobody.status == 1 and "no terminal to ask on" in nobody.stderr
    right = cli("journal", "search", FEELING, env=home, passphrase=PASSPHRASE)
    assert right.status == 0 and FEELING in right.stdout
    exported = cli("journal", "export", "--format", "json", env=home, passphrase=PASSPHRASE)
    assert exported.status == 0 and FEELING in exported.stdout
    assert entry.read_bytes() == before
    # The index is kept between commands only encrypted to the journal's key.
    kept = list((Path(home["XDG_CACHE_HOME"]) / "ritual" / "journal-index").iterdir())
    assert [p.name.endswith(".sqlite3.age") for p in kept] == [True]
    assert kept[0].read_bytes().startswith(b"age-encryption.org/v1")
    assert FEELING.encode() not in kept[0].read_bytes()

    cut = entry.with_name("2026-01-01-morning.md.age")  # a copy cut short
    cut.write_bytes(before[: len(before) // 2])
    damaged = cli("journal", "list", env=home, passphrase=PASSPHRASE)
    assert damaged.status == 0 and "is damaged or cut short" in damaged.stderr
    assert cut.read_bytes() == before[: len(before) // 2]
    import pyrage

    stranger = pyrage.x25519.Identity.generate().to_public()
    cut.write_bytes(pyrage.encrypt(b"---\nritual: morning\n---\n", [stranger]))
    foreign = cli("journal", "list", env=home, passphrase=PASSPHRASE)
    assert "encrypted to another key" in foreign.stderr
    cut.unlink()

    identity = Path(home["XDG_CONFIG_HOME"]) / "ritual" / "identity.age"
    identity.rename(identity.with_name("elsewhere.age"))
    missing = cli("journal", "show", env=home, passphrase=PASSPHRASE)
    assert missing.status == 1 and "no identity file at" in missing.stderr
    assert "ritual key init" in missing.stderr
    again = cli("key", "init", env=home, passphrase=PASSPHRASE)
    assert again.status == 1 and "already on" in again.stderr


def test_encrypt_and_decrypt_in_place_finish_after_being_cut_short(
    home: dict[str, str],
) -> None:
    from assistant.journal.convert import encrypt_journal
    from assistant.journal.crypt import AgeSealer
    from assistant.journal.folder import JournalFolder
    from assistant.settings import load_settings

    config = Path(home["XDG_CONFIG_HOME"]) / "ritual" / "config.yaml"
    keyed = config.read_text()
    config.write_text("name: Sam\n")  # a plain journal first, with audio and transcripts
    plain = {"RITUAL_CONFIG": str(config), **home}
    for answers in (MORNING, MORNING):
        assert cli("run", "morning", "--text", env=plain, stdin=answers).status == 0
    journal = journal_of(home)
    entries = sorted(journal.rglob("*.md"))
    assert len(entries) == 2
    for entry in entries:  # as a voice ritual keeps them
        audio = entry.with_suffix("")
        audio.mkdir()
        (audio / "01-feeling.wav").write_bytes(b"RIFF fake audio of " + FEELING.encode())
        (audio / "transcript.json").write_text(f'{{"feeling": "{FEELING}"}}')
    originals = {p: p.read_bytes() for p in journal.rglob("*") if p.is_file()}
    assert cli("journal", "search", "walk", env=plain).status == 0  # an index in the cache
    config.write_text(keyed)

    class Killed(Exception):
        pass

    settings = load_settings({**plain})
    sealer = AgeSealer(settings.encryption.recipients)
    count = [0]

    def cut_short(path: Path) -> None:
        count[0] += 1
        if count[0] == 3:
            raise Killed

    outside = Path(home["HOME"]).parent / "elsewhere"
    outside.mkdir()
    (outside / "2001-01-01-morning.md").write_text(f"not the journal's {FEELING}")
    (journal / "2001").mkdir()
    os.symlink(outside, journal / "2001" / "01")  # planted: never written through
    with pytest.raises(Killed):
        encrypt_journal(JournalFolder(journal), sealer, on_file=cut_short)
    done = cli("journal", "encrypt", env=plain)
    assert done.status == 0, done.stderr
    assert "index from the cache" in done.stdout
    assert "below a symlink" in done.stderr
    assert files_holding(Path(home["HOME"]).parent, FEELING) == ["elsewhere/2001-01-01-morning.md"]
    (journal / "2001" / "01").unlink()
    (journal / "2001").rmdir()
    assert all(p.name.endswith(".age") for p in journal.rglob("*") if p.is_file())
    assert cli("journal", "search", FEELING, env=plain, passphrase=PASSPHRASE).status == 0

    back = cli("journal", "decrypt", env=plain, passphrase=PASSPHRASE)
    assert back.status == 0 and "still on" in back.stderr
    assert {p: p.read_bytes() for p in journal.rglob("*") if p.is_file()} == originals


def test_without_pyrage_encryption_says_why_and_nothing_is_written(tmp_path: Path) -> None:
    env = keyed_env(tmp_path)
    config = Path(env["XDG_CONFIG_HOME"]) / "ritual" / "config.yaml"
    config.write_text("encryption:\n  recipients: [age1qqqq]\n")
    # As on a 32-bit Raspberry Pi OS, where pyrage has no build.
    code = (
        "import sys, platform; sys.modules['pyrage'] = None; "
        "platform.machine = lambda: 'armv7l'; from assistant.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    for args in (["run", "morning", "--text"], ["key", "init"]):
        if args[0] == "key":
            config.write_text("name: Sam\n")
        run = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, input=MORNING,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert run.returncode == 1
        assert "not available on 32-bit ARM (this machine is armv7l)" in run.stderr
    assert not (tmp_path / "home" / "data").exists()


def test_key_init_refuses_an_empty_passphrase_and_keeps_the_configs_comments(
    tmp_path: Path,
) -> None:
    env = isolated_env(tmp_path / "home")
    empty = cli("key", "init", env=env, passphrase="")
    assert empty.status == 1 and "empty passphrase" in empty.stderr
    config = Path(env["XDG_CONFIG_HOME"]) / "ritual" / "config.yaml"
    assert not config.exists()
    config.parent.mkdir(parents=True)
    config.write_text("# my settings\nname: Ana  # me\n")
    made = cli("key", "init", env=env, passphrase="twice the same")
    assert made.status == 0, made.stderr
    text = config.read_text()
    assert text.startswith("# my settings\nname: Ana  # me\nencryption:\n  recipients:\n")
    assert cli("key", "show", env=env).stdout.startswith("age1")
    assert date.today()  # the key is dated inside its (encrypted) file
