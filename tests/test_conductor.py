"""The conductor, driven by fakes through every step kind, command and reframe."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assistant.core.conductor import Conductor
from assistant.core.journal import AnswerState, EntryStatus
from assistant.core.ports import InputLost, ListenInterrupted, Utterance
from assistant.core.reframe import parse_reframes
from assistant.core.ritual_file import parse_ritual
from assistant.core.voice_commands import Command
from tests.fakes import (
    EventLog,
    FakeSpeaker,
    FixedAnswers,
    FixedClock,
    MemorySink,
    ScriptedListener,
    lost,
)

REFRAMES = parse_reframes(
    """
en:
  - name: self-critical
    triggers: [not good enough, always mess up]
    follow_up: "And something you respect about yourself?"
  - name: worried
    triggers: [what if]
    follow_up: "And what if it goes well?"
"""
)

TWO_QUESTIONS = """
title: Test
steps:
  - say: "Hello {name}."
  - ask: "First?"
    id: one
  - ask: "Second?"
    id: two
  - say: "Bye."
"""


def conduct(
    ritual_yaml: str, script: list[Any], **kw: Any
) -> tuple[Conductor, FakeSpeaker, ScriptedListener, MemorySink, EventLog]:
    speaker, listener, sink, events = (
        FakeSpeaker(),
        ScriptedListener(script),
        MemorySink(),
        EventLog(),
    )
    conductor = Conductor(
        ritual=parse_ritual(ritual_yaml, path="test.yaml"),
        speaker=speaker,
        listener=listener,
        sink=kw.pop("sink", sink),
        clock=kw.pop("clock", FixedClock()),
        events=events,
        reframes=kw.pop("reframes", REFRAMES),
        name="Sam",
        **kw,
    )
    return conductor, speaker, listener, kw.get("sink", sink), events


def texts(sink: MemorySink) -> dict[str, tuple[str, str]]:
    return {a.id: (a.state, a.text) for a in sink.last.answers}


def test_answers_are_recorded_and_saved_after_each_one() -> None:
    c, speaker, _, sink, events = conduct(TWO_QUESTIONS, ["Fine.", "Rested."])
    entry = c.run()
    assert speaker.said == ["Hello Sam.", "First?", "Second?", "Bye."]
    assert entry.status == EntryStatus.COMPLETE
    assert texts(sink) == {"one": ("answered", "Fine."), "two": ("answered", "Rested.")}
    # saved at the start, after each answer (in progress), and at the end
    assert [e.status for e in sink.saved] == [
        EntryStatus.IN_PROGRESS,
        EntryStatus.IN_PROGRESS,
        EntryStatus.IN_PROGRESS,
        EntryStatus.COMPLETE,
    ]
    assert [len(e.answers) for e in sink.saved] == [0, 1, 2, 2]
    assert events.names().count("listening") == 2
    assert events.events[-1] == {"event": "done", "path": "/journal/entry.md", "status": "complete"}


def test_events_follow_the_conversation_in_order() -> None:
    c, *_, events = conduct(TWO_QUESTIONS, ["Fine.", "skip"])
    c.run()
    flow = [(e["event"], e.get("text") or e.get("step") or e.get("name")) for e in events.events]
    assert flow[:6] == [
        ("saved", None),
        ("speaking", "Hello Sam."),
        ("speaking", "First?"),
        ("listening", "one"),
        ("heard", "Fine."),
        ("saved", None),
    ]
    assert ("command", "skip") in flow


def test_every_speaking_step_kind() -> None:
    ritual = """
title: Kinds
steps:
  - say: "It is {weekday}, {date}, this {time_of_day}."
  - pause: 2.5
  - breathe: {count: 2, in: 4, hold: 1, out: 5}
  - affirm: ["A.", "B.", "C."]
  - affirm: {pick: all, from: ["X.", "Y."]}
  - affirm: {pick: random, from: ["R."]}
"""
    clock = FixedClock()
    c, speaker, listener, sink, _ = conduct(ritual, [], clock=clock)
    c.run()
    day_pick = ["A.", "B.", "C."][date(2026, 11, 30).toordinal() % 3]
    assert speaker.said == [
        "It is Monday, November 30, this morning.",
        "Breathe in.",
        "Hold.",
        "And breathe out.",
        "Breathe in.",
        "Hold.",
        "And breathe out.",
        day_pick,
        "X.",
        "Y.",
        "R.",
    ]
    assert clock.slept == [2.5, 4, 1, 5, 4, 1, 5]
    assert listener.requests == []
    assert sink.last.status == EntryStatus.COMPLETE


def test_no_answer_asks_once_more_then_records_no_answer() -> None:
    c, speaker, _, sink, _ = conduct(TWO_QUESTIONS, [None, None, "Yes."])
    c.run()
    assert speaker.said[1:4] == ["First?", "Take your time. First?", "Second?"]
    assert texts(sink)["one"] == (AnswerState.NO_ANSWER, "")
    assert texts(sink)["two"] == ("answered", "Yes.")


def test_second_chance_answer_is_kept() -> None:
    c, _, _, sink, _ = conduct(TWO_QUESTIONS, [None, "Late answer.", "Yes."])
    c.run()
    assert texts(sink)["one"] == ("answered", "Late answer.")


def test_repeat_speaks_the_question_again() -> None:
    c, speaker, *_ = conduct(TWO_QUESTIONS, ["repeat", "Fine.", "ok"])
    c.run()
    assert speaker.said[1:4] == ["First?", "First?", "Second?"]


def test_skip_and_next_record_skipped() -> None:
    c, _, _, sink, _ = conduct(TWO_QUESTIONS, ["skip", "next"])
    c.run()
    assert texts(sink) == {"one": (AnswerState.SKIPPED, ""), "two": (AnswerState.SKIPPED, "")}
    assert sink.last.status == EntryStatus.COMPLETE


def test_back_returns_to_the_previous_question_and_replaces_its_answer() -> None:
    c, speaker, _, sink, _ = conduct(TWO_QUESTIONS, ["Fine.", "go back", "Better now.", "Good."])
    c.run()
    assert speaker.said[1:5] == ["First?", "Second?", "First?", "Second?"]
    assert texts(sink) == {"one": ("answered", "Better now."), "two": ("answered", "Good.")}
    assert [a.id for a in sink.last.answers] == ["one", "two"]


def test_back_on_the_first_question_says_so_and_asks_again() -> None:
    c, speaker, *_ = conduct(TWO_QUESTIONS, ["back", "Fine.", "Good."])
    c.run()
    assert speaker.said[1:4] == ["First?", "This is the first question.", "First?"]


def test_pause_waits_for_resume_then_asks_again() -> None:
    c, speaker, listener, sink, _ = conduct(
        TWO_QUESTIONS, ["pause", "something else", "resume", "Fine.", "Good."]
    )
    c.run()
    assert speaker.said[1:4] == ["First?", "Paused. Say resume when you're ready.", "First?"]
    assert set(listener.requests[1].commands) == {"resume", "stop"}
    assert texts(sink)["one"] == ("answered", "Fine.")


def test_stop_saves_what_was_said_and_ends_as_stopped() -> None:
    c, speaker, _, sink, events = conduct(TWO_QUESTIONS, ["Fine.", "stop"])
    entry = c.run()
    assert entry.status == EntryStatus.STOPPED
    assert sink.last.status == EntryStatus.STOPPED and sink.last.ended is not None
    assert texts(sink) == {"one": ("answered", "Fine.")}
    assert speaker.said[-1] == "Stopping here. What you said is saved."
    assert "Bye." not in speaker.said
    assert events.events[-1]["status"] == "stopped"


def test_an_answer_that_ends_with_stop_is_kept() -> None:
    c, _, _, sink, _ = conduct(TWO_QUESTIONS, [Utterance(text="Tired.", command=Command.STOP)])
    c.run()
    assert sink.last.status == EntryStatus.STOPPED
    assert texts(sink) == {"one": ("answered", "Tired.")}


def test_a_sentence_with_a_command_word_is_an_answer() -> None:
    c, _, _, sink, _ = conduct(TWO_QUESTIONS, ["I want to stop worrying", "done"])
    c.run()
    assert texts(sink)["one"] == ("answered", "I want to stop worrying")
    assert texts(sink)["two"] == (AnswerState.SKIPPED, "")
    assert sink.last.status == EntryStatus.COMPLETE


def test_end_of_input_stops_and_keeps_answers() -> None:
    c, _, _, sink, _ = conduct(TWO_QUESTIONS, ["Fine."])  # the script runs out
    c.run()
    assert sink.last.status == EntryStatus.STOPPED
    assert texts(sink) == {"one": ("answered", "Fine.")}


def test_ctrl_c_saves_the_entry_as_stopped_and_propagates() -> None:
    c, _, _, sink, _ = conduct(TWO_QUESTIONS, ["Fine.", KeyboardInterrupt()])
    with pytest.raises(KeyboardInterrupt):
        c.run()
    assert sink.last.status == EntryStatus.STOPPED
    assert texts(sink) == {"one": ("answered", "Fine.")}


def test_a_lost_microphone_keeps_what_was_heard() -> None:
    c, _, _, sink, _ = conduct(TWO_QUESTIONS, ["Fine.", lost("Half a sentence")])
    with pytest.raises(InputLost):
        c.run()
    assert sink.last.status == EntryStatus.STOPPED
    assert texts(sink) == {"one": ("answered", "Fine."), "two": ("answered", "Half a sentence")}


REFRAMING = """
title: Reframing
steps:
  - ask: "How was it?"
    id: how
    reframe: true
  - ask: "Anything else?"
    id: else
"""


def test_self_critical_answer_gets_one_follow_up_recorded_with_it() -> None:
    c, speaker, _, sink, _ = conduct(
        REFRAMING, ["i always mess up and i'm not good enough", "I am kind.", "No."]
    )
    c.run()
    assert speaker.said[:3] == [
        "How was it?",
        "And something you respect about yourself?",
        "Anything else?",
    ]
    how = sink.last.answer("how")
    assert how is not None and how.follow_up is not None
    assert how.follow_up.text == "I am kind."
    assert how.follow_up.rule == "self-critical"
    assert sink.last.answer("else").follow_up is None  # type: ignore[union-attr]


def test_worried_answer_gets_the_worried_follow_up() -> None:
    c, speaker, *_ = conduct(REFRAMING, ["what if it all falls apart", "Then I learn.", "No."])
    c.run()
    assert speaker.said[1] == "And what if it goes well?"


def test_neutral_answer_and_reframe_off_get_no_follow_up() -> None:
    c, speaker, *_ = conduct(REFRAMING, ["It was lovely.", "I'm not good enough at chess"])
    c.run()
    assert speaker.said == ["How was it?", "Anything else?"]


def test_skipping_a_follow_up_records_it_as_skipped() -> None:
    c, _, _, sink, _ = conduct(REFRAMING, ["I'm not good enough", "skip", "No."])
    c.run()
    follow_up = sink.last.answer("how").follow_up  # type: ignore[union-attr]
    assert follow_up is not None and follow_up.state == AnswerState.SKIPPED


CONFIRMING = """
title: Confirming
steps:
  - ask: "Your goal?"
    id: goal
    confirm: true
"""


def test_confirm_keep() -> None:
    c, speaker, listener, sink, _ = conduct(CONFIRMING, ["Run a mile.", "keep"])
    c.run()
    assert speaker.said[1] == "I heard: Run a mile. Say keep, redo, or add."
    assert set(listener.requests[1].commands) == {"keep", "redo", "add", "repeat", "stop"}
    assert texts(sink) == {"goal": ("answered", "Run a mile.")}


def test_confirm_redo_asks_again_and_replaces() -> None:
    c, speaker, _, sink, _ = conduct(CONFIRMING, ["Run a mle.", "redo", "Run a mile.", "yes"])
    c.run()
    assert speaker.said[2] == "Your goal?"
    assert texts(sink) == {"goal": ("answered", "Run a mile.")}


def test_confirm_add_appends_more() -> None:
    c, _, _, sink, _ = conduct(CONFIRMING, ["Run a mile.", "add", "Every Sunday.", "keep"])
    c.run()
    assert texts(sink) == {"goal": ("answered", "Run a mile. Every Sunday.")}


def test_confirm_silence_keeps_the_answer() -> None:
    c, _, _, sink, _ = conduct(CONFIRMING, ["Run a mile.", None, None])
    c.run()
    assert texts(sink) == {"goal": ("answered", "Run a mile.")}
    assert sink.last.status == EntryStatus.COMPLETE


RECALLING = """
title: Evening
steps:
  - recall: {ritual: morning, id: intention, when: today}
    say: "This morning you said: {answer}. How did it go?"
    otherwise: "How did your day go?"
    id: review
"""


def test_recall_reads_back_the_morning_answer_and_listens() -> None:
    answers = FixedAnswers({("morning", "intention", date(2026, 11, 30)): "Be patient."})
    c, speaker, _, sink, _ = conduct(RECALLING, ["It went well."], answers=answers)
    c.run()
    assert speaker.said == ["This morning you said: Be patient. How did it go?"]
    review = sink.last.answer("review")
    assert review is not None and review.text == "It went well."
    assert review.prompt == "This morning you said: Be patient. How did it go?"


def test_recall_with_nothing_to_recall_says_otherwise() -> None:
    c, speaker, *_ = conduct(RECALLING, ["Fine."], answers=FixedAnswers())
    c.run()
    assert speaker.said == ["How did your day go?"]


def test_recall_without_id_only_speaks() -> None:
    ritual = """
title: Recall only
steps:
  - recall: {ritual: morning, id: intention, when: yesterday}
    say: "Yesterday: {answer}."
"""
    answers = FixedAnswers({("morning", "intention", date(2026, 11, 29)): "Rest."})
    c, speaker, listener, *_ = conduct(ritual, [], answers=answers)
    c.run()
    assert speaker.said == ["Yesterday: Rest."]
    assert listener.requests == []


def test_listen_requests_carry_the_steps_timing_and_audio_path(tmp_path: Path) -> None:
    ritual = """
title: Timing
steps:
  - ask: "Q?"
    id: only
    silence: 5
    max_seconds: 60
"""
    sink = MemorySink(audio_root=tmp_path)
    c, _, listener, *_ = conduct(ritual, ["A."], sink=sink)
    c.run()
    request = listener.requests[0]
    assert (request.rules.silence, request.rules.max_seconds, request.step) == (5, 60, "only")
    assert request.audio is not None and request.audio.path == tmp_path / "01-only.wav"
    assert "stop" in request.commands and "keep" not in request.commands


def test_ritual_commands_replace_the_language_defaults() -> None:
    ritual = """
title: Korean
language: ko
commands: {stop: [중지], done: [네]}
steps:
  - ask: "질문?"
    id: q
  - ask: "또?"
    id: r
"""
    c, _, listener, sink, _ = conduct(ritual, ["네", "중지"])
    c.run()
    assert listener.requests[0].commands[Command.STOP] == ("중지",)
    assert texts(sink) == {"q": (AnswerState.SKIPPED, "")}
    assert sink.last.status == EntryStatus.STOPPED


# -- regressions: nothing already said is ever lost ----------------------------------


def test_an_answer_is_saved_before_its_read_back() -> None:
    c, _, _, sink, _ = conduct(CONFIRMING, ["Run a mile.", KeyboardInterrupt()])
    with pytest.raises(KeyboardInterrupt):
        c.run()
    assert texts(sink) == {"goal": ("answered", "Run a mile.")}
    assert sink.last.status == EntryStatus.STOPPED


def test_stop_at_the_read_back_keeps_the_answer_and_what_was_added() -> None:
    c, _, _, sink, _ = conduct(CONFIRMING, ["Run a mile.", "add", "On Sundays.", "stop"])
    c.run()
    assert texts(sink) == {"goal": ("answered", "Run a mile. On Sundays.")}
    assert sink.last.status == EntryStatus.STOPPED


def test_losing_the_mic_while_adding_keeps_the_whole_answer() -> None:
    c, _, _, sink, _ = conduct(CONFIRMING, ["My long intention.", "add", lost("and more")])
    with pytest.raises(InputLost):
        c.run()
    assert texts(sink) == {"goal": ("answered", "My long intention. and more")}


def test_skipping_or_silence_after_back_keeps_the_earlier_answer() -> None:
    c, _, _, sink, _ = conduct(TWO_QUESTIONS, ["Slept well.", "back", "next", None, None])
    c.run()
    assert texts(sink)["one"] == ("answered", "Slept well.")
    assert texts(sink)["two"] == (AnswerState.NO_ANSWER, "")


def test_a_retaken_answer_never_overwrites_kept_audio(tmp_path: Path) -> None:
    audio = tmp_path / "01-one.wav"
    sink = MemorySink(audio_root=tmp_path)
    first = Utterance(text="First take.", audio=audio)
    c, _, listener, *_ = conduct(TWO_QUESTIONS, [first, "back", "Second take.", "ok"], sink=sink)
    c.run()
    paths = [r.audio.path for r in listener.requests if r.step == "one" and r.audio]
    assert paths == [tmp_path / "01-one.wav", tmp_path / "01-one-2.wav"]


def test_an_error_while_saying_goodbye_still_saves_the_entry_as_stopped() -> None:
    class BrokenFarewell(FakeSpeaker):
        def say(self, text: str, *, private: bool = False) -> None:
            if text.startswith("Stopping"):
                raise KeyboardInterrupt
            super().say(text, private=private)

    sink, events = MemorySink(), EventLog()
    c = Conductor(
        ritual=parse_ritual(TWO_QUESTIONS, path="t.yaml"),
        speaker=BrokenFarewell(),
        listener=ScriptedListener(["Fine.", "stop"]),
        sink=sink,
        clock=FixedClock(),
        events=events,
    )
    with pytest.raises(KeyboardInterrupt):
        c.run()
    assert sink.last.status == EntryStatus.STOPPED and sink.last.ended is not None
    assert events.events[-1]["event"] == "done"


@pytest.mark.parametrize("command", [Command.PAUSE, Command.REPEAT])
def test_pause_or_repeat_after_some_words_keeps_them_and_goes_on(command: Command) -> None:
    script = [Utterance(text="I feel", command=command), "resume", "calm."]
    if command is Command.REPEAT:
        script.remove("resume")
    c, speaker, _, sink, _ = conduct(TWO_QUESTIONS, [*script, "ok"])
    c.run()
    assert texts(sink)["one"] == ("answered", "I feel calm.")
    assert speaker.said.count("First?") == 2


def test_back_after_some_words_keeps_them() -> None:
    c, _, _, sink, _ = conduct(
        TWO_QUESTIONS, ["Fine.", Utterance(text="Well", command=Command.BACK), "skip", "skip"]
    )
    c.run()
    assert texts(sink) == {"one": ("answered", "Fine."), "two": ("answered", "Well")}


def test_a_recalled_answer_is_read_back_as_it_was_said() -> None:
    answers = FixedAnswers({("morning", "intention", date(2026, 11, 30)): "Call {name} back."})
    c, speaker, *_ = conduct(RECALLING, ["Done."], answers=answers)
    c.run()
    assert speaker.said == ["This morning you said: Call {name} back. How did it go?"]


def test_ctrl_c_mid_answer_keeps_the_words_heard_so_far() -> None:
    interrupted = ListenInterrupted(Utterance(text="Half of what I"))
    c, _, _, sink, _ = conduct(TWO_QUESTIONS, ["Fine.", interrupted])
    with pytest.raises(KeyboardInterrupt):
        c.run()
    assert texts(sink) == {"one": ("answered", "Fine."), "two": ("answered", "Half of what I")}
    assert sink.last.status == EntryStatus.STOPPED


def test_prompts_holding_the_users_words_are_spoken_privately() -> None:
    answers = FixedAnswers({("morning", "intention", date(2026, 11, 30)): "Be patient."})
    c, speaker, *_ = conduct(RECALLING, ["Well."], answers=answers)
    c.run()
    assert speaker.private == ["This morning you said: Be patient. How did it go?"]
    c, speaker, *_ = conduct(CONFIRMING, ["Run a mile.", "keep"])
    c.run()
    assert speaker.private == ["I heard: Run a mile. Say keep, redo, or add."]
    assert "Your goal?" not in speaker.private


def test_silence_after_a_follow_up_asks_it_once_more() -> None:
    c, speaker, _, sink, _ = conduct(REFRAMING, ["I'm not good enough", None, "I am kind.", "No."])
    c.run()
    assert speaker.said[1:3] == [
        "And something you respect about yourself?",
        "Take your time. And something you respect about yourself?",
    ]
    follow_up = sink.last.answer("how").follow_up  # type: ignore[union-attr]
    assert follow_up is not None and follow_up.text == "I am kind."
