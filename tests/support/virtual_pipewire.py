"""A private PipeWire (with pipewire-pulse and WirePlumber) and the same virtual mic
and speaker as the private PulseAudio, for engine tests.

Raspberry Pi OS's desktop runs PipeWire; programs that speak PulseAudio's protocol,
as ritual does through ALSA's pulse plugin, reach it through pipewire-pulse. The
three daemons run as children of the test process, in a folder of their own (their
runtime folder, configuration and state), with no session bus: WirePlumber is told
not to look for D-Bus services (device reservation, the Flatpak portal, Bluetooth)
and not to open real sound cards. The virtual devices come from ``test.pa``, sent
line by line through ``pactl`` (pipewire-pulse understands those modules).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from typing import Optional

from tests.support.virtual_audio import CONFIG, VirtualAudio

DAEMONS = ("pipewire", "pipewire-pulse", "wireplumber")
TOOLS = (*DAEMONS, "pactl", "paplay", "parecord")
INSTALL = "sudo apt install pipewire pipewire-pulse wireplumber pulseaudio-utils"

WIREPLUMBER_MAIN = """\
alsa_monitor.enabled = false
alsa_monitor.properties["alsa.reserve"] = false
default_access.properties["enable-flatpak-portal"] = false
v4l2_monitor.enabled = false
"""
"""read before 90-enable-all.lua: no D-Bus services, no real devices"""
WIREPLUMBER_BLUETOOTH = "bluez_monitor.enabled = false\n"
WIREPLUMBER_05 = """\
wireplumber.profiles = {
  main = {
    hardware.audio = disabled
    hardware.bluetooth = disabled
    hardware.video-capture = disabled
    support.reserve-device = disabled
    support.portal-permissionstore = disabled
    support.logind = disabled
  }
}
"""
"""the same for WirePlumber 0.5 (trixie), whose configuration is no longer Lua; not
tried here (bookworm has 0.4)"""


def missing_pipewire() -> Optional[str]:
    """Why a private PipeWire cannot run here, or None."""
    absent = [t for t in TOOLS if shutil.which(t) is None]
    return f"{', '.join(absent)} not installed ({INSTALL})" if absent else None


PLUGIN = "libasound_module_pcm_pipewire.so"
PLUGIN_FOLDER = "RITUAL_TEST_PIPEWIRE_ALSA"
"""a folder holding pipewire-alsa's files (``make test-pipewire`` unpacks the package
there where it is not installed: it conflicts with the pulseaudio package)"""


def pipewire_alsa_plugin(environ: dict[str, str]) -> Optional[Path]:
    """pipewire-alsa's ALSA plugin, installed or unpacked, or None."""
    arch = sysconfig.get_config_var("MULTIARCH") or ""
    roots = [Path(environ[PLUGIN_FOLDER])] if environ.get(PLUGIN_FOLDER) else []
    for root in [*roots, Path("/")]:
        for lib in (f"usr/lib/{arch}/alsa-lib", "usr/lib/alsa-lib", "usr/lib64/alsa-lib"):
            if (root / lib / PLUGIN).is_file():
                return root / lib / PLUGIN
    return None


def asoundrc_for(plugin: Path) -> str:
    """ALSA's default device through PipeWire, as pipewire-alsa makes it."""
    return (
        f'pcm_type.pipewire {{ lib "{plugin}" }}\n'
        'pcm.!default { type pipewire playback_node "-1" capture_node "-1" }\n'
    )


def test_pa_commands() -> list[list[str]]:
    """``test.pa`` as pactl commands (its protocol module is pipewire-pulse's own)."""
    lines = [line.split() for line in CONFIG.read_text().splitlines()]
    return [
        words
        for words in lines
        if words and not words[0].startswith("#") and "module-native-protocol-unix" not in words
    ]


class VirtualPipeWire(VirtualAudio):
    """Same devices and helpers (feed, record, pactl) as VirtualAudio, on PipeWire."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.env = {"PULSE_SERVER": f"unix:{self.run_dir}/pulse/native"}
        self._daemons: list[subprocess.Popen[bytes]] = []

    def _daemon_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PULSE_", "PIPEWIRE_"))}
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        return {
            **env,
            "XDG_RUNTIME_DIR": str(self.run_dir),
            "XDG_CONFIG_HOME": str(self.folder / "config"),
            "XDG_STATE_HOME": str(self.folder / "state"),
            "HOME": str(self.folder / "home"),
        }

    def start(self, timeout: float = 15.0) -> None:
        self.run_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
        for name in ("state", "home", "config/wireplumber/main.lua.d",
                     "config/wireplumber/bluetooth.lua.d",
                     "config/wireplumber/wireplumber.conf.d"):  # fmt: skip
            (self.folder / name).mkdir(parents=True, exist_ok=True)
        config = self.folder / "config" / "wireplumber"
        (config / "main.lua.d" / "80-private.lua").write_text(WIREPLUMBER_MAIN)
        (config / "bluetooth.lua.d" / "80-private.lua").write_text(WIREPLUMBER_BLUETOOTH)
        (config / "wireplumber.conf.d" / "80-private.conf").write_text(WIREPLUMBER_05)
        deadline = time.monotonic() + timeout
        try:
            self._spawn("pipewire")
            self._wait(deadline, lambda: (self.run_dir / "pipewire-0").exists(), "pipewire")
            self._spawn("pipewire-pulse")
            self._wait(deadline, lambda: self.pactl("info").returncode == 0, "pipewire-pulse")
            self._spawn("wireplumber")
            # WirePlumber links streams to devices: without it nothing would be heard.
            self._wait(deadline, self._session_managed, "wireplumber")
            for words in test_pa_commands():
                done = self.pactl(*words)
                if done.returncode != 0:
                    raise RuntimeError(f"pactl {' '.join(words)}: {done.stderr.strip()}")
        except BaseException:
            self.stop()
            raise

    def _spawn(self, daemon: str) -> None:
        log = (self.folder / f"{daemon}.log").open("wb")
        with log:
            self._daemons.append(
                subprocess.Popen([daemon], env=self._daemon_env(), stdout=log, stderr=log)
            )

    def _session_managed(self) -> bool:
        # WirePlumber, once up, makes a fallback sink ("auto_null") the default.
        info = self.pactl("info").stdout
        return "Default Sink: auto_null" in info or "Default Sink: v" in info

    def _wait(self, deadline: float, ready: Callable[[], bool], daemon: str) -> None:
        while time.monotonic() < deadline:
            if ready():
                return
            if any(p.poll() is not None for p in self._daemons):
                break
            time.sleep(0.05)
        raise RuntimeError(f"{daemon} did not start; see {self.folder / (daemon + '.log')}")

    def pid(self) -> Optional[int]:
        return self._daemons[0].pid if self._daemons else None

    def stop(self) -> None:
        for daemon in reversed(self._daemons):
            daemon.terminate()
        for daemon in reversed(self._daemons):
            try:
                daemon.wait(timeout=5)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        self._daemons = []
