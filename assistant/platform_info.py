"""What this machine is, for choosing and explaining what can run here (pure
standard library: `check`, `doctor` and ./setup's decisions share it): CPU, 32- or
64-bit userland, Python, the sound server, and which optional parts (extras)
cannot exist here and why.

Read from files and sockets only (``/proc/cpuinfo``, the runtime folder): nothing is
started, and each fact takes its inputs as arguments, so tests can give any machine.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import struct
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional


def is_32bit_arm() -> bool:
    # A 32-bit Raspberry Pi OS on a 64-bit kernel reports armv8l (or aarch64, in a
    # 32-bit container): ask the pointer size.
    machine = platform.machine().lower()
    return machine.startswith(("armv6", "armv7", "armv8")) or (
        machine in ("aarch64", "arm64") and struct.calcsize("P") == 4
    )


ALSA_CONF_DIRS = (Path("/etc/alsa/conf.d"), Path("/usr/share/alsa/alsa.conf.d"))
"""where pipewire-alsa and the PulseAudio ALSA plugin put their 'default' device"""


@dataclass(frozen=True)
class Extra:
    name: str
    module: str
    """what the extra installs, imported to see whether it is there"""
    impossible: Optional[str]
    """why it cannot exist on this machine (None: it can)"""


def cpu_model(cpuinfo: str) -> Optional[str]:
    """The board (a Pi's ``Model`` line) or else the processor's name."""
    found: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            found.setdefault(key.strip(), value.strip())
    # "Model" (capital M) is a Pi's board; x86's "model" is a number
    return found.get("Model") or found.get("model name") or found.get("Hardware")


def userland_bits() -> int:
    """32 on armhf, also under a 64-bit kernel (where the machine says aarch64 or armv8l)."""
    return 8 * struct.calcsize("P")


def describe_cpu(machine: str, bits: int, cores: Optional[int], cpuinfo: str) -> str:
    model = cpu_model(cpuinfo)
    parts = [machine or "unknown CPU"]
    if model:
        parts.append(model)
    if cores:
        parts.append(f"{cores} core{'s' if cores != 1 else ''}")
    return f"{', '.join(parts)}; {bits}-bit userland"


def sound_server(environ: Mapping[str, str], conf_dirs: tuple[Path, ...] = ALSA_CONF_DIRS) -> str:
    """PipeWire, PulseAudio, or bare ALSA, and whether ALSA's default device goes
    through the server (PortAudio opens ALSA's default: without the bridge, ritual
    takes the sound card from the server, or finds it busy)."""
    runtime = Path(environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}")
    pipewire = (runtime / "pipewire-0").exists()
    pulse = bool(environ.get("PULSE_SERVER")) or (runtime / "pulse" / "native").exists()
    bridges = {p.name for d in conf_dirs if d.is_dir() for p in d.iterdir()}
    if pipewire:
        bridged = any("pipewire" in n or "pulse" in n for n in bridges)
        name = "PipeWire" + (" with pipewire-pulse" if pulse else "")
        return name + (
            "; ALSA's default goes through it"
            if bridged
            else "; ALSA's default does not go through it (install pipewire-alsa)"
        )
    if pulse:
        bridged = any("pulse" in n for n in bridges)
        return "PulseAudio" + (
            "; ALSA's default goes through it"
            if bridged
            else "; ALSA's default does not go through it (install libasound2-plugins)"
        )
    return "none (bare ALSA): ritual opens the sound card itself, one program at a time"


def extras(bits: int, python: tuple[int, int]) -> list[Extra]:
    """The optional parts ./setup offers, with why one cannot exist on this machine."""
    only_64 = "no build for a 32-bit system" if bits < 64 else None
    crypt = only_64 or ("it needs Python 3.10" if python < (3, 10) else None)
    return [
        Extra("piper", "piper", only_64 and f"{only_64} (espeak-ng speaks)"),
        Extra("crypt", "pyrage", crypt and f"{crypt} (pyrage: the journal stays plain)"),
        Extra("plot", "matplotlib", None),
    ]


def describe_extras(found: list[Extra]) -> str:
    said = []
    for extra in found:
        if extra.impossible:
            said.append(f"{extra.name} impossible here: {extra.impossible}")
        elif importlib.util.find_spec(extra.module) is not None:
            said.append(f"{extra.name} installed")
        else:
            said.append(f"{extra.name} possible (./setup --{extra.name})")
    return "; ".join(said)


def read_cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def this_cpu() -> str:
    return describe_cpu(platform.machine(), userland_bits(), os.cpu_count(), read_cpuinfo())


def this_python() -> str:
    return f"{platform.python_version()} ({sys.executable})"
