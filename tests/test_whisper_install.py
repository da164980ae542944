"""``ritual models install whisper-NAME`` against a model host on 127.0.0.1 laid out as
Hugging Face is (the repository's listing under /api/models/REPO/tree/REV, its
files under /REPO/resolve/REV/FILE), serving a small made-up model tree."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.core.errors import ModelError
from assistant.modelstore.polish_models import Offered, find_polish_model
from assistant.modelstore.whisper_install import install_whisper, parse_listing
from assistant.settings import load_settings
from tests.cli import Result, isolated_env, run_cli

REPO = "Systran/faster-whisper-base.en"
NAME = "whisper-base.en"
LFS = ("model.bin", "tokenizer.json")
"""kept in Git LFS on the real host (a sha256 in the listing); the others in Git itself"""


def _tree() -> dict[str, bytes]:
    noise = hashlib.sha256(b"weights").digest() * 20_000  # 640 KB: a few progress chunks
    return {
        ".gitattributes": b"*.bin filter=lfs diff=lfs merge=lfs -text\n",
        "README.md": b"# a made-up model\n",
        "config.json": json.dumps({"lang_ids": [50259], "suppress_ids": []}).encode(),
        "model.bin": noise,
        "tokenizer.json": b'{"model": {"vocab": {}}}',
        "vocabulary.txt": b"<|endoftext|>\nhello\n",
    }


def listing(files: dict[str, bytes], wrong: str = "") -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    for path, data in files.items():
        entry: dict[str, object] = {"type": "file", "path": path, "size": len(data)}
        if path in LFS:
            sha = hashlib.sha256(data).hexdigest()
            entry["oid"] = hashlib.sha1(b"pointer " + data[:8]).hexdigest()
            entry["size"] = 134  # the size of the LFS pointer, as the real listing says
            entry["lfs"] = {"oid": "0" * 64 if path == wrong else sha, "size": len(data)}
        else:
            blob = hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()
            entry["oid"] = "0" * 40 if path == wrong else blob
        entries.append(entry)
    return [{"type": "directory", "path": "extra", "oid": "1" * 40, "size": 0}, *entries]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        host = self.server.host
        host.requests.append(self.path)
        if self.path == f"/api/models/{host.repo}/tree/main":
            body = json.dumps(listing(host.files, host.wrong)).encode()
        elif self.path.startswith(f"/{host.repo}/resolve/main/"):
            name = self.path.rsplit("/", 1)[-1]
            if name not in host.files:
                self.send_error(404)
                return
            body = host.files[name]
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path.endswith("/" + host.cut):
            body = body[: len(body) // 2]  # the connection drops half way
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    host: WhisperHost
    daemon_threads = True


@dataclass
class WhisperHost:
    url: str = ""
    repo: str = REPO
    files: dict[str, bytes] = field(default_factory=_tree)
    wrong: str = ""
    """a file whose hash the listing gets wrong"""
    cut: str = "-"
    """a file whose download breaks off"""
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def whisper_host() -> Iterator[WhisperHost]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.host = WhisperHost(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.host
    server.shutdown()
    server.server_close()
    thread.join(5)


@dataclass
class Setup:
    models: Path
    env: dict[str, str]

    def run(self, *argv: str) -> Result:
        return run_cli(*argv, env=self.env)

    def left(self) -> list[str]:
        return sorted(p.name for p in self.models.iterdir()) if self.models.exists() else []


@pytest.fixture
def host(whisper_host: WhisperHost) -> WhisperHost:
    return whisper_host


@pytest.fixture
def setup(tmp_path: Path, host: WhisperHost) -> Setup:
    models = tmp_path / "models"
    env = isolated_env(
        tmp_path / "home", RITUAL_MODELS_DIR=str(models), RITUAL_WHISPER_BASE_URL=host.url
    )
    return Setup(models, env)


def test_a_second_listen_model_installs_from_the_host_and_is_found(
    setup: Setup, host: WhisperHost
) -> None:
    result = setup.run("models", "install", NAME)
    assert result.status == 0, result.stderr
    assert f"Downloading {NAME} (640.1 KB) from {host.url}/{REPO}" in result.stderr
    assert f"Installed {NAME} (English) in {setup.models / NAME}" in result.stdout
    folder = setup.models / NAME
    assert setup.left() == [NAME]  # no partial folder beside it
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "model.bin",
        "ritual-model.json",
        "tokenizer.json",
        "vocabulary.txt",
    ]
    for name in ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt"):
        assert (folder / name).read_bytes() == host.files[name]
    assert not any("README" in r or "gitattributes" in r for r in host.requests)
    noted = json.loads((folder / "ritual-model.json").read_text())
    assert noted["hashes"]["model.bin"] == hashlib.sha256(host.files["model.bin"]).hexdigest()

    settings = load_settings(setup.env)
    found = find_polish_model(settings, "en-us", setup.env)
    assert found is not None and found.path == folder and found.name == "base.en"
    listed = setup.run("models", "list", "--local")
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert ["base.en", "en", "RITUAL_MODELS_DIR", str(setup.models), str(folder)] in rows
    assert [row[-1] for row in rows if row and row[0] == NAME] == ["installed"]

    again = setup.run("models", "install", NAME)
    assert again.status == 0 and "(replacing the earlier copy)" in again.stdout
    removed = setup.run("models", "remove", NAME)
    assert removed.status == 0, removed.stderr
    assert setup.left() == []


def test_the_download_shows_its_progress(setup: Setup, host: WhisperHost) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    bar, said = Terminal(), []
    install_whisper(load_settings(setup.env), NAME, progress=bar, say=said.append)
    assert said == [f"Downloading {NAME} (640.1 KB) from {host.url}/{REPO}"]
    shown = bar.getvalue()
    assert "model.bin: 100%" in shown and "640k/640k" in shown
    assert "vocabulary.txt: 100%" in shown


@pytest.mark.parametrize("wrong", ["model.bin", "vocabulary.txt"])
def test_a_damaged_download_is_refused_and_nothing_is_left(
    setup: Setup, host: WhisperHost, wrong: str
) -> None:
    host.wrong = wrong
    result = setup.run("models", "install", NAME)
    assert result.status == 1
    assert f"the download of {wrong} is damaged" in result.stderr
    assert "Nothing was installed" in result.stderr and "Traceback" not in result.stderr
    assert setup.left() == []


def test_a_broken_off_download_leaves_the_earlier_copy_as_it_was(
    setup: Setup, host: WhisperHost
) -> None:
    assert setup.run("models", "install", NAME).status == 0
    before = (setup.models / NAME / "model.bin").read_bytes()
    host.files["model.bin"] = before[::-1]  # a new upload, which breaks off
    host.cut = "model.bin"
    result = setup.run("models", "install", NAME)
    assert result.status == 1
    assert "broke off" in result.stderr or "stopped after" in result.stderr
    assert "Traceback" not in result.stderr
    assert setup.left() == [NAME]
    assert (setup.models / NAME / "model.bin").read_bytes() == before


def test_offline_the_message_says_how_to_carry_a_model_over(tmp_path: Path) -> None:
    env = isolated_env(
        tmp_path / "home",
        RITUAL_MODELS_DIR=str(tmp_path / "models"),
        RITUAL_WHISPER_BASE_URL="http://127.0.0.1:9",  # nothing listens on the discard port
    )
    result = run_cli("models", "install", NAME, env=env)
    assert result.status == 1
    assert "cannot reach the model host http://127.0.0.1:9" in result.stderr
    assert f"copy the folder {NAME} (model.bin" in result.stderr


def test_an_unknown_model_is_named_with_the_known_ones(setup: Setup) -> None:
    result = setup.run("models", "install", "whisper-huge")
    assert result.status == 1
    assert "no second-listen model 'whisper-huge'" in result.stderr
    assert "whisper-small.en" in result.stderr


def test_a_listing_without_the_tokenizer_or_with_another_pinned_hash_is_refused() -> None:
    files = _tree()
    offer = Offered(REPO, "test")
    assert [f.path for f in parse_listing(listing(files), offer)] == [
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    ]
    del files["tokenizer.json"]
    with pytest.raises(ModelError, match=r"has no tokenizer\.json; it is not a faster-whisper"):
        parse_listing(listing(files), offer)
    pinned = Offered(REPO, "test", sha256={"model.bin": "a" * 64})
    with pytest.raises(ModelError, match=r"not the a{64} ritual knows"):
        parse_listing(listing(_tree()), pinned)
