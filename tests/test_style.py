"""The code passes its own lint and format settings (pyproject.toml). The type check
(`make typecheck`, mypy --strict, about 30 s) runs in CI beside the suite."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.cli import ROOT


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[test]')")
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_lint() -> None:
    result = run_tool("ruff", "check", "assistant", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run_tool("ruff", "format", "--check", "assistant", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr
