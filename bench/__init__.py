"""Benchmarks of ritual on its real engines: ``python -m bench`` (``make bench``).

Every figure is measured against a baseline taken in the same run and reported
as median [min–max] over several runs, so it holds on a noisy shared machine.
See bench/README.md for what each figure means and how it is measured.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""the checkout: the ritual subprocesses run from here"""
RATE = 16000
"""Hertz: the virtual devices, the recordings and the recogniser all run at it"""
