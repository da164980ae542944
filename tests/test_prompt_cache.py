"""The speech cache and the thread that renders prompts ahead (no engine: a tone
stands in for speech)."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.wav import read_wav, write_wav
from assistant.speech import prompt_cache
from assistant.speech.prompt_cache import Prefetcher, PromptCache
from tests.cli import isolated_env, run_cli


def tone(path: Path, seconds: float = 0.5, quiet: float = 0.3) -> None:
    """A tone with ``quiet`` seconds of silence on both sides."""
    t = np.arange(int(seconds * 22050)) / 22050
    sound = (8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    pad = np.zeros(int(quiet * 22050), dtype="<i2")
    write_wav(path, np.concatenate([pad, sound, pad]).tobytes(), 22050)


def test_the_key_holds_engine_voice_settings_and_text(tmp_path: Path) -> None:
    def key(*voice: object, text: str = "Hello.") -> Path:
        return PromptCache(tmp_path, voice).path(text)

    paths = {
        key("espeak", "en-us", None, None),
        key("piper", "en-us", None, None),
        key("piper", "en_US-joe-medium", 63201294, 1, None, 1.0),
        key("piper", "en_US-joe-medium", 63201294, 2, None, 1.0),  # the same name, other files
        key("piper", "en_US-joe-medium", 63201294, 1, 1.2, 1.0),
        key("espeak", "en-us", None, None, text="Hello"),
    }
    assert len(paths) == 6
    assert key("espeak", "en-us", None, None) == key("espeak", "en-us", None, None)


def test_a_stored_prompt_is_private_trimmed_and_whole(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path / "speech", ["test"])
    assert cache.lookup("Hi.") is None
    path = cache.store("Hi.", tone)
    assert cache.lookup("Hi.") == path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "speech").st_mode) == 0o700
    assert read_wav(path).seconds < 0.5 + 2 * 0.06  # the quiet ends are cut to 50 ms
    assert [p.name for p in (tmp_path / "speech").iterdir()] == [path.name]


def test_a_failed_render_leaves_nothing_behind(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, ["test"])

    def broken(path: Path) -> None:
        path.write_bytes(b"RIFF half a")
        raise RuntimeError("the engine died")

    with contextlib.suppress(RuntimeError):
        cache.store("Hi.", broken)
    assert list(tmp_path.iterdir()) == []


class SlowRenderer:
    """Renders into a cache, slowly, and notes the order."""

    def __init__(self, cache: PromptCache, seconds: float = 0.05) -> None:
        self.cache = cache
        self.seconds = seconds
        self.order: list[str] = []
        self.started = threading.Event()

    def __call__(self, text: str) -> bool:
        if self.cache.lookup(text):
            return False
        self.started.set()
        time.sleep(self.seconds)
        self.order.append(text)
        self.cache.store(text, tone)
        return True


def test_prompts_are_rendered_ahead_in_order_skipping_what_is_cached(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, ["test"])
    cache.store("b", tone)
    render = SlowRenderer(cache)
    ahead = Prefetcher(render, name="test-ahead")
    ahead.add(["a", "b", "c", "a"])
    assert ahead.idle(timeout=5)
    ahead.close()
    assert render.order == ["a", "c"]
    assert ahead.rendered == 2
    assert all(cache.lookup(t) for t in "abc")


def test_a_claimed_prompt_is_left_to_the_speaker(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, ["test"])
    render = SlowRenderer(cache, seconds=0.3)
    ahead = Prefetcher(render, name="test-ahead")
    ahead.add(["first", "second", "third"])
    assert render.started.wait(5)
    ahead.claim("third")  # queued: taken off the queue, at once
    started = time.perf_counter()
    ahead.claim("first")  # being rendered: waits for it, then it is in the cache
    assert cache.lookup("first")
    assert time.perf_counter() - started > 0.1
    assert ahead.idle(timeout=5)
    ahead.close()
    assert render.order == ["first", "second"]
    assert cache.lookup("third") is None


def test_the_first_failure_stops_rendering_ahead(tmp_path: Path) -> None:
    calls: list[str] = []

    def failing(text: str) -> bool:
        calls.append(text)
        raise RuntimeError("the voice went away")

    ahead = Prefetcher(failing, name="test-ahead")
    ahead.add(["a", "b", "c"])
    assert ahead.idle(timeout=5)
    ahead.add(["d"])
    ahead.close()
    assert calls == ["a"]


def test_close_ends_the_thread(tmp_path: Path) -> None:
    render = SlowRenderer(PromptCache(tmp_path, ["test"]), seconds=0.2)
    ahead = Prefetcher(render, name="test-ahead-close")
    ahead.add([f"p{i}" for i in range(20)])
    assert render.started.wait(5)
    ahead.close()
    assert not any(t.name == "test-ahead-close" for t in threading.enumerate())
    assert len(render.order) <= 2


def test_prompts_unused_for_a_month_are_pruned_and_using_one_keeps_it(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, ["espeak", "en-us", None, None])
    used, forgotten, fresh = (cache.store(t, tone) for t in ("Used.", "Forgotten.", "Fresh."))
    half_done = tmp_path / f".{'ab' * 16}.123.456.tmp.wav"
    tone(half_done)
    read_back = tmp_path / ".private-123-456.wav"
    tone(read_back)
    other_voice = PromptCache(tmp_path, ["piper", "joe"]).store("Forgotten.", tone)
    not_ours = [tmp_path / "notes.txt", tmp_path / "song.wav", tmp_path / f"{'AB' * 16}.wav"]
    for path in not_ours:
        path.write_text("kept")
    long_ago = time.time() - 40 * prompt_cache.DAY
    for path in (used, forgotten, half_done, read_back, other_voice, *not_ours):
        os.utime(path, (long_ago, long_ago))
    os.utime(fresh, (time.time() - 2 * prompt_cache.DAY,) * 2)

    assert cache.lookup("Used.") == used  # played today: its month starts again
    assert prompt_cache.prune(tmp_path) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [used.name, fresh.name, *(p.name for p in not_ours)]
    )
    assert cache.lookup("Forgotten.") is None


def test_pruning_a_missing_or_unreadable_cache_does_nothing(tmp_path: Path) -> None:
    assert prompt_cache.prune(tmp_path / "never-made") == 0
    link = tmp_path / "link.wav"
    link.symlink_to(tmp_path / "elsewhere.wav")
    os.utime(link, (0, 0), follow_symlinks=False)
    assert prompt_cache.prune(tmp_path) == 0
    assert link.is_symlink()


def test_every_ritual_tidies_the_speech_cache_first(tmp_path: Path) -> None:
    speech = tmp_path / "cache" / "speech"
    speech.mkdir(parents=True)
    stale = speech / ("0" * 32 + ".wav")
    tone(stale)
    os.utime(stale, (0, 0))
    env = isolated_env(tmp_path, RITUAL_CACHE=str(tmp_path / "cache"))
    ran = run_cli("run", "morning", "--text", "--journal", str(tmp_path / "j"), env=env,
                  stdin="fine\n" * 12)  # fmt: skip
    assert ran.status == 0, ran.stderr
    assert not stale.exists()


def test_a_damaged_cached_prompt_is_rendered_again(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, ["tone"])
    rendered: list[str] = []

    def render(text: str) -> Path:
        def tone_for(out: Path) -> None:
            rendered.append(text)
            tone(out)

        return cache.lookup(text) or cache.store(text, tone_for)

    path = render("Hello.")
    size = path.stat().st_size
    assert render("Hello.") == path and rendered == ["Hello."]  # cached
    with open(path, "r+b") as f:  # cut off, as by a full disk or a power cut
        f.truncate(size // 2)
    assert cache.lookup("Hello.") is None
    assert render("Hello.") == path and rendered == ["Hello.", "Hello."]
    assert read_wav(path).frames and path.stat().st_size == size
    path.write_bytes(b"RIFF" + os.urandom(2000))  # garbage
    assert cache.lookup("Hello.") is None


def test_a_full_disk_under_the_speech_cache_is_said_as_such(tmp_path: Path) -> None:
    from assistant.core.errors import SpeechError
    from tests.test_failing_writes import tiny_disk

    with tiny_disk(tmp_path / "disk", "64k") as disk:
        cache = PromptCache(disk / "speech", ["tone"])
        started = time.monotonic()
        with pytest.raises(SpeechError, match=r"speech cache .* is full"):
            cache.store("Hello.", tone)
        assert time.monotonic() - started < 5
        assert not [p for p in (disk / "speech").iterdir()]  # nothing half-written left


def test_a_speech_cache_that_is_a_symlink_keeps_its_mode(tmp_path: Path) -> None:
    elsewhere = tmp_path / "other-disk"
    elsewhere.mkdir()
    os.chmod(elsewhere, 0o755)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "speech").symlink_to(elsewhere)
    path = PromptCache(tmp_path / "cache" / "speech", ["tone"]).store("Hello.", tone)
    assert path.parent.is_symlink() and stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
