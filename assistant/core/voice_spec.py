"""How prompts should sound: the one voice spec, shared by ritual files and the config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from assistant.core.vocabulary import Vocabulary

RATE_RANGE = (50, 400)
"""words per minute a voice may be set to"""


class Engine(Vocabulary):
    """Which synthesiser speaks the prompts."""

    ESPEAK = "espeak"
    """espeak-ng through pyttsx3: always there, robotic (the default and the fallback)"""
    PIPER = "piper"
    """Piper neural voices: warm, optional (``./setup --piper``)"""


ENGINE_NAMES: tuple[str, ...] = tuple(e.value for e in Engine)
VOICE_KEYS = ("engine", "name", "model", "rate", "volume")


@dataclass(frozen=True)
class VoiceSpec:
    engine: Optional[Engine] = None
    """None: espeak-ng (a ``model`` alone means Piper: the parsers set it)"""
    name: Optional[str] = None
    """espeak-ng voice name or language (e.g. en-us); None: from the ritual's language"""
    model: Optional[str] = None
    """Piper voice: an installed voice's name (en_US-joe-medium) or an .onnx file;
    None: the installed Piper voice for the ritual's language"""
    rate: Optional[int] = None
    """words per minute"""
    volume: Optional[float] = None
    """0..1"""

    def under(self, base: VoiceSpec) -> VoiceSpec:
        """This spec where it says something, ``base`` elsewhere (the config over a ritual)."""
        return VoiceSpec(
            engine=self.engine or base.engine,
            name=self.name or base.name,
            model=self.model or base.model,
            rate=self.rate or base.rate,
            volume=self.volume if self.volume is not None else base.volume,
        )

    @property
    def wants_piper(self) -> bool:
        return self.engine is Engine.PIPER


def voice_spec(
    *,
    engine: Optional[str],
    name: Optional[str],
    model: Optional[str],
    rate: Optional[int],
    volume: Optional[float],
) -> VoiceSpec:
    """A spec from checked values; a ``model`` without an ``engine`` means Piper."""
    chosen = Engine(engine) if engine else (Engine.PIPER if model else None)
    return VoiceSpec(engine=chosen, name=name, model=model, rate=rate, volume=volume)


def rate_problem(value: object) -> Optional[str]:
    """Why ``value`` is not a speech rate, or None when it is one."""
    low, high = RATE_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"voice rate is words per minute, a whole number from {low} to {high}"
    return None


def volume_problem(value: object) -> Optional[str]:
    """Why ``value`` is not a volume, or None when it is one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        return "voice volume is a number from 0 to 1"
    return None


def engine_problem(value: object) -> Optional[str]:
    """Why ``value`` is not a speech engine, or None when it is one."""
    if value not in ENGINE_NAMES:
        return f"voice engine is one of: {', '.join(ENGINE_NAMES)}"
    return None


def model_problem(value: object) -> Optional[str]:
    """Why ``value`` is not a Piper voice name or path, or None when it is one."""
    if not isinstance(value, str) or not value.strip():
        return "voice model is a Piper voice's name (see `ritual voices list`) or an .onnx file"
    return None


def mix_problem(engine: object, model: object) -> Optional[str]:
    """Why an engine and a model do not go together, or None."""
    if model is not None and engine == Engine.ESPEAK.value:
        return "a voice model is for engine: piper; espeak-ng voices are chosen with name"
    return None
