"""Install Piper voices from the voice host or from files, checked and atomic.

The voice host (Piper's voice collection, or a mirror: ``RITUAL_VOICE_BASE_URL``)
lists its voices in ``voices.json``, each with its files' sizes and md5 sums.
The files are downloaded into a dot-folder in the voices folder with the model
installer's machinery (progress, size and checksum as they come), the voice's
settings are read back, and only then is the folder renamed into place. A
failure leaves what was there before as it was. The only network use is here,
when the user runs ``ritual voices install`` (or ``list``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable, Optional

from assistant.core.errors import ModelError
from assistant.core.language import normalize_language
from assistant.modelstore.install import (
    LIST_TIMEOUT,
    check_room,
    discard,
    download,
    fetch_json,
    md5_of,
    network_errors,
    place,
    remove_path,
)
from assistant.modelstore.lookup import disk_size, format_size
from assistant.modelstore.voices import (
    VOICE_METADATA,
    PiperVoiceFiles,
    default_voice_name,
    is_voice_name,
    looks_like_path,
    read_voice,
    speaks,
    voice_install_hint,
    voices_in,
)
from assistant.settings import Settings

HOST = "voice host"
LISTED_BY = "the voice list"
MODEL_CARD = "MODEL_CARD"
"""the voice's licence and origin, kept beside it"""


@dataclass(frozen=True)
class RemoteFile:
    path: str
    """relative to the host's base address"""
    size: int
    md5: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class RemoteVoice:
    name: str
    language: str
    quality: str
    files: tuple[RemoteFile, ...]
    aliases: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class InstalledVoice:
    voice: PiperVoiceFiles
    replaced: bool


def parse_voice_list(data: object) -> list[RemoteVoice]:
    """The voices of a voices.json whose files can be checked; others are skipped."""
    if not isinstance(data, dict):
        raise ModelError("the voice host's voices.json is not a mapping of voices")
    voices = []
    for key, entry in data.items():
        if not isinstance(entry, dict) or not is_voice_name(str(key)):
            continue
        wanted = (f"{key}.onnx", f"{key}.onnx.json", MODEL_CARD)
        files = []
        for path, info in (entry.get("files") or {}).items():
            if not isinstance(info, dict) or not isinstance(path, str) or ".." in path:
                continue
            size, md5 = info.get("size_bytes"), str(info.get("md5_digest") or "").lower()
            if path.rsplit("/", 1)[-1] in wanted and isinstance(size, int) and len(md5) == 32:
                files.append(RemoteFile(path, size, md5))
        names = {f.name for f in files}
        if f"{key}.onnx" not in names or f"{key}.onnx.json" not in names:
            continue
        language = entry.get("language")
        code = language.get("code") if isinstance(language, dict) else None
        voices.append(
            RemoteVoice(
                name=str(key),
                language=normalize_language(str(code or key.split("-")[0])),
                quality=str(entry.get("quality") or ""),
                files=tuple(sorted(files, key=lambda f: f.name)),
                aliases=tuple(str(a) for a in entry.get("aliases") or ()),
            )
        )
    return sorted(voices, key=lambda v: (v.language, v.name))


def fetch_voice_list(base_url: str, timeout: float = LIST_TIMEOUT) -> list[RemoteVoice]:
    """What the voice host offers; ModelError when it cannot be reached or read."""
    hint = "Without a network here, install a voice from its files: ritual voices install FILE.onnx"
    data = fetch_json(
        base_url, "voices.json", timeout=timeout, hint=hint, host=HOST,
        setting="RITUAL_VOICE_BASE_URL",
    )  # fmt: skip
    return parse_voice_list(data)


def choose_voice(voices: list[RemoteVoice], wanted: str) -> RemoteVoice:
    """The voice named ``wanted`` (or with that alias), or the one for a language."""
    for voice in voices:
        if wanted in (voice.name, *voice.aliases):
            return voice
    default = default_voice_name(wanted)
    for voice in voices:
        if voice.name == default:
            return voice
    of_language = [v.name for v in voices if speaks(v.language, wanted)]
    if of_language:
        raise ModelError(
            f"there are several voices for {wanted}; install one by name: {', '.join(of_language)}"
        )
    raise ModelError(
        f"the voice host has no voice named {wanted} and none for a language {wanted}; "
        "`ritual voices list` shows what it offers"
    )


def _voices_dir(settings: Settings) -> Path:
    folder = settings.piper_voices_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(f"cannot create the voices folder {folder}: {e.strerror}") from None
    return folder


def _is_voice_dir(path: Path) -> bool:
    return (path / f"{path.name}.onnx").is_file() or (path / VOICE_METADATA).is_file()


def onnx_problem(model: Path) -> Optional[str]:
    """Why ``model`` cannot be an ONNX network (None: it can). A quick look at its
    outer structure, not a load: it must be a whole protobuf message, every field
    inside the file, with a version and a graph."""
    seen = set()
    try:
        with open(model, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            while f.tell() < size:
                key = _varint(f)
                number, kind = key >> 3, key & 7
                if number == 0 or kind not in (0, 1, 2, 5):
                    return "it is not an ONNX file"
                seen.add(number)
                skip = {0: 0, 1: 8, 5: 4}.get(kind)
                if kind == 0:
                    _varint(f)
                else:
                    f.seek(_varint(f) if skip is None else skip, os.SEEK_CUR)
                if f.tell() > size:
                    return "it is cut short (a download that did not finish?)"
    except (OSError, EOFError) as e:
        return str(e) or "it is cut short"
    if not {1, 7} <= seen:  # ir_version, graph
        return "it is not an ONNX network (no graph in it)"
    return None


def _varint(f: IO[bytes]) -> int:
    value = shift = 0
    while True:
        byte = f.read(1)
        if not byte:
            raise EOFError("it is cut short (a download that did not finish?)")
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
        shift += 7
        if shift > 63:
            raise EOFError("it is not an ONNX file")


def _finish(staging: Path, folder: Path, name: str, **metadata: Any) -> InstalledVoice:
    """Check the voice in ``staging``, note where it came from, rename it into place."""
    read_voice(staging / f"{name}.onnx", "voices folder")  # ModelError when unusable
    problem = onnx_problem(staging / f"{name}.onnx")
    if problem:
        raise ModelError(f"the voice {name}.onnx cannot be loaded: {problem}; nothing installed")
    metadata["installed"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    (staging / VOICE_METADATA).write_text(
        json.dumps({"name": name, **metadata}, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    replaced = place(staging, folder / name, is_ours=_is_voice_dir)
    return InstalledVoice(read_voice(folder / name / f"{name}.onnx", "voices folder"), replaced)


def install_voice_from_host(
    settings: Settings,
    wanted: str,
    progress: Optional[IO[str]] = None,
    say: Optional[Callable[[str], None]] = None,
) -> InstalledVoice:
    base = settings.voice_base_url.rstrip("/")
    voice = choose_voice(fetch_voice_list(base), wanted)
    folder = _voices_dir(settings)
    check_room(voice.name, voice.size, folder)
    if say:
        say(f"Downloading the voice {voice.name} ({format_size(voice.size)}) from {base}")
    hint = voice_install_hint(voice.name, base)
    staging = Path(tempfile.mkdtemp(prefix=f".{voice.name}.partial-", dir=folder))
    try:
        for file in voice.files:
            url = f"{base}/{urllib.parse.quote(file.path)}"
            with (staging / file.name).open("wb") as out, network_errors(base, url, hint, HOST):
                digest = download(
                    url,
                    out,
                    name=file.name,
                    size=file.size,
                    progress=progress,
                    listed_by=LISTED_BY,
                )
            if digest != file.md5:
                raise ModelError(
                    f"the download of {file.name} is damaged: its md5 is {digest}, the voice "
                    f"list says {file.md5}. Nothing was installed; try again."
                )
        return _finish(
            staging,
            folder,
            voice.name,
            language=voice.language,
            source=base,
            md5={f.name: f.md5 for f in voice.files},
        )
    finally:
        remove_path(staging)


def install_voice_file(settings: Settings, model: Path) -> InstalledVoice:
    """Install a voice from its files on this machine (the offline way): the
    ``.onnx`` and the ``.onnx.json`` beside it (and a MODEL_CARD, if there is one)."""
    found = read_voice(model, "file")
    if not is_voice_name(found.name):
        raise ModelError(f"{found.name!r} cannot be a voice folder name; rename {model.name}")
    folder = _voices_dir(settings)
    card = model.parent / MODEL_CARD
    sources = [found.model, found.config, *([card] if card.is_file() else [])]
    check_room(found.name, sum(p.stat().st_size for p in sources), folder)
    staging = Path(tempfile.mkdtemp(prefix=f".{found.name}.partial-", dir=folder))
    try:
        for source in sources:
            shutil.copyfile(source, staging / source.name)
        return _finish(
            staging,
            folder,
            found.name,
            language=found.language,
            source=str(model),
            md5={p.name: md5_of(p) for p in sources},
        )
    except OSError as e:
        raise ModelError(f"installing {model} failed: {e}") from None
    finally:
        remove_path(staging)


def install_voice(
    settings: Settings,
    wanted: str,
    *,
    progress: Optional[IO[str]] = None,
    say: Optional[Callable[[str], None]] = None,
) -> InstalledVoice:
    """Install NAME or LANG from the voice host, or a local FILE.onnx."""
    if looks_like_path(wanted) or Path(wanted).is_file():
        return install_voice_file(settings, Path(wanted).expanduser())
    return install_voice_from_host(settings, wanted, progress=progress, say=say)


def remove_voice(settings: Settings, name: str) -> int:
    """Delete the voice ``name`` from the voices folder (never from anywhere else);
    the bytes it took."""
    folder = settings.piper_voices_dir
    path = folder / name
    if not is_voice_name(name) or path.is_symlink() or not path.is_dir() or not _is_voice_dir(path):
        there = ", ".join(v.name for v in voices_in(folder)) or "none"
        raise ModelError(
            f"no voice named {name!r} in {folder} (installed there: {there}); "
            "ritual only removes voices from its own voices folder"
        )
    size = disk_size(path)
    discard(path)
    return size
