"""Reframes: when an answer sounds self-critical or worried, a gentle follow-up.

Rules live in ``rituals/reframes.yaml``, per language: trigger phrases (matched
on whole words, case-insensitively, apostrophes optional, because transcripts
come without punctuation) and optional regular expressions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

from assistant.core.errors import Problem, RitualFileError
from assistant.core.language import for_language, normalize_language
from assistant.core.ritual_file import yaml_problem


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
        """The first rule whose trigger or pattern occurs in ``answer``."""
        said = " ".join(answer.lower().replace("’", "'").split())
        for rule in self.rules_for(language):
            if any(p.search(said) for p in rule.patterns):
                return rule
        return None


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
    if not isinstance(root, yaml.MappingNode):
        raise problem(root, "reframes must map a language to a list of rules")
    rules: dict[str, tuple[ReframeRule, ...]] = {}
    for lang_node, list_node in root.value:
        if not isinstance(list_node, yaml.SequenceNode):
            raise problem(list_node, f"the rules for '{lang_node.value}' must be a list")
        parsed = []
        for rule_node in list_node.value:
            data = yaml.safe_load(yaml.serialize(rule_node))
            if not isinstance(data, dict):
                raise problem(rule_node, "a reframe rule is a mapping")
            unknown = set(data) - {"name", "triggers", "patterns", "follow_up"}
            if unknown:
                raise problem(rule_node, f"unknown key '{sorted(unknown)[0]}' in a reframe rule")
            follow_up = data.get("follow_up")
            if not isinstance(follow_up, str) or not follow_up.strip():
                raise problem(rule_node, "a reframe rule needs a 'follow_up' text")
            triggers = data.get("triggers") or []
            expressions = data.get("patterns") or []
            if not isinstance(triggers, list) or not isinstance(expressions, list):
                raise problem(rule_node, "triggers and patterns are lists")
            if not triggers and not expressions:
                raise problem(rule_node, "a reframe rule needs triggers or patterns")
            patterns = [phrase_pattern(str(t)) for t in triggers]
            for expression in expressions:
                try:
                    patterns.append(re.compile(str(expression), re.IGNORECASE))
                except re.error as e:
                    raise problem(rule_node, f"bad pattern {expression!r}: {e}") from None
            parsed.append(
                ReframeRule(str(data.get("name", "reframe")), tuple(patterns), follow_up.strip())
            )
        rules[normalize_language(str(lang_node.value))] = tuple(parsed)
    return Reframes(rules)


def load_reframes(paths: Sequence[Path]) -> Reframes:
    """The first of ``paths`` that exists (the user's file, then the bundled one)."""
    for path in paths:
        if path.is_file():
            return parse_reframes(path.read_text(encoding="utf-8"), str(path))
    return NO_REFRAMES
