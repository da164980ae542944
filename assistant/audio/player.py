"""The speaker: play a WAV on the chosen output and return when it has ended.

A stream of our own (not ``sd.play``, which keeps global state and cannot time
out): its callback only copies the next slice of the samples out, and playback
counts as over when PortAudio reports the stream finished, i.e. after the last
buffer was played. The end of playback is the start of listening, so it must
be exact; a bounded wait keeps a stuck device from freezing the ritual.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio.devices import find_device, sounddevice
from assistant.audio.resample import resample
from assistant.audio.wav import read_wav
from assistant.core.errors import AudioError
from assistant.settings import Device

log = logging.getLogger(__name__)


class SoundDevicePlayer:
    """A Player on a sounddevice output."""

    def __init__(self, device: Device = None, *, margin: float = 3.0) -> None:
        sounddevice()
        self.device = find_device(device, "output")
        self.margin = margin
        """seconds allowed beyond the sound's length before giving up on the device"""
        self.played = 0
        """sounds played to the end"""

    def _rate_for(self, sd: Any, rate: int) -> int:
        """The file's own rate if the device takes it, else the device's default."""
        try:
            sd.check_output_settings(
                device=self.device.index, samplerate=rate, channels=1, dtype="int16"
            )
            return rate
        except (sd.PortAudioError, ValueError):
            return self.device.default_rate

    def play(self, path: Path) -> None:
        sd = sounddevice()
        try:
            audio = read_wav(path)
        except (OSError, ValueError, EOFError) as e:
            raise AudioError(f"cannot read the sound {path}: {e}") from None
        rate = self._rate_for(sd, audio.rate)
        frames = resample(audio.frames, audio.rate, rate, audio.channels)
        samples = np.frombuffer(frames, dtype="<i2").reshape(-1, 1)
        if not len(samples):
            return
        done = threading.Event()
        position = 0

        def callback(outdata: Any, count: int, when: Any, status: Any) -> None:
            nonlocal position
            chunk = samples[position : position + count]
            outdata[: len(chunk)] = chunk
            outdata[len(chunk) :] = 0
            position += count
            if position >= len(samples):
                raise sd.CallbackStop

        try:
            stream = sd.OutputStream(
                device=self.device.index,
                samplerate=rate,
                channels=1,
                dtype="int16",
                callback=callback,
                finished_callback=done.set,
            )
        except sd.PortAudioError as e:
            raise AudioError(
                f"cannot open the speaker {self.device.name!r} ({e}); "
                "pick another with --output-device (see `ritual devices`)"
            ) from None
        finished = False
        try:
            stream.start()
            finished = done.wait(len(samples) / rate + self.margin)
            if finished:
                # "Finished" means the last buffer went to the device; it is heard
                # once the device's own latency has passed.
                time.sleep(float(stream.latency))
        except sd.PortAudioError as e:
            raise AudioError(f"the speaker {self.device.name!r} failed ({e})") from None
        finally:
            # A stream that never finished is aborted (stop() would wait on it).
            (stream.close if finished else stream.abort)(ignore_errors=True)
            if not finished:
                stream.close(ignore_errors=True)
        if not finished:
            raise AudioError(
                f"the speaker {self.device.name!r} stopped playing; check it with `ritual doctor`"
            )
        self.played += 1
