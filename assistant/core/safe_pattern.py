"""Which regular expressions a reframe rule may use: none that backtracks for ever.

Python's ``re`` backtracks, and a repeated group that itself repeats (``(a+)+``)
needs time exponential in the length of the text when a match fails near its end.
Reframe patterns are written by users and run on every answer, so those are
refused when the rules are read, and ``ritual check`` names them.
"""

from __future__ import annotations

import re
from typing import Optional


def pattern_problem(pattern: str) -> Optional[str]:
    """Why ``pattern`` could backtrack for ever, or None.

    Refused: a repeated group that itself holds a repetition (``(a+)+``,
    ``(\\w+\\s?)*``) and backreferences. A light scan, not a full parser: classes
    and escapes are skipped, and ``?`` or ``{0,1}`` do not count as repeating.
    """
    repeats = [False]
    """per open group: does something inside it repeat?"""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if pattern[i + 1 : i + 2].isdigit() and pattern[i + 1] != "0":
                return "a backreference (\\1) is not supported"
            i += 2
        elif c == "[":
            i = _class_end(pattern, i)
        elif c == "(":
            if pattern.startswith("(?P=", i):
                return "a backreference ((?P=name)) is not supported"
            i += 1
            if pattern.startswith("?", i):  # (?:, (?P<name>, (?=, (?<!, (?i) ...
                while i < len(pattern) and pattern[i] not in ":=!>)":
                    i += 1
                if pattern[i : i + 1] == ")":  # flags only, not a group
                    i += 1
                    continue
                i += 1
            repeats.append(False)
        elif c == ")" and len(repeats) > 1:
            inner = repeats.pop()
            repeat, i = _quantifier(pattern, i + 1)
            if repeat and inner:
                return "it repeats a group that itself repeats, like (a+)+"
            repeats[-1] = repeats[-1] or repeat or inner
        else:
            repeat, after = _quantifier(pattern, i)
            repeats[-1] = repeats[-1] or repeat
            i = after if after > i else i + 1
    return None


def _class_end(pattern: str, i: int) -> int:
    """Just past the character class that opens at ``i``."""
    j = i + 1
    if pattern[j : j + 1] == "^":
        j += 1
    if pattern[j : j + 1] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _quantifier(pattern: str, i: int) -> tuple[bool, int]:
    """Whether a quantifier at ``i`` repeats (more than once), and where it ends."""
    c = pattern[i : i + 1]
    if c in ("*", "+"):
        repeat, end = True, i + 1
    elif c == "?":
        repeat, end = False, i + 1
    else:
        braces = _BRACES.match(pattern, i)
        if not braces:
            return False, i
        low, comma, high = braces.groups()
        # {2,} and {1,3} repeat a varying number of times; {3} and {0,1} do not
        repeat = bool(comma) and (not high or int(high) > max(int(low or 0), 1))
        end = braces.end()
    if pattern[end : end + 1] in ("?", "+"):  # lazy or possessive
        end += 1
    return repeat, end
