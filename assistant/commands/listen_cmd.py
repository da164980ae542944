"""``ritual listen``: hands-free, waiting for wake phrases and scheduled times."""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePath
from typing import Any

from assistant.app import listen
from assistant.commands.arguments import add_audio_options
from assistant.commands.signals import stopping_on_signals
from assistant.context import Context
from assistant.core.errors import RitualError
from assistant.core.hands_free import WEEKDAYS
from assistant.safe_files import folder_fd, open_private_at, remove_at
from assistant.settings import APP, Settings

LOCK_FILE = "listen.lock"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "listen",
        parents=[common],
        help="hands-free: wake phrases and scheduled offers start rituals",
        description="Wait for a wake phrase (like 'ritual, good morning') or a scheduled "
        "time from the config, run the ritual, and wait again. Stop it with Ctrl-C, or "
        "run it as a service (`ritual service install`).",
    )
    p.add_argument(
        "--no-wake",
        action="store_true",
        help="no wake phrases: the microphone opens only at scheduled times",
    )
    add_audio_options(p)
    p.set_defaults(func=run)


def lock_folder(environ: Mapping[str, str]) -> tuple[Path, PurePath]:
    """Where the listen lock lives: one per user, whatever cache or state folder a
    config names. The user's runtime folder (``$XDG_RUNTIME_DIR``, private and
    emptied at logout), else the user's own state folder. As (the user's folder,
    ritual's folder in it)."""
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):  # never made by us
        return Path(runtime), PurePath(APP)
    state = environ.get("XDG_STATE_HOME")
    if state and os.path.isabs(state):
        return Path(state), PurePath(APP)
    return Path(environ.get("HOME") or Path.home()), PurePath(".local", "state", APP)


@contextlib.contextmanager
def single_instance(environ: Mapping[str, str]) -> Iterator[None]:
    """Hold the listen lock for as long as this runs: two listeners would fight over
    the microphone, and both would answer a wake phrase."""
    root, relative = lock_folder(environ)
    path = root / relative / LOCK_FILE
    try:
        with folder_fd(root, relative) as folder:
            if os.fstat(folder).st_uid != os.getuid():
                raise OSError(errno.EPERM, "the folder belongs to someone else")
            fd = _lock_file(folder)
    except OSError as e:
        raise RitualError(
            f"cannot take the listen lock {path} ({e.strerror or e}); it must be a file "
            "ritual can write, in a folder of its own"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
            raise RitualError(
                f"ritual listen is already running (pid {other}); stop it first, or see "
                "`ritual service status` if it runs as a service"
            ) from None
        with contextlib.suppress(OSError):  # the pid is for the user to read; a full disk
            os.ftruncate(fd, 0)  # does not stop a listener that holds the lock
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _lock_file(folder: int) -> int:
    """The lock file in ritual's own folder: a link (symbolic or hard), FIFO or socket
    found at its name is removed (the link itself, never what it names) and a fresh
    file made."""
    try:
        return open_private_at(folder, LOCK_FILE)
    except OSError as e:
        if e.errno not in (errno.ELOOP, errno.EINVAL, errno.EMLINK):
            raise
    remove_at(folder, LOCK_FILE)
    return open_private_at(folder, LOCK_FILE)


def describe(settings: Settings, wake: bool) -> list[str]:
    """What this listener will do, in a few lines for the log."""
    lines = []
    if wake:
        phrases = settings.hands_free.wake_phrases(settings.language)
        said = ", ".join(f"'{p}' ({r})" for p, r in phrases.items())
        lines.append(f"waiting for: {said}")
    for offer in settings.hands_free.schedule:
        days = (
            "every day"
            if len(offer.weekdays) == 7
            else ", ".join(WEEKDAYS[d] for d in sorted(offer.weekdays))
        )
        lines.append(f"offering {offer.ritual} at {offer.at:%H:%M} ({days})")
    return lines


def _say_lines(ctx: Context, lines: list[str]) -> None:
    for line in lines:
        ctx.err(f"ritual: {line}")


def run(args: argparse.Namespace, ctx: Context) -> int:
    settings = ctx.settings
    wake = not args.no_wake
    if not settings.debug:
        logging.getLogger("assistant").setLevel(logging.INFO)  # "woke: morning" in the log
    try:
        with stopping_on_signals() as stop, single_instance(ctx.environ):
            listen(
                settings,
                wake=wake,
                events=args.events,
                stdout=ctx.stdout,
                environ=ctx.environ,
                ready=lambda: _say_lines(ctx, describe(settings, wake)),
            )
    except KeyboardInterrupt:
        if stop.received is None:
            raise  # Ctrl-C: 130, as for any command
        ctx.err("ritual: stopped")  # a service stop is a normal end
    return 0
