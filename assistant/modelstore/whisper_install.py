"""Install second-listen (faster-whisper) models from their host, checked and atomic.

Such a model is a handful of files in a repository on Hugging Face (or a mirror:
``RITUAL_WHISPER_BASE_URL``). The host's listing of the repository
(``<base>/api/models/<repo>/tree/<revision>``) gives each file's size and hash: a
sha256 for the big files kept in Git LFS, Git's own sha1 of the blob for the
small ones. The files are downloaded into a dot-folder in the models folder with
the model installer's machinery (progress, the size and the hash checked as the
bytes come), the folder is checked as a CTranslate2 model, and only then renamed
to ``whisper-NAME``, where the second listen looks for it. A failure leaves what
was there before as it was. The network is used only here, when the user runs
``ritual models install whisper-NAME``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Callable, Optional

from assistant.core.errors import ModelError
from assistant.modelstore.install import (
    LIST_TIMEOUT,
    Digest,
    Installed,
    check_room,
    download,
    fetch_json,
    models_folder,
    network_errors,
    place,
    remove_path,
)
from assistant.modelstore.lookup import format_size, write_metadata
from assistant.modelstore.polish_models import FOLDER_PREFIX, OFFERED, Offered, is_polish_model
from assistant.safe_files import create_at, open_folder
from assistant.settings import Settings

SETTING = "RITUAL_WHISPER_BASE_URL"
NEEDED = ("model.bin", "config.json", "tokenizer.json")
"""without tokenizer.json faster-whisper would fetch one from the network at load"""
VOCABULARIES = ("vocabulary.txt", "vocabulary.json")
"""CTranslate2 reads one of these"""
EXTRAS = ("preprocessor_config.json",)
"""taken when the repository has it (the large models do)"""
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class HostFile:
    """One file of the host's listing that the model needs."""

    path: str
    size: int
    sha256: Optional[str]
    """from Git LFS; None for a file kept in Git itself"""
    blob_sha1: Optional[str]
    """Git's hash of ``blob <size>\\0`` and the bytes"""

    def check(self, pinned: Optional[str]) -> tuple[Digest, str, str]:
        """A hash to feed the download, the hex it must end as, and who says so."""
        if pinned:
            return hashlib.sha256(), pinned, "ritual's catalogue"
        if self.sha256:
            return hashlib.sha256(), self.sha256, "the host's listing"
        digest = hashlib.sha1(usedforsecurity=False)
        digest.update(f"blob {self.size}\0".encode())
        return digest, str(self.blob_sha1), "the host's listing (Git's hash)"


def is_whisper_name(wanted: str) -> bool:
    return wanted.startswith(FOLDER_PREFIX) and "/" not in wanted and os.sep not in wanted


def offered(wanted: str) -> Offered:
    if wanted in OFFERED:
        return OFFERED[wanted]
    names = ", ".join(OFFERED)
    raise ModelError(f"ritual knows no second-listen model {wanted!r}; it knows: {names}")


def _host_file(entry: object) -> Optional[HostFile]:
    """The entry as a file with a size and a hash; None when it is not a file."""
    if not isinstance(entry, dict) or entry.get("type") != "file":
        return None
    path, size, lfs = entry.get("path"), entry.get("size"), entry.get("lfs")
    if not isinstance(path, str):
        return None
    sha256 = blob = None
    if isinstance(lfs, dict):
        sha256 = str(lfs.get("oid") or "").lower()
        size = lfs.get("size", size)
    else:
        blob = str(entry.get("oid") or "").lower()
    if not isinstance(size, int) or size <= 0:
        raise ModelError(f"the host's listing gives no size for {path}, so it cannot be checked")
    if not (_SHA256.match(sha256) if sha256 is not None else _SHA1.match(blob or "")):
        raise ModelError(f"the host's listing gives no hash for {path}, so it cannot be checked")
    return HostFile(path, size, sha256, blob)


def parse_listing(data: object, offer: Offered) -> list[HostFile]:
    """The files of the repository listing that make the model; ModelError when one
    is missing, cannot be checked, or disagrees with a hash pinned here."""
    if not isinstance(data, list):
        raise ModelError(f"the host's listing of {offer.repo} is not a list of files")
    listed = {f.path: f for f in map(_host_file, data) if f is not None}
    missing = [name for name in NEEDED if name not in listed]
    if not any(name in listed for name in VOCABULARIES):
        missing.append(VOCABULARIES[0])
    if missing:
        raise ModelError(
            f"{offer.repo} on the host has no {', '.join(missing)}; it is not a "
            "faster-whisper model. Nothing was installed."
        )
    vocabulary = next(name for name in VOCABULARIES if name in listed)
    files = [listed[name] for name in (*NEEDED, vocabulary, *EXTRAS) if name in listed]
    for file in files:
        pinned = offer.sha256.get(file.path)
        if pinned and file.sha256 and file.sha256 != pinned:
            raise ModelError(
                f"the host lists {file.path} of {offer.repo} with the sha256 {file.sha256}, "
                f"not the {pinned} ritual knows; nothing was installed"
            )
    return files


def layout_problem(folder: Path) -> Optional[str]:
    """Why ``folder`` cannot be a CTranslate2 Whisper model (None: it can)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "its config.json is not JSON"
    if not isinstance(config, dict):
        return "its config.json is not a CTranslate2 configuration"
    if not is_polish_model(folder):
        return "model.bin or config.json is missing"
    return None


def install_whisper(
    settings: Settings,
    wanted: str,
    progress: Optional[IO[str]] = None,
    say: Optional[Callable[[str], None]] = None,
) -> Installed:
    """Download the second-listen model ``wanted`` (``whisper-base.en``) into the
    models folder as ``whisper-base.en``."""
    offer = offered(wanted)
    lang = "en" if wanted.endswith(".en") else None  # None: every language Whisper knows
    base = settings.whisper_base_url.rstrip("/")
    folder = models_folder(settings)
    hint = (
        f"Without a network here, copy the folder {wanted} (model.bin, config.json, "
        f"tokenizer.json, vocabulary.txt) from another computer into {folder}."
    )
    listing_path = f"api/models/{offer.repo}/tree/{urllib.parse.quote(offer.revision)}"
    data = fetch_json(base, listing_path, timeout=LIST_TIMEOUT, hint=hint, setting=SETTING)
    files = parse_listing(data, offer)
    total = sum(f.size for f in files)
    check_room(wanted, total, folder)
    source = f"{base}/{offer.repo}"
    if say:
        say(f"Downloading {wanted} ({format_size(total)}) from {source}")
    staging = Path(tempfile.mkdtemp(prefix=f".{wanted}.partial-", dir=folder))
    try:
        hashes = {f.path: _fetch(f, offer, base, staging, hint, progress) for f in files}
        problem = layout_problem(staging)
        if problem:
            raise ModelError(f"{source} is not a usable model: {problem}. Nothing was installed.")
        write_metadata(
            staging,
            name=wanted,
            lang=lang,
            source=source,
            revision=offer.revision,
            hashes=hashes,
            size=total,
            installed=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        replaced = place(staging, folder / wanted, is_ours=is_polish_model)
    finally:
        remove_path(staging)
    return Installed(name=wanted, lang=lang, path=folder / wanted, replaced=replaced)


def _fetch(
    file: HostFile,
    offer: Offered,
    base: str,
    staging: Path,
    hint: str,
    progress: Optional[IO[str]],
) -> str:
    """Download one file into ``staging``, checked; the hash it was checked by."""
    revision, name = urllib.parse.quote(offer.revision), urllib.parse.quote(file.path)
    url = f"{base}/{offer.repo}/resolve/{revision}/{name}"
    digest, expected, said_by = file.check(offer.sha256.get(file.path))
    with open_folder(staging) as dir_fd:
        fd = create_at(dir_fd, file.path)
    with os.fdopen(fd, "wb") as out, network_errors(base, url, hint):
        got = download(
            url,
            out,
            name=file.path,
            size=file.size,
            progress=progress,
            listed_by="the host's listing",
            digest=digest,
        )
    if got != expected:
        raise ModelError(
            f"the download of {file.path} is damaged: its hash is {got}, {said_by} says "
            f"{expected}. Nothing was installed; try again."
        )
    return got
