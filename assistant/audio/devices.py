"""Audio devices as PortAudio sees them, and picking one by name or number.

sounddevice is imported inside functions: it loads PortAudio (and scans the
devices) at import time, which ``ritual --help``, ``check`` and text mode must
never need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.core.errors import AudioError
from assistant.settings import Device, DeviceKind

PORTAUDIO_FIX = "sudo apt install libportaudio2"
NO_MIC_FIX = "connect a microphone, or pick one with --input-device (see `ritual devices`)"
"""(``ritual run`` adds its own way out, ``--text``; ``listen`` has none)"""


def sounddevice() -> Any:
    """The sounddevice module, or an AudioError naming the package to install."""
    try:
        import sounddevice as sd
    except OSError as e:  # "PortAudio library not found"
        raise AudioError(
            f"PortAudio is not installed ({e}). Install it with: {PORTAUDIO_FIX}"
        ) from None
    except ImportError:
        raise AudioError(
            "the Python package sounddevice is missing; reinstall ritual (pip install ritual)"
        ) from None
    return sd


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    hostapi: str
    inputs: int
    """input channels (0: not a microphone)"""
    outputs: int
    """output channels (0: not a speaker)"""
    default_rate: int
    """Hertz"""
    default_input: bool = False
    default_output: bool = False

    def channels(self, kind: DeviceKind) -> int:
        return self.inputs if kind == "input" else self.outputs


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio knows, defaults marked."""
    sd = sounddevice()
    try:
        raw = sd.query_devices()
        apis = sd.query_hostapis()
    except sd.PortAudioError as e:
        raise AudioError(f"cannot list audio devices: {e}") from None
    default_in, default_out = _defaults(sd)
    return [
        DeviceInfo(
            index=int(d["index"]),
            name=str(d["name"]),
            hostapi=str(apis[d["hostapi"]]["name"]),
            inputs=int(d["max_input_channels"]),
            outputs=int(d["max_output_channels"]),
            default_rate=int(d["default_samplerate"]),
            default_input=int(d["index"]) == default_in,
            default_output=int(d["index"]) == default_out,
        )
        for d in raw
    ]


def _defaults(sd: Any) -> tuple[int, int]:
    pair = sd.default.device
    found = []
    for kind, value in zip(("input", "output"), (pair[0], pair[1])):
        if value is None or value < 0:
            try:
                value = int(sd.query_devices(kind=kind)["index"])
            except (sd.PortAudioError, ValueError):
                value = -1
        found.append(int(value))
    return found[0], found[1]


def find_device(device: Device, kind: DeviceKind) -> DeviceInfo:
    """The device to use: None for the default, a number, or a part of its name."""
    devices = list_devices()
    usable = [d for d in devices if d.channels(kind) > 0]
    what = "microphone" if kind == "input" else "speaker"
    if not usable:
        fix = (
            NO_MIC_FIX
            if kind == "input"
            else "connect a speaker or headphones (and check that the sound server, "
            "PulseAudio or PipeWire, is running)"
        )
        raise AudioError(f"no {what} found: {fix}")
    if device is None:
        chosen = [d for d in usable if getattr(d, f"default_{kind}")]
        if not chosen:
            fix = (
                NO_MIC_FIX
                if kind == "input"
                else "pick one with --output-device (see `ritual devices`)"
            )
            raise AudioError(f"there is no default {what}: {fix}")
        return chosen[0]
    if isinstance(device, int):
        for d in usable:
            if d.index == device:
                return d
        raise AudioError(
            f"there is no {what} number {device}; `ritual devices` lists them: " + _names(usable)
        )
    wanted = device.lower()
    exact = [d for d in usable if d.name.lower() == wanted]
    if exact:
        return exact[0]
    partial = [d for d in usable if wanted in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise AudioError(f"no {what} has {device!r} in its name; found: {_names(usable)}")
    raise AudioError(
        f"several {what}s have {device!r} in their name ({_names(partial)}); "
        "use its number or more of its name"
    )


def _names(devices: list[DeviceInfo]) -> str:
    return ", ".join(f"{d.index} {d.name!r}" for d in devices)


def rescan_devices() -> None:
    """Make PortAudio look for devices again (a USB mic plugged back in, a sound
    server restarted): it scans once, when it starts. Only call it with no stream
    open; sounddevice keeps the re-initialisation private, hence the underscores."""
    sd = sounddevice()
    sd._terminate()
    sd._initialize()
