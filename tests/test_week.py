"""The week as a whole, on a real journal folder: a vision on Sunday, mornings that
bring back one goal each, a review on Saturday; a week without a vision; a
ten-year journal read no further than two weeks back; Korean."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Optional

from assistant.core.conductor import Conductor
from assistant.core.export import export_json, export_markdown
from assistant.core.journal import Entry
from assistant.core.ports import ListenRequest, Utterance
from assistant.core.recall import picking_order, recalled
from assistant.core.ritual import Recall, Ritual, Say
from assistant.core.ritual_file import load_ritual
from assistant.core.voice_commands import Command
from assistant.core.week import (
    WeekFacts,
    WeekSummary,
    counted_word,
    korean_stem,
    spoken_figures,
    summarise,
    top_words,
)
from assistant.journal.folder import EntryFile, JournalFolder
from assistant.journal.week import JournalWeek
from bench.journal_gen import make_entry, write_entry
from tests.cli import isolated_env, run_cli
from tests.fakes import EventLog, FakeSpeaker, FixedAnswers, FixedClock

RITUALS = Path(__file__).resolve().parents[1] / "rituals"
SUNDAY = date(2026, 11, 29)
GOALS = {
    "spiritual": "Sit quietly for ten minutes each morning.",
    "physical": "Walk every evening after dinner.",
    "intellectual": "Read two chapters of the garden book.",
    "relational": "Call my sister on Wednesday.",
    "emotional": "Write down one worry and let it go.",
}
KO_GOALS = {"spiritual": "매일 아침 명상하기", "physical": "저녁마다 산책하기"}


@dataclass
class Answering:
    """A listener that answers every question: by its id where ``answers`` has one,
    a number on a scale, "keep" when asked to confirm."""

    answers: dict[str, str] = field(default_factory=dict)
    number: str = "four"
    default: str = "A walk in the park with my sister."
    asked: list[str] = field(default_factory=list)

    def listen(self, request: ListenRequest) -> Utterance:
        request.on_ready()
        if Command.KEEP in request.commands:
            return Utterance(command=Command.KEEP)
        self.asked.append(request.step)
        text = self.answers.get(request.step) or (self.number if request.expected else self.default)
        return Utterance(text=text, raw=text.lower())


def run(
    folder: JournalFolder,
    ritual: str,
    day: date,
    at: time = time(7, 30),
    listener: Optional[Answering] = None,
) -> tuple[Entry, FakeSpeaker]:
    speaker = FakeSpeaker()
    conductor = Conductor(
        ritual=load_ritual(RITUALS / f"{ritual}.yaml"),
        speaker=speaker,
        listener=listener or Answering(),
        sink=EntryFile(folder, keep_audio=False),
        clock=FixedClock(datetime.combine(day, at, timezone.utc)),
        events=EventLog(),
        answers=folder,
        streaks=folder,
        week=JournalWeek(folder),
        name="Ana",
    )
    return conductor.run(), speaker


def goal_of_the_day(speaker: FakeSpeaker) -> Optional[str]:
    found = [s for s in speaker.said if s.startswith("This week, one of your goals was")]
    return found[0] if found else None


def test_a_week_vision_on_sunday_goals_each_morning_review_on_saturday(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path / "journal")
    vision, _ = run(folder, "weekly-vision", SUNDAY, time(19, 0), Answering(dict(GOALS)))
    assert vision.answer("physical").property_key == "goal_physical"  # type: ignore[union-attr]
    moods = ["three", "four", "four", "five", "four"]
    brought = []
    for n, mood in enumerate(moods, 1):
        words = Answering({"feeling": "Calm, and ready to walk.", "body": "My legs."}, number=mood)
        entry, speaker = run(folder, "morning", SUNDAY + timedelta(days=n), listener=words)
        brought.append(goal_of_the_day(speaker))
        intention = entry.answer("intention")
        assert intention is not None and intention.prompt in speaker.private
    # Monday the first goal, then one a day, each once, in the vision's order
    assert brought == [
        f"This week, one of your goals was this: {g.rstrip('.')}. What is one small step toward"
        " it that you would like to carry with you today?"
        for g in GOALS.values()
    ]
    # the evening names the same goal as the morning did
    _, evening = run(folder, "evening", SUNDAY + timedelta(days=2), time(21, 0))
    assert any(GOALS["physical"].rstrip(".") in s for s in evening.said)

    listener = Answering()
    review, speaker = run(
        folder, "weekly-review", SUNDAY + timedelta(days=6), time(18, 0), listener
    )
    said = "\n".join(speaker.said)
    assert "You checked in on all seven days." in said
    assert "Your mood, on average: four, with no mood last week to compare." in said
    assert "Your streak: seven days in a row." in said
    assert "The words you used most: walk, sister and park." in said
    for goal in GOALS.values():
        assert goal.rstrip(".") in said
    assert listener.asked[:5] == [f"{area}_review" for area in GOALS]
    # what holds the user's words or mood is never rendered ahead into a cache
    assert not any("{" in p or "seven days" in p for p in speaker.prepared)
    assert all(s in speaker.private for s in speaker.said if "walk, sister" in s)
    assert review.answer("proud_of") is not None


def test_a_week_without_a_vision_says_nothing_awkward(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path / "journal")
    _, morning = run(folder, "morning", SUNDAY + timedelta(days=1))
    assert goal_of_the_day(morning) is None
    assert "What is one intention you would like to carry with you today?" in morning.said
    _, evening = run(folder, "evening", SUNDAY + timedelta(days=1), time(21, 0))
    assert not any("goal" in s for s in evening.said)

    listener = Answering()
    _, speaker = run(folder, "weekly-review", SUNDAY + timedelta(days=6), time(18, 0), listener)
    said = "\n".join(speaker.said)
    assert "You didn't set goals for this week, and that's fine." in said
    assert "You checked in on two days out of seven." in said
    assert listener.asked == ["proud_of", "next_week"]  # no goal to ask about


def test_a_vision_older_than_seven_days_is_not_this_week(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path / "journal")
    run(folder, "weekly-vision", SUNDAY, time(19, 0), Answering(dict(GOALS)))
    _, saturday = run(folder, "morning", SUNDAY + timedelta(days=6))
    _, next_sunday = run(folder, "morning", SUNDAY + timedelta(days=7))
    assert goal_of_the_day(saturday) is not None  # the sixth day after: the first goal again
    assert GOALS["spiritual"].rstrip(".") in (goal_of_the_day(saturday) or "")
    assert goal_of_the_day(next_sunday) is None


def test_the_korean_review_says_the_week_as_korean_does(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path / "journal")
    run(folder, "weekly-vision-ko", SUNDAY, time(19, 0), Answering(dict(KO_GOALS)))
    for n in (2, 3, 5, 6):  # Tuesday, Wednesday, Friday, Saturday
        write_entry(
            folder.root, make_entry(random.Random(n), SUNDAY + timedelta(days=n), "morning")
        )
    listener = Answering(default="산책이 정말 좋았어요. 친구와 산책했어요. 친구를 만났어요.")
    _, speaker = run(folder, "weekly-review-ko", SUNDAY + timedelta(days=6), time(18, 0), listener)
    said = "\n".join(speaker.said)
    assert (
        "이번 주에는 닷새 함께했어요." in said
    )  # Sunday, four mornings (the review's day among them)
    assert "연속 기록: 2일 연속." in said  # Friday and Saturday
    assert "매일 아침 명상하기" in said and "저녁마다 산책하기" in said
    assert listener.asked[:2] == ["spiritual_review", "physical_review"]  # the goals set, no more


@dataclass(frozen=True)
class CountingFolder(JournalFolder):
    """A journal folder that counts the entries it reads and the folders it lists."""

    read_paths: list[Path] = field(default_factory=list, compare=False)
    listed: list[Path] = field(default_factory=list, compare=False)

    def read_or_pass_over(self, path: Path) -> Optional[Entry]:
        self.read_paths.append(path)
        return super().read_or_pass_over(path)

    def entries_in(self, month: Path) -> list[Path]:
        self.listed.append(month)
        return super().entries_in(month)


def fill(
    root: Path, first: date, last: date, every: int = 1, rituals: tuple[str, ...] = ("morning",)
) -> None:
    rng = random.Random(0)
    day = first
    while day <= last:
        for ritual in rituals:
            write_entry(root, make_entry(rng, day, ritual))
        day += timedelta(days=every)


def test_the_week_reads_as_much_at_ten_years_as_in_its_first_weeks(tmp_path: Path) -> None:
    through = date(2026, 12, 2)
    recent_start = through - timedelta(days=20)
    young = CountingFolder(tmp_path / "young")
    old = CountingFolder(tmp_path / "old")
    for folder in (young, old):
        fill(folder.root, recent_start, through, rituals=("morning", "evening"))
    # ten years before that, a day a month (bench/journal_gen.py's entries): every month
    # folder of ten years is there to be listed, and none of it should be
    fill(old.root, date(2016, 12, 1), recent_start - timedelta(days=2), every=30)

    facts = {name: JournalWeek(f).week(through) for name, f in (("young", young), ("old", old))}
    assert facts["young"] == facts["old"]
    assert facts["old"].streak == 21
    assert len(old.read_paths) == len(young.read_paths) == 28  # fourteen days, two a day
    assert len(old.listed) == len(young.listed) <= 4  # this month and the one before, twice
    for folder in (young, old):
        folder.read_paths.clear()
        found = JournalWeek(folder).latest_answers("morning", ["intention"], through, through)
        assert found is not None and found.day == through
        assert len(folder.read_paths) == 1


# -- the figures and the words, pure -------------------------------------------------


def summary(**changes: object) -> WeekSummary:
    base = WeekSummary(days=5, mood=3.8, last_mood=3.1, streak=12, words=("walk", "sister"))
    return replace(base, **changes)  # type: ignore[arg-type]


def test_figures_in_english_and_when_there_is_nothing_behind_them() -> None:
    said = spoken_figures(summary(), "en-us")
    assert said == {
        "week_days": "five days out of seven",
        "week_mood": "about four",
        "mood_change": "a little brighter than last week",
        "week_words": "walk and sister",
        "checkin_streak": "twelve days in a row",
    }
    empty = spoken_figures(summarise(WeekFacts(SUNDAY)), "en")
    assert empty == {
        "week_days": "no days out of seven",
        "week_mood": "not given",
        "mood_change": "with nothing to compare",
        "week_words": "none yet",
        "checkin_streak": "not started yet",
    }
    assert spoken_figures(summary(days=1, mood=3.5, last_mood=4.5), "en")["week_days"] == (
        "one day out of seven"
    )
    assert spoken_figures(summary(mood=3.5, last_mood=4.5), "en")["week_mood"] == (
        "three and a half"
    )
    assert spoken_figures(summary(mood=3.5, last_mood=4.5), "en")["mood_change"] == (
        "lower than last week"
    )
    assert spoken_figures(summary(last_mood=3.9), "en")["mood_change"] == (
        "about the same as last week"
    )


def test_figures_in_korean_count_days_with_korean_words() -> None:
    said = spoken_figures(summary(), "ko")
    assert said["week_days"] == "닷새"
    assert said["week_mood"] == "약 4점"
    assert said["mood_change"] == "지난주보다 조금 좋아졌어요"
    assert said["checkin_streak"] == "12일 연속"
    assert spoken_figures(summary(days=7, mood=3.5), "ko")["week_days"] == "일주일 내내"
    assert spoken_figures(summary(mood=3.5), "ko")["week_mood"] == "3점 반"
    assert spoken_figures(summary(mood=None), "ko")["mood_change"] == "비교할 기록이 없어요"


def test_the_words_used_most_leave_out_small_words_in_both_languages() -> None:
    english = [
        "I walked to the park and it was a lovely walk.",
        "My sister's call, and a walk with my sister.",
        "I think I really need a walk.",
    ]
    assert top_words(english, 3) == ("walk", "sister")  # "walked", once, is not among them
    korean = [
        "친구와 산책했어요. 친구를 만났어요.",
        "가을 산책이 좋았어요. 친구랑 가을을 걸었어요.",
    ]
    assert top_words(korean, 2) == ("친구", "가을")
    assert korean_stem("사과를") == "사과" and korean_stem("사과") == "사과"  # 과 only after 받침
    assert korean_stem("휴가") == "휴가" and korean_stem("책을") == "책"
    assert counted_word("오늘은") is None and counted_word("했어요") is None


def test_the_goals_are_front_matter_properties_and_survive_export(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path / "journal")
    entry, _ = run(folder, "weekly-vision", SUNDAY, time(19, 0), Answering(dict(GOALS)))
    path = next(folder.root.rglob("*-weekly-vision.md"))
    text = path.read_text(encoding="utf-8")
    assert "goal_physical: Walk every evening after dinner.\n" in text
    again = folder.read(path)
    assert again.answers == entry.answers and "goal_physical" not in again.extra
    assert export_json([again]).count('"goal_physical"') == 2  # properties, and the answer's
    assert "goal_relational:: Call my sister on Wednesday." in export_markdown([again])
    # a property edited by hand apart from the answer stays a key of its own
    path.write_text(text.replace("goal_physical: Walk", "goal_physical: Run"), encoding="utf-8")
    edited = folder.read(path)
    assert edited.answer("physical").property_key is None  # type: ignore[union-attr]
    assert edited.extra["goal_physical"] == "Run every evening after dinner."


def test_journal_stats_week_prints_the_summary(tmp_path: Path) -> None:
    folder = JournalFolder(tmp_path / "journal")
    run(folder, "weekly-vision", SUNDAY, time(19, 0), Answering(dict(GOALS)))
    for n in (1, 2):
        run(folder, "morning", SUNDAY + timedelta(days=n), listener=Answering(number="three"))
    home = tmp_path / "home"
    until = (SUNDAY + timedelta(days=3)).isoformat()
    result = run_cli(
        "journal", "stats", "--week", "--until", until, "--journal", str(folder.root),
        env=isolated_env(home),
    )  # fmt: skip
    assert result.status == 0, result.stderr
    assert "The week 2026-11-26 to 2026-12-02:" in result.stdout
    assert "days checked in   3 of 7" in result.stdout
    assert "mood this week    3.0" in result.stdout
    assert "streak            0 days" not in result.stdout
    assert "goal_emotional" in result.stdout
    bad = run_cli("journal", "stats", "--week", "--since", "2026-11-01", env=isolated_env(home))
    assert bad.status == 2 and "--week" in bad.stderr


def test_the_voice_tests_review_is_the_bundled_korean_review_cut_down() -> None:
    cut = load_ritual(Path(__file__).parent / "data" / "week-review-ko.yaml")
    bundled = load_ritual(RITUALS / "weekly-review-ko.yaml")

    def texts(ritual: Ritual) -> set[str]:
        return {s.text for s in ritual.steps if isinstance(s, (Say, Recall))}

    assert texts(cut) <= texts(bundled)


def test_a_recall_of_several_ids_on_a_given_day_picks_by_day_or_at_random() -> None:
    step = Recall("evening", ("a", "b", "c"), ("yesterday",), "{answer}", pick="day")
    today = date(2026, 12, 2)
    yesterday = today - timedelta(days=1)
    answers = FixedAnswers({("evening", i, yesterday): i.upper() for i in ("a", "c")})
    rng = random.Random(0)
    # a day after the entry: the first id; "b" unanswered two days on: the next one
    assert recalled(step, "yesterday", today, answers=answers, week=None, rng=rng) == "A"
    assert picking_order(step, 2, rng) == ("b", "c", "a")
    at_random = replace(step, pick="random")
    found = {
        recalled(at_random, "yesterday", today, answers=answers, week=None, rng=rng)
        for _ in range(30)
    }
    assert found == {"A", "C"}
    assert recalled(step, "this week", today, answers=answers, week=None, rng=rng) is None
