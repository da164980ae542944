"""Ritual files: parsing and validation.

Validation walks the YAML node tree rather than the loaded data so that every
problem can name ``file:line``. All problems in a file are reported at once.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import yaml

from assistant.core.barge_in import BARGE_IN_VALUES, BargeIn, parse_barge_in
from assistant.core.endpoint import DEFAULT_MAX_SECONDS, DEFAULT_SILENCE
from assistant.core.errors import Problem, RitualFileError
from assistant.core.journal import FRONT_KEYS
from assistant.core.ritual import (
    AFFIRM_PICKS,
    PLACEHOLDER,
    PLACEHOLDERS,
    RECALL_PICKS,
    RECALL_PLACEHOLDERS,
    RECALL_WHEN,
    Affirm,
    Ask,
    Breathe,
    Listening,
    Pause,
    Recall,
    RecallWhen,
    Ritual,
    Say,
    Scale,
    Step,
)
from assistant.core.voice_commands import COMMAND_NAMES, Command
from assistant.core.voice_spec import (
    VOICE_KEYS,
    VoiceSpec,
    engine_problem,
    mix_problem,
    model_problem,
    rate_problem,
    voice_spec,
    volume_problem,
)

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
T = TypeVar("T")

SECONDS = {
    "pause": (0.0, 3600.0),
    "breathe in": (0.5, 60.0),
    "breathe hold": (0.0, 60.0),
    "breathe out": (0.5, 60.0),
    "silence": (0.5, 300.0),
    "max_seconds": (1.0, 3600.0),
}
"""The range of every number of seconds a ritual sets. Wide enough for an hour of
quiet sitting or a long free answer; an answer that "ends" after 0.1 s of quiet,
or a pause of 1e300 s (which no timer can sleep), is a mistake to point out."""


TOP_KEYS = ("id", "title", "language", "voice", "commands", "barge_in", "steps")
STEP_KINDS = ("say", "pause", "breathe", "affirm", "ask", "recall")
LISTEN_KEYS = ("id", "silence", "max_seconds", "reframe", "confirm", "scale", "property")
SCALE_LIMITS = (0, 10)
"""a scale runs within these: every number in it has a word a recogniser hears well"""
STEP_KEYS = {
    "say": ("say", "typed"),
    "pause": ("pause",),
    "breathe": ("breathe",),
    "affirm": ("affirm",),
    "ask": ("ask", *LISTEN_KEYS),
    "recall": ("recall", "say", "otherwise", *LISTEN_KEYS),
}


class _Invalid(Exception):
    """One value is wrong; the problem is already recorded."""


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return (
        f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(choices)})"
    )


class _Parser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.suggested: set[str] = set()
        """known keys that a misspelt key looked like (no 'missing' message for them)"""
        self._constructor = yaml.SafeLoader("")

    # helpers ------------------------------------------------------------------
    def problem(self, node: Optional[yaml.Node], message: str) -> _Invalid:
        line = node.start_mark.line + 1 if node is not None else 0
        self.problems.append(Problem(self.path, line, message))
        return _Invalid()

    def value(self, node: yaml.Node) -> Any:
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, RecursionError) as e:
            # e.g. an unknown or wrong !!tag, or an alias that contains itself
            reason = getattr(e, "problem", None) or str(e).splitlines()[0]
            raise self.problem(node, f"cannot read this value: {reason}") from None

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.problem(node, f"{what} must be a mapping of keys to values")
        items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                self.problem(key_node, f"{what}: keys must be words, not {key!r}")
                continue
            if key in items:
                first = items[key][0].start_mark.line + 1
                self.problem(key_node, f"'{key}' appears twice in {what} (first on line {first})")
                continue
            items[key] = (key_node, value_node)
        return items

    def unknown_keys(
        self, items: Mapping[str, tuple[yaml.Node, yaml.Node]], allowed: tuple[str, ...], what: str
    ) -> None:
        for key, (key_node, _) in items.items():
            if key not in allowed:
                self.problem(key_node, f"unknown key '{key}' in {what}{_suggest(key, allowed)}")
                self.suggested.update(difflib.get_close_matches(key, allowed, n=1, cutoff=0.6))

    def text(self, node: yaml.Node, what: str, *, answer: bool = False) -> str:
        value = self.value(node)
        if not isinstance(value, str) or isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            raise self.problem(node, f"{what} must be text, not {_type_name(value)}")
        if not value.strip():
            raise self.problem(node, f"{what} is empty")
        known = PLACEHOLDERS + (RECALL_PLACEHOLDERS if answer else ())
        for name in PLACEHOLDER.findall(value):
            if name not in known:
                hint = (
                    f" ({{{name}}} only works in a recall's say)"
                    if name in RECALL_PLACEHOLDERS
                    else ""
                )
                self.problem(
                    node,
                    f"unknown placeholder {{{name}}} in {what}{hint}; known: "
                    + ", ".join("{" + k + "}" for k in known),
                )
        return value.strip()

    def number(self, node: yaml.Node, what: str) -> float:
        """Seconds, within ``SECONDS[what]``."""
        value = self.value(node)
        if isinstance(value, str) and isinstance(node, yaml.ScalarNode) and node.style is None:
            # YAML 1.1 reads an unquoted 1e3 (no dot) as text; it is plainly a number.
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.problem(node, f"{what} must be a number of seconds, not {_type_name(value)}")
        low, high = SECONDS[what]
        if not low <= value <= high:  # also false for NaN
            raise self.problem(
                node, f"{what} must be from {low:g} to {high:g} seconds, not {value:g}"
            )
        return float(value)

    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.problem(node, f"{what} must be a whole number, not {_type_name(value)}")
        if not low <= value <= high:
            raise self.problem(node, f"{what} must be between {low} and {high} ({value})")
        return value

    def flag(self, node: yaml.Node, what: str) -> bool:
        value = self.value(node)
        if not isinstance(value, bool):
            raise self.problem(node, f"{what} must be true or false, not {_type_name(value)}")
        return value

    def choice(self, node: yaml.Node, what: str, choices: tuple[T, ...]) -> T:
        value = self.value(node)
        for choice in choices:
            if value == choice:
                return choice
        raise self.problem(
            node, f"{what} must be one of {', '.join(map(str, choices))}, not {value!r}"
        )

    def texts(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode):
            return (self.text(node, what),)
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.problem(node, f"{what} must be a text or a non-empty list of texts")
        return tuple(self.text(item, what) for item in node.value)

    def get(
        self, items: Mapping[str, tuple[yaml.Node, yaml.Node]], key: str
    ) -> Optional[yaml.Node]:
        return items[key][1] if key in items else None

    def optional(
        self,
        items: Mapping[str, tuple[yaml.Node, yaml.Node]],
        key: str,
        read: Callable[[yaml.Node], Any],
        default: Any,
    ) -> Any:
        node = self.get(items, key)
        if node is None:
            return default
        try:
            return read(node)
        except _Invalid:
            return default

    # the file -------------------------------------------------------------------
    def ritual(self, root: yaml.Node, stem: str, path: Optional[Path]) -> Optional[Ritual]:
        items = self.mapping(root, "a ritual file")
        self.unknown_keys(items, TOP_KEYS, "the ritual")
        title = self.optional(items, "title", lambda n: self.text(n, "title"), None)
        if "title" not in items and "title" not in self.suggested:
            self.problem(root, "the ritual has no 'title'")
        ritual_id = self.optional(items, "id", lambda n: self.ident(n, "id"), stem)
        language = self.optional(items, "language", lambda n: self.text(n, "language"), "en-us")
        voice = self.optional(items, "voice", self.voice, VoiceSpec())
        commands = self.optional(items, "commands", self.commands, {})
        barge_in = self.optional(items, "barge_in", self.barge_in, None)
        steps_node = self.get(items, "steps")
        steps: tuple[Step, ...] = ()
        if steps_node is None:
            if "steps" not in self.suggested:
                self.problem(root, "the ritual has no 'steps'")
        elif not isinstance(steps_node, yaml.SequenceNode):
            self.problem(steps_node, "steps must be a list of steps")
        elif not steps_node.value:
            self.problem(steps_node, "the ritual has no steps")
        else:
            steps = self.steps(steps_node)
        if self.problems:
            return None
        return Ritual(
            id=ritual_id,
            title=title,
            steps=steps,
            language=language,
            voice=voice,
            commands=commands,
            barge_in=barge_in,
            path=path,
        )

    def ident(self, node: yaml.Node, what: str) -> str:
        value = self.value(node)
        if not isinstance(value, str) or not _ID.match(value):
            raise self.problem(
                node, f"{what} must be lowercase letters, digits, '-' or '_' (got {value!r})"
            )
        return value

    def voice(self, node: yaml.Node) -> VoiceSpec:
        items = self.mapping(node, "voice")
        self.unknown_keys(items, VOICE_KEYS, "voice")
        engine = self.optional(items, "engine", lambda n: self.checked(n, engine_problem), None)
        model = self.optional(items, "model", lambda n: self.checked(n, model_problem), None)
        mixed = mix_problem(engine, model)
        if mixed:
            self.problem(self.get(items, "model"), mixed)
        return voice_spec(
            engine=engine,
            name=self.optional(items, "name", lambda n: self.text(n, "voice name"), None),
            model=model.strip() if model else None,
            rate=self.optional(items, "rate", lambda n: self.checked(n, rate_problem), None),
            volume=self.optional(
                items, "volume", lambda n: float(self.checked(n, volume_problem)), None
            ),
        )

    def barge_in(self, node: yaml.Node) -> BargeIn:
        setting = parse_barge_in(self.value(node))
        if setting is None:
            raise self.problem(
                node,
                f"barge_in must be one of {', '.join(BARGE_IN_VALUES)}, not {self.value(node)!r}",
            )
        return setting

    def checked(self, node: yaml.Node, problem_of: Callable[[object], Optional[str]]) -> Any:
        """The node's value, when ``problem_of`` finds nothing wrong with it."""
        value = self.value(node)
        problem = problem_of(value)
        if problem:
            raise self.problem(node, f"{problem}, not {_type_name(value)}")
        return value

    def commands(self, node: yaml.Node) -> dict[Command, tuple[str, ...]]:
        items = self.mapping(node, "commands")
        self.unknown_keys(items, COMMAND_NAMES, "commands")
        return {
            Command(name): self.texts(value, f"the phrases for '{name}'")
            for name, (_, value) in items.items()
            if name in COMMAND_NAMES
        }

    def steps(self, node: yaml.SequenceNode) -> tuple[Step, ...]:
        steps: list[Step] = []
        seen: dict[str, int] = {}
        properties: dict[str, int] = {}
        asks = 0
        for item in node.value:
            try:
                step = self.step(item, default_id=f"q{asks + 1}")
            except _Invalid:
                continue
            listening = step.listening if isinstance(step, (Ask, Recall)) else None
            if listening is not None:
                asks += 1
                if listening.id in seen:
                    self.problem(
                        item,
                        f"duplicate id '{listening.id}' (first used on line {seen[listening.id]})",
                    )
                seen.setdefault(listening.id, item.start_mark.line + 1)
                self.unique_property(listening, item, properties)
            steps.append(step)
        return tuple(steps)

    def unique_property(
        self, listening: Listening, item: yaml.Node, properties: dict[str, int]
    ) -> None:
        """One answer per property, and none under another answer's number."""
        key = listening.property_key
        if key is None:
            return
        if key in properties:
            self.problem(item, f"property '{key}' is used twice (first on line {properties[key]})")
        properties.setdefault(key, item.start_mark.line + 1)

    def step(self, node: yaml.Node, default_id: str) -> Step:
        items = self.mapping(node, "a step")
        line = node.start_mark.line + 1
        kinds = [k for k in STEP_KINDS if k in items]
        if "recall" in kinds:
            kind = "recall"
        elif "ask" in kinds:
            kind = "ask"
        elif len(kinds) == 1:
            kind = kinds[0]
        elif not kinds:
            key = next(iter(items), "")
            key_node = items[key][0] if key else node
            raise self.problem(key_node, f"unknown step kind '{key}'{_suggest(key, STEP_KINDS)}")
        else:
            raise self.problem(node, f"a step has one kind, not {' and '.join(kinds)}")
        article = "an" if kind[0] in "aeiou" else "a"
        self.unknown_keys(items, STEP_KEYS[kind], f"{article} '{kind}' step")
        value = items[kind][1]
        if kind == "say":
            typed = self.optional(items, "typed", lambda n: self.text(n, "typed"), "")
            return Say(self.text(value, "say"), line, typed)
        if kind == "pause":
            return Pause(self.number(value, "pause"), line)
        if kind == "breathe":
            return self.breathe(value, line)
        if kind == "affirm":
            return self.affirm(value, line)
        if kind == "ask":
            text = self.text(value, "ask")
            return Ask(text, self.listening(items, default_id), line)
        return self.recall(items, value, line, default_id)

    def breathe(self, node: yaml.Node, line: int) -> Breathe:
        if isinstance(node, yaml.ScalarNode):
            return Breathe(count=self.integer(node, "breathe", 1, 20), line=line)
        items = self.mapping(node, "breathe")
        self.unknown_keys(items, ("count", "in", "hold", "out"), "breathe")
        return Breathe(
            count=self.optional(
                items, "count", lambda n: self.integer(n, "breathe count", 1, 20), 3
            ),
            breathe_in=self.optional(items, "in", lambda n: self.number(n, "breathe in"), 4.0),
            hold=self.optional(items, "hold", lambda n: self.number(n, "breathe hold"), 2.0),
            breathe_out=self.optional(items, "out", lambda n: self.number(n, "breathe out"), 6.0),
            line=line,
        )

    def affirm(self, node: yaml.Node, line: int) -> Affirm:
        if isinstance(node, yaml.MappingNode):
            items = self.mapping(node, "affirm")
            self.unknown_keys(items, ("pick", "from"), "affirm")
            source = self.get(items, "from")
            if source is None:
                raise self.problem(node, "affirm needs 'from': a list of affirmations")
            pick = self.optional(
                items, "pick", lambda n: self.choice(n, "pick", AFFIRM_PICKS), "day"
            )
            return Affirm(self.texts(source, "an affirmation"), pick, line)
        return Affirm(self.texts(node, "an affirmation"), "day", line)

    def listening(
        self, items: Mapping[str, tuple[yaml.Node, yaml.Node]], default_id: str
    ) -> Listening:
        silence = self.optional(
            items, "silence", lambda n: self.number(n, "silence"), DEFAULT_SILENCE
        )
        max_seconds = self.optional(
            items,
            "max_seconds",
            lambda n: self.number(n, "max_seconds"),
            DEFAULT_MAX_SECONDS,
        )
        if silence > max_seconds and "silence" in items:
            self.problem(
                items["silence"][1],
                f"silence ({silence:g} s) is longer than max_seconds ({max_seconds:g} s)",
            )
        answer_id = self.optional(items, "id", lambda n: self.ident(n, "id"), default_id)
        scale = self.optional(items, "scale", self.scale, None)
        if scale is not None and answer_id in FRONT_KEYS:
            self.problem(
                items["id"][1] if "id" in items else items["scale"][1],
                f"the number of a scale is kept in the entry's front matter under its id, "
                f"and '{answer_id}' is taken there; choose another id (e.g. 'mood')",
            )
        return Listening(
            id=answer_id,
            silence=silence,
            max_seconds=max_seconds,
            reframe=self.optional(items, "reframe", lambda n: self.flag(n, "reframe"), False),
            confirm=self.optional(items, "confirm", lambda n: self.flag(n, "confirm"), False),
            scale=scale,
            property_key=self.optional(items, "property", self.property_key, None),
        )

    def property_key(self, node: yaml.Node) -> str:
        """A front-matter key for the answer's words: a name of our own is taken."""
        key = self.ident(node, "property")
        if key in FRONT_KEYS:
            raise self.problem(
                node,
                f"property '{key}' is a key every entry has; choose another (e.g. 'goal_{key}')",
            )
        return key

    def scale(self, node: yaml.Node) -> Scale:
        """``scale: [1, 5]``: the lowest and the highest number an answer may give."""
        low, high = SCALE_LIMITS
        usage = f"scale is two whole numbers from {low} to {high}, lowest first, like [1, 5]"
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != 2:
            raise self.problem(node, usage)
        first, last = (self.integer(n, "a scale's end", low, high) for n in node.value)
        if first >= last:
            raise self.problem(node, f"{usage}, not [{first}, {last}]")
        return Scale(first, last)

    def recall(
        self,
        items: Mapping[str, tuple[yaml.Node, yaml.Node]],
        node: yaml.Node,
        line: int,
        default_id: str,
    ) -> Recall:
        ref = self.mapping(node, "recall")
        self.unknown_keys(ref, ("ritual", "id", "when", "pick"), "recall")
        for key in ("ritual", "id"):
            if key not in ref:
                self.problem(node, f"recall needs '{key}'")
        if "say" not in items:
            self.problem(node, "a recall step needs 'say' (what to say with the {answer})")
        ritual = self.optional(ref, "ritual", lambda n: self.ident(n, "recall ritual"), "")
        ids: tuple[str, ...] = self.optional(ref, "id", self.recall_ids, ())
        pick = self.optional(ref, "pick", lambda n: self.choice(n, "pick", RECALL_PICKS), "day")
        if "pick" in ref and len(ids) == 1:
            self.problem(
                ref["pick"][0], "pick chooses among several ids; give 'id' a list, like [a, b]"
            )
        when = self.optional(ref, "when", self.recall_when, ("latest",))
        text = self.optional(items, "say", lambda n: self.text(n, "say", answer=True), "")
        otherwise = self.optional(items, "otherwise", lambda n: self.text(n, "otherwise"), None)
        listening = (
            self.listening(items, default_id) if any(k in items for k in LISTEN_KEYS) else None
        )
        if not (ritual and ids and text):
            raise _Invalid()
        return Recall(ritual, ids, when, text, otherwise, listening, line, pick)

    def recall_ids(self, node: yaml.Node) -> tuple[str, ...]:
        """One answer's id, or a list of them for ``pick`` to choose from."""
        if not isinstance(node, yaml.SequenceNode):
            return (self.ident(node, "recall id"),)
        if not node.value:
            raise self.problem(node, "recall id must name at least one answer")
        ids: list[str] = []
        for item in node.value:
            answer_id = self.ident(item, "recall id")
            if answer_id in ids:
                raise self.problem(item, f"'{answer_id}' appears twice in the recall's ids")
            ids.append(answer_id)
        return tuple(ids)

    def recall_when(self, node: yaml.Node) -> tuple[RecallWhen, ...]:
        """One day to look at, or a list to try in turn (``[a year ago, a month ago]``)."""
        if isinstance(node, yaml.SequenceNode):
            if not node.value:
                raise self.problem(node, "when must name at least one day")
            return tuple(self.choice(n, "when", RECALL_WHEN) for n in node.value)
        return (self.choice(node, "when", RECALL_WHEN),)


def _type_name(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{value!r}"


def yaml_problem(path: str, e: yaml.MarkedYAMLError) -> Problem:
    """A YAML syntax error at the line a person would look at.

    An unclosed quote is reported by PyYAML at the end of the file; the line where
    the quote opens (its "context") is the one to fix.
    """
    mark = e.problem_mark
    if e.context_mark is not None and "quoted scalar" in (e.context or ""):
        mark = e.context_mark
    problem = e.problem or "syntax error"
    if e.context:
        problem += f" {e.context}"
    return Problem(path, mark.line + 1 if mark else 0, f"not valid YAML: {problem}")


def parse_ritual(text: str, *, path: str = "<ritual>", stem: Optional[str] = None) -> Ritual:
    """Parse and validate a ritual; raise RitualFileError listing every problem."""
    parser = _Parser(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        raise RitualFileError([yaml_problem(path, e)]) from None
    except yaml.YAMLError as e:
        raise RitualFileError([Problem(path, 0, f"not valid YAML: {e}")]) from None
    if root is None:
        raise RitualFileError(
            [Problem(path, 1, "the file is empty; a ritual needs a title and steps")]
        )
    name = stem if stem is not None else Path(path).stem
    try:
        ritual = parser.ritual(root, name, Path(path) if path != "<ritual>" else None)
    except _Invalid:
        ritual = None
    if parser.problems or ritual is None:
        raise RitualFileError(sorted(parser.problems, key=lambda p: p.line))
    return ritual


def load_ritual(path: Path) -> Ritual:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RitualFileError([Problem(str(path), 0, "no such file")]) from None
    except UnicodeDecodeError:
        raise RitualFileError([Problem(str(path), 0, "not a text file (UTF-8 expected)")]) from None
    except OSError as e:
        raise RitualFileError([Problem(str(path), 0, f"cannot read it ({e.strerror})")]) from None
    return parse_ritual(text, path=str(path), stem=path.stem)
