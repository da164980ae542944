"""A synthetic journal: years of morning and evening entries, as ritual writes them.

``python -m bench.journal_gen DIR [--years 10] [--end YYYY-MM-DD]`` writes a
morning and an evening entry for every day up to ``--end`` (default today):
the bundled rituals' questions, answers of a few sentences (about 4 KB an
entry, like a spoken check-in of a few minutes), a mood on a scale of 1 to 5,
now and then a skipped question, a reframe follow-up, or a day left out. The
same seed gives the same journal. Entries are rendered by the product's own
``render_entry``; files are written 0600 in 0700 folders, without fsync (it is
a benchmark fixture, not a diary).
"""

from __future__ import annotations

import argparse
import math
import os
import random
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from assistant.core.journal import (
    Answer,
    AnswerState,
    Entry,
    EntryStatus,
    FollowUp,
    entry_filename,
    entry_subdir,
    render_entry,
)
from assistant.safe_files import make_private_dirs

TZ = timezone(timedelta(hours=1))
QUESTIONS = {
    "morning": (
        ("feeling", "How are you feeling right now?"),
        ("mood", "On a scale from one to five, how is your mood this morning?"),
        ("body", "Take a moment to notice your body. Where do you feel that?"),
        ("need", "What do you need right now?"),
        ("support", "How can you support yourself today?"),
        ("good_day", "What would make today a good day?"),
        ("intention", "What is one intention you would like to carry with you today?"),
    ),
    "evening": (
        ("intention_review", "This morning, your intention was to rest. How did that go?"),
        ("mood", "On a scale from one to five, how was your mood today?"),
        ("went_well", "What went well today? Something small counts too."),
        ("learned", "What did you learn today, about the world or about yourself?"),
        ("weighed_on_me", "Was there a moment today that weighed on you?"),
        ("let_go", "What are you ready to let go of before you sleep?"),
        ("gratitude", "Name three things you are grateful for today."),
    ),
}
START = {"morning": time(7, 5), "evening": time(21, 40)}

_SUBJECTS = (
    "the walk to the station", "my sister's call", "the meeting with Sam", "lunch in the park",
    "the long afternoon", "the rain", "the garden", "my back", "the project at work",
    "the children", "an old friend", "the book I am reading", "the bus ride", "my sleep",
    "the kitchen", "the news", "a quiet hour", "the bike ride", "my mother", "the deadline",
)  # fmt: skip
_FEELINGS = (
    "tired", "calm", "restless", "hopeful", "grateful", "worried", "light", "heavy", "curious",
    "content", "anxious", "steady", "peaceful", "flat", "excited", "sad", "proud", "unsure",
)  # fmt: skip
_VERBS = (
    "I noticed", "I kept thinking about", "I was glad about", "I struggled with", "I enjoyed",
    "I want to remember", "I let go of", "I learned something from", "I was surprised by",
)  # fmt: skip
_KOREAN = (
    "오늘은 희망적이었어요", "가족과 함께 감사한 하루였어요", "조금 피곤했지만 괜찮았어요",
    "산책하면서 마음이 편해졌어요", "일이 많아서 걱정이 됐어요",
)  # fmt: skip


def sentence(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.03:
        return rng.choice(_KOREAN) + "."
    if kind < 0.5:
        return f"{rng.choice(_VERBS)} {rng.choice(_SUBJECTS)}, and I felt {rng.choice(_FEELINGS)}."
    return (
        f"Somewhere in {rng.choice(_SUBJECTS)} I felt {rng.choice(_FEELINGS)} "
        f"and a little {rng.choice(_FEELINGS)}, which I did not expect."
    )


def answer_text(rng: random.Random, sentences: int) -> str:
    paragraphs = []
    while sentences > 0:
        n = min(sentences, rng.randint(2, 5))
        paragraphs.append(" ".join(sentence(rng) for _ in range(n)))
        sentences -= n
    return "\n\n".join(paragraphs)


def make_entry(rng: random.Random, day: date, ritual: str) -> Entry:
    started = datetime.combine(day, START[ritual], TZ) + timedelta(minutes=rng.randint(0, 50))
    entry = Entry(
        ritual=ritual,
        title="Morning check-in" if ritual == "morning" else "Evening reflection",
        started=started,
        status=EntryStatus.COMPLETE,
        ended=started + timedelta(minutes=rng.randint(6, 14)),
        model="vosk-model-small-en-us-0.15",
        language="en-us",
        tags=("ritual", ritual),
    )
    for answer_id, prompt in QUESTIONS[ritual]:
        if answer_id == "mood":
            # brighter in summer, and a slow drift over the years, with day-to-day noise
            season = math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365.25)
            years = (day - date(2000, 1, 1)).days / 365.25
            level = 3.2 + 0.7 * season + 0.4 * math.sin(years) + rng.gauss(0, 0.8)
            number = max(1, min(5, round(level)))
            words = ("one", "two", "three", "four", "five")[number - 1]
            entry = entry.with_answer(Answer(answer_id, prompt, f"A {words}.", number=number))
            continue
        if rng.random() < 0.05:
            state = rng.choice((AnswerState.SKIPPED, AnswerState.NO_ANSWER))
            entry = entry.with_answer(Answer(answer_id, prompt, state=state))
            continue
        follow_up = None
        if rng.random() < 0.08:
            follow_up = FollowUp(
                "And what is something you value or respect about yourself?",
                answer_text(rng, 2),
                rule="self-critical",
            )
        text = answer_text(rng, rng.randint(5, 11))
        entry = entry.with_answer(Answer(answer_id, prompt, text, follow_up=follow_up))
    return entry


def generate(root: Path, *, years: int = 10, end: date | None = None, seed: int = 0) -> int:
    """Write the journal into ``root``; how many entries were written."""
    rng = random.Random(seed)
    last = end or date.today()
    first = last.replace(year=last.year - years) + timedelta(days=1)
    written = 0
    day = first
    while day <= last:
        if rng.random() >= 0.005:  # a day left out now and then (a streak broken)
            for ritual in ("morning", "evening"):
                write_entry(root, make_entry(rng, day, ritual))
                written += 1
        day += timedelta(days=1)
    return written


def write_entry(root: Path, entry: Entry, n: int = 1) -> Path:
    folder = root / entry_subdir(entry.day)
    make_private_dirs(folder)
    path = folder / entry_filename(entry.day, entry.ritual, n)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(render_entry(entry))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.journal_gen", description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--end", type=date.fromisoformat, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n = generate(args.root, years=args.years, end=args.end, seed=args.seed)
    print(f"wrote {n} entries to {args.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
