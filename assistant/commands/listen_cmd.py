"""``ritual listen``: hands-free, waiting for wake phrases and scheduled times."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.app import listen
from assistant.commands.arguments import add_audio_options
from assistant.commands.signals import stopping_on_signals
from assistant.context import Context
from assistant.core.errors import RitualError
from assistant.core.hands_free import WEEKDAYS
from assistant.safe_files import make_private_dirs
from assistant.settings import Settings

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


@contextlib.contextmanager
def single_instance(settings: Settings) -> Iterator[None]:
    """Hold the listen lock for as long as this runs: two listeners would fight over
    the microphone, and both would answer a wake phrase."""
    make_private_dirs(settings.cache_dir)
    path = settings.cache_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = Path(path).read_text().strip() or "another process"
            raise RitualError(
                f"ritual listen is already running (pid {other}); stop it first, or see "
                "`ritual service status` if it runs as a service"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock


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


def run(args: argparse.Namespace, ctx: Context) -> int:
    settings = ctx.settings
    wake = not args.no_wake
    if not settings.debug:
        logging.getLogger("assistant").setLevel(logging.INFO)  # "woke: morning" in the log
    try:
        with stopping_on_signals() as stop, single_instance(settings):
            for line in describe(settings, wake):
                ctx.err(f"ritual: {line}")
            listen(settings, wake=wake, events=args.events, stdout=ctx.stdout, environ=ctx.environ)
    except KeyboardInterrupt:
        if stop.received is None:
            raise  # Ctrl-C: 130, as for any command
        ctx.err("ritual: stopped")  # a service stop is a normal end
    return 0
