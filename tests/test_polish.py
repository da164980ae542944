"""The second listen's safety rules and its bookkeeping, with fake transcribers."""

from __future__ import annotations

import shutil
import struct
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest

from assistant import service
from assistant.app import Session, conduct
from assistant.audio.wav import wav_from_bytes
from assistant.core.journal import Answer, AnswerState, Entry, FollowUp, parse_entry, render_entry
from assistant.core.polish import (
    POLISH_KEY,
    POLISHED_FIELD,
    language_model,
    loops,
    polish_details,
    polish_entry,
    refusal,
    speech_span,
    words_of,
)
from assistant.core.polish_sink import Heard, PolishingSink
from assistant.core.ports import ListenRequest, Utterance
from assistant.engines import polish as engine_polish
from assistant.journal.access import Journal
from assistant.journal.folder import EntryFile, JournalFolder
from assistant.modelstore.polish_models import find_polish_model, polish_models
from assistant.settings import load_settings
from tests.cli import isolated_env, run_cli
from tests.fakes import EventLog, FakeSpeaker, FixedClock, MemorySink
from tests.test_hands_free import verify

STARTED = datetime(2026, 12, 7, 7, 30, tzinfo=timezone.utc)


class FakeTranscriber:
    """Hears each file as a table says, and remembers what it was asked, in order."""

    model_name = "fake-whisper"

    def __init__(self, heard: dict[str, str], fail: Sequence[str] = ()) -> None:
        self.heard = heard
        self.fail = fail
        self.asked: list[str] = []

    def transcribe(self, wav: Path) -> Utterance:
        self.asked.append(wav.name)
        if wav.name in self.fail:
            raise RuntimeError("the model fell over")
        return Utterance(text=self.heard.get(wav.name, ""), audio=wav)


def entry(*answers: Answer) -> Entry:
    return Entry(
        ritual="morning", title="Morning", started=STARTED, language="en-us", answers=answers
    )


def answered(answer_id: str, text: str, *audio: str) -> Answer:
    return Answer(id=answer_id, prompt=f"{answer_id}?", text=text, audio=tuple(audio))


# -- the rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vosk", "heard", "refused"),
    [
        ("I feel rested today.", "I feel rested today.", False),
        ("im not good enough for this job", "I'm not good enough for this job.", False),
        ("I feel rested.", "", True),  # words are never traded for nothing
        ("I feel rested.", " . ", True),
        ("", "Thank you.", True),  # words where Vosk heard none: invented
        ("Fine.", "Fine. Thank you for watching and please subscribe to the channel.", True),
        ("I will rest", "I will rest. I will rest. I will rest.", True),
        ("no", "No, no, no.", False),  # said, not a loop
        ("no no no no", "No, no, no, no.", True),
    ],
)
def test_which_second_listens_are_trusted(vosk: str, heard: str, refused: bool) -> None:
    assert (refusal(vosk, heard) is not None) is refused


def test_a_phrase_that_keeps_coming_back_in_a_long_answer_is_a_loop() -> None:
    words = words_of("I went out and I went home and then I went out and I went out again")
    assert loops(words)
    assert not loops(words_of("I went out for a walk and then came home to make tea"))


def test_silence_before_and_after_is_cut_off_with_a_margin() -> None:
    quiet, loud = [20.0] * 100, [3000.0] * 50
    span = speech_span([*quiet, *loud, *quiet], 0.03, margin=0.25)
    assert span is not None
    start, end = span
    assert start == pytest.approx(100 * 0.03 - 0.25)
    assert end == pytest.approx(150 * 0.03 + 0.25)


def test_silence_or_a_steady_hum_has_no_speech() -> None:
    assert speech_span([], 0.03) is None
    assert speech_span([15.0] * 200, 0.03) is None
    assert speech_span([900.0] * 200, 0.03) is None  # a fan: nothing stands out


def test_the_language_picks_the_model() -> None:
    english = {"en": "tiny.en"}
    assert language_model(english, "en-US") == "tiny.en"
    assert language_model(english, "en-gb") == "tiny.en"
    assert language_model(english, "ko") is None  # keeps Vosk's text
    assert language_model({**english, "*": "base"}, "ko") == "base"


# -- polishing an entry --------------------------------------------------------------


def test_an_entry_gets_the_better_words_and_keeps_vosks_in_the_record(tmp_path: Path) -> None:
    e = entry(
        answered("feel", "im not good enough for this job", "01-feel.wav"),
        answered("plan", "call my sister", "02-plan.wav", "02-plan-2.wav"),
    )
    fake = FakeTranscriber({
        "01-feel.wav": "I'm not good enough for this job.",
        "02-plan.wav": "Call my sister.",
        "02-plan-2.wav": "And rest.",
    })  # fmt: skip
    (tmp_path / "01-feel.wav").touch()
    updated, results = polish_entry(e, tmp_path, fake, {}, warn=pytest.fail)
    assert [a.text for a in updated.answers] == [
        "I'm not good enough for this job.",
        "Call my sister. And rest.",
    ]
    # One answer at a time, each file whole and once, in order.
    assert fake.asked == ["01-feel.wav", "02-plan.wav", "02-plan-2.wav"]
    record = polish_details({"feel": [{"raw": "im not"}]}, results, "fake-whisper")
    assert record["feel"] == [{"raw": "im not"}]
    assert record[POLISH_KEY]["feel"] == {
        "engine": "fake-whisper",
        "vosk": "im not good enough for this job",
        "text": "I'm not good enough for this job.",
    }


def test_what_is_not_trusted_or_not_heard_keeps_its_text(tmp_path: Path) -> None:
    e = entry(
        answered("feel", "Fine.", "01-feel.wav"),
        answered("plan", "", "02-plan.wav"),  # silent: Vosk heard nothing
        Answer(id="skip", prompt="?", state=AnswerState.SKIPPED, audio=("03-skip.wav",)),
        answered("why", "Because.", "04-why.wav"),
    )
    fake = FakeTranscriber(
        {"01-feel.wav": "Fine. Thank you. Thank you. Thank you. Thank you for watching."},
        fail=["04-why.wav"],
    )
    warnings: list[str] = []
    updated, results = polish_entry(e, tmp_path, fake, {}, warn=warnings.append)
    assert updated == e
    assert results["feel"].refused
    assert set(results) == {"feel"}  # a failure is tried again next time
    assert fake.asked == ["01-feel.wav", "04-why.wav"]  # nothing to hear in the rest
    assert "04-why.wav" in warnings[0]


def test_polished_answers_are_not_heard_twice(tmp_path: Path) -> None:
    e = entry(
        answered("feel", "Fine.", "01-feel.wav"),
        Answer(
            id="plan",
            prompt="?",
            text="rest",
            audio=("02-plan.wav",),
            follow_up=FollowUp(prompt="Why?", text="because", audio=("02-plan-why.wav",)),
        ),
    )
    fake = FakeTranscriber({"02-plan.wav": "Rest.", "02-plan-why.wav": "Because."})
    updated, _ = polish_entry(e, tmp_path, fake, {"feel": {}}, warn=pytest.fail)
    assert fake.asked == ["02-plan.wav", "02-plan-why.wav"]
    plan = updated.answers[1]
    assert (plan.text, plan.follow_up and plan.follow_up.text) == ("Rest.", "Because.")


def test_the_polished_mark_survives_the_markdown() -> None:
    e = entry(answered("feel", "Fine.", "01-feel.wav"))
    marked = Entry(**{**e.__dict__, "extra": {POLISHED_FIELD: "faster-whisper tiny.en"}})
    assert parse_entry(render_entry(marked)).extra[POLISHED_FIELD] == "faster-whisper tiny.en"


# -- polishing while the ritual goes on ------------------------------------------------


class ThreadWorker:
    """A PolishWorker on a thread, taking ``delay`` seconds per answer."""

    engine = "fake-whisper"

    def __init__(self, heard: dict[str, str], delay: float = 0.0) -> None:
        self.heard = heard
        self.delay = delay
        self.jobs: list[tuple[str, list[Path]]] = []
        self.out: list[Heard] = []
        self.lock = threading.Condition()
        self.closed = False

    def submit(self, key: str, audio: Sequence[Path]) -> None:
        self.jobs.append((key, list(audio)))
        threading.Thread(target=self._hear, args=(key, list(audio)), daemon=True).start()

    def _hear(self, key: str, audio: list[Path]) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.out.append(Heard(key, " ".join(self.heard[p.name] for p in audio)))
            self.lock.notify_all()

    def wait_heard(self, seconds: float = 10.0) -> None:
        """Until an answer is heard (and not collected yet)."""
        with self.lock:
            self.lock.wait_for(lambda: bool(self.out), seconds)

    def collect(self, timeout: float = 0.0) -> list[Heard]:
        with self.lock:
            if not self.out and timeout > 0:
                self.lock.wait(timeout)
            got, self.out = self.out, []
            return got

    def close(self) -> None:
        self.closed = True


def session(worker: ThreadWorker) -> tuple[MemorySink, PolishingSink]:
    inner = MemorySink()
    return inner, PolishingSink(inner, worker)


def test_answers_are_polished_as_the_ritual_goes_on() -> None:
    worker = ThreadWorker({"01-feel.wav": "I feel rested.", "02-plan.wav": "A walk."})
    inner, sink = session(worker)
    first = entry(answered("feel", "i feel rested", "entry/01-feel.wav"))
    sink.save(first)
    assert worker.jobs == [("feel#1", [Path("/journal/entry/01-feel.wav")])]
    worker.wait_heard()
    sink.save(first.with_answer(answered("plan", "a walk", "entry/02-plan.wav")))
    assert inner.last.answers[0].text == "I feel rested."  # written in at the next save
    sink.save_details({"feel": []})
    assert inner.details[-1][POLISH_KEY]["feel"]["vosk"] == "i feel rested"
    assert sink.finish(wait=2.0) == 0
    assert [a.text for a in inner.last.answers] == ["I feel rested.", "A walk."]
    assert inner.last.extra[POLISHED_FIELD] == "fake-whisper"
    assert worker.closed


def test_the_end_of_a_session_waits_a_little_then_leaves_the_rest() -> None:
    worker = ThreadWorker({"01-feel.wav": "I feel rested."}, delay=5.0)
    inner, sink = session(worker)
    sink.save(entry(answered("feel", "i feel rested", "entry/01-feel.wav")))
    started = time.monotonic()
    assert sink.finish(wait=0.2) == 1
    assert time.monotonic() - started < 1.0
    assert inner.last.answers[0].text == "i feel rested"
    assert POLISHED_FIELD not in inner.last.extra  # `ritual polish` will find it


def test_an_answer_said_again_is_not_given_the_old_words() -> None:
    worker = ThreadWorker({"01-feel.wav": "Tired.", "01-feel-2.wav": "Rested."})
    inner, sink = session(worker)
    sink.save(entry(answered("feel", "tired", "entry/01-feel.wav")))
    worker.wait_heard()  # the first words come back before the answer is said again
    sink.save(entry(answered("feel", "rested", "entry/01-feel-2.wav")))
    sink.finish(wait=2.0)
    assert inner.last.answers[0].text == "Rested."


class KeepingListener:
    """Answers from a list, each kept as a (silent) recording the conductor opened."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers

    def listen(self, request: ListenRequest) -> Utterance:
        request.on_ready()
        text = self.answers.pop(0)
        assert request.audio is not None
        request.audio.write(bytes(3200))
        request.audio.close()
        return Utterance(text=text, raw=text, audio=request.audio.path)


def test_a_voice_ritual_polishes_its_answers_as_it_goes(tmp_path: Path) -> None:
    ritual_file = tmp_path / "two.yaml"
    ritual_file.write_text(
        "title: Two\nlanguage: en-us\nsteps:\n"
        "  - ask: How do you feel?\n    id: feel\n  - ask: What do you need?\n    id: need\n"
    )
    settings = load_settings(isolated_env(tmp_path, RITUAL_JOURNAL=str(tmp_path / "journal")))
    worker = ThreadWorker({"01-feel.wav": "Rested, thanks.", "02-need.wav": "A walk."})
    session = Session(
        FakeSpeaker(),
        KeepingListener(["rested thanks", "a walk"]),
        FixedClock(STARTED),
        "vosk-model",
        keep_audio=True,
        polisher=lambda: worker,
    )
    ritual = settings.catalog.load(str(ritual_file))
    entry, path = conduct(settings, Journal.for_ritual(settings), ritual, session, EventLog())
    assert [a.text for a in entry.answers] == ["rested thanks", "a walk"]  # what was read back
    written = parse_entry(path.read_text())
    assert [a.text for a in written.answers] == ["Rested, thanks.", "A walk."]
    assert written.extra[POLISHED_FIELD] == "fake-whisper" and worker.closed


# -- the nightly timer ----------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (Debian package systemd)",
)
def test_the_nightly_polish_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    command = service.ritual_command("polish", ["--journal", "/my journal", "--threads", "1"])
    unit = tmp_path / service.POLISH_SERVICE
    unit.write_text(service.polish_unit_text(command))
    (tmp_path / service.POLISH_TIMER).write_text(service.polish_timer_text())
    result = verify(tmp_path / service.POLISH_TIMER, tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert f'ExecStart={sys.executable} -m assistant polish --journal "/my journal"' in (
        unit.read_text()
    )


@pytest.mark.skipif(
    struct.calcsize("P") == 4,
    reason="32-bit: the second listen itself is refused first (no CTranslate2 build)",
)
def test_an_encrypted_journal_gets_no_nightly_polish(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("encryption:\n  recipients: [age1" + "q" * 58 + "]\n")
    env = isolated_env(tmp_path, RITUAL_CONFIG=str(config))
    result = run_cli("service", "install", "--polish", env=env)
    assert result.status == 1
    assert "polished only when you unlock it" in result.stderr
    assert not (tmp_path / "config" / "systemd" / "user" / service.POLISH_TIMER).exists()


def test_models_are_found_in_the_models_folder_before_a_package(tmp_path: Path) -> None:
    models = tmp_path / "models"
    for name in ("whisper-tiny.en", "whisper-base.en", "whisper-small", "whisper-broken"):
        (models / name).mkdir(parents=True)
        if name != "whisper-broken":  # no model.bin: not a model
            (models / name / "model.bin").touch()
            (models / name / "config.json").touch()
    env = isolated_env(tmp_path, RITUAL_MODELS_DIR=str(models))
    found = polish_models(load_settings(env), env)
    assert found["en"].name == "base.en"  # the larger of two English ones
    assert found["*"].name == "small"
    english = find_polish_model(load_settings(env), "en-us", env)
    assert english is not None and english.path == models / "whisper-base.en"
    assert english.engine == "faster-whisper base.en"
    listed = run_cli("models", "list", "--local", env=env).stdout
    assert "Second-listen models" in listed and str(models / "whisper-base.en") in listed
    assert "whisper-broken" not in listed and "whisper-small.en" in listed  # offered


@pytest.mark.parametrize(
    ("config", "environ", "when"),
    [
        ("", {}, "auto"),
        ("polish: off\n", {}, "off"),
        ("polish: later\n", {"RITUAL_POLISH": "background"}, "background"),
    ],
)
def test_when_to_polish_is_a_setting(
    tmp_path: Path, config: str, environ: dict[str, str], when: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(config or "name: x\n")
    settings = load_settings(isolated_env(tmp_path, RITUAL_CONFIG=str(path), **environ))
    assert settings.audio.polish == when


def test_a_32_bit_system_is_told_why_there_is_no_second_listen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_polish.struct, "calcsize", lambda fmt: 4)
    journal = tmp_path / "journal"
    result = run_cli("polish", env=isolated_env(tmp_path, RITUAL_JOURNAL=str(journal)))
    assert result.status == 1
    assert "needs a 64-bit system" in result.stderr
    assert (
        engine_polish.background_polisher(load_settings(isolated_env(tmp_path)), "en", {}) is None
    )


class FailingWorker(ThreadWorker):
    """A worker whose process died: every answer comes back as an error."""

    def _hear(self, key: str, audio: list[Path]) -> None:
        with self.lock:
            self.out.append(Heard(key, error="the polishing worker has stopped"))
            self.lock.notify_all()


def test_a_failing_worker_costs_nothing_and_is_not_asked_again() -> None:
    worker = FailingWorker({})
    inner, sink = session(worker)
    first = entry(answered("feel", "i feel rested", "entry/01-feel.wav"))
    sink.save(first)
    worker.wait_heard()
    sink.save(first)
    assert sink.finish(wait=1.0) == 0
    assert len(worker.jobs) == 1  # tried once this session; `ritual polish` tries again
    assert inner.last.answers[0].text == "i feel rested"
    assert POLISHED_FIELD not in inner.last.extra


class DecryptingTranscriber:
    """Hears an answer only if its audio reads back (decrypted) as what was said."""

    model_name = "fake-whisper"

    def __init__(self, said: bytes, read_audio: Callable[[Path], bytes]) -> None:
        self.said = said
        self.read_audio = read_audio

    def transcribe(self, wav: Path) -> Utterance:
        audio = wav_from_bytes(self.read_audio(wav), str(wav))
        return Utterance(text="I feel calm." if audio.frames == self.said else "")


def test_an_encrypted_journal_is_polished_when_unlocked_and_stays_encrypted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyrage = pytest.importorskip("pyrage", reason="encryption needs pyrage (pip install '.[test]')")
    from assistant.journal.crypt import AgeSealer, KeyRing
    from assistant.modelstore.polish_models import PolishModel
    from assistant.polishing import polish_entries

    identity = pyrage.x25519.Identity.generate()
    key = tmp_path / "identity.txt"
    key.write_text(f"{identity}\n")
    folder = JournalFolder(
        tmp_path / "journal",
        sealer=AgeSealer([str(identity.to_public())]),
        opener=KeyRing(key, lambda: pytest.fail("no passphrase for this key")),
    )
    sink = EntryFile(folder)
    sink.save(entry())
    said = bytes(range(256)) * 50
    audio = sink.open_audio(1, "feel")
    assert audio is not None
    audio.write(said)
    audio.close()
    kept = f"{sink.audio_dir.name}/{audio.path.name}"
    path = sink.save(entry(answered("feel", "i feel calm", kept)))
    monkeypatch.setattr(engine_polish, "whisper_problem", lambda: None)
    model = PolishModel("fake", tmp_path, "a test")
    monkeypatch.setattr(engine_polish, "find_polish_model", lambda *_: model)
    monkeypatch.setattr(
        engine_polish,
        "open_polisher",
        lambda model, **kw: DecryptingTranscriber(said, kw["read_audio"]),
    )
    settings = load_settings(isolated_env(tmp_path))
    report = polish_entries(
        settings, folder, [], environ={}, warn=lambda *_: pytest.fail(), done=lambda *_: None
    )
    assert report.answers == 1
    assert path.name.endswith(".md.age") and b"calm" not in path.read_bytes()
    assert folder.read(path).answers[0].text == "I feel calm."
    assert sink.read_details()[POLISH_KEY]["feel"]["vosk"] == "i feel calm"  # type: ignore[index]


def test_an_answer_edited_by_hand_is_left_as_it_is(tmp_path: Path) -> None:
    e = entry(
        answered("feel", "I feel rested, really.", "01-feel.wav"),  # words added by hand
        answered("plan", "a walk", "02-plan.wav"),
    )
    details = {
        "feel": [{"raw": "i feel rested", "words": []}],
        "plan": [{"raw": "[unk] a walk", "words": []}],
    }
    fake = FakeTranscriber({"01-feel.wav": "I feel rested.", "02-plan.wav": "A walk."})
    updated, results = polish_entry(e, tmp_path, fake, {}, pytest.fail, details)
    assert [a.text for a in updated.answers] == ["I feel rested, really.", "A walk."]
    assert fake.asked == ["02-plan.wav"] and set(results) == {"plan"}
