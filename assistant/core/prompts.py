"""Every prompt a ritual can speak that holds none of the user's words.

These are what a speaker may render ahead and keep in its cache: the ritual's
own texts, the breathing cues, the conductor's phrases, the reframe follow-ups.
Read-backs and recalls of an answer are private and never listed here, nor is
a text that says a figure of the week (``{week_words}`` are the user's words), nor
one whose ``{streak}`` is known only as it is spoken.
``tests/test_prompts.py`` runs the conductor down every path and checks that
each non-private prompt it speaks is in this list, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Optional

from assistant.core.phrases import phrases_for
from assistant.core.reframe import NO_REFRAMES, Reframes
from assistant.core.ritual import (
    Affirm,
    Ask,
    Breathe,
    Recall,
    Ritual,
    Say,
    fill,
    has_week_figures,
    placeholder_values,
    still_to_fill,
    time_values,
)

TIMES_OF_DAY = ("morning", "afternoon", "evening", "night")
CONDUCTOR_PHRASES = ("first", "paused", "stopping", "stopping_empty", "add", "heard_again")
"""what the conductor says that is neither a step's text nor a read-back"""


def ritual_prompts(
    ritual: Ritual,
    values: Mapping[str, str],
    reframes: Reframes = NO_REFRAMES,
    *,
    affirm_day: Optional[int] = None,
) -> list[str]:
    """The ritual's non-private prompts with ``values`` filled in, each once.

    In the order a session needs them: the main path first (what every session
    says, in step order), then what only some sessions say (asking again after a
    silence, reframe follow-ups, pausing, confirming). ``affirm_day``: the
    ordinal of the day, so that the day's affirmation comes first and the others
    later (None: all in the main path).
    """
    phrases = phrases_for(ritual.language)
    rules = reframes.rules_for(ritual.language)
    main: list[str] = []
    later: list[str] = []

    def again(prompt: str) -> str:
        return phrases["again"].format(prompt=prompt)

    for step in ritual.steps:
        if isinstance(step, (Say, Ask)) and has_week_figures(step.text):
            pass  # made as it is spoken, privately
        elif isinstance(step, Say):
            main.append(fill(step.text, values))
        elif isinstance(step, Breathe):
            cues = (
                ("breathe_in", "hold", "breathe_out")
                if step.hold
                else ("breathe_in", "breathe_out")
            )
            main.extend(phrases[cue] for cue in cues)
        elif isinstance(step, Affirm):
            texts = [None if has_week_figures(t) else fill(t, values) for t in step.texts]
            if affirm_day is not None and step.pick == "day":
                today = texts[affirm_day % len(texts)]
                main.extend([today] if today else [])
                later.extend(t for t in texts if t and t != today)
            else:
                main.extend(t for t in texts if t)
        elif isinstance(step, Ask):
            prompt = fill(step.text, values)
            main.append(prompt)
            later.append(again(prompt))
        elif isinstance(step, Recall) and step.otherwise and not has_week_figures(step.otherwise):
            # Said when nothing was found; what was found is read back privately.
            otherwise = fill(step.otherwise, values)
            main.append(otherwise)
            if step.listening is not None:
                later.append(again(otherwise))
        listening = step.listening if isinstance(step, (Ask, Recall)) else None
        if listening is not None and listening.reframe:
            for rule in rules:
                follow_up = fill(rule.follow_up, values)
                later.extend((follow_up, again(follow_up)))
    if ritual.questions:
        later.extend(phrases[name] for name in CONDUCTOR_PHRASES)
    # A text still holding {streak} is made as it is spoken; rendered ahead, the
    # cache would hold (and a session might say) the placeholder itself.
    return [t for t in dict.fromkeys(main + later) if not still_to_fill(t)]


def upcoming_values(start: datetime, name: str, days: int) -> list[dict[str, str]]:
    """Placeholder values for every session that may start within ``days`` days of
    ``start`` (today included): each day at each time of day."""
    variants = []
    for day in range(max(days, 1)):
        moment = start + timedelta(days=day)
        for time_of_day in TIMES_OF_DAY:
            variants.append({**placeholder_values(moment, name), **time_values(time_of_day)})
    return variants


def prompts_ahead(
    ritual: Ritual, variants: Iterable[Mapping[str, str]], reframes: Reframes = NO_REFRAMES
) -> list[str]:
    """``ritual_prompts`` for each set of placeholder values, each text once."""
    texts: list[str] = []
    for values in variants:
        texts.extend(ritual_prompts(ritual, values, reframes))
    return list(dict.fromkeys(texts))
