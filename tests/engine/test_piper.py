"""Piper with the real voice from PyPI: the worker process, the speaker, the cache,
and falling back to espeak-ng when Piper or its voice is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from assistant.audio.wav import read_wav
from assistant.core.errors import SpeechError
from assistant.core.voice_spec import Engine, VoiceSpec
from assistant.modelstore.voices import PiperVoiceFiles, read_voice
from assistant.speech.piper_speaker import WORKER, PiperSpeaker, PiperWorker, first_parts
from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker
from tests.cli import ROOT, isolated_env, run_cli
from tests.support.sounds import need_espeak, need_piper

pytestmark = pytest.mark.engine

READ_BACK = (
    "I heard: I want to call my sister and then go for a long walk in the park after "
    "work. Say keep, redo, or add."
)
SAMPLE_WIDTH = 2


class StreamRecorder:
    """A StreamPlayer that keeps what it was given, and when each piece came."""

    def __init__(self) -> None:
        self.files: list[Path] = []
        self.streams: list[list[tuple[float, bytes]]] = []
        self.rate = 0

    def play(self, path: Path) -> None:
        self.files.append(path)

    def play_stream(self, chunks: Iterable[bytes], rate: int) -> None:
        self.rate = rate
        self.streams.append([(time.perf_counter(), c) for c in chunks])


def workers_alive() -> list[int]:
    """Piper workers of this checkout still running, by pid."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(WORKER).encode() in cmdline:
                alive.append(int(entry.name))
    return alive


def speaker(
    cache: Path, voice: PiperVoiceFiles, player: StreamRecorder, **spec: object
) -> PiperSpeaker:
    return PiperSpeaker(
        cache_dir=cache, player=player, voice=voice, spec=VoiceSpec(Engine.PIPER, **spec)
    )  # type: ignore[arg-type]


def test_the_worker_keeps_the_voice_and_sends_a_sentence_at_a_time(
    piper_voice: PiperVoiceFiles,
) -> None:
    worker = PiperWorker(piper_voice)
    try:
        worker.wait_ready()
        assert worker.sample_rate == 22050
        chunks = list(
            worker.synthesize(["Good evening. It is time to rest. Sleep well."], urgent=False)
        )
        assert len(chunks) == 3  # one per sentence
        seconds = [len(c) / SAMPLE_WIDTH / 22050 for c in chunks]
        assert 0.5 < seconds[0] < 2.5 and sum(seconds) < 8
        # its threads are capped: the main one, the one reading requests, and the
        # one ONNX Runtime starts when it is imported (none per session)
        assert len(os.listdir(f"/proc/{worker.pid}/task")) <= 3
        # the same voice answers again without loading anything
        assert list(worker.synthesize(["Again."], urgent=True))
    finally:
        worker.close()
    assert worker.pid not in workers_alive()


def test_an_urgent_prompt_goes_before_one_rendered_ahead(piper_voice: PiperVoiceFiles) -> None:
    worker = PiperWorker(piper_voice)
    try:
        worker.wait_ready()
        long_one = " ".join(f"This is sentence number {n} of a long prompt." for n in range(8))
        ahead = worker.synthesize([long_one], urgent=False)
        time.sleep(0.1)
        urgent = list(worker.synthesize(["Now."], urgent=True))
        urgent_done = time.perf_counter()
        rest = list(ahead)
        ahead_done = time.perf_counter()
        assert urgent and len(rest) == 8
        # it waited for one sentence at most, not the whole long prompt
        assert ahead_done - urgent_done > 0.2
    finally:
        worker.close()


def test_a_private_prompt_streams_from_its_first_clause_and_is_kept_nowhere(
    tmp_path: Path, piper_voice: PiperVoiceFiles
) -> None:
    assert first_parts(READ_BACK)[0] == "I heard:"
    player = StreamRecorder()
    voice = speaker(tmp_path / "cache", piper_voice, player)
    try:
        voice.worker.wait_ready()
        started = time.perf_counter()
        voice.say(READ_BACK, private=True)
        [stream] = player.streams
        first_at, first = stream[0]
        last_at, _ = stream[-1]
        assert player.rate == 22050
        assert len(first) / SAMPLE_WIDTH / 22050 < 1.5  # "I heard:" alone
        assert first_at - started < last_at - started  # heard before the rest was made
        assert sum(len(c) for _, c in stream) / SAMPLE_WIDTH / 22050 > 4.0
        assert voice.synth_calls == 0
        assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
    finally:
        voice.close()


def test_a_prompt_not_ready_is_spoken_as_made_and_kept_for_next_time(
    tmp_path: Path, piper_voice: PiperVoiceFiles
) -> None:
    player = StreamRecorder()
    voice = speaker(tmp_path, piper_voice, player)
    try:
        voice.say("What do you need right now?")
        assert len(player.streams) == 1 and player.files == []
        voice.say("What do you need right now?")
        [path] = player.files
        assert read_wav(path).rate == 22050
        assert 1.0 < read_wav(path).seconds < 4.0
    finally:
        voice.close()


def test_prompts_rendered_ahead_are_played_from_the_cache(
    tmp_path: Path, piper_voice: PiperVoiceFiles
) -> None:
    player = StreamRecorder()
    voice = speaker(tmp_path, piper_voice, player)
    prompts = ["Good morning.", "Breathe in.", "And breathe out.", "How are you feeling?"]
    try:
        voice.prepare(prompts)
        assert voice.prefetcher.idle(timeout=60)
        assert voice.synth_calls == 4
        for text in prompts:
            voice.say(text)
        assert player.streams == [] and len(player.files) == 4
    finally:
        voice.close()
    assert not any(t.name == "piper-ahead" for t in threading.enumerate())


def voice_copy(folder: Path, voice: PiperVoiceFiles, name: str) -> PiperVoiceFiles:
    """The same network under another name: to ritual, another voice."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.onnx"
    model.symlink_to(voice.model)
    model.with_name(model.name + ".json").write_bytes(voice.config.read_bytes())
    return read_voice(model, "file")


def test_the_cache_keeps_engines_voices_and_rates_apart(
    tmp_path: Path, piper_voice: PiperVoiceFiles
) -> None:
    need_espeak()
    cache = tmp_path / "cache"
    text = "Let the day rest now."
    espeak = Pyttsx3Speaker(
        cache_dir=cache, player=StreamRecorder(), voice=VoiceSpec(), language="en-us"
    )
    paths = {espeak.render(text)}
    other = voice_copy(tmp_path / "voices", piper_voice, "en_US-copy-medium")
    for voice_files, rate in ((piper_voice, None), (piper_voice, 150), (other, None)):
        piper = speaker(cache, voice_files, StreamRecorder(), rate=rate)
        try:
            assert piper.render_ahead(text)  # never served another engine's or voice's sound
            paths.add(piper.cache.path(text))
        finally:
            piper.close()
    assert len(paths) == 4 and all(p.is_file() for p in paths)
    normal = speaker(cache, piper_voice, StreamRecorder()).cache.path(text)
    slower = speaker(cache, piper_voice, StreamRecorder(), rate=150).cache.path(text)
    assert read_wav(slower).seconds > 1.1 * read_wav(normal).seconds


def test_a_broken_voice_file_is_a_speech_error_naming_it(tmp_path: Path) -> None:
    need_piper()
    model = tmp_path / "en_US-broken-medium.onnx"
    model.write_bytes(b"not a network")
    model.with_name(model.name + ".json").write_text('{"audio": {"sample_rate": 22050}}')
    worker = PiperWorker(read_voice(model, "file"))
    with pytest.raises(SpeechError, match=r"en_US-broken-medium\.onnx cannot be loaded"):
        worker.wait_ready()
    worker.close()
    assert worker.pid not in workers_alive()


def test_the_worker_ends_when_ritual_is_killed(piper_voice: PiperVoiceFiles) -> None:
    # A process that starts a worker and then waits: SIGKILL leaves it no time to tidy up.
    code = (
        "import sys, time\n"
        "from assistant.modelstore.voices import read_voice\n"
        "from assistant.speech.piper_speaker import PiperWorker\n"
        "from pathlib import Path\n"
        f"w = PiperWorker(read_voice(Path({str(piper_voice.model)!r}), 'file'))\n"
        "w.wait_ready()\n"
        "print(w.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        worker_pid = int(parent.stdout.readline())
        assert worker_pid in workers_alive()
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while worker_pid in workers_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker_pid not in workers_alive()


def no_piper_python(tmp_path: Path) -> Path:
    """A real Python that cannot import Piper (no site-packages)."""
    script = tmp_path / "python-without-piper"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    script.chmod(0o755)
    return script


def test_without_piper_ritual_says_what_to_install_and_speaks_with_espeak(
    tmp_path: Path, piper_voice: PiperVoiceFiles
) -> None:
    need_espeak()
    config = tmp_path / "config.yaml"
    config.write_text("voice: {engine: piper}\n")
    env = isolated_env(
        tmp_path,
        RITUAL_CONFIG=str(config),
        RITUAL_CACHE=str(tmp_path / "cache"),
        RITUAL_PIPER_PYTHON=str(no_piper_python(tmp_path)),
    )
    result = run_cli("prepare", "journal", env=env)
    assert result.status == 0, result.stderr
    assert "Piper is not installed" in result.stderr
    assert "pip install 'piper-tts>=1.8'" in result.stderr
    assert result.stderr.count("Speaking with espeak-ng instead.") == 1
    assert "espeak-ng voice en-us" in result.stdout
    prompts = list((tmp_path / "cache" / "speech").glob("*.wav"))
    assert prompts and all(read_wav(p).seconds > 0.3 for p in prompts)
    assert workers_alive() == []


def test_a_missing_voice_names_the_install_command(tmp_path: Path) -> None:
    need_espeak()
    need_piper()  # without Piper, that is what ritual says first
    config = tmp_path / "config.yaml"
    config.write_text("voice: {engine: piper, model: en_GB-nowhere-medium}\n")
    env = isolated_env(tmp_path, RITUAL_CONFIG=str(config), RITUAL_CACHE=str(tmp_path / "cache"))
    result = run_cli("prepare", "journal", env=env)
    assert result.status == 0, result.stderr
    assert "no Piper voice named 'en_GB-nowhere-medium' is installed" in result.stderr
    assert "ritual voices install en_GB-nowhere-medium" in result.stderr
    assert "en/en_GB/nowhere/medium/en_GB-nowhere-medium.onnx" in result.stderr
    assert "espeak-ng voice en-us" in result.stdout
