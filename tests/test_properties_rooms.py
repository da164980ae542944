"""Property-based tests for the rooms added last: the listen, schedule, offers and
retention config; the service unit's paths; the index file; the recall state.

Whatever is generated: what ``check`` passes is what runs (no OverflowError, no
traceback); a unit carries its paths exactly or refuses them; nothing planted at
the index or the recall state stops a command or leads it outside. Deterministic,
with the example counts of tests/test_properties.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import service
from assistant.core.companion import Companion
from assistant.core.errors import JournalError, RitualError
from assistant.core.hands_free import WEEKDAYS
from assistant.journal.deletion import expired
from assistant.journal.folder import JournalFolder
from assistant.journal.index import JournalIndex, fts_query, index_path
from assistant.journal.recall_state import PendingRecalls
from assistant.settings import config_problems, load_settings
from tests.cli import isolated_env
from tests.fakes import (
    EventLog,
    FakeMicrophone,
    FakeRunner,
    FakeSpeaker,
    FixedClock,
    ScriptedListener,
)
from tests.test_journal_index import write
from tests.test_owned_files import snapshot
from tests.test_properties import PROFILE, examples, values

# -- the hands-free part of the config, and retention ---------------------------------------

numbers = st.one_of(
    st.integers(-5, 20),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, 2.5, 739_999, 740_000, 36_500, 36_501, 10**6]),
)
days = st.one_of(st.sampled_from([*WEEKDAYS, "Monday", "SUN", "monkey", "mo", "", "tues"]), values)
times = st.one_of(st.sampled_from(["07:30", "7:30", "23:59", "24:00", "25:00", "-1:00"]), values)
offer_entries = st.fixed_dictionaries(
    {},
    optional={
        "ritual": st.one_of(st.sampled_from(["morning", "evening", "nope", "Bad Name"]), values),
        "time": times,
        "weekdays": st.one_of(st.lists(days, max_size=4), values),
    },
)
hands_free_data = st.fixed_dictionaries(
    {},
    optional={
        "wake": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "en": st.dictionaries(
                        st.sampled_from(
                            ["ritual good morning", "hello", "ritual " + "very long words " * 3]
                        ),
                        st.one_of(st.sampled_from(["morning", "evening"]), values),
                        max_size=3,
                    )
                },
            ),
            values,
        ),
        "schedule": st.one_of(st.lists(offer_entries, max_size=3), values),
        "offers": st.one_of(
            st.dictionaries(
                st.sampled_from(["snooze_minutes", "snoozes", "grace_minutes", "nap"]),
                st.one_of(numbers, values),
                max_size=3,
            ),
            values,
        ),
        "retention": st.one_of(
            st.dictionaries(
                st.sampled_from(["audio_days", "entries_days", "forever"]),
                st.one_of(numbers, values),
                max_size=2,
            ),
            values,
        ),
    },
)


@settings(PROFILE, max_examples=examples(150))
@given(data=hands_free_data)
def test_what_check_passes_in_the_hands_free_config_runs(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "config.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        env = isolated_env(root)
        problems = config_problems(path, env)
        try:
            loaded = load_settings(env, config=path)
        except RitualError:
            assert problems, "the parser refused what check passed"
            return
        assert not problems, problems
        rules = loaded.hands_free.offers
        assert rules.snoozes == int(rules.snoozes) and 0 <= rules.snoozes <= 10
        today = date(2026, 11, 30)
        for offer in loaded.hands_free.schedule:  # every weekday is a real one
            assert offer.weekdays <= set(range(7))
        expired(JournalFolder(root / "journal"), loaded.retention, today)  # no overflow
        clock = FixedClock(datetime(2026, 11, 30, 20, 0).astimezone())
        companion = Companion(
            hands_free=loaded.hands_free, language="en-us", speaker=FakeSpeaker(),
            listener=ScriptedListener([]), runner=FakeRunner(clock), clock=clock,
            events=EventLog(), mic=FakeMicrophone(), wake=None,
        )  # fmt: skip
        if loaded.hands_free.schedule:
            companion.run(until=clock.now() + timedelta(days=2))


# -- the service unit ---------------------------------------------------------------------------

unit_texts = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=20
) | st.sampled_from(["%h", "${HOME}", "$x", "100%", 'a "b"', "c\\d", "e;f", "new\nline", "tab\t"])


def unquote_exec_start(line: str) -> list[str]:
    """The arguments systemd reads from an ExecStart line (quotes, backslash escapes,
    then ``%%`` and ``$$``): a reference, to check the unit says what it means."""
    words, word, quoted, escaped, started = [], "", False, False, False
    for c in line:
        if escaped:
            word, escaped = word + c, False
        elif c == "\\" and quoted:
            escaped = True
        elif c == '"':
            quoted, started = not quoted, True
        elif c == " " and not quoted:
            if word or started:
                words.append(word)
            word, started = "", False
        else:
            word, started = word + c, True
    if word or started:
        words.append(word)
    return [w.replace("%%", "%").replace("$$", "$") for w in words]


@settings(PROFILE, max_examples=examples(200))
@given(argument=unit_texts, value=unit_texts)
def test_a_unit_carries_any_path_exactly_or_refuses_it(argument: str, value: str) -> None:
    command = ["/usr/bin/python3", "-m", "assistant", "listen", "--journal", argument]
    try:
        text = service.unit_text(command, {"RITUAL_CONFIG": value})
    except RitualError as e:
        assert "newline or another control character" in str(e)
        assert any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in argument + value)
        return
    lines = text.splitlines()
    assert len(lines) == len(service.unit_text(["/p"], {"RITUAL_CONFIG": "v"}).splitlines())
    [exec_start] = [line for line in lines if line.startswith("ExecStart=")]
    assert unquote_exec_start(exec_start.removeprefix("ExecStart=")) == command
    [env_line] = [line for line in lines if "RITUAL_CONFIG=" in line]
    inner = env_line.removeprefix('Environment="').removesuffix('"')
    assert unquote_exec_start(f'"{inner}"') == [f"RITUAL_CONFIG={value}"]


# -- the index file and the recall state ---------------------------------------------------------

planted = st.one_of(
    st.sampled_from(
        ["link", "dangling link", "hard link", "fifo", "folder", "other database", "cut index"]
    ),
    st.binary(max_size=200),
)


def plant_at(path: Path, what: object, outside: Path, good: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(what, bytes):
        path.write_bytes(what)
    elif what == "link":
        path.symlink_to(outside / "victim.sqlite3")
    elif what == "dangling link":
        path.symlink_to(outside / "nothing")
    elif what == "hard link":
        os.link(outside / "victim.sqlite3", path)
    elif what == "fifo":
        os.mkfifo(path)
    elif what == "folder":
        path.mkdir()
    elif what == "other database":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    else:
        path.write_bytes(good[: len(good) // 2])


@settings(PROFILE, max_examples=examples(60))
@given(at_index=planted, at_journal=planted)
def test_anything_planted_at_the_index_leaves_search_right_and_outside_alone(
    at_index: object, at_journal: object
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        outside = root / "outside"
        outside.mkdir()
        with sqlite3.connect(outside / "victim.sqlite3") as db:
            db.execute("CREATE TABLE mine (x)")
        folder = JournalFolder(root / "journal")
        write(folder, date(2026, 11, 30), "evening", "Grateful for tea.")
        cache = root / "cache"
        path = index_path(cache, folder.root)
        with JournalIndex.open(folder, cache) as index:
            index.refresh()
        good = path.read_bytes()
        path.unlink()
        plant_at(path, at_index, outside, good)
        plant_at(Path(f"{path}-journal"), at_journal, outside, good)
        before = snapshot(outside)
        try:
            with JournalIndex.open(folder, cache) as index:
                index.refresh()
                found = [h.path.name for h in index.search(fts_query(["tea"]))]
                assert found == ["2026-11-30-evening.md"]
                assert [e.path.name for e in index.entries()] == found
        except JournalError as e:  # said, never a crash; only a journal SQLite cannot use
            assert "index" in str(e)
        assert snapshot(outside) == before


recall_contents = st.one_of(
    st.binary(max_size=100),
    st.builds(
        lambda d: json.dumps(d).encode(),
        st.dictionaries(st.sampled_from(["answers", "done", "x"]), values, max_size=3),
    ),
    st.sampled_from(["fifo", "folder", "link"]),
)


@settings(PROFILE, max_examples=examples(80))
@given(content=recall_contents, text=st.text(max_size=30))
def test_any_recall_state_file_is_read_or_started_again(content: object, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "state" / "pending-recalls.json"
        path.parent.mkdir()
        victim = root / "victim.json"
        victim.write_text('{"answers": [], "done": []}')
        if content == "fifo":
            os.mkfifo(path)
        elif content == "folder":
            path.mkdir()
        elif content == "link":
            path.symlink_to(victim)
        else:
            assert isinstance(content, bytes)
            path.write_bytes(content)
        day = date(2026, 11, 30)
        state = PendingRecalls(path, lambda: day)
        state.keep("morning", "intention", day, text)
        state.mark_done("morning", day)
        state.prune()
        if content != "folder":  # a folder there cannot be replaced: nothing is kept
            assert state.take("morning", "intention", day) == text
            assert state.done("morning", day)
        assert victim.read_text() == '{"answers": [], "done": []}'
