"""pyttsx3 with the real espeak-ng: real audio, a cache, nothing on our stdout."""

from __future__ import annotations

import os
import stat
import subprocess
import time
import wave
from pathlib import Path

import pytest

from assistant.audio.wav import read_wav
from assistant.core.errors import SpeechError
from assistant.core.voice_spec import VoiceSpec
from assistant.speech.prompt_cache import trim_quiet_ends
from assistant.speech.pyttsx3_speaker import Pyttsx3Speaker
from assistant.speech.pyttsx3_worker import Exit
from tests.support.sounds import loud_seconds, need_espeak

pytestmark = pytest.mark.engine

PROMPT = "Good morning. Take a slow breath, and notice how your body feels right now."


class RecordingPlayer:
    """A Player that keeps what it was asked to play."""

    def __init__(self) -> None:
        self.played: list[Path] = []

    def play(self, path: Path) -> None:
        self.played.append(path)


@pytest.fixture(autouse=True)
def _espeak() -> None:
    need_espeak()
    pytest.importorskip("pyttsx3", reason="pyttsx3 is not installed (pip install pyttsx3)")


def speaker(cache: Path, player: RecordingPlayer, **voice: object) -> Pyttsx3Speaker:
    language = str(voice.pop("language", "en-us"))
    return Pyttsx3Speaker(
        cache_dir=cache,
        player=player,
        voice=VoiceSpec(**voice),
        language=language,  # type: ignore[arg-type]
    )


def test_a_prompt_is_rendered_to_real_speech_and_played(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    player = RecordingPlayer()
    voice = speaker(tmp_path, player)
    voice.say(PROMPT)
    assert voice.synth_calls == 1
    [path] = player.played
    audio = read_wav(path)
    # 14 words at espeak-ng's pace: a few seconds, mostly voiced
    assert 2.5 < audio.seconds < 8.0
    assert loud_seconds(path) > 1.5
    out, _ = capfd.readouterr()
    assert out == ""  # pyttsx3 prints "Audio saved to ..." in the worker, not here
    # private: a recall prompt reads a diary answer back
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path).st_mode) == 0o700


def test_the_second_time_nothing_is_synthesised(tmp_path: Path) -> None:
    player = RecordingPlayer()
    first = speaker(tmp_path, player)
    first.say(PROMPT)
    started = time.perf_counter()
    again = speaker(tmp_path, player)  # a second run of the ritual
    again.say(PROMPT)
    hit = time.perf_counter() - started
    assert again.synth_calls == 0
    assert player.played[0] == player.played[1]
    assert hit < 0.05


def test_the_cache_key_holds_text_voice_rate_and_volume(tmp_path: Path) -> None:
    player = RecordingPlayer()
    base = speaker(tmp_path, player)
    keys = {
        base.cache_path(PROMPT),
        base.cache_path(PROMPT + " "),
        speaker(tmp_path, player, name="en-gb").cache_path(PROMPT),
        speaker(tmp_path, player, rate=150).cache_path(PROMPT),
        speaker(tmp_path, player, volume=0.5).cache_path(PROMPT),
    }
    assert len(keys) == 5


def test_the_rituals_language_picks_the_voice(tmp_path: Path) -> None:
    # pyttsx3 speaks at 200 words a minute by default; espeak-ng's own Korean voice at
    # that rate gives the very same samples.
    player = RecordingPlayer()
    speaker(tmp_path, player, language="ko").say("안녕하세요. 오늘 기분이 어떠세요?")
    reference = tmp_path / "reference.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            "ko",
            "-s",
            "200",
            "-w",
            str(reference),
            "안녕하세요. 오늘 기분이 어떠세요?",
        ],
        check=True,
    )
    with wave.open(str(reference)) as w:
        untrimmed = w.readframes(w.getnframes())
    trim_quiet_ends(reference)
    played = read_wav(player.played[0]).frames
    assert played == read_wav(reference).frames
    # espeak-ng's near-silent ends are cut, so listening starts sooner after a prompt
    assert len(untrimmed) - len(played) > 0.1 * 2 * 22050


def test_rate_and_volume_are_applied(tmp_path: Path) -> None:
    player = RecordingPlayer()
    speaker(tmp_path, player, rate=120).say(PROMPT)
    speaker(tmp_path, player, rate=240).say(PROMPT)
    slow, fast = (read_wav(p).seconds for p in player.played)
    assert slow > 1.5 * fast


def test_an_unknown_voice_names_the_ones_there_are(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match=r"no espeak-ng voice 'xx-nowhere'.*en-us"):
        speaker(tmp_path, RecordingPlayer(), name="xx-nowhere").say(PROMPT)
    assert not list(tmp_path.glob("*.wav"))  # nothing half-made left in the cache


def test_a_hung_synthesis_is_an_error_not_a_frozen_ritual(tmp_path: Path) -> None:
    hang = tmp_path / "hang"
    hang.write_text("#!/bin/sh\nsleep 60\n")
    hang.chmod(0o755)
    voice = Pyttsx3Speaker(
        cache_dir=tmp_path / "cache",
        player=RecordingPlayer(),
        voice=VoiceSpec(),
        language="en-us",
        timeout=0.5,
        python=str(hang),
    )
    started = time.perf_counter()
    with pytest.raises(SpeechError, match=r"did not finish within 0\.5 s"):
        voice.say(PROMPT)
    assert time.perf_counter() - started < 5


def test_text_with_nothing_to_voice_is_skipped(tmp_path: Path) -> None:
    player = RecordingPlayer()
    speaker(tmp_path, player).say(" … ")
    assert player.played == []


def test_espeak_missing_in_the_worker_names_the_package(tmp_path: Path) -> None:
    # What pyttsx3 does without the espeak-ng library: a RuntimeError at import.
    broken = tmp_path / "python"
    broken.write_text(
        "#!/bin/sh\necho 'This means you probably do not have eSpeak or eSpeak-ng installed!' >&2\n"
        f"exit {int(Exit.NO_ESPEAK)}\n"
    )
    broken.chmod(0o755)
    voice = Pyttsx3Speaker(
        cache_dir=tmp_path / "cache",
        player=RecordingPlayer(),
        voice=VoiceSpec(),
        language="en-us",
        python=str(broken),
    )
    with pytest.raises(SpeechError, match=r"Install it with: sudo apt install espeak-ng"):
        voice.say(PROMPT)


def test_private_prompts_leave_nothing_in_the_cache(tmp_path: Path) -> None:
    player = RecordingPlayer()
    voice = speaker(tmp_path, player)
    voice.say("This morning you said: call my sister.", private=True)
    assert len(player.played) == 1 and voice.synth_calls == 1
    assert list(tmp_path.rglob("*.wav")) == []


def test_a_private_prompt_is_rendered_in_memory_where_there_is_a_place(tmp_path: Path) -> None:
    from assistant.speech.prompt_cache import _in_memory, private_folder

    if private_folder(tmp_path / "cache") == tmp_path / "cache":
        pytest.skip("no memory-backed folder here (no XDG_RUNTIME_DIR, no tmpfs /dev/shm)")
    played: list[tuple[Path, bool]] = []

    class Checking:
        def play(self, path: Path) -> None:
            played.append((path, path.is_file()))

    voice = speaker(tmp_path / "cache", Checking())  # type: ignore[arg-type]
    voice.say("Last week you said: I miss the sea.", private=True)
    [(path, existed)] = played
    assert existed and _in_memory(path.parent) and not path.exists()
    assert list(tmp_path.rglob("*.wav")) == []
