"""Piper voices on disk and on the voice host's list (no Piper, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.errors import ModelError
from assistant.modelstore.voice_install import choose_voice, parse_voice_list
from assistant.modelstore.voices import find_voice, read_voice, speaks, voice_install_hint
from assistant.settings import Settings

MD5 = "0123456789abcdef0123456789abcdef"


def listed(key: str, code: str, *, md5: str = MD5, extra: str = "") -> dict[str, object]:
    folder = f"{code.split('_')[0]}/{code}/{key.split('-')[1]}/medium"
    return {
        "key": key,
        "language": {"code": code},
        "quality": "medium",
        "aliases": [key.lower()],
        "files": {
            f"{folder}/{key}.onnx": {"size_bytes": 63_000_000, "md5_digest": md5},
            f"{folder}/{key}.onnx.json": {"size_bytes": 5_000, "md5_digest": MD5},
            f"{folder}/MODEL_CARD": {"size_bytes": 300, "md5_digest": MD5},
            f"{folder}/{extra or 'other.txt'}": {"size_bytes": 1, "md5_digest": MD5},
        },
    }


def test_the_voice_list_keeps_only_voices_whose_files_can_be_checked() -> None:
    voices = parse_voice_list(
        {
            "de_DE-thorsten-medium": listed("de_DE-thorsten-medium", "de_DE"),
            "en_US-joe-medium": listed("en_US-joe-medium", "en_US"),
            "en_US-nomd5-medium": listed("en_US-nomd5-medium", "en_US", md5=""),
            "../evil": listed("en_US-x-medium", "en_US"),
        }
    )
    assert [v.name for v in voices] == ["de_DE-thorsten-medium", "en_US-joe-medium"]
    joe = voices[1]
    assert joe.language == "en-us" and joe.size == 63_005_300
    # only the voice's own files (and its card) are fetched
    assert [f.name for f in joe.files] == [
        "MODEL_CARD",
        "en_US-joe-medium.onnx",
        "en_US-joe-medium.onnx.json",
    ]


def test_a_voice_is_chosen_by_name_alias_or_language() -> None:
    voices = parse_voice_list(
        {k: listed(k, k.split("-")[0]) for k in ("de_DE-thorsten-medium", "de_DE-kerstin-medium")}
        | {"en_US-joe-medium": listed("en_US-joe-medium", "en_US")}
    )
    assert choose_voice(voices, "de_DE-kerstin-medium").name == "de_DE-kerstin-medium"
    assert choose_voice(voices, "en_us-joe-medium").name == "en_US-joe-medium"  # an alias
    assert choose_voice(voices, "en-us").name == "en_US-joe-medium"  # the language's default
    with pytest.raises(ModelError, match="several voices for de; install one by name"):
        choose_voice(voices, "de")
    with pytest.raises(ModelError, match="no voice named fr"):
        choose_voice(voices, "fr")


def test_languages_match_from_the_general_to_the_regional() -> None:
    assert speaks("de-de", "de") and speaks("en-us", "en-US")
    assert not speaks("en-gb", "en-us") and not speaks(None, "en")


def test_the_offline_hint_names_both_files_on_the_host() -> None:
    hint = voice_install_hint("en_GB-alba-medium", "http://mirror/voices")
    assert "http://mirror/voices/en/en_GB/alba/medium/en_GB-alba-medium.onnx and " in hint
    assert "ritual voices install en_GB-alba-medium.onnx" in hint


def voice_files(folder: Path, name: str, config: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.onnx"
    model.write_bytes(b"onnx")
    (folder / f"{name}.onnx.json").write_text(json.dumps(config))
    return model


def settings_in(tmp_path: Path) -> Settings:
    """Settings whose every folder is in ``tmp_path`` (voices in ``voices``)."""
    return Settings(
        journal_dir=tmp_path / "j",
        rituals_dir=tmp_path / "r",
        models_dir=tmp_path / "models",
        cache_dir=tmp_path / "cache",
        voices_dir=tmp_path / "voices",
    )


def test_voices_are_found_by_name_path_or_language(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    config = {"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-gb"}}
    installed = voice_files(tmp_path / "voices" / "en_GB-test-medium", "en_GB-test-medium", config)
    loose = voice_files(tmp_path / "usb", "mine", {"audio": {"sample_rate": 16000}})
    assert find_voice(settings, "en_GB-test-medium", "ko").model == installed
    assert find_voice(settings, str(loose), "ko").sample_rate == 16000
    assert find_voice(settings, str(tmp_path / "usb"), "ko").model == loose  # a folder of one
    assert find_voice(settings, None, "en-gb").name == "en_GB-test-medium"
    assert find_voice(settings, None, "en").name == "en_GB-test-medium"
    with pytest.raises(ModelError, match="no Piper voice for ko is installed"):
        find_voice(settings, None, "ko")
    (tmp_path / "usb" / "mine.onnx.json").write_text("{not json")
    with pytest.raises(ModelError, match="cannot read the Piper voice settings"):
        read_voice(loose, "file")


def test_a_voice_file_that_cannot_load_is_not_installed(tmp_path: Path) -> None:
    from assistant.modelstore.voice_install import install_voice_file, onnx_problem

    settings = settings_in(tmp_path)
    model = voice_files(tmp_path / "usb", "en_GB-odd-medium", {"audio": {"sample_rate": 22050}})
    for junk in (b"onnx", b"<html>Not Found</html>", b"\x08\x07\x3a\xff\xff\xff\x0f\x00"):
        model.write_bytes(junk)
        assert onnx_problem(model) is not None
        with pytest.raises(ModelError, match="cannot be loaded"):
            install_voice_file(settings, model)
        assert not (tmp_path / "voices" / "en_GB-odd-medium").exists()
    # the smallest whole ONNX message: a version and an (empty) graph
    model.write_bytes(b"\x08\x07\x3a\x00")
    assert onnx_problem(model) is None
