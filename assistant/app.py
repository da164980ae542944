"""Wiring: settings -> engines -> the core. Only here do they meet.

Each mode of ritual (a ritual run by voice or typed, ``listen``, re-transcription,
preparing the prompts of rituals ahead) is one function that picks the engines
for the settings, hands them to the core, and closes them again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Optional

from assistant.clock import SystemClock
from assistant.core.barge_in import barge_in_for
from assistant.core.companion import Companion
from assistant.core.conductor import Conductor
from assistant.core.errors import (
    AudioError,
    ConfigError,
    JournalError,
    ModelError,
    RitualError,
    SpeechError,
)
from assistant.core.journal import Entry
from assistant.core.polish_sink import PolishingSink
from assistant.core.ports import (
    Clock,
    EntrySink,
    EventSink,
    InterruptibleSpeaker,
    Listener,
    Speaker,
    Transcriber,
)
from assistant.core.prompts import prompts_ahead, upcoming_values
from assistant.core.retranscribe import has_audio, merge_details, retranscribe
from assistant.core.ritual import Ritual
from assistant.core.voice_spec import VoiceSpec
from assistant.events import JsonLinesEvents
from assistant.journal.access import Journal
from assistant.journal.deletion import expired, remove, retention_summary
from assistant.journal.folder import EntryFile, JournalFolder
from assistant.journal.index import forget_removed
from assistant.journal.leftovers import clear_leftovers
from assistant.journal.week import JournalWeek
from assistant.modelstore.lookup import complete_model
from assistant.settings import Settings
from assistant.text_mode import TextListener, TextSpeaker

if TYPE_CHECKING:
    from assistant.core.polish_sink import PolishWorker
    from assistant.engines import ListenEngines

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _events_stream(target: Optional[str], stdout: Optional[IO[str]]) -> Iterator[Optional[IO[str]]]:
    if target is None:
        yield None
        return
    if target == "-":
        yield stdout
        return
    try:
        # 0600: `heard` events carry the answers themselves.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as e:
        raise RitualError(f"cannot write events to {target} ({e.strerror})") from None
    stream = os.fdopen(fd, "a", encoding="utf-8")
    try:
        yield stream
    finally:
        with contextlib.suppress(OSError):  # a full disk was already reported by the events
            stream.close()


def run_ritual(
    settings: Settings,
    name_or_path: str,
    *,
    text: bool,
    events: Optional[str],
    stdin: Optional[IO[str]],
    stdout: Optional[IO[str]],
    environ: Optional[Mapping[str, str]] = None,
    notice: Optional[Callable[[str], None]] = None,
) -> tuple[Entry, Optional[Path]]:
    """Run one ritual to its end (or a stop) and return the entry and where it is
    (None: stopped before the first answer, nothing kept).

    ``notice`` hears what the user should know but that is no error (a Piper voice
    asked for and missing: espeak-ng speaks instead)."""
    ritual = settings.catalog.load(name_or_path)
    journal = Journal.for_ritual(settings)  # encryption impossible here: said before a word
    with contextlib.ExitStack() as stack:
        if text:
            if stdin is None:
                raise RitualError(
                    "--text reads typed answers from standard input, and it is closed; "
                    "give it input (a terminal or a pipe), or leave out --text to speak"
                )
            session = Session(
                speaker=TextSpeaker(stdout),
                listener=TextListener(stdin, stdout),
                clock=SystemClock(pauses=stdin.isatty()),
                model_name="text",
                keep_audio=False,
                typed=True,
            )
        else:
            # Imported here: text mode, `check` and `--help` need no engine at all.
            from assistant.engines import open_ritual_engines
            from assistant.engines.polish import background_polisher

            try:
                engines = open_ritual_engines(
                    settings,
                    barge_in=barge_in_for(settings.barge_in, ritual.barge_in),
                    language=ritual.language,
                    voice=settings.voice.under(ritual.voice),
                    model_path=complete_model(settings, ritual.language, environ),
                    notice=notice,
                )
            except (AudioError, ModelError, SpeechError) as e:
                # no mic, speaker, model or voice: typing needs none of them
                typed = f"ritual run {name_or_path} --text"
                raise type(e)(f"{e}; or type the ritual instead: {typed}") from None
            stack.callback(engines.close)
            session = Session(
                engines.speaker,
                engines.listener,
                SystemClock(),
                engines.model_name,
                settings.audio.keep_audio,
                polisher=background_polisher(settings, ritual.language, environ or os.environ),
                barge_in=engines.barge_in,
            )
        stream = stack.enter_context(_events_stream(events, stdout))
        return conduct(settings, journal, ritual, session, _events(journal, stream), notice)


@dataclass(frozen=True)
class Session:
    """The engines one ritual runs on."""

    speaker: Speaker
    listener: Listener
    clock: Clock
    model_name: str
    """recorded in the entry ("text" for a typed ritual)"""
    keep_audio: bool
    polisher: Optional[Callable[[], PolishWorker]] = None
    """starts the worker that polishes answers while the ritual goes on (None: later)"""
    barge_in: Optional[InterruptibleSpeaker] = None
    """speaks the prompts a command may cut short; None: half-duplex"""
    typed: bool = False
    """answers are typed (prompts say "type", not "say")"""


def conduct(
    settings: Settings,
    journal: Journal,
    ritual: Ritual,
    session: Session,
    events: EventSink,
    notice: Optional[Callable[[str], None]] = None,
) -> tuple[Entry, Optional[Path]]:
    """Run ``ritual`` on ``session``'s engines, kept in the journal.

    Retention and the speech cache's tidying go first. With encryption on, the
    ritual writes encrypted and never holds the key: what it will read back later
    today comes from the recall state."""
    from assistant.engines import tidy_speech_cache

    clear_leftovers(journal.folder.root, recent=session.clock.now().date())
    apply_retention(settings, journal.folder, session.clock.now().date(), notice)
    tidy_speech_cache(settings)
    files = journal.session(
        keep_audio=session.keep_audio,
        today=lambda: session.clock.now().date(),
        rituals=lambda: _rituals(settings),
    )
    polishing = _polishing(files.sink, session.polisher)
    conductor = Conductor(
        ritual=ritual,
        speaker=session.speaker,
        listener=session.listener,
        sink=polishing or files.sink,
        clock=session.clock,
        events=events,
        reframes=settings.catalog.reframes(),
        answers=files.answers,
        streaks=journal.folder,
        week=JournalWeek(journal.folder),
        name=settings.name,
        model=session.model_name,
        barge_in=session.barge_in,
        typed=session.typed,
    )
    try:
        entry = conductor.run()
    except BaseException:
        if polishing is not None:  # Ctrl-C, a lost mic: keep what is polished, wait for nothing
            polishing.finish(wait=0.0)
        raise
    if polishing is not None:
        left = polishing.finish()
        if left:
            log.info("%d answers are left for `ritual polish`", left)
    return entry, files.entry.claimed


def _polishing(
    sink: EntrySink, start: Optional[Callable[[], PolishWorker]]
) -> Optional[PolishingSink]:
    """``sink`` polishing each answer as it is saved; None when it cannot (the
    ritual runs as ever, and ``ritual polish`` does it later)."""
    if start is None:
        return None
    try:
        return PolishingSink(sink, start())
    except OSError as e:
        log.warning("cannot polish in the background (%s); `ritual polish` will", e)
        return None


def _rituals(settings: Settings) -> list[Ritual]:
    """Every ritual that loads (a broken one is for ``check`` to report, not a ritual)."""
    found = []
    for ritual_file in settings.catalog.rituals():
        try:
            found.append(settings.catalog.load(str(ritual_file.path)))
        except RitualError as e:
            log.debug("not looking for recalls in %s: %s", ritual_file.path, e)
    return found


def apply_retention(
    settings: Settings,
    folder: JournalFolder,
    today: date,
    notice: Optional[Callable[[str], None]] = None,
) -> None:
    """Delete what ``retention:`` says is too old (at the start of each ritual, and of
    ``listen``), and say so (``notice``, else the log); a failure is a warning,
    never a reason not to run the ritual."""
    if not settings.retention.on:
        return
    try:
        removals = expired(folder, settings.retention, today)
        if removals:
            remove(removals, folder.root)
            said = retention_summary(removals, settings.retention, today)
            if notice is not None:
                notice(said[:1].upper() + said[1:])
            else:
                log.info("%s", said)
            forget_removed(folder, settings.cache_dir)
    except (RitualError, OSError, sqlite3.Error) as e:
        log.warning("retention: could not delete everything due (%s)", e)


def _events(journal: Journal, stream: Optional[IO[str]]) -> EventSink:
    # With encryption on, what the user said never goes to an events file in plaintext.
    return JsonLinesEvents(stream, private=journal.encrypts)


def listen(
    settings: Settings,
    *,
    wake: bool,
    events: Optional[str],
    stdout: Optional[IO[str]],
    environ: Optional[Mapping[str, str]] = None,
    clock: Optional[Clock] = None,
    until: Optional[datetime] = None,
    notice: Optional[Callable[[str], None]] = None,
    ready: Callable[[], None] = lambda: None,
) -> None:
    """``ritual listen``: wait for wake phrases and scheduled times, run rituals, wait
    again, until ``until`` (forever when None) or a KeyboardInterrupt. ``ready`` is
    called once the engines are open (what it waits for is worth saying only then).

    The prompts of the rituals it may run are rendered in the background from the
    start (and again after each ritual, for the days ahead)."""
    from assistant.engines import open_listen_engines

    hands_free = settings.hands_free
    language = settings.language
    phrases = check_listen(settings, wake=wake)
    with contextlib.ExitStack() as stack:
        engines = open_listen_engines(
            settings,
            language=language,
            voice=settings.voice,
            model_path=complete_model(settings, language, environ),
            wake_phrases=phrases,
            notice=notice,
        )
        stack.callback(engines.close)
        ready()
        stream = stack.enter_context(_events_stream(events, stdout))
        journal = Journal.for_ritual(settings)
        sink = _events(journal, stream)
        clock = clock or SystemClock()
        clear_leftovers(journal.folder.root, recent=clock.now().date())
        apply_retention(settings, journal.folder, clock.now().date())
        runner = _ListenRunner(settings, journal, engines, clock, sink)
        runner.rituals = sorted(
            {*(phrases or {}).values(), *(o.ritual for o in hands_free.schedule)}
        )
        runner.prepare_ahead()
        companion = Companion(
            hands_free=hands_free,
            language=language,
            speaker=engines.speaker,
            listener=engines.listener,
            runner=runner,
            clock=clock,
            events=sink,
            mic=engines.mic,
            wake=engines.wake,
        )
        companion.run(until=until)


def check_listen(settings: Settings, *, wake: bool) -> Optional[Mapping[str, str]]:
    """What ``listen`` would wait for (phrase -> ritual; None without wake phrases),
    after checking that it has something to do and that every ritual it names exists:
    a missing one is said now, not at 21:30."""
    hands_free = settings.hands_free
    phrases = hands_free.wake_phrases(settings.language) if wake else None
    if wake and not phrases:
        raise ConfigError(
            f"there are no wake phrases for {settings.language}: add some under 'wake:' in "
            "the config file, or use --no-wake to be asked only at scheduled times"
        )
    if not wake and not hands_free.schedule:
        raise ConfigError(
            "with --no-wake, ritual only speaks at scheduled times, and there are none: "
            "add a 'schedule:' to the config file"
        )
    for name in sorted({*(phrases or {}).values(), *(o.ritual for o in hands_free.schedule)}):
        settings.catalog.find(name)
    return phrases


@dataclass(frozen=True)
class Readiness:
    """Whether ``ritual listen`` could start here now (for ``service install``, ``doctor``)."""

    blocking: tuple[str, ...]
    """what stops it at once (no model, no speaker, a broken config)"""
    waiting: tuple[str, ...]
    """what it would wait for (a mic that is not there yet)"""


def listen_readiness(
    settings: Settings, environ: Optional[Mapping[str, str]], *, wake: bool = True
) -> Readiness:
    from assistant.engines.probes import find_audio_device

    blocking, waiting = [], []
    try:
        check_listen(settings, wake=wake)
    except RitualError as e:
        blocking.append(str(e))
    try:
        complete_model(settings, settings.language, environ)
    except RitualError as e:
        blocking.append(str(e).split("\n")[0].rstrip("."))  # its fixes: `ritual doctor`
    try:
        find_audio_device(settings.audio.output_device, "output")
    except RitualError as e:
        blocking.append(str(e))
    try:
        find_audio_device(settings.audio.input_device, "input")
    except RitualError as e:
        waiting.append(f"{e} (until one is there, it waits)")
    return Readiness(tuple(blocking), tuple(waiting))


class _ListenRunner:
    """Runs rituals for the companion on the engines ``listen`` keeps open."""

    def __init__(
        self,
        settings: Settings,
        journal: Journal,
        engines: ListenEngines,
        clock: Clock,
        events: EventSink,
    ) -> None:
        self.settings = settings
        self.journal = journal
        self.engines = engines
        self.clock = clock
        self.events = events
        self.pending = journal.pending_recalls(lambda: clock.now().date())
        self.rituals: list[str] = []
        """the rituals it may be asked to run"""

    def title(self, ritual: str) -> str:
        return self.settings.catalog.load(ritual).title.lower()

    def speaker(self, ritual: Ritual) -> Speaker:
        return self.engines.speaker_for(self.settings.voice.under(ritual.voice), ritual.language)

    def prepare_ahead(self) -> None:
        """Have each ritual's speaker render its prompts for the coming days, in the
        background (what is cached already is skipped in no time)."""
        reframes = self.settings.catalog.reframes()
        variants = upcoming_values(self.clock.now(), self.settings.name, PREPARE_DAYS)
        for name in self.rituals:
            ritual = self.settings.catalog.load(name)
            self.speaker(ritual).prepare(prompts_ahead(ritual, variants, reframes))

    def run(self, ritual: str) -> None:
        loaded = self.settings.catalog.load(ritual)
        speaker = self.speaker(loaded)
        from assistant.engines.polish import background_polisher

        session = Session(
            speaker,
            self.engines.listener,
            self.clock,
            self.engines.model_name,
            self.settings.audio.keep_audio,
            polisher=background_polisher(self.settings, loaded.language, os.environ),
        )
        entry, path = conduct(self.settings, self.journal, loaded, session, self.events)
        log.info("%s: %s, saved to %s", ritual, entry.status, path or "nothing (no answer)")
        self.prepare_ahead()

    def done_on(self, ritual: str, day: date) -> bool:
        return self.journal.done_on(ritual, day, self.pending)


def transcribe_entries(
    settings: Settings,
    folder: JournalFolder,
    paths: Sequence[Path],
    *,
    environ: Optional[Mapping[str, str]] = None,
    warn: Callable[[Path, str], None],
    done: Callable[[Path, str], None],
) -> int:
    """Transcribe the kept audio of ``paths`` (every entry when empty) again and
    rewrite those entries (in ``folder``'s form: encrypted when it encrypts); how
    many were rewritten. ``done`` hears each entry's
    path and the model's name."""
    from assistant.engines import open_transcriber

    transcribers: dict[str, Transcriber] = {}
    changed = 0
    for path, entry in _entries_to_transcribe(folder, paths):
        if not has_audio(entry):
            continue
        language = entry.language or "en-us"
        if language not in transcribers:
            transcribers[language] = open_transcriber(
                complete_model(settings, language, environ), read_audio=folder.read_bytes
            )
        transcriber = transcribers[language]
        updated, details = retranscribe(
            entry, path.parent, transcriber, functools.partial(warn, path)
        )
        target = EntryFile(folder, path)
        target.save(updated)
        if details:
            target.save_details(merge_details(target.read_details(), details))
        changed += 1
        done(path, transcriber.model_name)
    return changed


@dataclass(frozen=True)
class Prepared:
    """What ``prepare_rituals`` did for one ritual."""

    ritual: str
    voice: str
    """the engine and voice that rendered it"""
    prompts: int
    """its prompts (every placeholder variant counted)"""
    rendered: int
    """how many of them were not in the cache yet"""
    seconds: float


PREPARE_DAYS = 2
"""today and tomorrow: prompts can name the weekday and the date"""


def prepare_rituals(
    settings: Settings,
    names: Sequence[str] = (),
    *,
    days: int = PREPARE_DAYS,
    progress: Optional[Callable[[str, int, int], None]] = None,
    notice: Optional[Callable[[str], None]] = None,
    now: Optional[datetime] = None,
) -> list[Prepared]:
    """Render every prompt of these rituals (all found, when ``names`` is empty)
    that holds none of the user's words into the speech cache, in the voice each
    will speak with, for sessions starting within ``days`` days of ``now``.

    Needs no sound device. ``progress`` hears (ritual, prompts done, prompts in
    all) after each prompt. Rituals that share a voice share its worker.
    """
    from assistant.engines import CachingSpeaker, open_renderer
    from assistant.engines.voices import OnceNotice

    notice = OnceNotice(notice)

    catalog = settings.catalog
    rituals = [catalog.load(n) for n in names or [r.name for r in catalog.rituals()]]
    reframes = catalog.reframes()
    variants = upcoming_values(now or SystemClock().now(), settings.name, days)
    speakers: dict[tuple[str, VoiceSpec], CachingSpeaker] = {}
    done = []
    try:
        for ritual in rituals:
            voice = settings.voice.under(ritual.voice)
            key = (ritual.language, voice)
            if key not in speakers:
                speakers[key] = open_renderer(
                    settings, language=ritual.language, voice=voice, notice=notice
                )
            speaker = speakers[key]
            texts = prompts_ahead(ritual, variants, reframes)
            started = time.perf_counter()
            rendered = 0
            for count, text in enumerate(texts, 1):
                rendered += speaker.render_ahead(text)
                if progress:
                    progress(ritual.id, count, len(texts))
            seconds = time.perf_counter() - started
            done.append(Prepared(ritual.id, speaker.description, len(texts), rendered, seconds))
    finally:
        for speaker in speakers.values():
            speaker.close()
    return done


def _entries_to_transcribe(
    folder: JournalFolder, paths: Sequence[Path]
) -> Iterator[tuple[Path, Entry]]:
    """The entries named (each must be readable: checked before any is rewritten),
    or every entry of the journal, passing over those that cannot be read."""
    if not paths:
        yield from folder.read_all()
        return
    named = []
    for path in paths:
        if not path.is_file():
            raise JournalError(f"{path}: no such entry")
        named.append((path, folder.read(path)))
    yield from named
