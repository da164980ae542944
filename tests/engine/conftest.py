from __future__ import annotations

from pathlib import Path

import pytest

from tests.kmodel import ko_model_copy


@pytest.fixture(scope="session")
def ko_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deterministic (dither off) copy of the real Korean Vosk model."""
    return ko_model_copy(tmp_path_factory.mktemp("models"))
