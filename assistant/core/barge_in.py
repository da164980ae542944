"""Barge-in: which commands may cut a prompt short, and the prompt-text rule.

While ritual speaks, a small recogniser listens for a few commands only. A
phrase whose words the prompt itself says ("say skip to skip") is never
listened for during that prompt: its own echo, left over after cancellation,
must not be able to stop it.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.core.vocabulary import Vocabulary
from assistant.core.voice_commands import Command, CommandSet, normalize


class BargeIn(Vocabulary):
    """The ``barge_in:`` setting."""

    OFF = "off"
    """half-duplex: the mic is closed while ritual speaks (the default)"""
    ON = "on"
    """the mic stays open, ritual's own voice is cancelled in software (AEC)"""
    HEADSET = "headset"
    """the mic stays open; the device cancels the echo itself (headset, speakerphone)"""


BARGE_IN_VALUES = tuple(v.value for v in BargeIn)

DURING_PROMPT = (Command.STOP, Command.SKIP, Command.REPEAT, Command.PAUSE, Command.BACK)
"""the commands that make sense while a prompt plays"""


def barge_in_for(configured: BargeIn, ritual: BargeIn | None) -> BargeIn:
    """The setting a ritual runs with: its own where it has one, else the config's.
    A config's ``headset`` stands for the devices: a ritual asking for ``on`` gets it."""
    wanted = ritual or configured
    if wanted is BargeIn.ON and configured is BargeIn.HEADSET:
        return BargeIn.HEADSET
    return wanted


def parse_barge_in(value: object) -> BargeIn | None:
    """The setting for a YAML value (``on``/``off`` arrive as booleans), or None."""
    if value is True:
        return BargeIn.ON
    if value is False:
        return BargeIn.OFF
    for member in BargeIn:
        if value == member.value:
            return member
    return None


def prompt_commands(
    commands: CommandSet, allowed: Iterable[Command], prompt: str
) -> dict[Command, tuple[str, ...]]:
    """The phrases listened for while ``prompt`` plays: those of the ``allowed``
    commands that can be said during a prompt, less every phrase sharing a word
    with the prompt's own text. A command left with no phrase is left out."""
    spoken = set(normalize(prompt).split())
    wanted = set(allowed) & set(DURING_PROMPT)
    kept: dict[Command, tuple[str, ...]] = {}
    for command, phrases in commands.items():
        if command not in wanted:
            continue
        usable = tuple(
            p for p in phrases if normalize(p) and not set(normalize(p).split()) & spoken
        )
        if usable:
            kept[command] = usable
    return kept
