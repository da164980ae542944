"""A Raspberry-Pi-class CPU: a cgroup v1 CPU quota for the processes under test.

Measured on this machine: Vosk decodes in real time on about 0.17 of a core here,
and a Raspberry Pi 4 core does about as much Vosk work as 0.25-0.3 of one (Piper
gains more from this CPU's vector units: about 0.09 of a core matches a Pi 4).
So 0.3 of a core is a Pi 4 for ritual's own loop, and 0.09 for a Piper worker.
Needs root and cgroup v1 (the ``cpu`` controller mounted at /sys/fs/cgroup/cpu).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, Optional

CPU_ROOT = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000


def quota_missing() -> Optional[str]:
    """Why a CPU quota cannot be set here, or None."""
    if not (CPU_ROOT / "cgroup.procs").exists():
        return "no cgroup v1 cpu controller at /sys/fs/cgroup/cpu"
    if os.geteuid() != 0:
        return "setting a CPU quota needs root"
    return None


class CpuGroup:
    """A cgroup limited to some cores of one CPU."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, pid: int) -> None:
        """Put a running process (not its threads' later children) into the group."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def enter(self) -> None:
        """A ``preexec_fn``: the process being started goes into the group."""
        self.add(os.getpid())


@contextlib.contextmanager
def cpu_group(cores: float, name: str = "ritual-bench") -> Iterator[CpuGroup]:
    """A cgroup limited to ``cores`` of one CPU, removed afterwards."""
    group = CPU_ROOT / f"{name}-{os.getpid()}"
    group.mkdir()
    try:
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(int(cores * PERIOD_US)))
        yield CpuGroup(group)
    finally:
        # Processes still inside would keep it busy: move them back to the root first.
        with contextlib.suppress(OSError):
            for pid in (group / "cgroup.procs").read_text().split():
                (CPU_ROOT / "cgroup.procs").write_text(pid)
        with contextlib.suppress(OSError):
            group.rmdir()


@contextlib.contextmanager
def cpu_quota(cores: float, name: str = "ritual-bench") -> Iterator[Callable[[], None]]:
    """A cgroup limited to ``cores`` of one CPU; yields a ``preexec_fn`` that puts the
    process being started into it. The cgroup is removed afterwards."""
    with cpu_group(cores, name) as group:
        yield group.enter
