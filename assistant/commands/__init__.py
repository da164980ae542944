"""One module per sub-command; each has ``register(subparsers, common)``.

``register`` adds its parser and sets ``func(args, context) -> exit status``.
Every module is imported for ``--help``; what a command needs only to run (the
ritual files' parser, the engines' wiring) is imported in its ``run``, so that
``ritual journal search`` does not pay for loading what ``ritual run`` needs.
"""

from __future__ import annotations

from types import ModuleType

from assistant.commands import (
    check_cmd,
    devices_cmd,
    doctor_cmd,
    journal_cmd,
    key_cmd,
    list_cmd,
    listen_cmd,
    models_cmd,
    polish_cmd,
    prepare_cmd,
    run_cmd,
    service_cmd,
    transcribe_cmd,
    voices_cmd,
)

COMMAND_MODULES: list[ModuleType] = [
    run_cmd,
    listen_cmd,
    list_cmd,
    check_cmd,
    journal_cmd,
    key_cmd,
    models_cmd,
    voices_cmd,
    prepare_cmd,
    transcribe_cmd,
    polish_cmd,
    service_cmd,
    devices_cmd,
    doctor_cmd,
]
