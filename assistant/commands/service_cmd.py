"""``ritual service install | remove | status``: ``ritual listen`` as a systemd user service."""

from __future__ import annotations

import argparse
from typing import Any

from assistant import service
from assistant.app import check_listen, listen_readiness
from assistant.context import Context
from assistant.core.errors import RitualError


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "service",
        parents=[common],
        help="run `ritual listen` as a systemd user service",
        description="Install, remove or look at the systemd user service that runs "
        "`ritual listen` from login (or from boot, with linger).",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = actions.add_parser("install", parents=[common], help="write, enable and start it")
    install.add_argument(
        "--no-wake", action="store_true", help="no wake phrases: only scheduled offers"
    )
    install.add_argument(
        "--polish",
        action="store_true",
        help="also a nightly timer that runs `ritual polish` (the second listen)",
    )
    install.add_argument(
        "--force",
        action="store_true",
        help="install even though `ritual listen` cannot start here yet (no model, no speaker)",
    )
    install.set_defaults(func=install_service)
    actions.add_parser("remove", parents=[common], help="stop, disable and remove it").set_defaults(
        func=remove_service
    )
    actions.add_parser(
        "status", parents=[common], help="whether it runs, and its last log lines"
    ).set_defaults(func=show_status)


def _listen_options(args: argparse.Namespace) -> list[str]:
    """The options given here that the service's `ritual listen` needs as well."""
    options = []
    for flag in ("config", "journal", "model"):
        value = getattr(args, flag, None)
        if value is not None:
            options += [f"--{flag}", str(value.expanduser().absolute())]
    if getattr(args, "no_wake", False):
        options.append("--no-wake")
    return options


def install_service(args: argparse.Namespace, ctx: Context) -> int:
    # A broken config, a missing ritual, model or speaker is said now, not by a
    # service that fails over and over in the background.
    check_listen(ctx.settings, wake=not args.no_wake)
    if args.polish:
        _check_polish(ctx)
    ready = listen_readiness(ctx.settings, ctx.environ, wake=not args.no_wake)
    for note in ready.waiting:
        ctx.err(f"ritual: warning: {note}")
    if ready.blocking and not args.force:
        raise RitualError(
            "the service could not start: "
            + "; ".join(ready.blocking)
            + ". Fix that first (`ritual doctor` checks it all), or install anyway with --force"
        )
    for line in service.install(ctx.environ, _listen_options(args)):
        ctx.out(line)
    if args.polish:
        options = [o for o in _listen_options(args) if o != "--no-wake"]
        for line in service.install_polish(ctx.environ, options):
            ctx.out(line)
    return 0


def _check_polish(ctx: Context) -> None:
    """A nightly second listen that could never run is said now."""
    from assistant.core.errors import ConfigError
    from assistant.engines.polish import whisper_problem

    problem = whisper_problem()
    if problem:
        raise ConfigError(problem)
    if ctx.settings.encryption.on:
        raise ConfigError(
            "an encrypted journal is polished only when you unlock it: run `ritual polish` "
            "yourself (it asks for the passphrase); a timer has no one to ask"
        )


def remove_service(args: argparse.Namespace, ctx: Context) -> int:
    for line in service.remove(ctx.environ):
        ctx.out(line)
    return 0


def show_status(args: argparse.Namespace, ctx: Context) -> int:
    state = service.status(ctx.environ)
    if not state.installed:
        ctx.out("not installed: `ritual service install` runs `ritual listen` as a service")
        return 0
    active = state.active if state.active != "unknown" else f"unknown ({service.NO_MANAGER})"
    ctx.out(f"{service.UNIT_NAME}: {state.enabled}, {active}")
    if state.linger is False:
        ctx.out(f"linger is off: {service.linger_advice(service.user_name())}")
    ctx.out("last log lines:" if state.log else "no log lines yet")
    for line in state.log:
        ctx.out(f"  {line}")
    return 0 if state.healthy else 1
