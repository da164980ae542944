"""The conductor: runs a ritual against a Speaker and a Listener, keeping the entry.

It knows nothing of engines or devices. The entry is saved after every answer
(status in-progress), and once more at the end (complete or stopped), so nothing
already said is lost whatever happens next.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Optional

from assistant.core.commands import CommandSet, commands_for, only
from assistant.core.journal import (
    ANSWERED,
    COMPLETE,
    NO_ANSWER,
    SKIPPED,
    STOPPED,
    Answer,
    Entry,
    FollowUp,
)
from assistant.core.phrases import phrases_for
from assistant.core.reframe import NO_REFRAMES, Reframes
from assistant.core.ritual import (
    Affirm,
    Ask,
    Breathe,
    Listening,
    Pause,
    Recall,
    Ritual,
    Say,
    Step,
    fill,
)
from assistant.ports import (
    AnswerLookup,
    Clock,
    EntrySink,
    EventSink,
    InputLost,
    Listener,
    ListenRequest,
    Speaker,
    Utterance,
)

NAVIGATION = ("repeat", "skip", "back", "pause", "stop", "done")
"""commands that make sense while a question waits for its answer"""
CONFIRMING = ("keep", "redo", "add", "repeat", "stop")


class _Move(Enum):
    NEXT = "next"
    BACK = "back"


class _Stop(Exception):
    """The user said stop: save what there is and end the ritual."""


def time_of_day(moment: datetime) -> str:
    hour = moment.hour
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def placeholder_values(moment: datetime, name: str) -> dict[str, str]:
    return {
        "name": name,
        "weekday": moment.strftime("%A"),
        "date": f"{moment:%B} {moment.day}",
        "time_of_day": time_of_day(moment),
    }


@dataclass
class _Heard:
    """One question's answer as it builds up (an added part, a follow-up)."""

    text: str = ""
    audio: list[str] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)


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
    name: str = "friend"
    model: str = ""
    no_speech_seconds: float = 8.0
    """how long to wait for any speech before asking once more"""
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.commands: CommandSet = commands_for(self.ritual.language, self.ritual.commands)
        self.phrases = phrases_for(self.ritual.language)
        self.entry = Entry(
            ritual=self.ritual.id,
            title=self.ritual.title,
            started=self.clock.now(),
            model=self.model,
            language=self.ritual.language,
            tags=("ritual", self.ritual.id),
        )
        self.values = placeholder_values(self.entry.started, self.name)
        self.path: Optional[Path] = None
        self.details: dict[str, Any] = {}

    # -- the whole ritual ------------------------------------------------------------
    def run(self) -> Entry:
        self._save()
        try:
            self._run_steps()
        except _Stop:
            self._finish(STOPPED, farewell=self.phrases["stopping"])
            return self.entry
        except BaseException:  # Ctrl-C, a lost mic, an engine error: keep what was said
            self._finish(STOPPED)
            raise
        self._finish(COMPLETE)
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

    def _finish(self, status: str, farewell: Optional[str] = None) -> None:
        # Saved before the farewell is spoken: a Ctrl-C or a speaker error while it
        # plays must not leave the entry in progress.
        self.entry = replace(self.entry, status=status, ended=self.clock.now())
        self._save()
        try:
            if farewell:
                self._say(farewell)
        finally:
            self.events("done", path=str(self.path), status=status)

    def _save(self) -> None:
        self.path = self.sink.save(self.entry)
        self.events("saved", path=str(self.path))

    # -- steps -----------------------------------------------------------------------
    def _perform(self, step: Step, index: int) -> _Move:
        if isinstance(step, Say):
            self._say(self._fill(step.text))
        elif isinstance(step, Pause):
            self.clock.sleep(step.seconds)
        elif isinstance(step, Breathe):
            self._breathe(step)
        elif isinstance(step, Affirm):
            for text in self._pick(step):
                self._say(self._fill(text))
        elif isinstance(step, Ask):
            return self._question(self._fill(step.text), step.listening, index)
        elif isinstance(step, Recall):
            return self._recall(step, index)
        return _Move.NEXT

    def _breathe(self, step: Breathe) -> None:
        for _ in range(step.count):
            self._say(self.phrases["breathe_in"])
            self.clock.sleep(step.breathe_in)
            if step.hold:
                self._say(self.phrases["hold"])
                self.clock.sleep(step.hold)
            self._say(self.phrases["breathe_out"])
            self.clock.sleep(step.breathe_out)

    def _pick(self, step: Affirm) -> tuple[str, ...]:
        if step.pick == "all":
            return step.texts
        if step.pick == "random":
            return (self.rng.choice(step.texts),)
        return (step.texts[self.entry.day.toordinal() % len(step.texts)],)

    def _recall(self, step: Recall, index: int) -> _Move:
        day = self.entry.day
        on = {"today": day, "yesterday": day - timedelta(days=1)}.get(step.when)
        found = self.answers.find_answer(step.ritual, step.id, on) if self.answers else None
        if found:
            # The ritual's placeholders first: an answer that contains "{name}" stays as said.
            prompt: Optional[str] = fill(self._fill(step.text), {"answer": _spoken(found)})
        else:
            prompt = self._fill(step.otherwise) if step.otherwise else None
        if prompt is None:
            return _Move.NEXT
        if step.listening is None:
            self._say(prompt, private=bool(found))
            return _Move.NEXT
        return self._question(prompt, step.listening, index, private=bool(found))

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
        while True:
            self._say(speak, private=private)
            speak = prompt
            part = first_part + len(heard.audio)
            utterance = self._listen(
                listening, index, NAVIGATION, prompt=prompt, part=part, heard=heard
            )
            command = utterance.command
            if utterance.text:
                self._take(heard, utterance)
                self._record(listening.id, prompt, heard)
            if command == "stop":
                raise _Stop
            if command == "back":
                return _Move.BACK
            if command in ("repeat", "pause"):  # before an answer, or in the middle of one
                if command == "pause":
                    self._pause()
                continue
            if not heard.text:
                if command in ("skip", "done"):
                    self._record_unless_answered(listening.id, prompt, SKIPPED)
                    return _Move.NEXT
                tries_without_speech += 1
                if tries_without_speech < 2:
                    speak = self.phrases["again"].format(prompt=prompt)
                    continue
                self._record_unless_answered(listening.id, prompt, NO_ANSWER)
                return _Move.NEXT
            if listening.confirm:
                verdict = self._confirm(heard, prompt, listening, index, first_part)
                if verdict == "redo":
                    first_part += len(heard.audio)
                    heard = _Heard()
                    continue
            break
        answer = self.entry.answer(listening.id)
        if listening.reframe and answer is not None:
            self._reframe(answer, listening, index)
        return _Move.NEXT

    def _record_unless_answered(self, answer_id: str, prompt: str, state: str) -> None:
        """Record a skip or a silence, but never over an answer given before "back"."""
        earlier = self.entry.answer(answer_id)
        if earlier is None or earlier.state != ANSWERED:
            self._record(answer_id, prompt, _Heard(), state)

    def _confirm(
        self, heard: _Heard, prompt: str, listening: Listening, index: int, first_part: int
    ) -> str:
        """Read the answer back: keep, redo or add. Unclear or silent twice: keep."""
        speak = self.phrases["heard"].format(answer=_spoken(heard.text))
        unclear = 0
        while unclear < 2:
            self._say(speak, private=True)  # it reads the answer back
            reply = self._listen(
                listening, index, CONFIRMING, prompt=prompt, part=0, keep_audio=False
            )
            if reply.command == "stop":
                raise _Stop
            if reply.command in ("keep", "redo"):
                return reply.command
            if reply.command == "add":
                self._say(self.phrases["add"])
                more = self._listen(
                    listening,
                    index,
                    ("stop", "done"),
                    prompt=prompt,
                    part=first_part + len(heard.audio),
                    heard=heard,
                )
                if more.text:
                    self._take(heard, more)
                    self._record(listening.id, prompt, heard)
                if more.command == "stop":
                    raise _Stop
                speak = self.phrases["heard"].format(answer=_spoken(heard.text))
                continue
            if reply.command == "repeat":
                continue
            unclear += 1
            speak = self.phrases["heard_again"]
        return "keep"

    def _pause(self) -> None:
        self._say(self.phrases["paused"])
        while True:
            request = ListenRequest(
                step="pause",
                commands=only(self.commands, ("resume", "stop")),
                silence=1.0,
                max_seconds=600.0,
                no_speech_seconds=600.0,
                on_ready=lambda: self.events("listening", step="pause"),
            )
            utterance = self.listener.listen(request)
            if utterance.command:
                self.events("command", name=utterance.command)
            if utterance.command == "stop":
                raise _Stop
            if utterance.command == "resume":
                return

    def _reframe(self, answer: Answer, listening: Listening, index: int) -> None:
        rule = self.reframes.match(answer.text, self.ritual.language)
        if rule is None:
            return
        prompt = self._fill(rule.follow_up)
        heard = _Heard()
        self._say(prompt)
        reply = self._listen(
            listening,
            index,
            ("repeat", "skip", "stop", "done"),
            prompt=prompt,
            part=0,
            suffix="follow-up",
        )
        if not reply.text and reply.command in (None, "repeat"):  # silence: ask once more
            again = prompt if reply.command else self.phrases["again"].format(prompt=prompt)
            self._say(again)
            reply = self._listen(
                listening,
                index,
                ("skip", "stop", "done"),
                prompt=prompt,
                part=0,
                suffix="follow-up",
            )
        self._take(heard, reply)
        state = ANSWERED if heard.text else (SKIPPED if reply.command else NO_ANSWER)
        follow_up = FollowUp(prompt, heard.text, state, rule.name, tuple(heard.audio))
        self._store(replace(answer, follow_up=follow_up), heard, key=f"{answer.id}/follow-up")
        if reply.command == "stop":
            raise _Stop

    # -- listening and recording -----------------------------------------------------
    def _listen(
        self,
        listening: Listening,
        index: int,
        allowed: tuple[str, ...],
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
        request = ListenRequest(
            step=listening.id,
            commands=only(self.commands, allowed),
            silence=listening.silence,
            max_seconds=listening.max_seconds,
            no_speech_seconds=self.no_speech_seconds,
            audio_path=self.sink.audio_path(index, name) if keep_audio else None,
            on_ready=lambda: self.events("listening", step=listening.id),
        )
        try:
            utterance = self.listener.listen(request)
        except (InputLost, KeyboardInterrupt) as stopped:
            # A lost mic, or Ctrl-C mid-answer: the words heard so far are kept.
            partial = getattr(stopped, "heard", None)
            if isinstance(partial, Utterance) and partial.text and heard is not None:
                self._take(heard, partial)
                self._record(listening.id, prompt, heard)
            raise
        if utterance.text:
            self.events("heard", step=listening.id, text=utterance.text)
        if utterance.command:
            self.events("command", name=utterance.command)
        return utterance

    def _take(self, heard: _Heard, utterance: Utterance) -> None:
        if utterance.text:
            heard.text = f"{heard.text} {utterance.text}".strip()
        if utterance.audio is not None and self.path is not None:
            heard.audio.append(_relative(utterance.audio, self.path.parent))
        if utterance.raw:
            heard.details.append(
                {
                    "raw": utterance.raw,
                    "seconds": round(utterance.seconds, 3),
                    "ended_by": utterance.ended_by,
                    "words": [
                        {"word": w.text, "start": w.start, "end": w.end, "conf": w.conf}
                        for w in utterance.words
                    ],
                    **(
                        {"audio": heard.audio[-1]}
                        if utterance.audio is not None and heard.audio
                        else {}
                    ),
                    **dict(utterance.extra),
                }
            )

    def _record(self, answer_id: str, prompt: str, heard: _Heard, state: str = ANSWERED) -> Answer:
        answer = Answer(
            id=answer_id,
            prompt=prompt,
            text=heard.text if state == ANSWERED else "",
            state=state if heard.text or state != ANSWERED else NO_ANSWER,
            audio=tuple(heard.audio),
        )
        self._store(answer, heard, key=answer_id)
        return answer

    def _store(self, answer: Answer, heard: _Heard, key: str) -> None:
        self.entry = self.entry.with_answer(answer)
        if heard.details:
            self.details[key] = heard.details
            saver = getattr(self.sink, "save_details", None)
            if saver is not None:
                saver(self.details)
        self._save()

    # -- speaking --------------------------------------------------------------------
    def _say(self, text: str, *, private: bool = False) -> None:
        self.events("speaking", text=text)
        self.speaker.say(text, private=private)

    def _fill(self, text: str) -> str:
        return fill(text, self.values)


def _listening(step: Step) -> Optional[Listening]:
    if isinstance(step, (Ask, Recall)):
        return step.listening
    return None


def _spoken(answer: str) -> str:
    """An earlier answer as it is read back: one line, no trailing full stop."""
    return " ".join(answer.split()).rstrip(".")


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)
