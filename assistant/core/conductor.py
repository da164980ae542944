"""The conductor: runs a ritual against a Speaker and a Listener, keeping the entry.

It knows nothing of engines or devices. The entry is saved after every answer
(status in-progress), and once more at the end (complete or stopped), so nothing
already said is lost whatever happens next.
"""

from __future__ import annotations

import contextlib
import logging
import random
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Optional

from assistant.core.barge_in import DURING_PROMPT, prompt_commands
from assistant.core.endpoint import DEFAULT_NO_SPEECH_SECONDS, EndedBy, EndpointRules
from assistant.core.errors import EntryNotSaved, RitualError
from assistant.core.journal import Answer, AnswerState, Entry, EntryStatus, FollowUp, details_key
from assistant.core.numbers import in_a_row, number_in, scale_words, spoken_number
from assistant.core.phrases import phrases_for
from assistant.core.ports import (
    AnswerLookup,
    Clock,
    Details,
    EntrySink,
    Event,
    EventSink,
    InputLost,
    InterruptibleSpeaker,
    Listener,
    ListenInterrupted,
    ListenRequest,
    Speaker,
    StreakLookup,
    Utterance,
    WeekLookup,
)
from assistant.core.prompts import ritual_prompts
from assistant.core.recall import recalled
from assistant.core.reframe import NO_REFRAMES, Reframes
from assistant.core.ritual import (
    TIMES_OF_DAY,
    Affirm,
    Ask,
    Breathe,
    Listening,
    Pause,
    Recall,
    Ritual,
    Say,
    Scale,
    Step,
    fill,
    has_week_figures,
    placeholder_values,
    spoken_when,
    time_of_day,
)
from assistant.core.transcript import details_of
from assistant.core.voice_commands import Command, CommandSet, commands_for, only
from assistant.core.week import WeekFacts, spoken_figures, summarise

log = logging.getLogger(__name__)
C = Command
NAVIGATION = (C.REPEAT, C.SKIP, C.BACK, C.PAUSE, C.STOP, C.DONE)
"""commands that make sense while a question waits for its answer"""
CONFIRMING = (C.KEEP, C.REDO, C.ADD, C.REPEAT, C.STOP)
FOLLOWING_UP = (C.REPEAT, C.SKIP, C.STOP, C.DONE)
PAUSE_RULES = EndpointRules(silence=1.0, max_seconds=600.0, no_speech_seconds=600.0)
"""while paused, only "resume" or "stop" are listened for, for up to ten minutes at a time"""


class _Move(Enum):
    NEXT = "next"
    BACK = "back"


class _Stop(Exception):
    """The user said stop: save what there is and end the ritual."""


class _Interrupted(Exception):
    """A command was said over a prompt of a step that does not listen (barge-in)."""

    def __init__(self, command: Command) -> None:
        super().__init__(command.value)
        self.command = command


@dataclass
class _Heard:
    """One question's answer as it builds up (an added part, a follow-up)."""

    text: str = ""
    audio: list[str] = field(default_factory=list)
    details: list[Details] = field(default_factory=list)
    number: Optional[int] = None
    """on a scale: the number the answer gave (its last part that gave one)"""


@dataclass
class Conductor:
    ritual: Ritual
    speaker: Speaker
    listener: Listener
    sink: EntrySink
    clock: Clock
    events: EventSink
    reframes: Reframes = NO_REFRAMES
    answers: Optional[AnswerLookup] = None
    streaks: Optional[StreakLookup] = None
    week: Optional[WeekLookup] = None
    """the last days of the journal: ``when: this week`` and the ``{week_...}`` figures"""
    name: str = "friend"
    model: str = ""
    no_speech_seconds: float = DEFAULT_NO_SPEECH_SECONDS
    """how long to wait for any speech before asking once more"""
    rng: random.Random = field(default_factory=random.Random)
    barge_in: Optional[InterruptibleSpeaker] = None
    """speaks the prompts a command may cut short (None: half-duplex, nothing does)"""
    typed: bool = False
    """answers are typed: prompts say "type", and a say step's ``typed`` text is used"""

    def __post_init__(self) -> None:
        self.commands: CommandSet = commands_for(self.ritual.language, self.ritual.commands)
        self.phrases = phrases_for(self.ritual.language, typed=self.typed)
        self.entry = Entry(
            ritual=self.ritual.id,
            title=self.ritual.title,
            started=self.clock.now(),
            model=self.model,
            language=self.ritual.language,
            tags=("ritual", self.ritual.id),
            planned=sum(_listening(s) is not None for s in self.ritual.steps),
        )
        self.values = placeholder_values(self.entry.started, self.name)
        self.path: Optional[Path] = None
        self.saved: Optional[Entry] = None
        """the entry as it is on disk"""
        self.details: Details = {}
        self._properties = {
            q.listening.id: q.listening.property_key
            for q in self.ritual.questions
            if q.listening is not None and q.listening.property_key
        }
        """answer id -> the front-matter key that also keeps its words"""

    # -- the whole ritual ------------------------------------------------------------
    def run(self) -> Entry:
        self._save()
        # Rendered in the background while the session goes on (the speaker decides how).
        day = self.entry.day.toordinal()
        self.speaker.prepare(
            ritual_prompts(self.ritual, self.values, self.reframes, affirm_day=day)
        )
        try:
            self._run_steps()
        except _Stop:
            self._finish(EntryStatus.STOPPED, farewell=self.phrases["stopping"])
            return self.entry
        except EntryNotSaved:  # a full disk: the last good entry stays, marked stopped if it can
            self._mark_stopped()
            raise
        except BaseException:  # Ctrl-C, a lost mic, an engine error: keep what was said
            self._finish(EntryStatus.STOPPED)
            raise
        self._finish(EntryStatus.COMPLETE)
        return self.entry

    def _run_steps(self) -> None:
        steps = self.ritual.steps
        questions = [n for n, s in enumerate(steps) if _listening(s)]
        i = 0
        while i < len(steps):
            move = self._perform(steps[i], index=questions.index(i) + 1 if i in questions else 0)
            if move is _Move.BACK:
                earlier = [n for n in questions if n < i]
                if earlier:
                    i = earlier[-1]
                else:
                    self._say(self.phrases["first"])
                continue
            i += 1

    def _finish(self, status: EntryStatus, farewell: Optional[str] = None) -> None:
        # Saved before the farewell is spoken: a Ctrl-C or a speaker error while it
        # plays must not leave the entry in progress.
        self.entry = replace(self.entry, status=status, ended=self.clock.now())
        if status is EntryStatus.STOPPED and not self.entry.answers:
            self._discard(farewell)
            return
        self._save()
        try:
            if farewell:
                self._say(farewell)
        finally:
            self.events(Event.DONE, path=str(self.path), status=status.value)

    def _discard(self, farewell: Optional[str]) -> None:
        """Stopped before the first question had an answer: an empty entry would
        only clutter the journal, its streaks and its stats, so none is kept."""
        try:
            self.sink.discard()
        except RitualError as e:
            log.warning("%s", e)
        self.path = None
        try:
            if farewell:
                self._say(self.phrases["stopping_empty"])
        finally:
            self.events(Event.DONE, path="", status=EntryStatus.STOPPED.value)

    def _save(self) -> None:
        try:
            self.path = self.sink.save(self.entry)
        except RitualError as e:
            raise EntryNotSaved(self._not_saved(e)) from None
        self.saved = self.entry
        self.events(Event.SAVED, path=str(self.path))

    def _not_saved(self, error: RitualError) -> str:
        """The save error, with what it cost: the answers that are not on disk."""
        if self.saved is None:
            return str(error)
        lost = [a.prompt for a in self.entry.answers if a != self.saved.answer(a.id)]
        if not lost:
            return f"{error}. Every answer is saved; the entry may still say in-progress."
        questions = "; ".join(f'"{p}"' for p in lost)
        return f"{error}. Not saved: your answer to {questions}. {self.path} keeps the rest."

    def _mark_stopped(self) -> None:
        """After a failed save, try once to mark the last good entry stopped (a small
        write that may still fit), then end."""
        if self.saved is not None:
            stopped = replace(self.saved, status=EntryStatus.STOPPED, ended=self.clock.now())
            with contextlib.suppress(RitualError):
                self.sink.save(stopped)
        self.events(Event.DONE, path=str(self.path), status=EntryStatus.STOPPED.value)

    # -- steps -----------------------------------------------------------------------
    def _perform(self, step: Step, index: int) -> _Move:
        """Perform a step; a command said over one of its prompts acts at once."""
        while True:
            try:
                return self._perform_once(step, index)
            except _Interrupted as cut:
                if cut.command is C.STOP:
                    raise _Stop from None
                if cut.command is C.BACK:
                    return _Move.BACK
                if cut.command is C.SKIP:
                    return _Move.NEXT
                if cut.command is C.PAUSE:
                    self._pause()
                # repeat (or resumed after a pause): the step again from its start

    def _perform_once(self, step: Step, index: int) -> _Move:
        if isinstance(step, Say):
            text = step.typed if self.typed and step.typed else step.text
            self._step_say(self._fill(text), private=has_week_figures(text))
        elif isinstance(step, Pause):
            self.clock.sleep(step.seconds)
        elif isinstance(step, Breathe):
            self._breathe(step)
        elif isinstance(step, Affirm):
            for text in self._pick(step):
                self._step_say(self._fill(text), private=has_week_figures(text))
        elif isinstance(step, Ask):
            private = has_week_figures(step.text)
            return self._question(self._fill(step.text), step.listening, index, private=private)
        elif isinstance(step, Recall):
            return self._recall(step, index)
        return _Move.NEXT

    def _breathe(self, step: Breathe) -> None:
        for _ in range(step.count):
            self._step_say(self.phrases["breathe_in"])
            self.clock.sleep(step.breathe_in)
            if step.hold:
                self._step_say(self.phrases["hold"])
                self.clock.sleep(step.hold)
            self._step_say(self.phrases["breathe_out"])
            self.clock.sleep(step.breathe_out)

    def _pick(self, step: Affirm) -> tuple[str, ...]:
        if step.pick == "all":
            return step.texts
        if step.pick == "random":
            return (self.rng.choice(step.texts),)
        return (step.texts[self.entry.day.toordinal() % len(step.texts)],)

    def _recall(self, step: Recall, index: int) -> _Move:
        found, when = None, step.when[0]
        for when in step.when:  # the first day that has an answer
            found = recalled(
                step, when, self.entry.day, answers=self.answers, week=self.week, rng=self.rng
            )
            if found:
                break
        if found:
            # The ritual's placeholders first: an answer that contains "{name}" stays as said.
            said = {"answer": _spoken(found), "when": spoken_when(when)}
            prompt: Optional[str] = _capitalised(fill(self._fill(step.text), said))
        else:
            prompt = self._fill(step.otherwise) if step.otherwise else None
        if prompt is None:
            return _Move.NEXT
        private = bool(found) or has_week_figures(step.otherwise or "")
        if step.listening is None:
            self._step_say(prompt, private=private)
            return _Move.NEXT
        return self._question(prompt, step.listening, index, private=private)

    # -- questions -------------------------------------------------------------------
    def _question(
        self, prompt: str, listening: Listening, index: int, private: bool = False
    ) -> _Move:
        """Ask, hear the answer (with confirm and reframe), and save it.

        Every part of an answer is on disk as soon as it is heard. A question asked
        again after "back" keeps its earlier answer unless a new one is given, and
        its new audio goes to new files.
        """
        heard = _Heard()
        earlier = self.entry.answer(listening.id)
        first_part = len(earlier.audio) if earlier else 0
        speak = prompt
        tries_without_speech = 0
        asked_for_number = False
        while True:
            cut = self._prompt(speak, NAVIGATION, private=private)
            speak = prompt
            part = first_part + len(heard.audio)
            utterance = _said(cut) or self._listen(
                listening, index, NAVIGATION, prompt=prompt, part=part, heard=heard
            )
            command = utterance.command
            if utterance.text:
                self._take(heard, utterance, listening.scale)
                self._record(listening.id, prompt, heard)
            if command is C.STOP:
                raise _Stop
            if command is C.BACK:
                return _Move.BACK
            if command in (C.REPEAT, C.PAUSE):  # before an answer, or in the middle of one
                if command is C.PAUSE:
                    self._pause()
                continue
            if not heard.text:
                if command in (C.SKIP, C.DONE):
                    self._record_unless_answered(listening.id, prompt, AnswerState.SKIPPED)
                    return _Move.NEXT
                tries_without_speech += 1
                if tries_without_speech < 2:
                    speak = self.phrases["again"].format(prompt=prompt)
                    continue
                self._record_unless_answered(listening.id, prompt, AnswerState.NO_ANSWER)
                return _Move.NEXT
            scale = listening.scale
            if scale and heard.number is None and not asked_for_number and command is None:
                # Words but no number: ask once for just the number; the words are kept.
                asked_for_number = True
                speak = self.phrases["number_again"].format(
                    low=self._spoken_number(scale.low), high=self._spoken_number(scale.high)
                )
                continue
            if listening.confirm:
                verdict = self._confirm(heard, prompt, listening, index, first_part)
                if verdict is C.REDO:
                    first_part += len(heard.audio)
                    heard = _Heard()
                    continue
            break
        answer = self.entry.answer(listening.id)
        if listening.scale and answer is not None and answer.number is not None:
            self._say(self._number_heard(answer.number, listening.scale))
        if listening.reframe and answer is not None:
            self._reframe(answer, listening, index)
        return _Move.NEXT

    def _number_heard(self, number: int, scale: Scale) -> str:
        said, high = self._spoken_number(number), self._spoken_number(scale.high)
        return _capitalised(self.phrases["number_heard"].format(number=said, high=high))

    def _spoken_number(self, number: int) -> str:
        return spoken_number(number, self.ritual.language)

    def _record_unless_answered(self, answer_id: str, prompt: str, state: AnswerState) -> None:
        """Record a skip or a silence, but never over an answer given before "back"."""
        earlier = self.entry.answer(answer_id)
        if earlier is None or earlier.state != AnswerState.ANSWERED:
            self._record(answer_id, prompt, _Heard(), state)

    def _confirm(
        self, heard: _Heard, prompt: str, listening: Listening, index: int, first_part: int
    ) -> Command:
        """Read the answer back: keep, redo or add. Unclear or silent twice: keep."""
        speak = self.phrases["heard"].format(answer=_spoken(heard.text))
        private = True  # it reads the answer back
        unclear = 0
        while unclear < 2:
            cut = self._prompt(speak, CONFIRMING, private=private)
            reply = _said(cut) or self._listen(
                listening, index, CONFIRMING, prompt=prompt, part=0, keep_audio=False
            )
            if reply.command is C.STOP:
                raise _Stop
            if reply.command in (C.KEEP, C.REDO):
                return reply.command
            if reply.command is C.ADD:
                self._say(self.phrases["add"])
                more = self._listen(
                    listening,
                    index,
                    (C.STOP, C.DONE),
                    prompt=prompt,
                    part=first_part + len(heard.audio),
                    heard=heard,
                )
                if more.text:
                    self._take(heard, more, listening.scale)
                    self._record(listening.id, prompt, heard)
                if more.command is C.STOP:
                    raise _Stop
                speak = self.phrases["heard"].format(answer=_spoken(heard.text))
                private = True
                continue
            if reply.command is C.REPEAT:
                continue
            unclear += 1
            speak, private = self.phrases["heard_again"], False
        return C.KEEP

    def _pause(self) -> None:
        self._say(self.phrases["paused"])
        while True:
            request = ListenRequest(
                step="pause",
                commands=only(self.commands, (C.RESUME, C.STOP)),
                rules=PAUSE_RULES,
                on_ready=lambda: self.events(Event.LISTENING, step="pause"),
            )
            utterance = self.listener.listen(request)
            if utterance.command:
                self.events(Event.COMMAND, name=utterance.command.value)
            if utterance.command is C.STOP:
                raise _Stop
            if utterance.command is C.RESUME:
                return

    def _reframe(self, answer: Answer, listening: Listening, index: int) -> None:
        rule = self.reframes.match(answer.text, self.ritual.language)
        if rule is None:
            return
        prompt = self._fill(rule.follow_up)
        heard = _Heard()
        cut = self._prompt(prompt, FOLLOWING_UP)
        reply = _said(cut) or self._listen(
            listening, index, FOLLOWING_UP, prompt=prompt, part=0, suffix="follow-up"
        )
        if not reply.text and reply.command in (None, C.REPEAT):  # silence: ask once more
            again = prompt if reply.command else self.phrases["again"].format(prompt=prompt)
            self._say(again)
            reply = self._listen(
                listening,
                index,
                (C.SKIP, C.STOP, C.DONE),
                prompt=prompt,
                part=0,
                suffix="follow-up",
            )
        self._take(heard, reply)
        if heard.text:
            state = AnswerState.ANSWERED
        else:
            state = AnswerState.SKIPPED if reply.command else AnswerState.NO_ANSWER
        follow_up = FollowUp(prompt, heard.text, state, rule.name, tuple(heard.audio))
        self._store(
            replace(answer, follow_up=follow_up),
            heard,
            key=details_key(answer.id, follow_up=True),
        )
        if reply.command is C.STOP:
            raise _Stop

    # -- listening and recording -----------------------------------------------------
    def _listen(
        self,
        listening: Listening,
        index: int,
        allowed: tuple[Command, ...],
        *,
        prompt: str,
        part: int,
        suffix: str = "",
        keep_audio: bool = True,
        heard: Optional[_Heard] = None,
    ) -> Utterance:
        """Listen once; if the mic goes away, what it heard joins ``heard`` (the
        answer being given) and is saved before the error goes up."""
        name = listening.id + (f"-{suffix}" if suffix else "") + (f"-{part + 1}" if part else "")
        scale = listening.scale
        request = ListenRequest(
            step=listening.id,
            commands=only(self.commands, allowed),
            rules=EndpointRules(listening.silence, listening.max_seconds, self.no_speech_seconds),
            audio=self.sink.open_audio(index, name) if keep_audio else None,
            on_ready=lambda: self.events(Event.LISTENING, step=listening.id),
            expected=scale_words(self.ritual.language, scale.low, scale.high) if scale else (),
            long=listening.long,
        )
        try:
            utterance = self.listener.listen(request)
        except (InputLost, ListenInterrupted) as stopped:
            # A lost mic, or Ctrl-C mid-answer: the words heard so far are kept.
            if stopped.heard.text and heard is not None:
                self._take(heard, stopped.heard, scale)
                self._record(listening.id, prompt, heard)
            raise
        if not utterance.text and utterance.matched and utterance.command is None:
            # Only the listener's phrase list made out the words (a number): they are the answer.
            utterance = replace(utterance, text=utterance.matched)
        if utterance.text:
            self.events(Event.HEARD, step=listening.id, text=utterance.text)
        if utterance.command:
            self.events(Event.COMMAND, name=utterance.command.value)
        return utterance

    def _number(self, utterance: Utterance, scale: Scale) -> Optional[int]:
        """The number an answer gives on a scale: the number word the listener heard it
        as first (listening for a few words, a recogniser hears a lone "넷" far better
        than open speech does), else a number in its words ("I'd say a four")."""
        language = self.ritual.language
        for said in (utterance.matched, utterance.text):
            number = number_in(said, language, scale.low, scale.high)
            if number is not None:
                return number
        return None

    def _take(self, heard: _Heard, utterance: Utterance, scale: Optional[Scale] = None) -> None:
        number = self._number(utterance, scale) if scale else None
        if number is not None:
            heard.number = number
        if utterance.text:
            heard.text = f"{heard.text} {utterance.text}".strip()
        if utterance.audio is not None and self.path is not None:
            heard.audio.append(_relative(utterance.audio, self.path.parent))
        if utterance.raw:
            kept = heard.audio[-1] if utterance.audio is not None and heard.audio else None
            heard.details.append(details_of(utterance, kept))

    def _record(
        self,
        answer_id: str,
        prompt: str,
        heard: _Heard,
        state: AnswerState = AnswerState.ANSWERED,
    ) -> Answer:
        answered = state is AnswerState.ANSWERED
        answer = Answer(
            id=answer_id,
            prompt=prompt,
            text=heard.text if answered else "",
            state=state if heard.text or not answered else AnswerState.NO_ANSWER,
            audio=tuple(heard.audio),
            number=heard.number if answered else None,
            property_key=self._properties.get(answer_id),
        )
        self._store(answer, heard, key=answer_id)
        return answer

    def _store(self, answer: Answer, heard: _Heard, key: str) -> None:
        self.entry = self.entry.with_answer(answer)
        self._save()  # the words first: the recogniser's details are a bonus
        if heard.details:
            self.details[key] = heard.details
            try:
                self.sink.save_details(self.details)
            except RitualError as e:
                log.warning("%s; the answer itself is saved", e)

    # -- speaking --------------------------------------------------------------------
    def _say(self, text: str, *, private: bool = False) -> None:
        self.events(Event.SPEAKING, text=text, **({"private": True} if private else {}))
        self.speaker.say(text, private=private)

    def _prompt(
        self, text: str, allowed: tuple[Command, ...], *, private: bool = False
    ) -> Optional[Command]:
        """Speak a prompt a command may cut short (barge-in): the command said over
        it, or None. Only the ``allowed`` commands that make sense during a prompt
        are listened for, less those the prompt's own words could be taken for."""
        listen_for = prompt_commands(self.commands, allowed, text) if self.barge_in else {}
        if self.barge_in is None or not listen_for:
            self._say(text, private=private)
            return None
        self.events(Event.SPEAKING, text=text, **({"private": True} if private else {}))
        command = self.barge_in.say_until(text, listen_for, private=private)
        if command is not None:
            self.events(Event.COMMAND, name=command.value)
        return command

    def _step_say(self, text: str, *, private: bool = False) -> None:
        """A prompt of a step that does not listen: a command said over it acts on
        the whole step (see ``_perform``)."""
        command = self._prompt(text, DURING_PROMPT, private=private)
        if command is not None:
            raise _Interrupted(command)

    def _fill(self, text: str) -> str:
        if "{streak}" in text and "streak" not in self.values:
            self.values["streak"] = self._streak()
        if has_week_figures(text) and "week_days" not in self.values:
            # read from the journal only now: a ritual that says none costs nothing more
            day = self.entry.day
            facts = self.week.week(day) if self.week is not None else WeekFacts(day)
            self.values.update(spoken_figures(summarise(facts), self.ritual.language))
        return fill(text, self.values)

    def _streak(self) -> str:
        """``{streak}``: days in a row with this ritual, today's session included."""
        day = self.entry.day
        days = self.streaks.streak(self.ritual.id, day) if self.streaks else 0
        # "evenings" for the evening ritual whenever it is run; else the time of day
        named = self.ritual.id in TIMES_OF_DAY
        unit = self.ritual.id if named else time_of_day(self.entry.started)
        return in_a_row(max(days, 1), unit, self.ritual.language)


def _listening(step: Step) -> Optional[Listening]:
    if isinstance(step, (Ask, Recall)):
        return step.listening
    return None


def _said(command: Optional[Command]) -> Optional[Utterance]:
    """A command said over a prompt, as if it had been heard after it."""
    return Utterance(command=command, ended_by=EndedBy.COMMAND) if command else None


def _spoken(answer: str) -> str:
    """An earlier answer as it is read back: one line, no trailing full stop."""
    return " ".join(answer.split()).rstrip(".")


def _capitalised(text: str) -> str:
    """A sentence that starts with a placeholder ("{when} tonight") starts with a capital."""
    return text[:1].upper() + text[1:]


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)
