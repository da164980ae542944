"""One channel out of a microphone that only opens in stereo.

A mic HAT often opens with two channels only. Averaging them is wrong both ways:
many I2S boards carry one microphone on one side and silence on the other, so the
mean is 6 dB quieter; two microphones a few centimetres apart cancel each other at
the frequencies where their paths differ by half a wavelength (a comb filter).
So ritual listens to one side: the one the config names (``mic_channel``), or
else the one that carried more energy over the first second it heard.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

AUTO_SECONDS = 1.0
"""how much of the recording the automatic choice listens to before it settles"""


def louder_channel(energies: np.ndarray[Any, Any]) -> int:
    """The channel with the most energy; the first one on a tie (silence everywhere)."""
    if len(energies) == 0 or not np.any(energies > 0):
        return 0
    return int(np.argmax(energies))  # argmax returns the first of equal maxima


class ChannelPicker:
    """Turns interleaved int16 frames of ``channels`` channels into one channel.

    With a fixed ``channel`` it takes that one. Automatic: it keeps each channel's
    energy for the first ``settle_frames`` and passes on the louder so far; then the
    choice is final, so the recogniser never hears the sides swap mid-sentence.
    """

    def __init__(self, channels: int, channel: Optional[int], *, settle_frames: int) -> None:
        if channel is not None:
            channel = min(channel, channels - 1)
        self.channels = channels
        self.channel = channel if channel is not None else 0
        self.settled = channel is not None or channels == 1
        self._settle_frames = settle_frames
        self._seen = 0
        self._energy = np.zeros(channels)

    def take(self, samples: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """One channel of ``samples`` (interleaved; a trailing partial frame is dropped)."""
        if self.channels == 1:
            return samples
        frames = samples[: len(samples) - len(samples) % self.channels].reshape(-1, self.channels)
        if not self.settled:
            self._listen(frames)
        one: np.ndarray[Any, Any] = np.ascontiguousarray(frames[:, self.channel])
        return one

    def _listen(self, frames: np.ndarray[Any, Any]) -> None:
        wanted = frames[: max(0, self._settle_frames - self._seen)].astype(np.float64)
        self._energy += np.square(wanted).sum(axis=0)
        self._seen += len(wanted)
        self.channel = louder_channel(self._energy)
        self.settled = self._seen >= self._settle_frames

    def levels_dbfs(self) -> list[float]:
        """Each channel's level over what the choice heard (dBFS), for the log."""
        mean = self._energy / max(1, self._seen)
        # -120 dBFS stands for digital silence, as elsewhere in ritual
        return [
            round(max(-120.0, 10 * float(np.log10(max(m, 1e-12) / 32768.0**2))), 1) for m in mean
        ]
