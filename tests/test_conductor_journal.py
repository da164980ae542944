"""The conductor and the journal over time: a number on a scale, recalls of a week, a
month or a year ago, and ``{streak}``."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from assistant.core.journal import AnswerState
from assistant.core.ports import Utterance
from assistant.core.ritual import RecallWhen, recall_day
from tests.fakes import FixedAnswers, FixedClock, FixedStreaks
from tests.test_conductor import conduct

MOOD = """
title: Mood
steps:
  - ask: "How is your mood, from one to five?"
    id: mood
    scale: [1, 5]
  - ask: "Anything else?"
    id: more
"""
KOREAN_MOOD = """
title: 기분
language: ko
steps:
  - ask: "오늘 기분은 1부터 5까지 몇 점이에요?"
    id: mood
    scale: [1, 5]
"""


def test_a_number_in_the_answer_is_kept_and_acknowledged() -> None:
    c, speaker, listener, sink, _ = conduct(MOOD, ["A four, I think.", "No."])
    c.run()
    mood = sink.last.answer("mood")
    assert mood is not None and (mood.text, mood.number) == ("A four, I think.", 4)
    assert speaker.said[:2] == [
        "How is your mood, from one to five?",
        "Four out of five. Thank you.",
    ]
    assert listener.requests[0].expected == ("one", "two", "three", "four", "five")
    assert listener.requests[1].expected == ()  # not a scale


def test_words_without_a_number_ask_once_for_just_the_number_keeping_the_words() -> None:
    c, speaker, _, sink, _ = conduct(MOOD, ["Pretty good really.", "three", "No."])
    c.run()
    assert speaker.said[1] == "I didn't catch one number there. Just a number from one to five."
    mood = sink.last.answer("mood")
    assert mood is not None and mood.number == 3
    assert mood.text == "Pretty good really. three"
    assert sink.saved[1].answer("mood").text == "Pretty good really."  # type: ignore[union-attr]


def test_no_number_the_second_time_keeps_the_words_without_one() -> None:
    c, speaker, _, sink, _ = conduct(MOOD, ["Pretty good.", None, "No."])
    c.run()
    mood = sink.last.answer("mood")
    assert mood is not None and (mood.state, mood.text, mood.number) == (
        AnswerState.ANSWERED,
        "Pretty good.",
        None,
    )
    assert not any("out of five" in s for s in speaker.said)


def test_skipping_a_scale_question_asks_nothing_more() -> None:
    c, speaker, _, sink, _ = conduct(MOOD, ["skip", "No."])
    c.run()
    mood = sink.last.answer("mood")
    assert mood is not None and (mood.state, mood.number) == (AnswerState.SKIPPED, None)
    assert speaker.said[1] == "Anything else?"


def test_the_number_word_the_listener_heard_wins_over_its_open_words() -> None:
    # the grammar recogniser heard 넷 where the open recogniser made out only 레스
    c, speaker, listener, sink, _ = conduct(
        KOREAN_MOOD, [Utterance(text="레스.", matched="넷", raw="레스")]
    )
    c.run()
    mood = sink.last.answer("mood")
    assert mood is not None and (mood.text, mood.number) == ("레스.", 4)
    assert speaker.said[1] == "5점 중에 4점이군요. 고마워요."
    assert "넷" in listener.requests[0].expected and "사" in listener.requests[0].expected


def test_a_number_heard_only_by_the_phrase_list_is_the_answer() -> None:
    c, _, _, sink, events = conduct(KOREAN_MOOD, [Utterance(text="", matched="다섯")])
    c.run()
    mood = sink.last.answer("mood")
    assert mood is not None and (mood.text, mood.number) == ("다섯", 5)
    assert {"event": "heard", "step": "mood", "text": "다섯"} in events.events


LOOKING_BACK = """
title: Looking back
steps:
  - recall: {ritual: evening, id: gratitude, when: [a year ago, a month ago, a week ago]}
    say: "{when} tonight, you were grateful for {answer}."
    otherwise: "Tonight is a fine night to begin."
"""
EVENING = datetime(2026, 11, 30, 21, 30, tzinfo=timezone.utc)


def test_a_recall_reads_back_the_first_of_its_days_that_has_an_answer() -> None:
    answers = FixedAnswers(
        {
            ("evening", "gratitude", date(2026, 11, 23)): "a walk",
            ("evening", "gratitude", date(2026, 10, 30)): "my sister.",
        }
    )
    c, speaker, *_ = conduct(LOOKING_BACK, [], answers=answers, clock=FixedClock(EVENING))
    c.run()
    assert speaker.said == ["A month ago tonight, you were grateful for my sister."]
    assert speaker.private == speaker.said


def test_a_recall_with_nothing_on_any_of_its_days_says_otherwise() -> None:
    answers = FixedAnswers({("evening", "gratitude", date(2026, 11, 29)): "yesterday's"})
    c, speaker, *_ = conduct(LOOKING_BACK, [], answers=answers, clock=FixedClock(EVENING))
    c.run()
    assert speaker.said == ["Tonight is a fine night to begin."]


@pytest.mark.parametrize(
    ("today", "when", "day"),
    [
        (date(2026, 11, 30), "today", date(2026, 11, 30)),
        (date(2026, 11, 30), "yesterday", date(2026, 11, 29)),
        (date(2026, 3, 3), "a week ago", date(2026, 2, 24)),
        (date(2026, 3, 31), "a month ago", date(2026, 2, 28)),  # February is shorter
        (date(2026, 1, 15), "a month ago", date(2025, 12, 15)),
        (date(2028, 2, 29), "a year ago", date(2027, 2, 28)),
        (date(2026, 11, 30), "a year ago", date(2025, 11, 30)),
        (date(2026, 11, 30), "latest", None),
    ],
)
def test_the_day_each_recall_looks_at(today: date, when: RecallWhen, day: date | None) -> None:
    assert recall_day(when, today) == day


STREAK = """
id: evening
title: Streak
steps:
  - say: "That's {streak}."
"""


def test_streak_is_said_in_words_with_the_rituals_time_of_day() -> None:
    streaks = FixedStreaks({"evening": 12})
    c, speaker, *_ = conduct(STREAK, [], streaks=streaks, clock=FixedClock(EVENING))
    c.run()
    assert speaker.said == ["That's twelve evenings in a row."]
    assert streaks.asked == [("evening", date(2026, 11, 30))]


def test_a_first_day_and_a_ritual_not_named_for_a_time_of_day() -> None:
    journal = STREAK.replace("id: evening", "id: journal")
    c, speaker, *_ = conduct(journal, [], streaks=FixedStreaks({"journal": 1}))
    c.run()
    assert speaker.said == ["That's one morning, a fine start."]  # FixedClock: 07:05


def test_streak_is_only_counted_when_a_ritual_says_it() -> None:
    streaks = FixedStreaks({"evening": 3})
    c, *_ = conduct(MOOD, ["4", "No."], streaks=streaks)
    c.run()
    assert streaks.asked == []
