"""The companion: waits for a wake phrase or a scheduled time, runs the ritual, waits again.

Pure: wake detection, rituals, speech and time all come through ports, so tests
drive whole days with a fake clock. The rules it keeps:

- A wake phrase runs the ritual it names; nothing of what was said is kept.
- At a scheduled time, a ritual not yet done today is offered aloud: "yes" runs
  it, "later" asks again after ``snooze_minutes`` (at most ``snoozes`` times),
  "no" lets it go for today, silence asks once more later, then lets it go.
- An offer found due more than ``grace_minutes`` late (the device was off, or
  busy with another ritual) is not made: nobody wants last night's reflection
  offered at breakfast.
- A microphone that goes away is waited for, with growing pauses, and the
  companion goes on when it returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Optional, Protocol

from assistant.core.endpoint import EndpointRules
from assistant.core.errors import AudioError, RitualError
from assistant.core.hands_free import HandsFree, Offer
from assistant.core.phrases import phrases_for
from assistant.core.ports import Clock, Event, EventSink, Listener, ListenRequest, Speaker
from assistant.core.voice_commands import OFFER_REPLIES, Command, commands_for, only

log = logging.getLogger(__name__)

OFFER_RULES = EndpointRules(silence=1.0, max_seconds=20.0, no_speech_seconds=10.0)
"""a reply to an offer is a word or two"""
MAX_WAIT = 60.0
"""seconds between looks at the clock while waiting (a clock change, a suspend)"""
FIRST_RETRY, LAST_RETRY = 2.0, 60.0
"""seconds between attempts to get a lost microphone back: doubling, up to the last"""


class WakeListener(Protocol):
    def wait(
        self, seconds: float, *, fresh: bool, on_ready: Callable[[], None] = lambda: None
    ) -> Optional[str]:
        """Listen for up to ``seconds``; the ritual a wake phrase names, or None.

        ``fresh``: forget what the microphone heard before (ritual's own voice).
        ``on_ready`` is called once the microphone is open and heard.
        Raises AudioError while the microphone is gone."""


class Microphone(Protocol):
    def release(self) -> None:
        """Close the microphone until something listens again (no-wake mode)."""


class RitualRunner(Protocol):
    def title(self, ritual: str) -> str:
        """How the ritual is named when it is offered ("evening reflection")."""

    def run(self, ritual: str) -> None:
        """Run the ritual to its end; its entry is saved whatever happens."""

    def done_on(self, ritual: str, day: date) -> bool:
        """Whether the ritual was done (completed or stopped) on ``day``."""


def _nothing() -> None:
    pass


@dataclass
class _OfferState:
    next_at: datetime
    """on the wall clock (no zone): 21:30 stays 21:30 across a daylight-saving change"""
    snoozes: int = 0
    asked_again: bool = False
    closed: bool = False


@dataclass
class Companion:
    hands_free: HandsFree
    language: str
    speaker: Speaker
    listener: Listener
    """hears replies to offers"""
    runner: RitualRunner
    clock: Clock
    events: EventSink
    mic: Microphone
    wake: Optional[WakeListener] = None
    """None: no wake phrases; the microphone opens only at offer times"""
    _offers: dict[tuple[str, date, int], _OfferState] = field(default_factory=dict)
    _retry: float = FIRST_RETRY
    """seconds before the next attempt to get a lost microphone back"""

    def __post_init__(self) -> None:
        self.phrases = phrases_for(self.language)
        self.replies = only(commands_for(self.language), OFFER_REPLIES)

    def run(self, until: Optional[datetime] = None) -> None:
        """Wait, offer and run rituals until ``until`` (forever when None).

        Ctrl-C or a signal (KeyboardInterrupt) ends it, after the ritual in progress
        has saved its entry."""
        fresh = True
        while until is None or self.clock.now() < until:
            try:
                fresh = self._step(until, fresh=fresh)
            except AudioError as e:
                log.warning("%s; trying again in %g s", e, self._retry)
                self.events(Event.MIC_LOST, retry=self._retry)
                self.clock.sleep(self._retry)
                self._retry = min(self._retry * 2, LAST_RETRY)
                fresh = True

    def _step(self, until: Optional[datetime], *, fresh: bool) -> bool:
        """Make a due offer, or wait (running a ritual if one is woken);
        whether ritual spoke, so that the next wait forgets what the mic heard."""
        if self._offer_due():
            return True
        ritual = self._wait(self._seconds_to_next_offer(until), fresh=fresh)
        if ritual is None:
            return False
        log.info("woke: %s", ritual)
        self.events(Event.WOKE, ritual=ritual)
        self._run(ritual)
        return True

    def _waiting(self) -> None:
        """Listening (again): say so, and that the microphone is back if it was lost."""
        if self._retry != FIRST_RETRY:
            log.warning("the microphone is back")
            self._retry = FIRST_RETRY
        self.events(Event.WAITING, wake=self.wake is not None, next_offer=self._next())

    # -- waiting -----------------------------------------------------------------------------
    def _wait(self, seconds: float, *, fresh: bool) -> Optional[str]:
        if self.wake is None:
            if fresh:
                self.mic.release()
                self._waiting()
            self.clock.sleep(seconds)
            return None
        return self.wake.wait(seconds, fresh=fresh, on_ready=self._waiting if fresh else _nothing)

    def _seconds_to_next_offer(self, until: Optional[datetime]) -> float:
        # Wall-clock seconds: off by the hour a daylight-saving change adds or takes,
        # which the wait of at most a minute at a time makes up for.
        seconds = [(t - self._wall_now()).total_seconds() for t in (self._next_time(),) if t]
        if until is not None:
            seconds.append((until - self.clock.now()).total_seconds())
        return max(0.0, min([*seconds, MAX_WAIT]))

    def _shown(self, wall: datetime) -> str:
        """A wall-clock time for an event, with the zone's offset now."""
        return wall.replace(tzinfo=self.clock.now().tzinfo).isoformat(timespec="minutes")

    def _wall_now(self) -> datetime:
        """The time on the user's wall clock: offers are at wall-clock times."""
        return self.clock.now().replace(tzinfo=None)

    def _next(self) -> Optional[str]:
        at = self._next_time()
        return self._shown(at) if at else None

    def _next_time(self) -> Optional[datetime]:
        """When the next offer falls due (today's or tomorrow's), on the wall clock."""
        now = self._wall_now()
        times = [
            state.next_at
            for day in (now.date(), now.date() + timedelta(days=1))
            for state in self._states(day)
            if not state.closed and state.next_at > now
        ]
        return min(times, default=None)

    def _states(self, day: date) -> list[_OfferState]:
        return [self._state(offer, day) for offer in self.hands_free.schedule]

    def _state(self, offer: Offer, day: date) -> _OfferState:
        key = (offer.ritual, day, offer.at.hour * 60 + offer.at.minute)
        if key not in self._offers:
            at = datetime.combine(day, offer.at)
            self._offers[key] = _OfferState(at, closed=day.weekday() not in offer.weekdays)
        return self._offers[key]

    # -- offers ------------------------------------------------------------------------------
    def _offer_due(self) -> bool:
        """Make the first offer that is due now, if any; whether one was made."""
        now = self._wall_now()
        grace = timedelta(minutes=self.hands_free.offers.grace_minutes)
        for offer in self.hands_free.schedule:
            state = self._state(offer, now.date())
            if state.closed or now < state.next_at:
                continue
            state.closed = True  # unless reopened below by "later" or silence
            if now - state.next_at > grace:
                log.info(
                    "not offering %s: its time passed %s ago", offer.ritual, now - state.next_at
                )
                continue
            if self.runner.done_on(offer.ritual, now.date()):
                continue
            self._offer(offer.ritual, state)
            return True
        return False

    def _offer(self, ritual: str, state: _OfferState) -> None:
        rules = self.hands_free.offers
        title = self.runner.title(ritual)
        self.events(Event.OFFERED, ritual=ritual)
        again = state.snoozes > 0 or state.asked_again
        reply = self._ask(self.phrases["offer_again" if again else "offer"].format(title=title))
        if reply is Command.BEGIN:
            self._run(ritual)
        elif reply is Command.LATER and state.snoozes < rules.snoozes:
            state.snoozes += 1
            self._snooze(ritual, state, rules.snooze_minutes, say=True)
        elif reply is None and not state.asked_again:
            state.asked_again = True
            self._snooze(ritual, state, rules.snooze_minutes, say=False)
        else:
            if reply is Command.NOT_TODAY:
                self._say(self.phrases["not_today"])
                self._close_today(ritual)  # "no" is for the day: every time it is scheduled
            self.events(Event.DECLINED, ritual=ritual)

    def _close_today(self, ritual: str) -> None:
        today = self._wall_now().date()
        for offer in self.hands_free.schedule:
            if offer.ritual == ritual:
                self._state(offer, today).closed = True

    def _snooze(self, ritual: str, state: _OfferState, minutes: float, *, say: bool) -> None:
        state.next_at = self._wall_now() + timedelta(minutes=minutes)
        state.closed = False
        if say:
            self._say(self.phrases["snoozed"].format(minutes=f"{minutes:g}"))
        self.events(Event.SNOOZED, ritual=ritual, until=self._shown(state.next_at))

    def _ask(self, prompt: str) -> Optional[Command]:
        """Offer and hear the reply: a command, or None after silence (or no mic)."""
        for attempt in range(2):
            self._say(prompt if attempt == 0 else self.phrases["offer_unclear"])
            try:
                heard = self.listener.listen(
                    ListenRequest(
                        step="offer",
                        commands=self.replies,
                        rules=OFFER_RULES,
                        on_ready=lambda: self.events(Event.LISTENING, step="offer"),
                    )
                )
            except AudioError as e:
                log.warning("could not hear the reply to an offer: %s", e)
                return None
            if heard.command is not None:
                self.events(Event.COMMAND, name=heard.command.value)
                return heard.command
            if not heard.text:
                return None
        return None

    # -- rituals -----------------------------------------------------------------------------
    def _run(self, ritual: str) -> None:
        try:
            self.runner.run(ritual)
        except AudioError:
            raise  # the microphone: the waiting loop gets it back
        except RitualError as e:
            log.warning("could not run %s: %s", ritual, e)

    def _say(self, text: str) -> None:
        self.events(Event.SPEAKING, text=text)
        self.speaker.say(text)
