"""A model installed from a local zip (the offline Pi's way) is the one a voice
ritual then finds and uses, with no --model given."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli import isolated_env, run_cli
from tests.engine.test_models_install import zip_model
from tests.engine.test_voice_ritual import run_ritual
from tests.support.sounds import answer_wav
from tests.support.virtual_audio import VirtualAudio

pytestmark = pytest.mark.engine
NAME = "vosk-model-small-ko-0.22"


@pytest.mark.slow
def test_a_model_installed_from_a_zip_runs_a_voice_ritual(
    virtual_audio: VirtualAudio, ko_model: Path, tmp_path: Path
) -> None:
    archive = zip_model(tmp_path / f"{NAME}.zip", ko_model, top=NAME)
    models = tmp_path / "models"
    env = isolated_env(tmp_path, RITUAL_MODELS_DIR=str(models))
    installed = run_cli("models", "install", str(archive), env=env)
    assert installed.status == 0, installed.stderr
    assert (models / NAME / "am").is_dir()
    assert run_cli("models", "path", "ko", env=env).stdout.strip() == str(models / NAME)

    feeling, _ = answer_wav(tmp_path / "feeling.wav", "오늘은 정말 좋은 하루였어요", tail=2.5)
    stop, _ = answer_wav(tmp_path / "stop.wav", "중지", tail=3.0)
    done, events = run_ritual(
        virtual_audio,
        tmp_path,
        None,
        {"feeling": feeling, "need": stop},
        env_extra={"RITUAL_MODELS_DIR": str(models), "XDG_DATA_HOME": str(tmp_path / "data")},
    )
    assert done.returncode == 0, done.stderr
    assert events[-1]["event"] == "done" and events[-1]["status"] == "stopped"
    text = Path(events[-1]["path"]).read_text(encoding="utf-8")
    assert re.search(rf"^model: {NAME}$", text, re.M), text
    heard = [e["text"] for e in events if e["event"] == "heard"]
    assert heard and heard[0] in text
