"""A microphone that opens when it is listened to and can be let go.

``ritual listen`` runs for days: without wake phrases the microphone is open only
while ritual asks something, and a microphone that goes away (unplugged, the sound
server restarted) is opened again on the next attempt, after PortAudio has looked
for devices anew.
"""

from __future__ import annotations

import logging
from typing import Optional

from assistant.audio.devices import rescan_devices
from assistant.audio.mic import SoundDeviceMic
from assistant.core.errors import AudioError
from assistant.settings import Device

log = logging.getLogger(__name__)


class OnDemandMic:
    """An AudioSource over a SoundDeviceMic that it opens lazily and reopens after a loss."""

    def __init__(
        self, device: Device = None, *, channel: Optional[int] = None, **mic_options: float
    ) -> None:
        self.device = device
        self.channel = channel
        self.mic_options = mic_options
        self.mic: Optional[SoundDeviceMic] = None
        self._lost = False

    def _open(self) -> SoundDeviceMic:
        if self.mic is None:
            if self._lost:
                rescan_devices()  # the device may come back under another number
            self.mic = SoundDeviceMic(self.device, channel=self.channel, **self.mic_options)
            self._lost = False
            log.debug("microphone open")
        return self.mic

    def read(self, timeout: float) -> Optional[bytes]:
        try:
            return self._open().read(timeout)
        except AudioError:
            self._lose()
            raise

    def drain(self) -> None:
        try:
            self._open().drain()
        except AudioError:
            self._lose()
            raise

    def _lose(self) -> None:
        self.release()
        self._lost = True

    def release(self) -> None:
        """Close the microphone; the next read or drain opens it again."""
        if self.mic is not None:
            self.mic.close()
            self.mic = None
            log.debug("microphone released")

    def close(self) -> None:
        self.release()

    @property
    def overflows(self) -> int:
        return self.mic.overflows if self.mic is not None else 0
