"""A private PulseAudio with a virtual speaker and a virtual mic, for engine tests.

The tests start and stop it themselves, so they need nothing outside the
project. ``test.pa`` beside this file loads a null-sink speaker (``vspeaker``:
record ``vspeaker.monitor`` to hear what was played) and a mic (``vmic``) fed
by playing into ``vmic_feed``.

Start it BEFORE anything imports sounddevice in the process that uses it:
PortAudio scans devices once, at import (docs/engines.md). Clients find the daemon
through ``PULSE_SERVER``; PortAudio then sees ALSA's "pulse" and "default".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

CONFIG = Path(__file__).with_name("test.pa")
TOOLS = ("pulseaudio", "pactl", "paplay", "parecord")


def missing_tools() -> Optional[str]:
    """Why virtual audio cannot run here, or None."""
    absent = [t for t in TOOLS if shutil.which(t) is None]
    if absent:
        return (
            f"{', '.join(absent)} not installed "
            "(sudo apt install pulseaudio pulseaudio-utils libasound2-plugins)"
        )
    return None


class VirtualAudio:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.run_dir = folder / "run"
        self.env = {
            "PULSE_SERVER": f"unix:{self.run_dir}/native",
            "PULSE_RUNTIME_PATH": str(self.run_dir),
        }

    def client_env(self) -> dict[str, str]:
        """os.environ plus what points a client (or a child process) at this daemon."""
        return {**os.environ, **self.env}

    def start(self, timeout: float = 10.0) -> None:
        for name in ("run", "state", "home"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PULSE_RUNTIME_PATH": str(self.run_dir),
            "PULSE_STATE_PATH": str(self.folder / "state"),
            "HOME": str(self.folder / "home"),
        }
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.pop("PULSE_SERVER", None)
        subprocess.run(
            ["pulseaudio", "--daemonize=yes", "-n", "-F", str(CONFIG), "--exit-idle-time=-1",
             "--disallow-exit", "--use-pid-file=yes", "--realtime=no", "--high-priority=no",
             "--disable-shm=yes", f"--log-target=file:{self.folder / 'pulse.log'}"],
            env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pactl("info").returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError(f"PulseAudio did not start; see {self.folder / 'pulse.log'}")

    def pactl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pactl", *args], env=self.client_env(), capture_output=True, text=True, check=False
        )

    def feed(self, wav: Path, sink: str = "vmic_feed") -> None:
        """Play a WAV into the virtual mic (or another sink); returns when it has been
        played."""
        subprocess.run(["paplay", f"--device={sink}", str(wav)], env=self.client_env(), check=True)

    @contextlib.contextmanager
    def record(self, out: Path) -> Iterator[Path]:
        """Record the virtual speaker into ``out`` (16 kHz mono) while the block runs."""
        proc = subprocess.Popen(
            ["parecord", "--device=vspeaker.monitor", "--rate=16000", "--channels=1",
             "--format=s16le", "--file-format=wav", "--latency-msec=50", str(out)],
            env=self.client_env(),
        )  # fmt: skip
        try:
            time.sleep(0.2)  # parecord connects before the first sound
            yield out
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def pid(self) -> Optional[int]:
        try:
            return int((self.run_dir / "pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _running(pid):
                return
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    """Alive and not a zombie (the daemon is nobody's child to reap in a container)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
