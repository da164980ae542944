"""``ritual listen`` as a systemd user service: the unit, and talking to systemd.

The unit runs in the user's own systemd instance (not root's: the sound server,
PulseAudio or PipeWire, runs per user and never for root), after the sound
server (or, with none, the sound card), restarts on failure (at most five times in
five minutes: a broken config does not loop forever), and is stopped with SIGTERM,
on which a ritual in progress saves its entry. A Pi without a desktop
has no login session to start the user's systemd: "linger" keeps it running
from boot.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from assistant.core.errors import RitualError
from assistant.safe_files import NOFOLLOW, make_private_dirs, replace_file

UNIT_NAME = "ritual-listen.service"
SOUND_UNITS = (
    "sound.target",
    "pipewire.socket",
    "pipewire.service",
    "pipewire-pulse.socket",
    "pipewire-pulse.service",
    "wireplumber.service",
    "pulseaudio.socket",
    "pulseaudio.service",
)
"""ordered after, never required: a machine has one sound server or none (the pulse
sockets conflict). The services as well as their sockets: a socket answers before its
server has set the devices up, and WirePlumber (which links a stream to the mic) has
no socket at all. ``sound.target`` is the user manager's own, reached when a sound
card appears (systemd's udev rules want it for the user too): on a Pi with no sound
server that is all there is to wait for."""
LINGER_DIR = Path("/var/lib/systemd/linger")
LOG_LINES = 12
NO_MANAGER = (
    "the systemd user manager is not running here (no login session: a container, or "
    "`su`/`sudo` without one)"
)


def user_unit_dir(environ: Mapping[str, str]) -> Path:
    config = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")) / ".config")
    return Path(config).expanduser() / "systemd" / "user"


def _no_control_characters(text: str, what: str) -> None:
    """A newline (or any control character, or a Unicode line separator) in a path
    would end the unit's line and start another: refused, not written."""
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text):
        raise RitualError(
            f"{what} {text!r} has a newline or another control character; a systemd unit "
            "cannot carry it: rename it, or start `ritual listen` some other way"
        )


def _quote(argument: str) -> str:
    """An ExecStart argument, taken literally by systemd: ``%`` doubled (a specifier),
    ``$`` doubled (a variable), quoted when it has spaces, quotes or backslashes."""
    _no_control_characters(argument, "the argument")
    argument = argument.replace("%", "%%").replace("$", "$$")
    if any(c.isspace() or c in "\"'\\;" for c in argument):
        return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return argument


def _environment_line(name: str, value: str) -> str:
    """``Environment="NAME=value"``, taken literally (``%`` doubled; systemd does not
    expand ``$`` here)."""
    _no_control_characters(value, name)
    quoted = value.replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
    return f'Environment="{name}={quoted}"'


def unit_text(command: Sequence[str], environment: Mapping[str, str] | None = None) -> str:
    """The unit that runs ``command`` (an absolute interpreter path, then arguments),
    with ``environment`` (the RITUAL_ variables the install was checked with)."""
    exec_start = " ".join(_quote(a) for a in command)
    extra = "".join(
        _environment_line(name, value) + "\n" for name, value in sorted((environment or {}).items())
    )
    return f"""[Unit]
Description=ritual, a voice companion for daily rituals (ritual listen)
After={" ".join(SOUND_UNITS)}
StartLimitIntervalSec=300
StartLimitBurst=5

[Service]
Type=exec
ExecStart={exec_start}
Environment=PYTHONUNBUFFERED=1
Environment=PYTHONIOENCODING=utf-8
{extra}Restart=on-failure
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=20
SyslogIdentifier=ritual

[Install]
WantedBy=default.target
"""


POLISH_SERVICE = "ritual-polish.service"
POLISH_TIMER = "ritual-polish.timer"
POLISH_AT = "*-*-* 03:30"
"""when the nightly second listen runs (a missed night runs at the next boot)"""


def polish_unit_text(command: Sequence[str], environment: Mapping[str, str] | None = None) -> str:
    """The one-shot unit the nightly timer starts: ``ritual polish``, niced and idle
    for the disk, so that a Pi stays quick for anything else awake at night; with
    ``environment`` (the RITUAL_ variables the install was checked with)."""
    exec_start = " ".join(_quote(a) for a in command)
    extra = "".join(
        _environment_line(name, value) + "\n" for name, value in sorted((environment or {}).items())
    )
    return f"""[Unit]
Description=ritual: the second listen over the day's answers (ritual polish)

[Service]
Type=oneshot
ExecStart={exec_start}
Environment=PYTHONUNBUFFERED=1
Environment=PYTHONIOENCODING=utf-8
{extra}Nice=15
IOSchedulingClass=idle
SyslogIdentifier=ritual-polish
"""


def polish_timer_text() -> str:
    return f"""[Unit]
Description=ritual: polish the day's answers at night

[Timer]
OnCalendar={POLISH_AT}
Persistent=true
RandomizedDelaySec=600

[Install]
WantedBy=timers.target
"""


def ritual_command(verb: str, options: Sequence[str]) -> list[str]:
    return [str(Path(sys.executable).absolute()), "-m", "assistant", verb, *options]


PATH_VARIABLES = frozenset(
    f"RITUAL_{name}"
    for name in ("CONFIG", "JOURNAL", "CACHE", "STATE", "RITUALS", "MODEL", "MODELS_DIR",
                 "VOICES_DIR", "PIPER_PYTHON")
)  # fmt: skip
"""the variables that name a file or folder: made absolute (a service starts in ~)"""


def ritual_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The RITUAL_ variables of this environment: the service runs with what
    ``service install`` checked, not with the defaults."""
    found = {}
    for name, value in environ.items():
        if re.fullmatch(r"RITUAL_[A-Z0-9_]+", name) and value:
            absolute = name in PATH_VARIABLES and (name != "RITUAL_PIPER_PYTHON" or "/" in value)
            found[name] = str(Path(value).expanduser().absolute()) if absolute else value
    return found


def listen_command(options: Sequence[str]) -> list[str]:
    """How the service starts ``ritual listen``: this interpreter, by absolute path, so
    the service finds the same installation (a virtual environment included)."""
    return ritual_command("listen", options)


@dataclass(frozen=True)
class Systemctl:
    """The user's systemd, through its command-line tools."""

    environ: Mapping[str, str]

    def available(self) -> bool:
        return shutil.which("systemctl", path=self.environ.get("PATH")) is not None

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["systemctl", "--user", *args],
                env=dict(self.environ),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            return subprocess.CompletedProcess(args, 1, "", str(e))

    def state(self, what: str) -> str:
        """``is-enabled`` or ``is-active``: systemd's one-word answer."""
        result = self.run(what, UNIT_NAME)
        answer = result.stdout.strip()
        if "Failed to connect to bus" in result.stderr:
            return "unknown"
        return answer or "not installed"

    def log(self, lines: int = LOG_LINES) -> list[str]:
        try:
            result = subprocess.run(
                ["journalctl", "--user", "-u", UNIT_NAME, "-n", str(lines),
                 "--no-pager", "-q", "-o", "cat"],
                env=dict(self.environ), capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            return []
        return result.stdout.splitlines()


def user_name() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def linger_enabled(user: str) -> Optional[bool]:
    """Whether the user's systemd runs without a login (None: cannot tell)."""
    try:
        result = subprocess.run(
            ["loginctl", "show-user", user, "-p", "Linger", "--value"],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        if result.returncode == 0 and result.stdout.strip() in ("yes", "no"):
            return result.stdout.strip() == "yes"
    except (OSError, subprocess.TimeoutExpired):
        pass
    if LINGER_DIR.is_dir():
        return (LINGER_DIR / user).exists()
    return None


def linger_advice(user: str) -> Optional[str]:
    """What to do so the service runs from boot, or None when it already will."""
    if linger_enabled(user):
        return None
    return (
        "so that it runs from boot without anyone logging in (a Pi without a desktop), run: "
        f"sudo loginctl enable-linger {user}"
    )


def install(environ: Mapping[str, str], options: Sequence[str]) -> list[str]:
    """Write and enable the unit, start it; what happened, line by line."""
    systemctl = Systemctl(environ)
    if not systemctl.available():
        raise RitualError(
            "systemd is not available here; start `ritual listen` some other way "
            "(your desktop's autostart, or a terminal)"
        )
    folder = user_unit_dir(environ)
    path = folder / UNIT_NAME
    text = unit_text(listen_command(options), ritual_environment(environ))
    said = []
    try:
        make_private_dirs(folder)
        before = _unit_there(path)
        if before is not None and before != text:
            kept = path.with_name(UNIT_NAME + ".before")
            replace_file(kept, before)
            said.append(f"the unit there was not the one ritual writes now; kept it as {kept}")
        replace_file(path, text)
    except OSError as e:
        raise RitualError(f"cannot write {path} ({e.strerror or e})") from None
    said.append(f"wrote {path}")
    systemctl.run("daemon-reload")
    enabled = systemctl.run("enable", UNIT_NAME)
    if enabled.returncode != 0:
        raise RitualError(f"systemctl could not enable {UNIT_NAME}: {enabled.stderr.strip()}")
    said.append("enabled: it starts with your session")
    started = systemctl.run("restart", UNIT_NAME)
    if started.returncode == 0:
        said.append("started: `ritual service status` shows how it is doing")
    elif "Failed to connect to bus" in started.stderr:
        said.append(f"not started now: {NO_MANAGER}; it starts at your next login")
    else:
        said.append(f"could not start it: {started.stderr.strip()}")
    advice = linger_advice(user_name())
    if advice:
        said.append(advice)
    return said


def install_polish(environ: Mapping[str, str], options: Sequence[str]) -> list[str]:
    """Write the nightly ``ritual polish`` unit and its timer, enable the timer."""
    systemctl = Systemctl(environ)
    folder = user_unit_dir(environ)
    units = {
        POLISH_SERVICE: polish_unit_text(
            ritual_command("polish", [*options, "--threads", "1"]), ritual_environment(environ)
        ),
        POLISH_TIMER: polish_timer_text(),
    }
    try:
        make_private_dirs(folder)
        for name, text in units.items():
            replace_file(folder / name, text)
    except OSError as e:
        raise RitualError(f"cannot write the polish timer into {folder} ({e.strerror})") from None
    said = [f"wrote {folder / name}" for name in units]
    systemctl.run("daemon-reload")
    enabled = systemctl.run("enable", "--now", POLISH_TIMER)
    if enabled.returncode == 0:
        said.append(f"the second listen runs nightly ({POLISH_AT})")
    else:
        said.append(f"could not enable {POLISH_TIMER}: {enabled.stderr.strip()}")
    return said


def remove_polish(environ: Mapping[str, str]) -> list[str]:
    systemctl = Systemctl(environ)
    folder = user_unit_dir(environ)
    if not (folder / POLISH_TIMER).exists():
        return []
    if systemctl.available():
        systemctl.run("disable", "--now", POLISH_TIMER)
    for name in (POLISH_TIMER, POLISH_SERVICE):
        (folder / name).unlink(missing_ok=True)
    return [f"removed the nightly polish ({folder / POLISH_TIMER})"]


def _unit_there(path: Path) -> Optional[str]:
    """The text of the unit file at ``path`` (None: none there); a folder or anything
    else that is not a file (or a link) is refused, never replaced or removed."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(mode):
        return None  # replaced as a link; what it points at is left alone
    if not stat.S_ISREG(mode):
        raise RitualError(
            f"{path} is {'a folder' if stat.S_ISDIR(mode) else 'not a file'}, not a unit; "
            "ritual leaves it alone: move it away yourself"
        )
    fd = os.open(path, os.O_RDONLY | NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        return f.read(1 << 20).decode("utf-8", "replace")


def remove(environ: Mapping[str, str]) -> list[str]:
    systemctl = Systemctl(environ)
    path = user_unit_dir(environ) / UNIT_NAME
    polish = remove_polish(environ)
    if not os.path.lexists(path):
        return [*polish, f"not installed ({path} does not exist)"]
    _unit_there(path)
    if systemctl.available():
        systemctl.run("disable", "--now", UNIT_NAME)
    try:
        os.unlink(path)  # a link goes as a link
    except FileNotFoundError:
        pass
    except OSError as e:
        raise RitualError(f"cannot remove {path} ({e.strerror})") from None
    if systemctl.available():
        systemctl.run("daemon-reload")
    return [*polish, f"stopped, disabled and removed {path}"]


@dataclass(frozen=True)
class ServiceStatus:
    installed: bool
    enabled: str
    active: str
    linger: Optional[bool]
    log: list[str]

    @property
    def healthy(self) -> bool:
        """Not installed is fine; installed and enabled but not running is not."""
        return not self.installed or self.active in ("active", "activating", "unknown")


def status(environ: Mapping[str, str]) -> ServiceStatus:
    systemctl = Systemctl(environ)
    path = user_unit_dir(environ) / UNIT_NAME
    installed = os.path.lexists(path)
    if installed:
        _unit_there(path)  # a folder there is said, not taken for a unit
    if not installed or not systemctl.available():
        return ServiceStatus(installed, "not installed", "inactive", None, [])
    return ServiceStatus(
        installed=True,
        enabled=systemctl.state("is-enabled"),
        active=systemctl.state("is-active"),
        linger=linger_enabled(user_name()),
        log=systemctl.log(),
    )
