"""The microphone: a sounddevice input stream at the device's own rate.

The PortAudio callback only copies bytes into a queue (python-sounddevice's
advice: anything slower there makes the audio thread drop samples). Taking one
channel of a stereo mic, resampling to 16 kHz, overflow reports and loss
detection happen in ``read``, on the listener's thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, Optional

from assistant.audio import RATE, SAMPLE_WIDTH
from assistant.audio.channels import AUTO_SECONDS, ChannelPicker
from assistant.audio.devices import NO_MIC_FIX, DeviceInfo, find_device, sounddevice
from assistant.audio.resample import StreamResampler
from assistant.core.errors import AudioError
from assistant.settings import Device

log = logging.getLogger(__name__)

QUEUE_SECONDS = 30.0
"""audio kept while nobody reads (a long prompt); older chunks are then dropped"""
DIFFERENT_DB = 3.0
"""channels further apart than this are two microphones (or one and silence)"""
_TOLD: set[str] = set()
"""the devices whose channel choice was said in this process (a mic reopens often)"""


class SoundDeviceMic:
    """An AudioSource on a real microphone (16 kHz mono int16 out, any rate in)."""

    def __init__(
        self,
        device: Device = None,
        *,
        block_seconds: float = 0.05,
        tail_seconds: float = 0.25,
        lost_after: float = 3.0,
        channel: Optional[int] = None,
    ) -> None:
        """``channel``: which channel of a mic that opens with more than one to listen
        to (0 left, 1 right; None: the louder over the first second)."""
        sd = sounddevice()
        info = find_device(device, "input")
        self.device = info
        self.rate = info.default_rate
        """Hertz: the device's native rate (resampled to 16 kHz in ``read``)"""
        self.tail_seconds = tail_seconds
        """after a drain, this much more audio is dropped: the speaker's last echo"""
        self.lost_after = lost_after
        """seconds without a single chunk that mean the mic has gone"""
        self.overflows = 0
        """PortAudio input overflows (samples lost because we read too slowly)"""
        self.dropped = 0
        """chunks dropped because nobody read the queue for QUEUE_SECONDS"""
        self._reported = 0
        self._dropped_at_drain = 0
        blocksize = max(1, int(block_seconds * self.rate))
        self._queue: queue.Queue[bytes] = queue.Queue(
            maxsize=max(1, int(QUEUE_SECONDS / block_seconds))
        )
        self._finished = threading.Event()
        self._last_chunk = time.monotonic()
        self._stream, self.channels = self._open_any(sd, info, blocksize)
        try:
            self._picker = ChannelPicker(
                self.channels, channel, settle_frames=int(AUTO_SECONDS * self.rate)
            )
            self._resampler = StreamResampler(
                self.rate, channels=self.channels, picker=self._picker
            )
            self._stream.start()
        except sd.PortAudioError as e:
            self._stream.close()
            raise AudioError(f"cannot start the microphone {info.name!r} ({e})") from None
        except BaseException:
            self._stream.close()  # the stream holds the device; never leak it
            raise
        log.debug("mic %r open at %d Hz, %d channel(s)", info.name, self.rate, self.channels)

    def _open_any(self, sd: Any, info: DeviceInfo, blocksize: int) -> tuple[Any, int]:
        """The stream and its channel count. Two channels first where the device has
        them: a sound server (or ALSA's plug) asked for one would average a stereo
        mic itself, which ``read`` avoids by taking one side; then mono; then every
        channel (a mic array that opens with all of them or none)."""
        tries = [2, 1] if info.inputs >= 2 else [1]
        if info.inputs > 2:
            tries.append(info.inputs)
        error: Optional[Exception] = None
        for channels in tries:
            try:
                return self._open(sd, info.index, blocksize, channels=channels), channels
            except sd.PortAudioError as e:
                error = e
        raise AudioError(
            f"cannot open the microphone {info.name!r} at {self.rate} Hz ({error}); " + NO_MIC_FIX
        ) from None

    def _open(self, sd: Any, index: int, blocksize: int, *, channels: int) -> Any:
        return sd.RawInputStream(
            device=index,
            samplerate=self.rate,
            channels=channels,
            dtype="int16",
            blocksize=blocksize,
            callback=self._callback,
            finished_callback=self._finished.set,
        )

    # -- the audio thread: copy and hand off, nothing else ------------------------------
    def _callback(self, indata: Any, frames: int, when: Any, status: Any) -> None:
        if status.input_overflow:
            self.overflows += 1
        try:
            self._queue.put_nowait(bytes(indata))
        except queue.Full:
            self.dropped += 1

    # -- the listener's thread ----------------------------------------------------------
    def read(self, timeout: float) -> bytes | None:
        """The next chunk as 16 kHz mono bytes; b"" if none came within ``timeout``."""
        self._report_overflows()
        try:
            raw = self._queue.get(timeout=timeout)
        except queue.Empty:
            self._check_alive()
            return b""
        self._last_chunk = time.monotonic()
        settled = self._picker.settled
        out = self._resampler.process(raw)
        if not settled and self._picker.settled:
            self._tell_channel()
        return out

    def _tell_channel(self) -> None:
        """Say which channel is listened to: once per device and process where the
        channels differ (a mic HAT), in the debug log where they do not (a mono mic
        through a sound server, the same on both sides)."""
        levels = self._picker.levels_dbfs()
        differ = max(levels) - min(levels) > DIFFERENT_DB
        told = differ and self.device.name not in _TOLD
        if told:
            _TOLD.add(self.device.name)
        log.log(
            logging.INFO if told else logging.DEBUG,
            "the microphone has %d channels: listening to channel %d "
            "(levels over the first second, dBFS: %s)",
            self.channels,
            self._picker.channel + 1,
            levels,
        )

    def levels_dbfs(self) -> list[float]:
        """Each channel's level over the first second (or what was heard of it)."""
        return self._picker.levels_dbfs()

    @property
    def channel(self) -> int:
        """The channel listened to, from 0 (left; always 0 for a mono mic)."""
        return self._picker.channel

    def skip_pending(self) -> None:
        """Drop what was captured so far, and nothing more (barge-in starts listening
        with the prompt)."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def drain(self) -> None:
        """Drop what was heard while we spoke, then ``tail_seconds`` more (echo)."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        # Chunks dropped while nobody listened (a long prompt) are expected; from
        # here on, a drop means audio lost from an answer.
        self._dropped_at_drain = self.dropped
        self._last_chunk = time.monotonic()
        dropped = 0.0
        while dropped < self.tail_seconds:
            chunk = self.read(timeout=0.2)
            dropped += len(chunk or b"") / (SAMPLE_WIDTH * RATE)

    def _check_alive(self) -> None:
        # A device unplugged (or its sound server gone) ends the stream: PortAudio
        # calls finished_callback, or simply stops calling us.
        silent_for = time.monotonic() - self._last_chunk
        if self._finished.is_set() or not self._stream.active or silent_for > self.lost_after:
            raise AudioError(
                f"the microphone {self.device.name!r} stopped sending audio "
                f"(unplugged, or its sound server went away); check it with `ritual doctor`"
            )

    def _report_overflows(self) -> None:
        if self.dropped > self._dropped_at_drain:
            log.warning(
                "%d chunk(s) of audio were dropped: recognition fell %g s behind the mic",
                self.dropped - self._dropped_at_drain,
                QUEUE_SECONDS,
            )
            self._dropped_at_drain = self.dropped
        if self.overflows != self._reported:
            log.warning(
                "the microphone lost audio %d time(s) (input overflow): the computer "
                "is too busy; the transcript may miss a word",
                self.overflows,
            )
            self._reported = self.overflows

    def close(self) -> None:
        try:
            self._stream.stop()
            self._stream.close()
        except Exception as e:  # the device may be gone already; nothing left to save
            log.debug("closing the mic: %s", e)
