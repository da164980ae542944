"""Rendered prompts on disk, and a thread that renders them before they are needed.

Shared by every speaker. A prompt's file name is a hash of the engine, the voice
(and what identifies its files), the rate, the volume, the text and the render
version: switching voices never plays stale audio. The folder is private (0700,
files 0600): a prompt can hold the user's name. Private prompts (the user's own
words) never come here.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import stat
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Callable, Optional

from assistant.core.errors import SpeechError
from assistant.safe_files import filled_in_place, make_private_dirs, own_private_folder

log = logging.getLogger(__name__)

CACHE_VERSION = "3"
"""part of every key: bump it when rendering changes (2: quiet ends trimmed; 3: the
engine and the voice's files in the key)"""
QUIET = 33
"""int16 amplitude below which a sample is silence (about -60 dBFS)"""
KEPT_QUIET = 0.05
"""seconds of the quiet ends kept, so no sound starts or stops abruptly"""
UNUSED_DAYS = 30
"""a prompt not played for this long is deleted: greetings name the date and the
weekday, so without this the cache would grow by a few dated prompts every day"""
DAY = 86400.0
OURS = re.compile(
    r"(?P<prompt>[0-9a-f]{32})\.wav|\.[0-9a-f]{32}\.\d+\.\d+\.tmp\.wav|\.private-\d+-\d+\.wav"
)
"""the names of rendered prompts, of renders in progress, and of read-backs"""


class PromptCache:
    """The rendered prompts of one voice."""

    def __init__(self, folder: Path, voice_key: Sequence[object]) -> None:
        self.folder = folder
        self.voice_key = list(voice_key)
        """engine, voice, rate, volume, ...: anything that changes the sound"""

    def path(self, text: str) -> Path:
        key = json.dumps([CACHE_VERSION, *self.voice_key, text], ensure_ascii=False)
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.folder / f"{digest}.wav"

    def lookup(self, text: str) -> Optional[Path]:
        """The prompt's file when it is cached. Its mtime is when it was last
        used (updated at most once a day, to spare an SD card), which ``prune``
        goes by."""
        path = self.path(text)
        try:
            info = path.stat()
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode) or not _whole_wav(path, info.st_size):
            return None  # rendered again, over it
        if time.time() - info.st_mtime > DAY:
            with contextlib.suppress(OSError):
                os.utime(path)
        return path

    def store(
        self, text: str, render: Callable[[Path], None], *, into: Optional[Path] = None
    ) -> Path:
        """Have ``render`` write the prompt's WAV, trim its quiet ends and keep it
        (under its cache name, or ``into``)."""
        path = into or self.path(text)
        try:
            make_private_dirs(self.folder)
            if into is None:  # a read-back's folder in memory is sized for it
                _check_room(path.parent)
            # Rendered beside its final name under a fresh one (the prefetcher may render
            # too), then renamed: a half-written file is never taken for a cached prompt.
            with filled_in_place(path) as tmp:
                render(tmp)
                trim_quiet_ends(tmp)
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                raise SpeechError(_full(path.parent)) from None
            raise SpeechError(f"cannot write in the speech cache {path.parent} ({e})") from None
        return path


ROOM = 1 << 20
"""bytes a prompt may need while it is rendered (a long one is about 300 KB at 22 kHz,
and trimming it writes a copy)"""


def _check_room(folder: Path) -> None:
    """A disk too full for a prompt is said before the engine starts: an engine that
    cannot write its file fails in ways that look like its own fault (or waits)."""
    try:
        info = os.statvfs(folder)
    except OSError:
        return
    if info.f_bavail * info.f_frsize < ROOM:
        raise SpeechError(_full(folder))


def _full(folder: Path) -> str:
    return (
        f"the disk holding the speech cache {folder} is full; free some space "
        "(or point cache: in the config at another disk)"
    )


def _whole_wav(path: Path, size: int) -> bool:
    """Whether the cached prompt is a WAV that can be played: its header reads and
    the sound it announces is all there (a damaged or cut-off file is not)."""
    import wave

    try:
        with wave.open(str(path), "rb") as w:
            wanted = w.getnframes() * w.getsampwidth() * w.getnchannels()
            return 0 < wanted <= size - 44 and w.getsampwidth() == 2
    except (OSError, EOFError, wave.Error):
        return False


def prune(folder: Path, *, unused_days: float = UNUSED_DAYS) -> int:
    """Delete the prompts in ``folder`` not used for ``unused_days`` (every voice's:
    they share the folder), and renders left half-done by a killed process. Returns
    how many files went; a folder that cannot be read is left as it is."""
    now = time.time()
    gone = 0
    try:
        with os.scandir(folder) as items:
            for item in items:
                ours = OURS.fullmatch(item.name)
                if ours is None:
                    continue  # only names this module gives: never a file of the user's
                try:
                    info = item.stat(follow_symlinks=False)
                    limit = unused_days * DAY if ours.group("prompt") else DAY
                    if stat.S_ISREG(info.st_mode) and now - info.st_mtime > limit:
                        os.unlink(item.path)
                        gone += 1
                except OSError:
                    continue  # another process took it first
    except OSError as e:
        log.debug("speech cache not tidied: %s", e)
    if gone:
        log.info("speech cache: deleted %d prompts not used for %d days", gone, unused_days)
    return gone


class Prefetcher:
    """Renders prompts ahead, one at a time and in order, on a thread of its own.

    ``render(text)`` must skip what is cached already. The speaker ``claim``s a
    prompt before rendering it itself, so the two never render the same one.
    The first failure stops the prefetching: the speaker will meet the same
    problem when it speaks, and report it there.
    """

    def __init__(self, render: Callable[[str], object], *, name: str) -> None:
        self._render = render
        self._name = name
        self._queue: deque[str] = deque()
        self._current: Optional[str] = None
        self._stopped = False
        self._changed = threading.Condition()
        self._thread: Optional[threading.Thread] = None
        self.rendered = 0
        """prompts rendered ahead so far"""

    def add(self, texts: Iterable[str]) -> None:
        with self._changed:
            if self._stopped:
                return
            self._queue.extend(t for t in texts if t not in self._queue)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def claim(self, text: str) -> None:
        """Take ``text`` off the queue; if it is being rendered now, wait for that."""
        with self._changed:
            with contextlib.suppress(ValueError):
                self._queue.remove(text)
            while self._current == text:
                self._changed.wait()

    def idle(self, timeout: Optional[float] = None) -> bool:
        """Wait until nothing is queued or rendering; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._stopped or (not self._queue and self._current is None), timeout
            )

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the prompt being rendered (the speaker may end that first)."""
        with self._changed:
            self._stopped = True
            self._queue.clear()
            self._changed.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._stopped:
                    self._changed.wait()
                if self._stopped:
                    return
                self._current = self._queue.popleft()
            try:
                if self._render(self._current):
                    self.rendered += 1
            except Exception as e:  # reported when the prompt is spoken, not here
                log.debug("rendering ahead stopped: %s", e)
                with self._changed:
                    self._stopped = True
                    self._queue.clear()
            finally:
                with self._changed:
                    self._current = None
                    self._changed.notify_all()


def trim_quiet_ends(path: Path) -> None:
    """Cut the near-silent lead and tail of a rendered prompt (espeak-ng leaves
    about 0.3 s, Piper 0.05 s before and up to 0.2 s after).

    The listener only starts once a prompt has finished playing: a quiet tail is
    time in which the user's first syllable would be lost.
    """
    import numpy as np

    from assistant.audio.wav import read_wav, write_wav

    audio = read_wav(path)
    samples = np.frombuffer(audio.frames, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > QUIET)
    if loud.size == 0:
        return
    keep = int(KEPT_QUIET * audio.rate) * audio.channels
    first = max(0, int(loud[0]) - keep)
    last = min(samples.size, int(loud[-1]) + 1 + keep)
    first -= first % audio.channels
    last += (-last) % audio.channels
    write_wav(path, samples[first:last].tobytes(), audio.rate, audio.channels)


MEMORY_FILESYSTEMS = ("tmpfs", "ramfs")


def _in_memory(folder: Path) -> bool:
    """Whether ``folder`` lies on a filesystem kept in memory (never on a disk)."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return False
    best, kind = "", ""
    target = str(folder.resolve())
    for line in mounts:
        fields = line.split()
        if len(fields) < 3 or len(fields[1]) < len(best):
            continue
        point = fields[1]
        if target == point or target.startswith(point.rstrip("/") + "/"):
            best, kind = point, fields[2]  # the deepest mount holding the folder
    return kind in MEMORY_FILESYSTEMS


def private_folder(fallback: Path, environ: Optional[dict[str, str]] = None) -> Path:
    """Where a prompt holding the user's own words is rendered for the moment it is
    played: a private folder in memory ($XDG_RUNTIME_DIR, else /dev/shm), so that not
    even a deleted file of it reaches the disk; ``fallback`` (the private speech
    cache) where there is none."""
    env = os.environ if environ is None else environ
    candidates = []
    if env.get("XDG_RUNTIME_DIR"):
        candidates.append(Path(env["XDG_RUNTIME_DIR"]) / "ritual")
    candidates.append(Path("/dev/shm") / f"ritual-{os.getuid()}")
    for folder in candidates:
        if not folder.parent.is_dir() or not _in_memory(folder.parent):
            continue
        # /dev/shm is shared: the folder must be ours, a real folder, private.
        if own_private_folder(folder):
            return folder
    return fallback
