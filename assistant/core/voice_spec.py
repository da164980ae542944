"""How prompts should sound: the one voice spec, shared by ritual files and the config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

RATE_RANGE = (50, 400)
"""words per minute a voice may be set to"""


@dataclass(frozen=True)
class VoiceSpec:
    name: Optional[str] = None
    """espeak-ng voice name or language (e.g. en-us); None: from the ritual's language"""
    rate: Optional[int] = None
    """words per minute"""
    volume: Optional[float] = None
    """0..1"""

    def under(self, base: VoiceSpec) -> VoiceSpec:
        """This spec where it says something, ``base`` elsewhere (the config over a ritual)."""
        return VoiceSpec(
            name=self.name or base.name,
            rate=self.rate or base.rate,
            volume=self.volume if self.volume is not None else base.volume,
        )


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
