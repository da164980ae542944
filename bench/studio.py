"""The virtual studio: the tests' private PulseAudio, plus one stereo sink that
puts the user's voice and ritual's voice on a single sample clock.

The tests' devices (``vmic``, ``vspeaker``) are two separate null sinks: each
runs its own clock, so a recording of one cannot say *exactly* when something
happened on the other. For latency we need both ends of a turn on one clock,
so we add (at run time, with pactl) a stereo null sink ``bench_mix``:

- ``bench_feed`` (remap sink) plays into its LEFT channel: the bench feeds the
  user's answers here;
- ``bench_mic`` (remap source) is that left channel: ritual's default mic;
- ``bench_speaker`` (remap sink) plays into its RIGHT channel: ritual's default
  speaker.

Recording ``bench_mix.monitor`` then gives, sample by sample, what ritual's mic
got (left) and what ritual played (right). Remap sinks and sources are
synchronous filters of their master: they add no buffering of their own.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from assistant.audio.wav import write_wav
from bench import RATE
from tests.support.virtual_audio import VirtualAudio, missing_tools

MIX, FEED, SPEAKER, MIC = "bench_mix", "bench_feed", "bench_speaker", "bench_mic"
_MONO = ("channels=1", "channel_map=mono", "remix=no", f"rate={RATE}")
MODULES: tuple[tuple[str, ...], ...] = (
    ("module-null-sink", f"sink_name={MIX}", f"rate={RATE}", "channels=2",
     "channel_map=front-left,front-right"),
    ("module-remap-sink", f"sink_name={FEED}", f"master={MIX}", *_MONO,
     "master_channel_map=front-left"),
    ("module-remap-sink", f"sink_name={SPEAKER}", f"master={MIX}", *_MONO,
     "master_channel_map=front-right"),
    ("module-remap-source", f"source_name={MIC}", f"master={MIX}.monitor", *_MONO,
     "master_channel_map=front-left"),
    # The tests' "keeper": a permanent low-latency consumer keeps the null sink
    # rendering in small blocks (it renders up to 2 s ahead otherwise).
    ("module-loopback", f"source={MIX}.monitor", "sink=blackhole", "latency_msec=20",
     "source_dont_move=true", "sink_dont_move=true"),
)  # fmt: skip
# What would point a process at other devices than the defaults we set.
_DEVICE_VARS = ("PULSE_SINK", "PULSE_SOURCE")


class StudioError(RuntimeError):
    """The virtual devices cannot be set up here (the message says why)."""


class Studio:
    """Start with ``start()``; ``stop()`` always (it is safe to call twice)."""

    def __init__(self, folder: Path) -> None:
        self.audio = VirtualAudio(folder)

    def start(self) -> None:
        why = missing_tools()
        if why:
            raise StudioError(f"no virtual audio devices: {why}")
        self.audio.start()
        for module in MODULES:
            self._pactl("load-module", *module)
        self._pactl("set-default-sink", SPEAKER)
        self._pactl("set-default-source", MIC)
        # The first stream ever played into a fresh remap sink is heard 1.6 s late
        # (measured; later ones at once): a moment of silence through each gets
        # that out of the way, or the cold run's figures would carry it.
        quiet = self.audio.folder / "quiet.wav"
        write_wav(quiet, bytes(2 * RATE // 10), RATE)
        for sink in (SPEAKER, FEED):
            subprocess.run(
                ["paplay", f"--device={sink}", str(quiet)], env=self.child_env(), check=True
            )

    def stop(self) -> None:
        self.audio.stop()

    def point_this_process(self) -> None:
        """Make this process's PortAudio (imported after this) record ``bench_mix``.

        libpulse takes its default source from PULSE_SOURCE when a stream is
        opened; children get ``child_env()``, which drops it again.
        """
        os.environ.update(self.audio.env)
        os.environ["PULSE_SOURCE"] = f"{MIX}.monitor"
        try:
            import sounddevice  # noqa: F401  (PortAudio scans the devices now, once)
        except OSError as e:
            raise StudioError(
                f"PortAudio is missing ({e}): sudo apt install libportaudio2"
            ) from None

    def child_env(self) -> dict[str, str]:
        """The environment of a process that should use ritual's default devices."""
        env = self.audio.client_env()
        for name in _DEVICE_VARS:
            env.pop(name, None)
        return env

    def feed(self, wav: Path) -> subprocess.Popen[bytes]:
        """Start playing ``wav`` into ritual's mic (returns at once)."""
        return subprocess.Popen(["paplay", f"--device={FEED}", str(wav)], env=self.child_env())

    def mix_block_ms(self) -> float:
        """The mixing sink's configured latency: how far ahead of real time it
        renders, hence the resolution of "when" a sample is played."""
        listing = self._pactl("list", "sinks")
        section = listing.split(f"Name: {MIX}\n", 1)[-1]
        found = re.search(r"Latency: \d+ usec, configured (\d+) usec", section)
        return int(found.group(1)) / 1000 if found else float("nan")

    def _pactl(self, *args: str) -> str:
        done = self.audio.pactl(*args)
        if done.returncode != 0:
            raise StudioError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout
