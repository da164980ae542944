"""The companion, driven through whole evenings by a fake clock: wake phrases, offers,
snoozes, missed times, a lost microphone."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any, Optional
from zoneinfo import ZoneInfo

import pytest

from assistant.core.companion import Companion
from assistant.core.errors import RitualNotFound
from assistant.core.hands_free import HandsFree, Offer, OfferRules
from assistant.core.ports import Utterance
from tests.fakes import (
    EventLog,
    FakeMicrophone,
    FakeRunner,
    FakeSpeaker,
    FixedClock,
    ScriptedListener,
    ScriptedWake,
)

TZ = timezone(timedelta(hours=1))
MONDAY = datetime(2026, 11, 30, 20, 0, tzinfo=TZ)
EVENING = Offer("evening", time(21, 30))


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return MONDAY.replace(hour=hour, minute=minute) + timedelta(days=days)


class Day:
    """One companion with its fakes, from Monday 20:00."""

    def __init__(
        self,
        *,
        schedule: tuple[Offer, ...] = (EVENING,),
        replies: Optional[list[Any]] = None,
        wakes: Optional[list[tuple[datetime, Optional[str]]]] = None,
        wake: bool = True,
        start: datetime = MONDAY,
        clock: Optional[FixedClock] = None,
    ) -> None:
        self.clock = clock or FixedClock(start)
        self.speaker = FakeSpeaker()
        self.listener = ScriptedListener(replies or [])
        self.runner = FakeRunner(self.clock)
        self.events = EventLog()
        self.mic = FakeMicrophone()
        self.wake = ScriptedWake(self.clock, wakes or []) if wake else None
        self.companion = Companion(
            hands_free=HandsFree(schedule=schedule, offers=OfferRules()),
            language="en-us",
            speaker=self.speaker,
            listener=self.listener,
            runner=self.runner,
            clock=self.clock,
            events=self.events,
            mic=self.mic,
            wake=self.wake,
        )

    def run(self, until: datetime) -> None:
        self.companion.run(until=until)

    def ran(self) -> list[tuple[str, str]]:
        return [(ritual, f"{moment:%a %H:%M}") for ritual, moment in self.runner.ran]

    def named(self, event: str) -> list[dict[str, object]]:
        return [e for e in self.events.events if e["event"] == event]


def test_a_wake_phrase_runs_its_ritual_then_it_waits_for_the_next() -> None:
    day = Day(schedule=(), wakes=[(at(20, 10), "evening"), (at(20, 40), "journal")])
    day.run(until=at(22))
    assert day.ran() == [("evening", "Mon 20:10"), ("journal", "Mon 20:40")]
    assert [e["ritual"] for e in day.named("woke")] == ["evening", "journal"]
    # Waiting again after each ritual, and forgetting what the mic heard while it spoke.
    assert len(day.named("waiting")) == 3
    assert day.wake is not None and day.wake.fresh_waits == 3


def test_an_offer_answered_later_then_yes() -> None:
    day = Day(replies=["later", "yes"])
    day.run(until=at(23))
    assert day.ran() == [("evening", "Mon 21:40")]
    assert day.speaker.said[:2] == [
        "It's time for your evening ritual. Would you like to begin? Say yes, later, or no.",
        "All right. I'll ask again in 10 minutes.",
    ]
    assert day.speaker.said[2].startswith("Your evening ritual is still here for you.")
    assert [e["until"] for e in day.named("snoozed")] == ["2026-11-30T21:40+01:00"]
    assert [e["ritual"] for e in day.named("offered")] == ["evening", "evening"]


def test_no_lets_the_offer_go_for_today_and_it_comes_back_tomorrow() -> None:
    day = Day(replies=["no", "yes"])
    day.run(until=at(23, days=1))
    assert day.ran() == [("evening", "Tue 21:30")]
    assert "All right, not today." in day.speaker.said
    assert [e["ritual"] for e in day.named("declined")] == ["evening"]


def test_no_covers_every_time_the_ritual_is_scheduled_that_day() -> None:
    later = Offer("evening", time(22, 30))
    day = Day(schedule=(EVENING, later), replies=["no", "yes"])
    day.run(until=at(23, days=1))
    assert day.ran() == [("evening", "Tue 21:30")]
    assert len(day.named("offered")) == 2  # Monday 21:30 (no), Tuesday 21:30 (yes)


def test_silence_asks_once_more_later_then_lets_it_go() -> None:
    day = Day(replies=[None, None])
    day.run(until=at(23))
    assert day.ran() == []
    assert [f"{e['until']}" for e in day.named("snoozed")] == ["2026-11-30T21:40+01:00"]
    assert len(day.named("offered")) == 2 and len(day.named("declined")) == 1
    assert day.listener.script == []


def test_later_is_honoured_three_times_then_the_offer_is_let_go() -> None:
    day = Day(replies=["later", "later", "later", "later", "yes"])
    day.run(until=at(23, 30))
    assert day.ran() == []
    assert len(day.named("snoozed")) == 3
    assert len(day.named("offered")) == 4
    assert day.listener.script == ["yes"]


def test_an_unclear_reply_is_asked_for_again_once() -> None:
    day = Day(replies=["maybe in a minute", "yes"])
    day.run(until=at(23))
    assert day.ran() == [("evening", "Mon 21:30")]
    assert day.speaker.said[1] == "Sorry, I didn't catch that. Say yes, later, or no."


def test_no_offer_when_the_ritual_was_done_today() -> None:
    day = Day(wakes=[(at(20, 30), "evening")])
    day.run(until=at(23))
    assert day.ran() == [("evening", "Mon 20:30")]
    assert day.named("offered") == []


def test_a_missed_time_is_not_replayed_hours_later() -> None:
    day = Day(start=at(23), replies=["yes"])
    day.run(until=at(22, days=1))
    assert day.ran() == [("evening", "Tue 21:30")]


def test_an_offer_within_its_grace_is_still_made() -> None:
    day = Day(start=at(21, 45), replies=["yes"])
    day.run(until=at(23))
    assert day.ran() == [("evening", "Mon 21:45")]


def test_weekdays_limit_the_offers() -> None:
    weekend = Offer("weekly-vision", time(10, 0), frozenset({5, 6}))  # Sat, Sun
    day = Day(schedule=(weekend,), replies=["yes", "yes"], start=MONDAY)
    day.run(until=at(12, days=6))
    assert day.ran() == [("weekly-vision", "Sat 10:00"), ("weekly-vision", "Sun 10:00")]


class ZoneClock(FixedClock):
    """The system clock's way: now() in the local zone as a fixed offset (what
    ``datetime.now().astimezone()`` gives), the offset changing with daylight saving."""

    def __init__(self, start: datetime, zone: str) -> None:
        super().__init__(start)
        self.zone = ZoneInfo(zone)

    def now(self) -> datetime:
        local = self.moment.astimezone(self.zone)
        return local.replace(tzinfo=timezone(local.utcoffset() or timedelta(0)))


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 3, 28, 20, 0),  # Berlin's clocks go from 02:00 to 03:00 that night
        datetime(2026, 10, 24, 20, 0),  # and from 03:00 back to 02:00 that night
    ],
)
def test_offers_keep_their_wall_clock_time_across_a_daylight_saving_change(
    start: datetime,
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    clock = ZoneClock(start.replace(tzinfo=berlin), "Europe/Berlin")
    day = Day(schedule=(Offer("morning", time(7, 30)),), replies=["yes"], clock=clock)
    day.run(until=start.replace(tzinfo=berlin) + timedelta(hours=14))
    local = [(r, m.astimezone(berlin).strftime("%a %H:%M")) for r, m in day.runner.ran]
    assert local == [("morning", "Sun 07:30")]


def test_without_wake_phrases_the_mic_opens_only_for_offers() -> None:
    day = Day(wake=False, replies=["later", "yes"])
    day.run(until=at(23))
    assert day.ran() == [("evening", "Mon 21:40")]
    assert day.named("waiting")[0]["wake"] is False
    # Released when waiting begins, and again after each offer and ritual.
    assert day.mic.releases == 3


def test_a_lost_microphone_is_waited_for_and_ritual_goes_on() -> None:
    day = Day(schedule=(), wakes=[(at(21), "evening")])
    assert day.wake is not None
    day.wake.lost_until = at(20, 1)
    day.run(until=at(22))
    retries = [e["retry"] for e in day.named("mic_lost")]
    assert retries == [2.0, 4.0, 8.0, 16.0, 32.0]  # 62 s of waiting: 20:01:02
    assert day.ran() == [("evening", "Mon 21:00")]


def test_a_ritual_that_cannot_run_is_logged_and_waiting_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    day = Day(schedule=(), wakes=[(at(20, 5), "gone"), (at(20, 10), "evening")])
    day.runner.failing["gone"] = RitualNotFound("no ritual called 'gone'")
    day.run(until=at(21))
    assert day.ran() == [("evening", "Mon 20:10")]
    assert "could not run gone" in caplog.text


def test_ctrl_c_ends_the_companion() -> None:
    day = Day(schedule=(), replies=[])
    day.runner.failing["evening"] = KeyboardInterrupt()
    assert day.wake is not None
    day.wake.script = [(at(20, 5), "evening")]
    with pytest.raises(KeyboardInterrupt):
        day.run(until=at(21))


def test_the_offer_reply_listens_for_the_reply_words_only() -> None:
    day = Day(replies=[Utterance(text="yes")])
    day.run(until=at(21, 31))
    request = day.listener.requests[0]
    assert {c.value for c in request.commands} == {"begin", "later", "not_today"}
