"""``ritual devices``: the microphones and speakers PortAudio sees."""

from __future__ import annotations

import argparse
from typing import Any

from assistant.context import Context
from assistant.settings import DeviceKind


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "devices",
        parents=[common],
        help="list audio inputs and outputs",
        description="List microphones and speakers, with the numbers and names that "
        "--input-device / --output-device and the config's input_device / output_device take.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.engines.probes import audio_devices  # PortAudio only when asked for

    devices = audio_devices()
    sections: tuple[tuple[DeviceKind, str], ...] = (
        ("input", "Inputs (microphones):"),
        ("output", "Outputs (speakers):"),
    )
    for kind, title in sections:
        ctx.out(title)
        shown = [d for d in devices if d.channels(kind) > 0]
        if not shown:
            ctx.out("  (none)")
        for d in shown:
            mark = "*" if getattr(d, f"default_{kind}") else " "
            ctx.out(
                f"{mark} {d.index:>3}  {d.name}  ({d.hostapi}, {d.channels(kind)} ch, "
                f"{d.default_rate} Hz)"
            )
    ctx.out("* the default; choose another with --input-device / --output-device NAME|NUMBER")
    return 0
