"""``make platform-matrix``: the README's set-up and a test run on each platform ritual
promises, Raspberry Pi OS among them, emulated here.

Each ARM platform is a Debian chroot made by debootstrap and run through qemu-user
(binfmt_misc); the chroots are kept under ``--root`` (outside the repository) and
reused, so a second run costs the tests, not the set-up. A copy of this working
tree goes into each (its ``.venv`` is kept between runs), then ``./setup test``
installs what the README says and runs the core tests everywhere and the engine
subset where the platform has the engines. One line per platform is printed and
``platform_matrix`` is written into bench/results.json.

Needs root (debootstrap, chroot, mounts) and Debian's qemu-user-static,
binfmt-support and debootstrap. Emulation is 5 to 20 times slower than the host:
expect an hour per ARM platform. What emulation needs and a Pi does not:
- qemu shows the host's x86 /proc/cpuinfo, on which onnxruntime (Piper) crashes at
  import: a Pi 4's is bind-mounted over it;
- the host's CA bundle (with a TLS-intercepting proxy's CA in it) and its pip
  configuration are copied in, so pip trusts what the host trusts;
- espeak-ng's data on armhf is read through a tmpfs (32-bit qemu cannot stat the
  host file system's 64-bit inodes);
- qemu adds a thread to each process and runs Piper about 36 times slower, so the
  tests of Piper's thread count and time limits fail here for the emulator's sake.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results.json"
DEFAULT_ROOT = Path(os.environ.get("RITUAL_MATRIX_ROOT", "/var/tmp/ritual-matrix"))
PYENV = Path("/root/.pyenv/versions")
HOURS = 3600
CORE = ["-m", "not engine", "--ignore=tests/engine"]
ENGINE_SUBSET = [
    "tests/engine/test_transcribe.py",
    "tests/engine/test_listener.py",
    "tests/engine/test_tts.py",
    "tests/engine/test_devices.py",
    "tests/engine/test_voice_ritual.py",
]
"""Vosk with the real model, espeak-ng and the audio stack (a private PulseAudio)"""
QUICK_CORE = [
    f"tests/test_{name}.py"
    for name in ("journal", "journal_index", "conductor", "ritual_files", "platform_info")
] + ["tests/test_wav.py", "tests/test_loudness.py", "tests/test_endpoint.py"]
"""``--quick``: the journal (files, SQLite's FTS), the conductor, ritual files (YAML),
the machine's facts and numpy/soxr: a sample an emulated platform runs in minutes"""
QUICK_ENGINE = ["tests/engine/test_transcribe.py"]
"""``--quick``: Vosk's own library on the real model (where libatomic1 was missing)"""
INCLUDE = "ca-certificates,python3,python3-venv,python3-pip,espeak-ng-data"
"""what debootstrap adds to the minimal system; ./setup installs the rest"""
PI_CPUINFO = """processor\t: {n}
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0xd08
CPU revision\t: 3
"""
PI_BOARD = "Hardware\t: BCM2835\nRevision\t: c03114\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n"


@dataclass(frozen=True)
class Platform:
    name: str
    arch: Optional[str] = None
    """Debian architecture of the chroot (None: this machine, with ``python``)"""
    suite: str = ""
    python: Optional[Path] = None
    engine: bool = True
    """also run the engine subset"""

    @property
    def emulated(self) -> bool:
        return self.arch is not None


PLATFORMS = (
    Platform("native-py3.13", python=PYENV / "3.13.0" / "bin" / "python"),
    Platform("arm64-trixie", "arm64", "trixie"),
    Platform("arm64-bookworm", "arm64", "bookworm"),
    Platform("armhf-bookworm", "armhf", "bookworm", engine=False),
)


@dataclass
class Outcome:
    platform: str
    python: str = "?"
    install: str = "not run"
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    engine_passed: Optional[int] = None
    engine_failed: Optional[int] = None
    tests: str = "full"
    """full: every core test and the engine subset; quick: QUICK_CORE and QUICK_ENGINE"""
    minutes: float = 0.0
    phase_minutes: dict[str, float] = field(default_factory=dict)
    """install, core, engine"""
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        engine = (
            f"; engine subset {self.engine_passed} passed, {self.engine_failed} failed"
            if self.engine_passed is not None
            else ""
        )
        return (
            f"{self.platform:15} python {self.python:7} install {self.install:8} "
            f"{self.tests} core {self.passed} passed, {self.failed} failed, {self.skipped} skipped"
            f"{engine}; {self.minutes:.0f} min"
        )


# -- the chroot -----------------------------------------------------------------------


def run(cmd: Sequence[str], log: Path, timeout: float = 2 * HOURS) -> int:
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        # A session of its own: a timeout, Ctrl-C or SIGTERM ends apt, pip and pytest
        # inside the chroot too, not only the shell that started them.
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            out.write(f"timed out after {timeout:.0f} s\n")
            return 124
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def mirror() -> str:
    """The Debian mirror this machine's own apt uses."""
    for path in [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]:
        text = path.read_text(errors="replace") if path.is_file() else ""
        found = re.search(r"(?:^URIs:\s*|^deb\s+(?:\[[^]]*\]\s+)?)(\S+/debian)/?\s", text, re.M)
        if found:
            return found.group(1)
    return "http://deb.debian.org/debian"


def need_binfmt() -> None:
    misc = Path("/proc/sys/fs/binfmt_misc")
    if not (misc / "status").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(misc)], check=True)
    subprocess.run(["update-binfmts", "--enable"], check=False, capture_output=True)


def build_chroot(p: Platform, target: Path, log: Path) -> bool:
    if (target / "etc" / "debian_version").exists() and (target / "usr/bin/python3").exists():
        return True
    need_binfmt()
    cmd = ["nice", "-n", "15", "debootstrap", f"--arch={p.arch}", "--variant=minbase"]
    return run([*cmd, f"--include={INCLUDE}", p.suite, str(target), mirror()], log) == 0


def trust_like_the_host(target: Path, log: Path) -> None:
    """The host's CA bundle (with a TLS proxy's CA in it) and pip configuration,
    copied in. The bundle is copied, not rebuilt: update-ca-certificates takes minutes
    under qemu, and failed there once (its temporary file could not be opened)."""
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if bundle.is_file():
        (target / "etc/ssl/certs").mkdir(parents=True, exist_ok=True)
        shutil.copy2(bundle, target / bundle.relative_to("/"))
    for conf in (Path("/etc/pip.conf"), Path("/root/.config/pip/pip.conf")):
        if conf.is_file():
            (target / conf.relative_to("/")).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(conf, target / conf.relative_to("/"))
    shutil.copy2("/etc/resolv.conf", target / "etc" / "resolv.conf")
    # As Debian's container images do: no manuals or docs (man-db's trigger alone
    # takes minutes under qemu), and no fsync per file.
    (target / "etc/dpkg/dpkg.cfg.d").mkdir(parents=True, exist_ok=True)
    (target / "etc/dpkg/dpkg.cfg.d/01-platform-matrix").write_text(
        "force-unsafe-io\npath-exclude=/usr/share/man/*\npath-exclude=/usr/share/doc/*\n"
    )


def mount(stack: ExitStack, what: list[str], where: Path) -> None:
    subprocess.run(["mount", *what, str(where)], check=True)
    stack.callback(subprocess.run, ["umount", "-l", str(where)], check=False)


@contextmanager
def mounted(p: Platform, target: Path) -> Iterator[None]:
    """/proc (with a Pi 4's cpuinfo), /sys, /dev, and a tmpfs /tmp as trixie has."""
    cpuinfo = target.parent / f"{p.name}.cpuinfo"
    cores = "".join(PI_CPUINFO.format(n=n) + "\n" for n in range(4))
    cpuinfo.write_text(cores + PI_BOARD)
    with ExitStack() as stack:
        mount(stack, ["-t", "proc", "proc"], target / "proc")
        mount(stack, ["--bind", str(cpuinfo)], target / "proc" / "cpuinfo")
        mount(stack, ["--bind", "/sys"], target / "sys")
        mount(stack, ["--bind", "/dev"], target / "dev")
        mount(stack, ["--bind", "/dev/pts"], target / "dev" / "pts")
        mount(stack, ["-t", "tmpfs", "tmpfs"], target / "dev" / "shm")
        mount(stack, ["-t", "tmpfs", "tmpfs"], target / "tmp")
        for data in target.glob("usr/lib/*/espeak-ng-data"):
            if p.arch == "armhf":
                kept = target.parent / f"{p.name}.espeak-ng-data"
                if not kept.exists():
                    shutil.copytree(data, kept, symlinks=True)
                mount(stack, ["-t", "tmpfs", "tmpfs"], data)
                shutil.copytree(kept, data, symlinks=True, dirs_exist_ok=True)
        yield


def copy_tree(dest: Path) -> None:
    """This working tree as git sees it (tracked and new files) in ``dest``, whose
    older copy goes first (a file deleted here must not linger there); its .venv is
    left alone."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():
        if old.name != ".venv":
            shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    listed = [REPO / f for f in files.decode().split("\0") if f and (REPO / f).is_file()]
    for src in listed:
        to = dest / src.relative_to(REPO)
        to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, to)


# -- one platform ---------------------------------------------------------------------


def counts(log_tail: str) -> dict[str, int]:
    """pytest's last line: '610 passed, 2 failed, 3 skipped in 812.5s'."""
    found = {}
    for number, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)\b", log_tail):
        found["error" if word.startswith("error") else word] = int(number)
    return found


def failures(text: str) -> list[str]:
    return sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", text, re.M)))


def test_run(
    shell: list[str], setup: str, args: list[str], log: Path
) -> tuple[dict[str, int], list[str]]:
    """pytest's counts and the names of the tests that failed."""
    start = log.stat().st_size if log.exists() else 0
    command = f"cd {setup} && ./setup test -q -p no:cacheprovider {shlex.join(args)}"
    run([*shell, command], log, timeout=3 * HOURS)
    text = log.read_text(errors="replace")[start:]
    last = text.strip().splitlines()[-1] if text.strip() else ""
    return counts(last), failures(text)


def shell_for(p: Platform, target: Path) -> list[str]:
    env = ["HOME=/root", "LANG=C.UTF-8", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"]
    env += [f"{k}={v}" for k, v in os.environ.items() if k.lower().endswith("_proxy")]
    if p.emulated:
        # pip's byte-compiling of every installed file is most of its time under qemu;
        # Python compiles what it imports anyway
        env.append("PIP_NO_COMPILE=1")
        return ["nice", "-n", "15", "chroot", str(target), "env", "-i", *env, "bash", "-c"]
    return ["nice", "-n", "15", "bash", "-c"]


def run_platform(
    p: Platform, root: Path, engine: bool, save: Callable[[Outcome], None], quick: bool = False
) -> Outcome:
    """Set up and test one platform; ``save`` hears the outcome after each phase, so
    a run cut short still leaves what it measured."""
    outcome = Outcome(p.name, tests="quick" if quick else "full")
    started = time.monotonic()
    log = root / f"{p.name}.log"
    target = root / p.name
    with ExitStack() as stack:
        if p.emulated:
            if not build_chroot(p, target, log):
                outcome.install = "no chroot"
                return outcome
            trust_like_the_host(target, log)
            stack.enter_context(mounted(p, target))
        elif p.python is None or not p.python.exists():
            outcome.install = "no python"
            return outcome
        tree = target / "root" / "ritual" if p.emulated else target / "ritual"
        copy_tree(tree)
        setup = "/root/ritual" if p.emulated else str(tree)
        shell = shell_for(p, target)
        if not p.emulated and not (tree / ".venv").exists():
            run([str(p.python), "-m", "venv", str(tree / ".venv")], log)
        if p.emulated:  # a run stopped halfway leaves dpkg waiting to be finished
            run([*shell, "dpkg --configure -a"], log)
        installed = run([*shell, f"cd {setup} && ./setup test --version"], log) == 0
        outcome.install = "ok" if installed else "fails"
        outcome.phase_minutes["install"] = _minutes(started)
        if installed:
            run([*shell, f"{setup}/.venv/bin/python --version"], log)
            outcome.python = python_version(log)
            _test_phases(outcome, shell, setup, log, engine and p.engine, save, started)
    outcome.minutes = _minutes(started)
    return outcome


def _test_phases(
    outcome: Outcome,
    shell: list[str],
    setup: str,
    log: Path,
    engine: bool,
    save: Callable[[Outcome], None],
    started: float,
) -> None:
    phase = time.monotonic()
    quick = outcome.tests == "quick"
    core, failed = test_run(shell, setup, QUICK_CORE if quick else CORE, log)
    outcome.passed = core.get("passed", 0)
    outcome.failed = core.get("failed", 0) + core.get("error", 0)
    outcome.skipped = core.get("skipped", 0)
    outcome.failures += failed
    outcome.phase_minutes["core"] = _minutes(phase)
    outcome.minutes = _minutes(started)
    save(outcome)
    if engine:
        phase = time.monotonic()
        sub, failed = test_run(shell, setup, QUICK_ENGINE if quick else ENGINE_SUBSET, log)
        outcome.engine_passed = sub.get("passed", 0)
        outcome.engine_failed = sub.get("failed", 0) + sub.get("error", 0)
        outcome.failures += failed
        outcome.phase_minutes["engine"] = _minutes(phase)


def _minutes(since: float) -> float:
    return round((time.monotonic() - since) / 60, 1)


def python_version(log: Path) -> str:
    found = re.findall(r"^Python (\d+\.\d+\.\d+)$", log.read_text(errors="replace"), re.M)
    return found[-1] if found else "?"


def write_results(outcomes: list[Outcome], path: Path = RESULTS) -> None:
    """Merged into results.json, under a lock: platforms may run side by side."""
    with open(Path(tempfile.gettempdir()) / "ritual-platform-matrix.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.exists() else {}
        matrix = data.get("platform_matrix", {})
        for o in outcomes:
            matrix[o.platform] = {k: v for k, v in asdict(o).items() if k != "platform"}
        data["platform_matrix"] = matrix
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.platform_matrix", description=__doc__)
    parser.add_argument("--only", action="append", choices=[p.name for p in PLATFORMS])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="where chroots live")
    parser.add_argument("--no-engine", action="store_true", help="core tests only")
    parser.add_argument(
        "--quick", action="store_true", help="a sample of the tests (minutes, not hours)"
    )
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C: the chroots' mounts are undone on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if os.geteuid() != 0:
        print("platform-matrix: needs root (debootstrap, chroot, mounts)", file=sys.stderr)
        return 1
    if REPO in [args.root, *args.root.resolve().parents]:
        print("platform-matrix: keep --root outside the repository", file=sys.stderr)
        return 1
    args.root.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for p in PLATFORMS:
        if args.only and p.name not in args.only:
            continue
        outcome = run_platform(
            p, args.root, not args.no_engine, lambda o: write_results([o]), args.quick
        )
        print(outcome.line(), flush=True)
        outcomes.append(outcome)
        write_results([outcome])
    return 0 if all(o.install == "ok" and o.failed == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
