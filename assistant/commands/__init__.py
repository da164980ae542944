"""One module per sub-command; each has ``register(subparsers, common)``.

``register`` adds its parser and sets ``func(args, context) -> exit status``.
"""

from __future__ import annotations

from types import ModuleType

from assistant.commands import (
    check_cmd,
    devices_cmd,
    doctor_cmd,
    journal_cmd,
    list_cmd,
    listen_cmd,
    models_cmd,
    run_cmd,
    service_cmd,
    transcribe_cmd,
)

COMMAND_MODULES: list[ModuleType] = [
    run_cmd,
    listen_cmd,
    list_cmd,
    check_cmd,
    journal_cmd,
    models_cmd,
    transcribe_cmd,
    service_cmd,
    devices_cmd,
    doctor_cmd,
]
