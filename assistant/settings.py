"""Settings: defaults, then the config file, then the environment, then flags.

Frozen dataclasses, one per concern, built once by ``load_settings`` and handed
down; nothing else reads the environment.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Optional, Union

import yaml

from assistant.core.barge_in import BARGE_IN_VALUES, BargeIn, parse_barge_in
from assistant.core.errors import (
    ConfigError,
    CryptError,
    Problem,
    RitualError,
    RitualFileError,
    Where,
)
from assistant.core.hands_free import KEYS as HANDS_FREE_KEYS
from assistant.core.hands_free import HandsFree, parse_hands_free
from assistant.core.ranges import RETENTION_DAYS
from assistant.core.voice_spec import (
    VOICE_KEYS,
    VoiceSpec,
    engine_problem,
    mix_problem,
    model_problem,
    rate_problem,
    voice_spec,
    volume_problem,
)

if TYPE_CHECKING:  # imported when used: the journal commands never need it
    from assistant.core.catalog import RitualCatalog

APP = "ritual"
DEFAULT_MODEL_BASE_URL = "https://alphacephei.com/vosk/models"
DEFAULT_VOICE_BASE_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
DEFAULT_WHISPER_BASE_URL = "https://huggingface.co"
"""where faster-whisper's CTranslate2 conversions live (the Systran/... repositories)"""
"""where Piper voices come from: voices.json and <family>/<code>/<name>/<quality>/ files"""
CHECKOUT = Path(__file__).resolve().parent.parent
"""the project folder when running from a checkout (bundled rituals, models/)"""

Device = Union[int, str, None]
"""a PortAudio device index, a part of its name, or None for the default"""
DeviceKind = Literal["input", "output"]


def _user_dir(kind: str) -> Path:
    # platformdirs is imported here, not at the top, so tests can build Settings
    # without it and the CLI's --help stays quick.
    import platformdirs

    getter = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
        "state": platformdirs.user_state_dir,
    }[kind]
    return Path(getter(APP))


@dataclass(frozen=True)
class AudioSettings:
    input_device: Device = None
    output_device: Device = None
    keep_audio: bool = True
    """keep each answer's recording beside the entry"""
    lead_in: float = 0.0
    """seconds of silence played before each sound (HDMI swallows the first ones)"""
    mic_channel: Optional[int] = None
    """which channel of a stereo mic to listen to, from 0 (None: the louder)"""
    polish: str = "auto"
    """when the second listen runs (``POLISH_WHEN``): auto is in the background on a
    laptop and later (``ritual polish``) on a Raspberry Pi"""


POLISH_WHEN = ("auto", "background", "later", "off")
MIC_CHANNELS = {"left": 0, "right": 1}
"""``mic_channel`` in the config (besides auto and a number from 1) -> the channel"""


@dataclass(frozen=True)
class EncryptionSettings:
    """Encryption at rest (``encryption:`` in the config): on when it has a public key."""

    recipients: tuple[str, ...] = ()
    """age public keys (``age1…``) new files are encrypted to; empty: encryption off"""
    identity: Optional[Path] = None
    """the passphrase-protected private key that reads the journal"""
    passphrase_file: Optional[Path] = None
    """for scripts: a file (0600) holding the passphrase"""
    passphrase_env: Optional[str] = None
    """for scripts: the environment variable holding the passphrase"""

    @property
    def on(self) -> bool:
        return bool(self.recipients)


@dataclass(frozen=True)
class RetentionSettings:
    """How long the journal keeps audio and entries (``retention:``); None: for ever."""

    audio_days: Optional[int] = None
    entries_days: Optional[int] = None

    @property
    def on(self) -> bool:
        return self.audio_days is not None or self.entries_days is not None


@dataclass(frozen=True)
class Settings:
    journal_dir: Path
    rituals_dir: Path
    """the user's own rituals, looked in before the bundled ones"""
    models_dir: Path
    """where models are installed, and the first folder looked in"""
    cache_dir: Path
    """synthesised prompts"""
    model: Optional[Path] = None
    """an explicit model folder (--model, RITUAL_MODEL or the config file)"""
    model_base_url: str = DEFAULT_MODEL_BASE_URL
    voices_dir: Optional[Path] = None
    """where Piper voices are installed; None: ``voices`` beside the models folder"""
    voice_base_url: str = DEFAULT_VOICE_BASE_URL
    whisper_base_url: str = DEFAULT_WHISPER_BASE_URL
    """the host of second-listen models (RITUAL_WHISPER_BASE_URL): a mirror, a local server"""
    piper_python: Optional[str] = None
    """the Python that runs the Piper worker (one with piper-tts); None: ritual's own"""
    name: str = "friend"
    """how the rituals address the user ({name})"""
    voice: VoiceSpec = field(default_factory=VoiceSpec)
    """wins over a ritual's own voice where it says something"""
    audio: AudioSettings = field(default_factory=AudioSettings)
    config_path: Optional[Path] = None
    debug: bool = False
    language: str = "en-us"
    """the language ``ritual listen`` waits and offers in (its model and wake phrases)"""
    hands_free: HandsFree = field(default_factory=HandsFree)
    """wake phrases and scheduled offers, for ``ritual listen``"""
    encryption: EncryptionSettings = field(default_factory=EncryptionSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    barge_in: BargeIn = BargeIn.OFF
    """whether a command may cut a prompt short (a ritual's own ``barge_in`` wins)"""
    state_dir: Optional[Path] = None
    """small files kept between runs, outside the journal (answers waiting for a
    recall later the same day); None: the platform's state folder"""

    @property
    def bundled_rituals_dir(self) -> Path:
        return CHECKOUT / "rituals"

    @property
    def piper_voices_dir(self) -> Path:
        """where ``ritual voices install`` puts Piper voices, and the first place looked in"""
        return self.voices_dir or self.models_dir.parent / "voices"

    @property
    def speech_cache_dir(self) -> Path:
        """rendered prompts (private: 0700)"""
        return self.cache_dir / "speech"

    @property
    def recall_state_path(self) -> Path:
        """answers of an encrypted journal waiting for a recall (0600, see recall_state)"""
        return (self.state_dir or _user_dir("state")) / "pending-recalls.json"

    @property
    def catalog(self) -> RitualCatalog:
        from assistant.core.catalog import RitualCatalog

        return RitualCatalog(user=self.rituals_dir, bundled=self.bundled_rituals_dir)


CONFIG_KEYS = {
    "name",
    "journal",
    "rituals",
    "model",
    "models_dir",
    "voices_dir",
    "voice",
    "input_device",
    "output_device",
    "keep_audio",
    "polish",
    "lead_in",
    "mic_channel",
    "cache",
    "language",
    "encryption",
    "retention",
    "state",
    "barge_in",
    *HANDS_FREE_KEYS,
}
ENCRYPTION_KEYS = ("recipients", "identity", "passphrase_file", "passphrase_env")
RETENTION_KEYS = ("audio_days", "entries_days")


def default_config_path(environ: Mapping[str, str]) -> Path:
    if environ.get("RITUAL_CONFIG"):  # set but empty counts as not set, like its siblings
        return expand_path(environ["RITUAL_CONFIG"], Where("RITUAL_CONFIG"))
    return _user_dir("config") / "config.yaml"


def expand_path(text: str, where: Where, *, base: Optional[Path] = None) -> Path:
    """A path as given, ``~`` expanded; relative ones are taken from ``base`` when
    given (the config file's folder), else from the current folder."""
    if not text.strip():
        raise ConfigError("an empty path", where=where)
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # ~nouser, or no home folder at all
        user = text.split("/", 1)[0]
        raise ConfigError(
            f"cannot expand {user} (no such user or home folder)", where=where
        ) from None
    return base / path if base is not None and not path.is_absolute() else path


class _Config:
    """The config file's settings, each with its line for messages (``file:line``)."""

    def __init__(self, path: Path, values: dict[str, tuple[object, int]]) -> None:
        self.path = path
        self.values = values

    def where(self, key: str) -> Where:
        return Where(str(self.path), self.values[key][1] if key in self.values else 0)

    def get(self, key: str) -> object:
        return self.values[key][0] if key in self.values else None

    def text(self, key: str, what: str) -> Optional[str]:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{key} is {what}, not {_kind(value)}", where=self.where(key))
        return value.strip()

    def path_of(self, key: str) -> Optional[Path]:
        text = self.text(key, "a folder (a path in quotes if it looks like a number)")
        if text is None:
            return None
        return expand_path(text, self.where(key), base=self.path.parent)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a mapping"
    return "empty" if isinstance(value, str) else repr(value)


def _read_config(
    path: Path, required: bool, problems: Optional[list[ConfigError]] = None
) -> _Config:
    """The config file's settings; ``problems`` given, a setting that cannot be read
    or is unknown is noted there and left out (``check`` reports them all at once)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigError("no such config file", where=Where(str(path))) from None
        return _Config(path, {})
    except OSError as e:
        raise ConfigError(
            f"cannot read the config file ({e.strerror})", where=Where(str(path))
        ) from None
    except UnicodeDecodeError:
        raise ConfigError("the config file is not UTF-8 text", where=Where(str(path))) from None
    try:
        # Composed first, so every setting keeps the line it is on.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise ConfigError("not valid YAML", where=Where(str(path), line)) from None
    if root is None:
        return _Config(path, {})
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError("the config file must be a mapping of settings", where=Where(str(path)))
    loader = yaml.SafeLoader("")
    values: dict[str, tuple[object, int]] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        try:
            key = loader.construct_object(key_node, deep=True)
            value = loader.construct_object(value_node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
            error = ConfigError("cannot read this setting", where=Where(str(path), line))
        else:
            if isinstance(key, str) and key in CONFIG_KEYS:
                values[key] = (value, line)
                continue
            error = ConfigError(
                f"unknown setting {str(key)!r} (known: {', '.join(sorted(CONFIG_KEYS))})",
                where=Where(str(path), line),
            )
        if problems is None:
            raise error
        problems.append(error)
    return _Config(path, values)


def _device(value: object, where: Where) -> Device:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and value.strip():
        return int(value) if value.strip().isdigit() else value
    raise ConfigError("a device is a number or a part of its name", where=where)


def _voice(value: object, where: Where) -> VoiceSpec:
    if value is None:
        return VoiceSpec()
    if isinstance(value, str) and value.strip():
        return VoiceSpec(name=value.strip())
    if not isinstance(value, dict) or set(value) - set(VOICE_KEYS):
        raise ConfigError(f"voice takes {', '.join(VOICE_KEYS)}", where=where)
    engine, model, name = value.get("engine"), value.get("model"), value.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ConfigError("the voice name is a text such as en-us", where=where)
    rate, volume = value.get("rate"), value.get("volume")
    problem = (
        (engine is not None and engine_problem(engine))
        or (model is not None and model_problem(model))
        or mix_problem(engine, model)
        or (rate is not None and rate_problem(rate))
        or (volume is not None and volume_problem(volume))
    )
    if problem:
        raise ConfigError(problem, where=where)
    return voice_spec(
        engine=engine,
        name=name,
        model=str(model).strip() if model else None,
        rate=rate,
        volume=None if volume is None else float(volume),
    )


def _barge_in(value: object, where: Where) -> BargeIn:
    if value is None:
        return BargeIn.OFF
    setting = parse_barge_in(value)
    if setting is None:
        raise ConfigError(
            f"barge_in is one of {', '.join(BARGE_IN_VALUES)}, not {value!r}", where=where
        )
    return setting


def _language(value: object, where: Where) -> str:
    if value is None:
        return "en-us"
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("language is a language code, like en-us or ko", where=where)
    return value.strip()


def _encryption(value: object, where: Where, config_folder: Path) -> EncryptionSettings:
    default_identity = config_folder / "identity.age"
    if value is None:
        return EncryptionSettings(identity=default_identity)
    if not isinstance(value, dict) or set(value) - set(ENCRYPTION_KEYS):
        raise ConfigError(f"encryption takes {', '.join(ENCRYPTION_KEYS)}", where=where)
    recipients = value.get("recipients") or ()
    if isinstance(recipients, str):
        recipients = (recipients,)
    if not isinstance(recipients, (list, tuple)) or not all(
        isinstance(r, str) and r.strip() for r in recipients
    ):
        raise ConfigError("encryption.recipients is a list of age public keys (age1…)", where=where)

    def path_of(key: str) -> Optional[Path]:
        text = value.get(key)
        if text is None:
            return None
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"encryption.{key} is a file name", where=where)
        return expand_path(text, where, base=config_folder)

    env = value.get("passphrase_env")
    if env is not None and (not isinstance(env, str) or not env.strip()):
        raise ConfigError(
            "encryption.passphrase_env is an environment variable's name", where=where
        )
    return EncryptionSettings(
        recipients=tuple(r.strip() for r in recipients),
        identity=path_of("identity") or default_identity,
        passphrase_file=path_of("passphrase_file"),
        passphrase_env=env.strip() if env else None,
    )


def _retention(value: object, where: Where) -> RetentionSettings:
    if value is None:
        return RetentionSettings()
    if not isinstance(value, dict) or set(value) - set(RETENTION_KEYS):
        raise ConfigError(f"retention takes {' and '.join(RETENTION_KEYS)}", where=where)
    days: dict[str, Optional[int]] = {}
    for key in RETENTION_KEYS:
        n = value.get(key)
        if n is not None and not RETENTION_DAYS.holds(n):
            raise ConfigError(f"retention.{key} is {RETENTION_DAYS} (days), not {n!r}", where=where)
        days[key] = n
    return RetentionSettings(**days)


def _hands_free(path: Path, data: Mapping[str, object]) -> HandsFree:
    """Wake phrases and the schedule, read again from the text for ``file:line``."""
    if not any(key in data for key in HANDS_FREE_KEYS):
        return HandsFree()
    return parse_hands_free(path.read_text(encoding="utf-8"), str(path))


FOLDER_KEYS = ("journal", "rituals", "models_dir", "voices_dir", "cache", "state")
NAME_IS = "a text (how the rituals address you)"


def _polish(data: _Config, environ: Mapping[str, str]) -> str:
    # YAML reads a bare off/on as false/true
    polish_raw = data.get("polish")
    polish = environ.get("RITUAL_POLISH") or (
        "off" if polish_raw is False else "auto" if polish_raw in (None, True) else polish_raw
    )
    if polish not in POLISH_WHEN:
        where = Where("RITUAL_POLISH") if environ.get("RITUAL_POLISH") else data.where("polish")
        raise ConfigError(f"polish is one of {', '.join(POLISH_WHEN)}", where=where)
    return str(polish)


def _lead_in(data: _Config) -> float:
    lead_in = data.get("lead_in")
    if lead_in is not None and (
        isinstance(lead_in, bool) or not isinstance(lead_in, (int, float)) or not 0 <= lead_in <= 2
    ):
        raise ConfigError(
            "lead_in is seconds of silence before each sound, 0 to 2 "
            "(e.g. 0.3 for a speaker on HDMI)",
            where=data.where("lead_in"),
        )
    return float(lead_in) if isinstance(lead_in, (int, float)) else 0.0


def _mic_channel(data: _Config) -> Optional[int]:
    value = data.get("mic_channel")
    if value is None or value == "auto":
        return None
    if value in MIC_CHANNELS:
        return MIC_CHANNELS[value]
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 8:
        return value - 1
    raise ConfigError(
        "mic_channel is auto, left, right or a channel's number from 1 (which channel "
        "of a stereo mic ritual listens to)",
        where=data.where("mic_channel"),
    )


def _keep_audio(data: _Config) -> bool:
    keep_audio = data.get("keep_audio")
    if keep_audio is not None and not isinstance(keep_audio, bool):
        raise ConfigError("keep_audio is true or false", where=data.where("keep_audio"))
    return True if keep_audio is None else keep_audio


def load_settings(
    environ: Mapping[str, str],
    *,
    config: Optional[Path] = None,
    journal: Optional[Path] = None,
    model: Optional[Path] = None,
    input_device: Device = None,
    output_device: Device = None,
    debug: bool = False,
    hands_free: bool = True,
) -> Settings:
    """Merge defaults, the config file, the environment and command-line flags.

    ``hands_free`` False leaves the wake phrases and schedule out (``check`` reads
    them itself, knowing the rituals)."""
    path = config or default_config_path(environ)
    data = _read_config(path, required=config is not None or bool(environ.get("RITUAL_CONFIG")))

    # Every value of the file is checked, also those a flag or a variable overrides:
    # a mistake in the file shows up now, not on the day the flag is left out.
    configured = {key: data.path_of(key) for key in FOLDER_KEYS}
    configured_model = data.path_of("model")

    def folder(flag: Optional[Path], env: str, key: str, default: Path) -> Path:
        if flag is not None:
            return expand_path(str(flag), Where("the command line"))
        if environ.get(env):
            return expand_path(environ[env], Where(env))
        return configured[key] or default

    data_dir = _user_dir("data")
    model_path = (
        expand_path(str(model), Where("--model"))
        if model is not None
        else expand_path(environ["RITUAL_MODEL"], Where("RITUAL_MODEL"))
        if environ.get("RITUAL_MODEL")
        else configured_model
    )

    def device(flag: Device, env: str, key: str) -> Device:
        from_file = _device(data.get(key), data.where(key))
        if flag is not None:
            return _device(flag, Where("the command line"))
        if environ.get(env):
            return _device(environ[env], Where(env))
        return from_file

    keep_audio = _keep_audio(data)
    polish = _polish(data, environ)
    lead_in = _lead_in(data)
    return Settings(
        journal_dir=folder(journal, "RITUAL_JOURNAL", "journal", data_dir / "journal"),
        rituals_dir=folder(None, "RITUAL_RITUALS", "rituals", _user_dir("config") / "rituals"),
        models_dir=folder(None, "RITUAL_MODELS_DIR", "models_dir", data_dir / "models"),
        cache_dir=folder(None, "RITUAL_CACHE", "cache", _user_dir("cache")),
        model=model_path,
        model_base_url=environ.get("RITUAL_MODEL_BASE_URL") or DEFAULT_MODEL_BASE_URL,
        voices_dir=folder(None, "RITUAL_VOICES_DIR", "voices_dir", data_dir / "voices"),
        voice_base_url=environ.get("RITUAL_VOICE_BASE_URL") or DEFAULT_VOICE_BASE_URL,
        whisper_base_url=environ.get("RITUAL_WHISPER_BASE_URL") or DEFAULT_WHISPER_BASE_URL,
        piper_python=environ.get("RITUAL_PIPER_PYTHON") or None,
        name=data.text("name", NAME_IS) or "friend",
        voice=_voice(data.get("voice"), data.where("voice")),
        audio=AudioSettings(
            input_device=device(input_device, "RITUAL_INPUT_DEVICE", "input_device"),
            output_device=device(output_device, "RITUAL_OUTPUT_DEVICE", "output_device"),
            keep_audio=keep_audio,
            polish=str(polish),
            lead_in=float(lead_in or 0),
            mic_channel=_mic_channel(data),
        ),
        config_path=path if path.exists() else None,
        language=_language(data.get("language"), data.where("language")),
        hands_free=_hands_free(path, data.values) if hands_free else HandsFree(),
        encryption=_encryption(data.get("encryption"), data.where("encryption"), path.parent),
        retention=_retention(data.get("retention"), data.where("retention")),
        barge_in=_barge_in(data.get("barge_in"), data.where("barge_in")),
        state_dir=folder(None, "RITUAL_STATE", "state", _user_dir("state")),
        debug=debug or bool(environ.get("RITUAL_DEBUG")),
    )


def config_problems(path: Path, environ: Mapping[str, str]) -> list[Problem]:
    """Everything wrong with a config file (``ritual check``), all at once: each
    setting is checked on its own, so one mistake never hides another."""
    errors: list[ConfigError] = []
    try:
        data = _read_config(path, required=True, problems=errors)
    except ConfigError as e:  # not readable at all, or not YAML
        return [_as_problem(e, path)]
    checks: list[Callable[[], object]] = [
        *(functools.partial(data.path_of, key) for key in (*FOLDER_KEYS, "model")),
        lambda: data.text("name", NAME_IS),
        lambda: _voice(data.get("voice"), data.where("voice")),
        lambda: _device(data.get("input_device"), data.where("input_device")),
        lambda: _device(data.get("output_device"), data.where("output_device")),
        lambda: _keep_audio(data),
        lambda: _polish(data, environ),
        lambda: _lead_in(data),
        lambda: _mic_channel(data),
        lambda: _barge_in(data.get("barge_in"), data.where("barge_in")),
        lambda: _language(data.get("language"), data.where("language")),
        lambda: _sealer_check(data, path),
        lambda: _retention(data.get("retention"), data.where("retention")),
    ]
    problems = [_as_problem(e, path) for e in errors]
    for check in checks:
        try:
            check()
        except (ConfigError, CryptError) as e:
            problems.append(_as_problem(e, path))
    try:
        parse_hands_free(
            path.read_text(encoding="utf-8"), str(path), known_rituals=_known(data, environ)
        )
    except RitualFileError as e:
        problems.extend(e.problems)
    return sorted(problems, key=lambda p: p.line)


def _sealer_check(data: _Config, path: Path) -> None:
    encryption = _encryption(data.get("encryption"), data.where("encryption"), path.parent)
    if encryption.on:
        from assistant.journal.crypt import AgeSealer

        AgeSealer(encryption.recipients, str(path))  # each key, and pyrage here


def _known(data: _Config, environ: Mapping[str, str]) -> Optional[set[str]]:
    """The rituals a schedule or a wake phrase may name (None: the folder is unknown)."""
    catalog = _catalog_of(data, environ)
    return {r.name for r in catalog.rituals()} if catalog else None


def _catalog_of(data: _Config, environ: Mapping[str, str]) -> Optional[RitualCatalog]:
    from assistant.core.catalog import RitualCatalog

    try:
        if environ.get("RITUAL_RITUALS"):
            user = expand_path(environ["RITUAL_RITUALS"], Where("RITUAL_RITUALS"))
        else:
            user = data.path_of("rituals") or _user_dir("config") / "rituals"
    except ConfigError:
        return None
    return RitualCatalog(user=user, bundled=CHECKOUT / "rituals")


def catalog_despite(path: Path, environ: Mapping[str, str]) -> Optional[RitualCatalog]:
    """The rituals, found even when the config has mistakes elsewhere (``check``
    reports those, and still checks every ritual); None when the config's own
    rituals folder is what is wrong."""
    try:
        data = _read_config(path, required=False, problems=[])
    except ConfigError:
        data = _Config(path, {})
    return _catalog_of(data, environ)


def _as_problem(error: RitualError, path: Path) -> Problem:
    if isinstance(error, ConfigError):
        return error.problem(str(path))
    return Problem(str(path), 0, str(error))
