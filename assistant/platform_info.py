"""What this machine is, for choosing and explaining what can run here (pure
standard library: `check`, `doctor` and ./setup's decisions share it)."""

from __future__ import annotations

import platform
import struct


def is_32bit_arm() -> bool:
    # A 32-bit Raspberry Pi OS on a 64-bit kernel reports aarch64: ask the pointer size.
    machine = platform.machine().lower()
    return machine.startswith(("armv6", "armv7")) or (
        machine in ("aarch64", "arm64") and struct.calcsize("P") == 4
    )
