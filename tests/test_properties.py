"""Property-based tests: generated ritual files, config files and journal entries.

Whatever is generated, ritual never shows a traceback, always exits 0, 1 or 2 with
a message naming the file or starting with ``ritual:``, and never writes outside
the journal. Deterministic (``derandomize``), so CI sees the same cases each run;
the example counts keep the whole module near 20 seconds.
"""

from __future__ import annotations

import json
import os
import string
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.core.errors import RitualError, RitualFileError
from assistant.core.journal import (
    Answer,
    AnswerState,
    Entry,
    EntryStatus,
    FollowUp,
    parse_entry,
    render_entry,
    tidy_text,
)
from assistant.core.reframe import MATCH_SECONDS, parse_reframes
from assistant.core.ritual import Ask, Breathe, Recall
from assistant.core.ritual_file import STEP_KINDS, TOP_KEYS, load_ritual
from assistant.settings import CONFIG_KEYS, load_settings
from tests.cli import Result, isolated_env, run_cli

DEPTH = float(os.environ.get("RITUAL_PROPERTY_DEPTH", "0.3"))
"""share of each test's examples run: the suite runs 0.3 (derandomized, so the same
cases every run); `make test-deep` runs them all (1.0) or more"""


def examples(full: int) -> int:
    return max(10, round(full * DEPTH))


PROFILE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- what is generated -----------------------------------------------------------------------

ODD_TEXTS = [
    "", " ", "{name}", "{answer}", "{nope}", "1e308", "1.0e+300", "-5", ".nan", "2026-13-45",
    "~nouser/x", "../x", "#", "## heading", "---", "\\#", "_(skipped)_", "a\u2028b", "\x00",
    "!!python/object:os.system", "&a [*a]", "^(a+)+$", "(a|a)*b", "yes", "null",
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(ODD_TEXTS),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
prompts = st.sampled_from(["How are you?", "What do you need, {name}?", "Say more."])
odd_numbers = st.sampled_from([1e300, 1e308, 10**20, -1, 0, 1e-9, float("inf"), float("nan")])


def mostly(good: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` four times in five: a ritual is valid often enough to be run."""
    return st.integers(0, 4).flatmap(lambda n: odd if n == 0 else good)


seconds = mostly(st.floats(min_value=0.5, max_value=30), st.one_of(odd_numbers, values))


def _step(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    main: st.SearchStrategy[Any] = {
        "say": mostly(prompts, values),
        "pause": seconds,
        "breathe": mostly(st.fixed_dictionaries({}, optional={
            "count": st.integers(1, 20), "in": seconds, "hold": seconds, "out": seconds,
        }), st.one_of(st.integers(-1, 25), values)),
        "affirm": mostly(st.lists(prompts, min_size=1, max_size=3), values),
        "ask": mostly(prompts, values),
        "recall": mostly(
            st.fixed_dictionaries(
                {"ritual": st.sampled_from(["morning", "x"]), "id": st.just("intention")},
                optional={"when": st.sampled_from(["today", "latest", "soon"])},
            ),
            values,
        ),
    }[kind]  # fmt: skip
    listen = {
        "id": mostly(st.sampled_from(["a", "b", "c", "d"]), st.one_of(st.just("Bad Id"), values)),
        "silence": seconds,
        "max_seconds": seconds,
        "reframe": mostly(st.booleans(), values),
        "confirm": mostly(st.booleans(), values),
    }
    optional: dict[Any, st.SearchStrategy[Any]] = {}
    if kind in ("ask", "recall"):
        optional = {**listen}
    if kind == "recall":
        optional.update(say=mostly(st.just("You said {answer}."), values), otherwise=prompts)
    return st.fixed_dictionaries({kind: main}, optional=optional)


steps = st.sampled_from(STEP_KINDS).flatmap(_step)
ritual_data = st.fixed_dictionaries(
    {"title": mostly(st.just("Generated"), values), "steps": st.lists(steps, max_size=6)},
    optional={
        "language": st.sampled_from(["en-us", "ko", "xx", ""]),
        "voice": values,
        "sya": values,  # a misspelt key now and then
        "commands": st.dictionaries(st.sampled_from(["stop", "done", "skip", "nah"]), values),
        "id": values,
        **{k: values for k in TOP_KEYS if k not in ("title", "steps", "language", "voice")},
    },
)


@st.composite
def yaml_files(draw: st.DrawFn, data: st.SearchStrategy[Any]) -> bytes:
    """YAML from generated data, now and then damaged: a line cut, text spliced in, raw bytes."""
    text = yaml.safe_dump(draw(data), allow_unicode=True, sort_keys=False)
    damage = draw(st.sampled_from(["none", "none", "none", "cut", "splice", "bytes"]))
    if damage == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif damage == "splice":
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at] + draw(st.sampled_from([*ODD_TEXTS, ":", "- ", "\t", "'", "{"])) + text[at:]
        )
    elif damage == "bytes":
        return draw(st.binary(max_size=40))
    return text.encode("utf-8", errors="surrogatepass")


answers = st.lists(
    st.one_of(
        st.sampled_from(["", "skip", "stop", "back", "repeat", "keep", "redo", "add", "done"]),
        st.sampled_from(["pause", "resume", "I'm not good enough", "what if it all fails"]),
        st.text(alphabet=st.characters(blacklist_characters="\n\r"), max_size=30),
    ),
    max_size=8,
).map(lambda lines: "".join(line + "\n" for line in lines))


# -- what is checked -----------------------------------------------------------------------

GENERATED = {"ritual": 0, "config": 0, "entry": 0, "round trip": 0, "reframe pattern": 0}
"""cases run per property (printed at the end of the session with -s)"""


@pytest.fixture(scope="module", autouse=True)
def _count() -> Iterator[None]:
    yield
    print("\ngenerated cases:", GENERATED)


def assert_clean(result: Result, *names: Path) -> None:
    """Exit 0, 1 or 2; no traceback; a failure says so on its first line, naming
    the file or starting with ``ritual:``."""
    assert result.status in (0, 1, 2), result
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr, result
    if result.status:
        first = result.stderr.splitlines()[0] if result.stderr else ""
        assert first.startswith(("ritual:", *map(str, names))), result.stderr


def snapshot(root: Path, *allowed: Path) -> dict[str, tuple[int, int, int]]:
    """Every file, folder and link under ``root`` outside the ``allowed`` folders (the
    journal, and ritual's cache, which keeps the journal's index): (kind, size, mtime)."""
    seen = {}
    inside = [os.path.abspath(a) for a in allowed]
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.abspath(os.path.join(folder, name))
            if any(path == a or path.startswith(a + os.sep) for a in inside):
                continue
            if any(a.startswith(path + os.sep) for a in inside):
                continue  # a folder on the way to the journal, made for it
            st_ = os.lstat(path)
            seen[path] = (st_.st_mode, st_.st_size, st_.st_mtime_ns)
    return seen


@pytest.fixture(autouse=True)
def _cwd_untouched() -> Iterator[None]:
    before = set(os.listdir("."))
    yield
    assert set(os.listdir(".")) == before  # nothing written in the current folder


@settings(PROFILE, max_examples=examples(120))
@given(ritual=yaml_files(ritual_data), typed=answers)
def test_any_ritual_file_is_checked_or_run_cleanly(ritual: bytes, typed: str) -> None:
    GENERATED["ritual"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = isolated_env(root)
        path = root / "mine.yaml"
        path.write_bytes(ritual)
        (root / "outside").mkdir()
        (root / "outside" / "victim.md").write_text("keep\n")
        journal, cache = root / "journal", root / "cache" / "ritual"
        before = snapshot(root, journal, cache)
        checked = run_cli("check", str(path), env=env)
        assert_clean(checked, path)
        if checked.status == 0:  # what check passes, a run can do: every wait fits a timer
            ritual = load_ritual(path)
            waits = [getattr(s, k, 0) for s in ritual.steps for k in ("seconds", "hold")]
            waits += [s.breathe_in + s.breathe_out for s in ritual.steps if isinstance(s, Breathe)]
            waits += [
                x
                for s in ritual.steps
                if isinstance(s, (Ask, Recall)) and s.listening
                for x in (s.listening.silence, s.listening.max_seconds)
            ]
            assert all(0 <= w < threading.TIMEOUT_MAX for w in waits), waits
        result = run_cli(
            "run", str(path), "--text", "--journal", str(journal), env=env, stdin=typed
        )
        assert_clean(result, path)
        assert snapshot(root, journal, cache) == before


path_texts = st.one_of(
    st.text(alphabet=string.ascii_letters + "~/. -", max_size=12).filter(
        lambda t: not t.startswith("/") and t.count("..") <= 1
    ),
    st.sampled_from(["~/j", "~nouser/j", "j", "", " ", "./j", "~"]),
)
config_data = st.fixed_dictionaries(
    {}, optional={**{k: st.one_of(path_texts, values) for k in sorted(CONFIG_KEYS)}, "nme": values}
)
config_env = st.fixed_dictionaries(
    {}, optional={"RITUAL_JOURNAL": path_texts, "RITUAL_CONFIG": st.just("")}
)


@settings(PROFILE, max_examples=examples(100))
@given(config=yaml_files(config_data), variables=config_env)
def test_any_config_file_is_read_cleanly_and_writes_only_the_journal(
    config: bytes, variables: dict[str, str]
) -> None:
    GENERATED["config"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "home" / "settings").mkdir(parents=True)
        path = root / "home" / "settings" / "config.yaml"
        path.write_bytes(config)
        env = isolated_env(root / "home", **{"RITUAL_CONFIG": str(path), **variables})
        if env["RITUAL_CONFIG"] == "":  # the usual place
            (root / "home" / "config" / "ritual").mkdir(parents=True)
            path = path.rename(root / "home" / "config" / "ritual" / "config.yaml")
        cwd = os.getcwd()
        os.chdir(root / "home")  # relative paths land in the case's own folder
        try:
            try:
                with mock.patch.dict(os.environ, env):  # platformdirs reads os.environ
                    loaded = load_settings(env)
                journal, cache = loaded.journal_dir, loaded.cache_dir
            except RitualError:  # the same clear error is checked below
                journal = cache = root / "nothing-allowed"
            else:  # settings that loaded had text wherever text belongs
                raw = yaml.safe_load(path.read_bytes()) if path.read_bytes().isascii() else None
                for key in ("name", "journal", "model", "models_dir", "rituals", "cache"):
                    if isinstance(raw, dict) and raw.get(key) is not None:
                        assert isinstance(raw[key], str), (key, raw[key])
            before = snapshot(root, journal, cache)
            for argv in (["journal", "list"], ["run", "journal", "--text"]):
                assert_clean(run_cli(*argv, env=env, stdin="Fine.\n"), path)
            assert snapshot(root, journal, cache) == before
        finally:
            os.chdir(cwd)


ENTRY_KEYS = ["ritual", "title", "date", "started", "ended", "status", "model", "language"]
ENTRY_KEYS += ["tags", "questions", "audio"]
good_front = st.fixed_dictionaries(
    {"ritual": st.sampled_from(["morning", "journal"]), "date": st.dates()},
    optional={k: values for k in ENTRY_KEYS if k not in ("ritual", "date")},
)
front = st.one_of(good_front, st.dictionaries(st.sampled_from(ENTRY_KEYS), values, max_size=6))
body_lines = st.lists(
    st.one_of(
        st.sampled_from(["## Q?", "### Follow?", "", "_(skipped)_", "\\# x", "---", "```"]),
        st.text(max_size=20),
    ),
    max_size=10,
)


@st.composite
def entry_files(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=40))
    head = yaml.safe_dump(draw(front), allow_unicode=True, sort_keys=False)
    body = "\n".join(draw(body_lines))
    return f"---\n{head}---\n{body}\n".encode("utf-8", errors="surrogatepass")


@settings(PROFILE, max_examples=examples(50))
@given(entries=st.lists(entry_files(), min_size=1, max_size=3), plant=st.booleans())
def test_any_entry_files_leave_the_journal_commands_working(
    entries: list[bytes], plant: bool
) -> None:
    GENERATED["entry"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = isolated_env(root)
        journal, cache = root / "journal", root / "cache" / "ritual"
        month = journal / "2026" / "01"
        month.mkdir(parents=True)
        for n, content in enumerate(entries, start=1):
            (month / f"2026-01-0{n}-morning.md").write_bytes(content)
        outside = root / "outside"
        outside.mkdir()
        (outside / "victim.wav").write_text("keep\n")
        if plant:  # a symlinked audio folder and a symlinked answer file
            (month / "2026-01-01-morning").symlink_to(outside)
            (month / "2026-01-02-morning").mkdir()
            (month / "2026-01-02-morning" / "01-a.wav").symlink_to(outside / "victim.wav")
        before = snapshot(root, journal, cache)
        for argv in (
            ["journal", "list"],
            ["journal", "show"],
            ["journal", "search", "a"],
            ["journal", "export", "--format", "md"],
            ["journal", "export", "--format", "json"],
            ["journal", "export", "--format", "jrnl"],
            ["transcribe"],
        ):
            assert_clean(run_cli(*argv, "--journal", str(journal), env=env), journal)
        typed = run_cli(
            "run", "evening", "--text", "--journal", str(journal), env=env, stdin="Good.\nstop\n"
        )
        assert_clean(typed, journal)
        assert typed.status == 0, typed.stderr  # no odd entry stops the evening recall
        assert snapshot(root, journal, cache) == before


# -- the entry file round trip --------------------------------------------------------------

said = st.text(st.characters(blacklist_categories=["Cs"]), max_size=60)
ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,8}", fullmatch=True)
audio_names = st.lists(st.from_regex(r"[a-z0-9-]{1,8}/[0-9]{2}-[a-z]{1,5}\.wav", fullmatch=True))


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    started = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(
        seconds=draw(st.integers(0, 10**8))
    )
    entry = Entry(
        ritual=draw(ids),
        title=draw(said),
        started=started,
        status=draw(st.sampled_from(list(EntryStatus))),
        model=draw(said),
        tags=tuple(draw(st.lists(ids, max_size=3))),
    )
    for answer_id in draw(st.lists(ids, max_size=4, unique=True)):
        follow_up = None
        if draw(st.booleans()):
            follow_up = FollowUp(draw(said), draw(said), AnswerState.ANSWERED, "r")
        state = draw(st.sampled_from(list(AnswerState)))
        answer = Answer(
            answer_id, draw(said), draw(said), state, follow_up, tuple(draw(audio_names))
        )
        entry = entry.with_answer(answer)
    return entry


def as_kept(entry: Entry) -> Entry:
    """What an entry file can hold: tidied text, one-line prompts, no empty answers."""

    def text(t: str, state: AnswerState) -> tuple[str, AnswerState]:
        if state != AnswerState.ANSWERED:
            return "", state
        kept = tidy_text(t)
        return kept, AnswerState.ANSWERED if kept else AnswerState.NO_ANSWER

    kept = []
    for a in entry.answers:
        f = a.follow_up
        if f is not None:
            f_text, f_state = text(f.text, f.state)
            f = FollowUp(" ".join(f.prompt.split()), f_text, f_state, audio=f.audio)
        a_text, a_state = text(a.text, a.state)
        kept.append(Answer(a.id, " ".join(a.prompt.split()), a_text, a_state, f, a.audio))
    return Entry(
        ritual=entry.ritual,
        title=entry.title or entry.ritual,
        started=entry.started,
        status=entry.status,
        model=entry.model,
        tags=entry.tags,
        answers=tuple(kept),
    )


@settings(PROFILE, max_examples=examples(200))
@given(entry=entries())
def test_an_entry_reads_back_as_it_was_written(entry: Entry) -> None:
    GENERATED["round trip"] += 1
    warnings: list[str] = []
    again = parse_entry(render_entry(entry), warn=warnings.append)
    assert warnings == []
    assert again == as_kept(entry)


# -- reframe patterns --------------------------------------------------------------------------

patterns = st.text(alphabet="a|()*+?{}12,.\\w^$", min_size=1, max_size=12)


@settings(PROFILE, max_examples=examples(150))
@given(pattern=patterns, length=st.integers(1, 3000))
def test_a_reframe_pattern_is_refused_or_matched_in_bounded_time(pattern: str, length: int) -> None:
    GENERATED["reframe pattern"] += 1
    text = "en:\n  - name: p\n    patterns: [" + json.dumps(pattern) + "]\n    follow_up: F?\n"
    try:
        rules = parse_reframes(text)
    except RitualFileError:
        return  # refused, with the file and line (checked elsewhere)
    began = time.monotonic()
    rules.match("a" * length + "!", "en")
    assert time.monotonic() - began < MATCH_SECONDS + 1.0
