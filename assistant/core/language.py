"""Language codes: the one fallback rule from a specific code to a general one.

``en-US`` is looked up as ``en-us``, then ``en``; tables keyed by language
(command words, phrases, reframe rules, models) all use this order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional, TypeVar

T = TypeVar("T")


def normalize_language(language: str) -> str:
    return language.strip().lower().replace("_", "-")


def language_candidates(language: str) -> list[str]:
    """Codes to try, most specific first: ``de-DE`` -> ``[de-de, de]``."""
    code = normalize_language(language)
    primary = code.split("-")[0]
    return [code] if primary == code else [code, primary]


def for_language(table: Mapping[str, T], language: str) -> Optional[T]:
    """The entry of ``table`` for ``language`` or its primary language; None if neither."""
    for code in language_candidates(language):
        if code in table:
            return table[code]
    return None
