"""What a recall step reads back: the day or days it looks at, and of several ids
the one picked for the day.

Pure: the answers come through the ports (``AnswerLookup`` for a given day,
``WeekLookup`` for this week).
"""

from __future__ import annotations

import random
from datetime import date
from typing import Optional

from assistant.core.ports import AnswerLookup, WeekLookup
from assistant.core.ritual import Recall, RecallWhen, picked_index, recall_day, week_start_for


def recalled(
    step: Recall,
    when: RecallWhen,
    today: date,
    *,
    answers: Optional[AnswerLookup],
    week: Optional[WeekLookup],
    rng: random.Random,
) -> Optional[str]:
    """The answer ``step`` reads back from ``when``; of several ids, the one picked
    (or, when that one was not answered, the next that was)."""
    if when == "this week":
        if week is None:
            return None
        recent = week.latest_answers(step.ritual, step.ids, week_start_for(today), today)
        if recent is None:
            return None
        order = picking_order(step, (today - recent.day).days, rng)
        return next((recent.answers[i] for i in order if i in recent.answers), None)
    if answers is None:
        return None
    on = recall_day(when, today)
    days_since = (today - on).days if on is not None else today.toordinal()
    for answer_id in picking_order(step, days_since, rng):
        # one lookup at a time: an encrypted journal's recall state gives an answer up
        # once read, so the ids after the one found are not asked for
        found = answers.find_answer(step.ritual, answer_id, on)
        if found:
            return found
    return None


def picking_order(step: Recall, days_since: int, rng: random.Random) -> tuple[str, ...]:
    """The recall's ids, the one picked first (``days_since``: days after the entry)."""
    ids = step.ids
    if len(ids) == 1:
        return ids
    first = rng.randrange(len(ids)) if step.pick == "random" else picked_index(len(ids), days_since)
    return ids[first:] + ids[:first]
