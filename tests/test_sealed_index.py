"""An encrypted journal's index, kept between commands only encrypted (real pyrage):
one decryption instead of every entry's, never a word in plaintext on disk."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from assistant.journal.crypt import AGE_MAGIC, AgeSealer, KeyRing
from assistant.journal.folder import JournalFolder
from assistant.journal.index import forget_removed, fts_query, index_path, sealed_index_path
from assistant.journal.sealed_index import sealed_index
from tests.test_journal_index import write

pyrage = pytest.importorskip("pyrage", reason="encryption needs pyrage (pip install '.[test]')")
needs_serialize = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="SQLite's serialize() needs Python 3.11 or newer"
)
WORD = "lighthouse"


class CountingKeyRing(KeyRing):
    """A key ring that counts what it decrypts: entries, and the kept index."""

    def __init__(self, identity: Path) -> None:
        super().__init__(identity, lambda: "")
        self.opened: list[str] = []

    def open(self, data: bytes, where: str) -> bytes:
        self.opened.append(Path(where).name)
        return super().open(data, where)


@pytest.fixture
def journal(tmp_path: Path) -> tuple[JournalFolder, CountingKeyRing, Path]:
    identity = pyrage.x25519.Identity.generate()
    key = tmp_path / "identity.txt"
    key.write_text(f"{identity}\n")
    ring = CountingKeyRing(key)
    folder = JournalFolder(
        tmp_path / "journal", sealer=AgeSealer([str(identity.to_public())]), opener=ring
    )
    for day in range(1, 6):
        write(folder, date(2026, 11, day), "morning", f"I walked to the {WORD} on day {day}")
    return folder, ring, tmp_path / "cache"


def entries_opened(ring: CountingKeyRing) -> int:
    return sum(1 for name in ring.opened if name.endswith(".md.age"))


@needs_serialize
def test_the_kept_index_is_encrypted_and_spares_decrypting_every_entry(
    journal: tuple[JournalFolder, CountingKeyRing, Path],
) -> None:
    folder, ring, cache = journal
    with sealed_index(folder, cache) as index:
        assert len(index.search(fts_query([WORD]))) == 5
    assert entries_opened(ring) == 5
    kept = sealed_index_path(cache, folder.root)
    data = kept.read_bytes()
    assert data.startswith(AGE_MAGIC) and WORD.encode() not in data
    assert not index_path(cache, folder.root).exists()  # no plaintext index beside it
    assert not [p for p in cache.rglob("*") if p.is_file() and WORD.encode() in p.read_bytes()]

    ring.opened.clear()
    with sealed_index(folder, cache) as index:
        assert len(index.search(fts_query([WORD]))) == 5
    assert entries_opened(ring) == 0 and ring.opened == [kept.name]

    write(folder, date(2026, 11, 6), "morning", f"A new {WORD} today")
    ring.opened.clear()
    with sealed_index(folder, cache) as index:
        assert len(index.search(fts_query([WORD]))) == 6
    assert entries_opened(ring) == 1  # only what changed is read again


@needs_serialize
def test_a_kept_index_that_cannot_be_opened_is_built_again(
    journal: tuple[JournalFolder, CountingKeyRing, Path],
) -> None:
    folder, ring, cache = journal
    kept = sealed_index_path(cache, folder.root)
    kept.parent.mkdir(parents=True)
    stranger = pyrage.x25519.Identity.generate().to_public()
    kept.write_bytes(pyrage.encrypt(b"not an index of ours", [stranger]))
    with sealed_index(folder, cache) as index:
        assert len(index.search(fts_query([WORD]))) == 5
    assert entries_opened(ring) == 5
    assert kept.read_bytes().startswith(AGE_MAGIC)
    ring.opened.clear()
    with sealed_index(folder, cache) as index:
        assert len(index.search(fts_query([WORD]))) == 5
    assert entries_opened(ring) == 0


def test_a_deletion_removes_the_kept_index(
    journal: tuple[JournalFolder, CountingKeyRing, Path],
) -> None:
    folder, _, cache = journal
    with sealed_index(folder, cache):
        pass
    kept = sealed_index_path(cache, folder.root)
    assert kept.exists() == (sys.version_info >= (3, 11))
    forget_removed(folder, cache)
    assert not kept.exists()
