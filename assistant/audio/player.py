"""The speaker: play a WAV on the chosen output and return when it has ended.

A stream of our own (not ``sd.play``, which keeps global state and cannot time
out): its callback only copies the next slice of the samples out (a prompt may
still be being synthesised while its first sentence plays), and playback
counts as over when PortAudio reports the stream finished, i.e. after the last
buffer was played. The end of playback is the start of listening, so it must
be exact; a bounded wait keeps a stuck device from freezing the ritual.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

import numpy as np

from assistant.audio.devices import find_device, sounddevice
from assistant.audio.resample import StreamResampler, resample
from assistant.audio.wav import read_wav
from assistant.core.errors import AudioError
from assistant.settings import Device

log = logging.getLogger(__name__)


class PlaybackStopped(Exception):
    """``stop()`` cut the sound short (a command was said over it). Not an error:
    the speaker keeps nothing of a prompt cut short, and the caller knows why."""


class PlaybackTap:
    """The samples as the device is handed them, for the echo canceller: the
    audio callback only appends a copy; the reader takes them on its own thread."""

    def __init__(self) -> None:
        self.rate = 0
        """Hertz of the samples (the output stream's rate)"""
        self.started = threading.Event()
        self._blocks: deque[np.ndarray[Any, Any]] = deque()

    def start(self, rate: int) -> None:
        self.rate = rate
        self.started.set()

    def played(self, samples: np.ndarray[Any, Any]) -> None:
        self._blocks.append(samples.copy())

    def take(self) -> list[np.ndarray[Any, Any]]:
        """The blocks played since the last call, in order."""
        taken = []
        while self._blocks:
            taken.append(self._blocks.popleft())
        return taken


class SoundDevicePlayer:
    """A Player on a sounddevice output."""

    def __init__(self, device: Device = None, *, margin: float = 3.0, lead_in: float = 0.0) -> None:
        sounddevice()
        self.device = find_device(device, "output")
        self.margin = margin
        """seconds allowed beyond the sound's length before giving up on the device"""
        self.lead_in = lead_in
        """seconds of silence before each sound: an HDMI output that wakes up with
        the stream swallows its first few hundred milliseconds"""
        self.played = 0
        """sounds played to the end"""
        self.tap: Optional[PlaybackTap] = None
        """hears every sample played (barge-in's far end), when set"""
        self._stop = threading.Event()

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
        try:
            audio = read_wav(path)
        except (OSError, ValueError, EOFError) as e:
            raise AudioError(f"cannot read the sound {path}: {e}") from None
        frames = audio.frames
        if audio.channels != 1:
            frames = resample(frames, audio.rate, audio.rate, audio.channels)
        if frames:
            self.play_stream([frames], audio.rate)

    def play_stream(self, chunks: Iterable[bytes], rate: int) -> None:
        """Play mono int16 ``chunks`` as they come, and return once the last was heard.

        The stream opens before the first chunk is asked for, so opening the
        device overlaps with making the sound; until a chunk is there (or between
        chunks that come late) it plays silence.
        """
        sd = sounddevice()
        out_rate = self._rate_for(sd, rate)
        resampler = StreamResampler(rate, out_rate=out_rate)
        queue = _SampleQueue()
        done = threading.Event()
        tap, stopping = self.tap, self._stop
        stopping.clear()

        def callback(outdata: Any, count: int, when: Any, status: Any) -> None:
            if stopping.is_set():
                raise sd.CallbackAbort  # silent at once: nothing more is played
            # A raw stream and our own flat view of its buffer: sounddevice's numpy
            # streams reshape by setting ``.shape``, which numpy 2.5 deprecates.
            samples = np.frombuffer(outdata, dtype="<i2")
            ended = queue.fill(samples)  # only copies: nothing slow on the audio thread
            if tap is not None:
                tap.played(samples)
            if ended:
                raise sd.CallbackStop

        try:
            stream = sd.RawOutputStream(
                device=self.device.index,
                samplerate=out_rate,
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
            if tap is not None:
                tap.start(out_rate)
            stream.start()
            queue.add(bytes(2 * int(self.lead_in * out_rate)))
            for chunk in chunks:
                if stopping.is_set():
                    break
                queue.add(resampler.process(chunk))
            queue.add(resampler.flush())
            queue.end()
            finished = done.wait(queue.seconds_left(out_rate) + self.margin)
            if finished and not stopping.is_set():
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
        if stopping.is_set():
            raise PlaybackStopped
        if not finished:
            raise AudioError(
                f"the speaker {self.device.name!r} stopped playing; check it with `ritual doctor`"
            )
        self.played += 1

    def stop(self) -> None:
        """Silence the sound being played now (from any thread); its ``play`` raises
        PlaybackStopped. A no-op between sounds."""
        self._stop.set()


class _SampleQueue:
    """Samples handed from the thread that makes them to the audio callback.

    ``deque`` appends and pops are atomic, so the callback takes no lock and
    never waits: what is not there yet is played as silence.
    """

    def __init__(self) -> None:
        self._chunks: deque[np.ndarray[Any, Any]] = deque()
        self._offset = 0
        """samples of the first chunk already played"""
        self._ended = False
        self._added = 0
        self._played = 0

    def add(self, frames: bytes) -> None:
        if frames:
            samples = np.frombuffer(frames, dtype="<i2")
            self._added += len(samples)
            self._chunks.append(samples)

    def end(self) -> None:
        self._ended = True

    def seconds_left(self, rate: int) -> float:
        return (self._added - self._played) / rate

    def fill(self, out: np.ndarray[Any, Any]) -> bool:
        """Copy the next samples into ``out`` (silence where there are none yet);
        True once everything has been handed out and no more will come."""
        filled = 0
        while filled < len(out) and self._chunks:
            head = self._chunks[0]
            take = min(len(out) - filled, len(head) - self._offset)
            out[filled : filled + take] = head[self._offset : self._offset + take]
            filled += take
            self._offset += take
            if self._offset == len(head):
                self._chunks.popleft()
                self._offset = 0
        out[filled:] = 0
        self._played += filled
        return self._ended and not self._chunks
