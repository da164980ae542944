"""The voice spec: engine and model in ritual files and the config, and how they merge."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.errors import ConfigError
from assistant.core.ritual_file import parse_ritual
from assistant.core.voice_spec import Engine, VoiceSpec
from assistant.settings import load_settings
from tests.cli import isolated_env, run_cli


def voice_of(spec: str) -> VoiceSpec:
    return parse_ritual(f"title: T\nvoice: {spec}\nsteps:\n  - say: Hi.\n", path="t.yaml").voice


def test_a_ritual_picks_piper_and_its_voice() -> None:
    assert voice_of("{engine: piper, model: en_US-joe-medium, rate: 150, volume: 0.7}") == (
        VoiceSpec(Engine.PIPER, model="en_US-joe-medium", rate=150, volume=0.7)
    )
    # a model alone can only mean Piper
    assert voice_of("{model: ./voices/mine.onnx}").engine is Engine.PIPER
    assert voice_of("{name: en-gb}").engine is None
    assert voice_of("{engine: espeak}").engine is Engine.ESPEAK


def test_the_config_wins_where_it_says_something() -> None:
    ritual = VoiceSpec(name="en-us", rate=150, volume=0.8)
    config = VoiceSpec(engine=Engine.PIPER, volume=0.5)
    merged = config.under(ritual)
    assert merged == VoiceSpec(Engine.PIPER, name="en-us", rate=150, volume=0.5)
    assert merged.wants_piper
    assert not VoiceSpec().under(ritual).wants_piper


def test_the_config_takes_engine_and_model(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("voice: {engine: piper, model: en_US-joe-medium, rate: 170}\n")
    voice = load_settings({"RITUAL_CONFIG": str(config), "HOME": str(tmp_path)}).voice
    assert voice == VoiceSpec(Engine.PIPER, model="en_US-joe-medium", rate=170)


@pytest.mark.parametrize(
    ("voice", "message"),
    [
        ("{engine: espeek}", "voice engine is one of: espeak, piper"),
        ("{engine: espeak, model: x}", "a voice model is for engine: piper"),
        ("{model: ''}", "voice model is a Piper voice's name"),
        ("{engine: piper, speed: 2}", "voice takes engine, name, model, rate, volume"),
    ],
)
def test_a_bad_voice_in_the_config_is_named(tmp_path: Path, voice: str, message: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"voice: {voice}\n")
    with pytest.raises(ConfigError, match=message):
        load_settings({"RITUAL_CONFIG": str(config), "HOME": str(tmp_path)})
    result = run_cli("prepare", env=isolated_env(tmp_path, RITUAL_CONFIG=str(config)))
    assert result.status == 1
    assert f"{config}:1: {message}" in result.stderr
