"""Summaries of repeated measurements: median and range, never a lone number."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Union

Summary = dict[str, Union[float, int]]


def summary(values: Sequence[float], digits: int = 1) -> Summary:
    """``{"median", "min", "max", "runs"}`` of ``values`` (at least one)."""
    if not values:
        raise ValueError("no measurements to summarise")
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
    }
