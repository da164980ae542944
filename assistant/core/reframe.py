"""Reframes: when an answer sounds self-critical or worried, a gentle follow-up.

Rules live in ``rituals/reframes.yaml``, per language: trigger phrases (matched
on whole words, case-insensitively, apostrophes optional, because transcripts
come without punctuation) and optional regular expressions.

Python's regular expressions backtrack, so a pattern like ``^(a+)+$`` can take
longer than the universe on a long answer. Matching is bounded three ways: a
pattern that repeats a repeated group, or that uses a backreference, is refused
when the file is read (so ``ritual check`` reports it); only the first
``MAX_MATCHED_CHARS`` of an answer are matched; and all rules together get
``MATCH_SECONDS`` (a timer signal, where there is one), after which the answer
simply gets no follow-up.
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Callable, Optional

import yaml

from assistant.core.errors import Problem, RitualFileError
from assistant.core.language import for_language, normalize_language
from assistant.core.ritual_file import yaml_problem
from assistant.core.safe_pattern import pattern_problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReframeRule:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    follow_up: str


@dataclass(frozen=True)
class Reframes:
    rules: Mapping[str, tuple[ReframeRule, ...]]
    """language (e.g. en, ko) -> rules, first match wins"""

    def rules_for(self, language: str) -> tuple[ReframeRule, ...]:
        return for_language(self.rules, language) or ()

    def match(self, answer: str, language: str) -> Optional[ReframeRule]:
        """The first rule whose trigger or pattern occurs in ``answer`` (None when
        none does, or matching took longer than ``MATCH_SECONDS``)."""
        said = " ".join(answer[:MAX_MATCHED_CHARS].lower().replace("’", "'").split())
        try:
            with _time_limit(MATCH_SECONDS):
                for rule in self.rules_for(language):
                    if any(p.search(said) for p in rule.patterns):
                        return rule
        except _TooSlow:
            log.warning("the reframe patterns took too long on this answer; no follow-up")
        return None


MAX_MATCHED_CHARS = 2000
"""about two minutes of speech; the start of a longer typed answer is what is matched"""
MATCH_SECONDS = 0.5


class _TooSlow(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise _TooSlow in the main thread after ``seconds`` (Python checks signals
    while a regular expression runs); elsewhere, no limit."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: Optional[FrameType]) -> None:
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


NO_REFRAMES = Reframes({})


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A trigger phrase as a whole-word pattern; "i'm" also matches "im" and "i am"."""
    words = []
    for word in phrase.lower().replace("’", "'").split():
        if word in ("i'm", "im"):
            words.append(r"(?:i'?m|i am)")
        else:
            words.append(re.escape(word).replace("'", "'?"))
    # \b fails next to non-word characters such as Korean particles, so words are
    # bounded by "not a letter" on either side instead.
    return re.compile(r"(?<!\w)" + r"[\s,.!?]+".join(words) + r"(?!\w)")


def parse_reframes(text: str, path: str = "reframes.yaml") -> Reframes:
    def problem(node: Optional[yaml.Node], message: str) -> RitualFileError:
        line = node.start_mark.line + 1 if node is not None else 0
        return RitualFileError([Problem(path, line, message)])

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        raise RitualFileError([yaml_problem(path, e)]) from None
    except yaml.YAMLError as e:
        raise problem(None, f"not valid YAML: {e}") from None
    if not isinstance(root, yaml.MappingNode):
        raise problem(root, "reframes must map a language to a list of rules")
    rules: dict[str, tuple[ReframeRule, ...]] = {}
    for lang_node, list_node in root.value:
        if not isinstance(lang_node, yaml.ScalarNode) or not str(lang_node.value).strip():
            raise problem(lang_node, "each language is a code such as en or ko")
        if not isinstance(list_node, yaml.SequenceNode):
            raise problem(list_node, f"the rules for '{lang_node.value}' must be a list")
        rules[normalize_language(str(lang_node.value))] = tuple(
            _rule(rule_node, problem) for rule_node in list_node.value
        )
    return Reframes(rules)


def _rule(node: yaml.Node, problem: Callable[[yaml.Node, str], RitualFileError]) -> ReframeRule:
    try:
        data = yaml.safe_load(yaml.serialize(node))
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
        raise problem(node, "cannot read this reframe rule") from None
    if not isinstance(data, dict):
        raise problem(node, "a reframe rule is a mapping")
    unknown = set(data) - {"name", "triggers", "patterns", "follow_up"}
    if unknown:
        raise problem(node, f"unknown key '{sorted(map(str, unknown))[0]}' in a reframe rule")
    follow_up = data.get("follow_up")
    if not isinstance(follow_up, str) or not follow_up.strip():
        raise problem(node, "a reframe rule needs a 'follow_up' text")
    triggers = data.get("triggers") or []
    expressions = data.get("patterns") or []
    if not isinstance(triggers, list) or not isinstance(expressions, list):
        raise problem(node, "triggers and patterns are lists")
    if not all(isinstance(t, (str, int, float)) for t in [*triggers, *expressions]):
        raise problem(node, "triggers and patterns are lists of texts")
    if not triggers and not expressions:
        raise problem(node, "a reframe rule needs triggers or patterns")
    patterns = [phrase_pattern(str(t)) for t in triggers]
    for expression in map(str, expressions):
        risk = pattern_problem(expression)
        if risk:
            raise problem(
                node, f"pattern {expression!r} could take for ever on a long answer: {risk}"
            )
        try:
            patterns.append(re.compile(expression, re.IGNORECASE))
        except (re.error, RecursionError, OverflowError) as e:
            raise problem(node, f"bad pattern {expression!r}: {e}") from None
    name = data.get("name", "reframe")
    return ReframeRule(str(name), tuple(patterns), follow_up.strip())


def load_reframes(paths: Sequence[Path]) -> Reframes:
    """The first of ``paths`` that is a file (the user's, then the bundled one)."""
    for path in paths:
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                problem = Problem(str(path), 0, "not a text file (UTF-8 expected)")
                raise RitualFileError([problem]) from None
            except OSError as e:
                problem = Problem(str(path), 0, f"cannot read it ({e.strerror})")
                raise RitualFileError([problem]) from None
            return parse_reframes(text, str(path))
    return NO_REFRAMES
