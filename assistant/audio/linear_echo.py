"""A linear echo canceller in numpy: what barge-in cancels ritual's voice with.

The echo of a prompt (the speaker heard by the mic: late, quieter, with
reflections) is, to a good approximation, the played samples through a linear
filter. This canceller learns that filter (a partitioned-block frequency-domain
adaptive filter, normalised per frequency) and subtracts its estimate of the
echo from the mic. It does nothing else: no suppression of what is left, so a
word said over the prompt passes through as it was said. (WebRTC's AEC3, tried
first, cancels more echo, but its non-linear suppressor also takes much of a
word said while ritual speaks, and the recogniser then misses it.)

While someone talks over the prompt, a filter that kept adapting would learn
their voice as if it were echo and cancel part of it. So two filters run: a
background one adapts all the time, a foreground one does the cancelling and
takes the background's coefficients only when they cancel clearly better over
the last blocks. Talk makes the background's error larger, never smaller, so
the foreground keeps the echo path learnt before it (the two-path scheme of
Speex's echo canceller and of many telephones).
"""

from __future__ import annotations

from typing import Any

import numpy as np

BLOCK = 480
"""samples per block (30 ms at 16 kHz, three of the 10 ms frames noise suppression
works on): the latency the canceller adds. Blocks of 20 ms cost half as much again
(numpy's overhead per call) and converged no faster"""
TAPS = 2400
"""length of the echo path the filter models (150 ms at 16 kHz), counted from the
delay the far end is fed at: the direct echo, reflections and a room's early tail"""
STEP = 0.5
"""the background filter's normalised step size (0..1: higher learns faster, and
is thrown further by talk)"""
SMOOTH = 0.5
"""how much of the far end's per-frequency power is kept from block to block"""
COPY_BELOW = 0.7
"""the background's error energy, against the foreground's, under which it is
taken over (it must cancel clearly better)"""
RESET_ABOVE = 8.0
"""the background's error energy, against the foreground's, over which it has been
thrown off (by talk) and starts again from the foreground's coefficients"""
WINDOW = 0.6
"""how much of the error energies is kept from block to block when comparing the
two filters (about 40 ms of memory)"""

Samples = np.ndarray[Any, Any]


class LinearEchoCanceller:
    """Cancels ``far`` (what was played, fed just ahead of its echo) out of ``near``
    (the mic), BLOCK samples at a time; int16 in, int16 out."""

    def __init__(self, taps: int = TAPS, block: int = BLOCK, step: float = STEP) -> None:
        self.block = block
        self.step = step
        self.parts = -(-taps // block)
        bins = block + 1
        self._ring = np.zeros((2 * self.parts, bins), dtype=np.complex128)
        """the far end's spectra, newest first from ``_newest``, each written twice (at
        i and i + parts) so that the last ``parts`` of them are always one slice"""
        self._newest = self.parts
        self._power_sum = np.zeros(bins)
        """the far end's power per frequency, summed over the spectra in the slice"""
        self._background = np.zeros((self.parts, bins), dtype=np.complex128)
        self._foreground = np.zeros((self.parts, bins), dtype=np.complex128)
        self._last_far = np.zeros(block)
        self._far_power = np.zeros(bins)
        self._error_energy = np.zeros(2)
        """smoothed (foreground, background) error energies"""
        self.adopted = 0
        """times the foreground took the background's coefficients (for tests)"""

    def process(self, near: Samples, far: Samples) -> Samples:
        """Both a multiple of ``block`` samples long, ``far`` aligned ahead of ``near``."""
        out = np.empty(len(near), dtype=np.int16)
        for at in range(0, len(near) - self.block + 1, self.block):
            block = slice(at, at + self.block)
            cleaned = self._block(near[block].astype(np.float64), far[block].astype(np.float64))
            out[block] = np.clip(np.rint(cleaned), -32768, 32767)
        return out

    def learn(self, near: Samples, far: Samples) -> None:
        """Start from the echo path a whole stretch of both ends gives at once (a
        least-squares fit over overlapping windows): the adaptive filter alone
        takes seconds of a prompt to get there, and a command can come sooner."""
        size = 2 * self.parts * self.block
        hop = size // 4
        cross = np.zeros(size // 2 + 1, dtype=np.complex128)
        power = np.zeros(size // 2 + 1)
        window = np.hanning(size)
        for at in range(0, min(len(near), len(far)) - size + 1, hop):
            x = np.fft.rfft(window * far[at : at + size])
            d = np.fft.rfft(window * near[at : at + size])
            cross += np.conj(x) * d
            power += x.real**2 + x.imag**2
        if not power.any():
            return
        path = np.fft.irfft(cross / (power + 1e-3 * power.mean() + 1e-9))
        parts = path[: self.parts * self.block].reshape(self.parts, self.block)
        padded = np.concatenate((parts, np.zeros_like(parts)), axis=1)
        self._background = np.fft.rfft(padded, axis=1)
        self._foreground = self._background.copy()

    def _block(self, near: Samples, far: Samples) -> Samples:
        spectrum = np.fft.rfft(np.concatenate((self._last_far, far)))
        self._last_far = far
        self._push(spectrum)
        self._far_power = SMOOTH * self._far_power + (1 - SMOOTH) * self._power_sum
        fore = near - self._estimate(self._foreground)
        back = near - self._estimate(self._background)
        self._adapt(back)
        self._compare(fore, back)
        return fore

    def _push(self, spectrum: Samples) -> None:
        """Make ``spectrum`` the newest of the far end's, dropping the oldest."""
        oldest = self._ring[self._newest + self.parts - 1]
        self._power_sum += (spectrum.real**2 + spectrum.imag**2) - (oldest.real**2 + oldest.imag**2)
        np.maximum(self._power_sum, 0.0, out=self._power_sum)  # rounding
        self._newest = (self._newest - 1) % self.parts  # its mirror keeps the order
        self._ring[self._newest] = self._ring[self._newest + self.parts] = spectrum

    @property
    def _far_spectra(self) -> Samples:
        return self._ring[self._newest : self._newest + self.parts]

    def _estimate(self, weights: Samples) -> Samples:
        """The echo this block, as the filter ``weights`` predicts it (overlap-save)."""
        echo: Samples = np.fft.irfft((weights * self._far_spectra).sum(axis=0))
        return echo[self.block :]

    def _adapt(self, error: Samples) -> None:
        """One normalised step of the background filter towards a smaller error."""
        error_spectrum = np.fft.rfft(np.concatenate((np.zeros(self.block), error)))
        floor = 1e-3 * float(self._far_power.mean()) + 1.0
        gain = self.step / (self._far_power + floor)
        gradient = np.fft.irfft(np.conj(self._far_spectra) * (gain * error_spectrum), axis=1)
        gradient[:, self.block :] = 0.0  # keep each part a causal block of taps
        self._background += np.fft.rfft(gradient, axis=1)

    def _compare(self, fore: Samples, back: Samples) -> None:
        """Hand the better filter's coefficients over (see the module's doc)."""
        energies = np.array([float(np.dot(fore, fore)), float(np.dot(back, back))])
        self._error_energy = WINDOW * self._error_energy + (1 - WINDOW) * energies
        fore_energy, back_energy = self._error_energy
        if back_energy < COPY_BELOW * fore_energy:
            self._foreground = self._background.copy()
            self._error_energy[0] = back_energy
            self.adopted += 1
        elif back_energy > RESET_ABOVE * fore_energy:
            self._background = self._foreground.copy()
            self._error_energy[1] = fore_energy
