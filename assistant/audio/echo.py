"""Echo cancellation: ritual's own voice taken out of the mic, so that a command
said over a prompt can be heard (barge-in).

ritual plays its prompts itself, so it holds the exact signal to cancel (the far
end). The delay from a sample being played to its echo in the mic is measured by
cross-correlation at the start of each prompt (``estimate_delay``) and the far end
fed that much later; a linear adaptive filter (``linear_echo``) then takes the
echo out. WebRTC's noise suppression (``pywebrtc-audio``, imported lazily) cleans
what is left of a noisy room. WebRTC's AEC3 is kept for comparison (the bench):
it cancels as much echo, but its suppressor also eats a word said over the prompt.
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any, Optional, Protocol

import numpy as np

from assistant.audio import RATE
from assistant.audio.linear_echo import LinearEchoCanceller
from assistant.platform_info import is_32bit_arm

FRAME = RATE // 100
"""samples in one 10 ms frame: what AEC3 works on"""
LINEAR = "linear"
"""the canceller barge-in uses (``AEC3`` only for comparison)"""
AEC3 = "aec3"
NOISE_LEVEL = 2
"""WebRTC noise suppression's level (0-3): 2 took a busy room's noise down enough for
the recogniser (11 of 12 commands heard in it, against 6 without), 3 no better"""
AEC_FIX = "install it with ./setup --aec in ritual's folder (pip install pywebrtc-audio)"


def aec_problem() -> Optional[str]:
    """Why echo cancellation cannot run here (and the fix), or None."""
    if is_32bit_arm():
        return (
            "barge-in's noise suppression (pywebrtc-audio) has no build for 32-bit ARM; a 64-bit "
            "system runs it, or declare a headset with its own: barge_in: headset"
        )
    if importlib.util.find_spec("pywebrtc_audio") is None:
        return f"barge-in's noise suppression (pywebrtc-audio) is not installed; {AEC_FIX}"
    return None


class Canceller(Protocol):
    block: int
    """the canceller takes whole blocks of this many samples"""

    def learn(self, near: np.ndarray[Any, Any], far: np.ndarray[Any, Any]) -> None:
        """Start from what a stretch of both ends (aligned) shows of the echo path."""

    def process(
        self, near: np.ndarray[Any, Any], far: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """``near`` with ``far``'s echo taken out; int16, whole blocks."""


def new_canceller(engine: str = LINEAR) -> Canceller:
    return EchoCanceller() if engine == AEC3 else LinearEchoCanceller()


class Denoiser:
    """WebRTC's noise suppression on 16 kHz mono int16, whole 10 ms frames."""

    def __init__(self) -> None:
        import pywebrtc_audio

        self._ns: Any = pywebrtc_audio.NoiseSuppressor(
            sample_rate=RATE, num_channels=1, level=NOISE_LEVEL
        )

    def process(self, samples: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        out = np.empty(len(samples), dtype=np.int16)
        for start in range(0, len(samples) - FRAME + 1, FRAME):
            out[start : start + FRAME] = self._ns.process(samples[start : start + FRAME])
        return out


def new_denoiser() -> Optional[Denoiser]:
    """None where pywebrtc-audio is not installed (barge_in: headset needs none)."""
    return Denoiser() if importlib.util.find_spec("pywebrtc_audio") else None


class EchoCanceller:
    """AEC3 on 16 kHz mono int16, whole 10 ms frames in, the same out."""

    block = FRAME

    def __init__(self) -> None:
        import pywebrtc_audio

        self._aec: Any = pywebrtc_audio.EchoCanceller(
            sample_rate=RATE, num_channels=1, stream_delay_ms=0
        )

    def learn(self, near: np.ndarray[Any, Any], far: np.ndarray[Any, Any]) -> None:
        """Nothing to do: AEC3 learns as it goes."""

    def process(
        self, near: np.ndarray[Any, Any], far: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """Cancel ``far`` (what was played, aligned) out of ``near`` (the mic); both
        int16, a multiple of FRAME samples long."""
        out = np.empty_like(near)
        for start in range(0, len(near) - FRAME + 1, FRAME):
            end = start + FRAME
            out[start:end] = self._aec.process(near[start:end], far[start:end])
        return out


def estimate_delay(
    far: np.ndarray[Any, Any], near: np.ndarray[Any, Any], max_lag: int
) -> tuple[int, float]:
    """The lag (samples) at which ``far`` best matches ``near`` (0..max_lag), and how
    clearly: the normalised correlation at that lag (about 0 for no echo, up to 1).

    ``near`` must be at least ``len(far) + max_lag`` long."""
    far = far.astype(np.float64)
    near = near[: len(far) + max_lag].astype(np.float64)
    if not far.any() or len(near) < len(far) + max_lag:
        return 0, 0.0
    # Only lags 0..max_lag are wanted and near is len(far) + max_lag long: a circular
    # correlation as long as near does not wrap the far end into them.
    size = 1 << (len(near) - 1).bit_length()
    spectrum = np.fft.rfft(near, size) * np.conj(np.fft.rfft(far, size))
    correlation = np.fft.irfft(spectrum, size)[: max_lag + 1]
    lag = int(np.argmax(np.abs(correlation)))
    energy = math.sqrt(
        float(np.dot(far, far))
        * float(np.dot(near[lag : lag + len(far)], near[lag : lag + len(far)]))
    )
    return lag, abs(float(correlation[lag])) / energy if energy else 0.0


def echo_return_loss_db(before: np.ndarray[Any, Any], after: np.ndarray[Any, Any]) -> float:
    """How much quieter the mic is after cancellation, in dB (echo only in it)."""
    power = [float(np.mean(np.square(x.astype(np.float64)))) for x in (before, after)]
    return 10 * math.log10(max(power[0], 1e-9) / max(power[1], 1e-9))
