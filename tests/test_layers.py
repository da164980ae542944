"""The house rules, checked: what each layer may import, and a self-contained repository.

docs/architecture.md describes the layers; these tests fail when code crosses them.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import ROOT

PACKAGE = ROOT / "assistant"
ENGINES = ("vosk", "sounddevice", "pyttsx3", "faster_whisper", "ctranslate2")
"""imported inside the adapter's functions: each loads a library or a device scan"""
HEAVY = (*ENGINES, "soxr", "numpy")
"""what text mode must never load"""
ADAPTER_PACKAGES = ("assistant.audio", "assistant.speech")


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports(path: Path, *, top_level_only: bool = False) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports, with its line; relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}:{node.lineno}: use absolute imports")
            yield node.module or "", node.lineno


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_core_imports_only_the_standard_library_yaml_and_itself() -> None:
    stdlib = getattr(sys, "stdlib_module_names", None)
    if stdlib is None:
        pytest.skip("sys.stdlib_module_names needs Python 3.10 or newer")
    crossings = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for module, path in modules()
        if _within(module, "assistant.core")
        for name, line in imports(path)
        if not (
            name.split(".")[0] in stdlib or name.split(".")[0] == "yaml"
            or _within(name, "assistant.core")
        )
    ]  # fmt: skip
    assert crossings == []


def test_only_the_engines_module_reaches_the_adapters() -> None:
    """Commands, the wiring and the rest go through the ``assistant.engines`` package."""
    crossings = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for module, path in modules()
        if not _within(module, "assistant.engines")
        and not any(_within(module, p) for p in ADAPTER_PACKAGES)
        for name, line in imports(path)
        if any(_within(name, p) for p in ADAPTER_PACKAGES)
    ]
    assert crossings == []


def test_engines_are_imported_lazily() -> None:
    """``ritual --help``, ``check`` and text mode load no engine, so none is imported
    at the top of a module."""
    eager = [
        f"{path.relative_to(ROOT)}:{line}: imports {name} at module level"
        for _, path in modules()
        for name, line in imports(path, top_level_only=True)
        if name.split(".")[0] in ENGINES
    ]
    assert eager == []


def test_text_mode_loads_no_engine() -> None:
    """The same rule, as the interpreter sees it: a typed ritual imports no engine."""
    code = (
        "import sys\n"
        "from assistant.cli import build_parser\n"
        "import assistant.app, assistant.commands\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_repository_documents_itself() -> None:
    """No file in the repository points at notes kept outside it."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed here: no list of the repository's files")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    # Spelt in pieces, so that this file does not find itself.
    outside = (".." + "/shared", "DESIGN" + ".md", "FACTS" + ".md")
    found = []
    for name in tracked.stdout.splitlines():
        path = ROOT / name
        if not path.is_file() or path.suffix in (".wav", ".png", ".zip"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{name}: {word}" for word in outside if word in text]
    assert found == []


def _calls(path: Path) -> Iterator[tuple[str, int]]:
    """Every ``module.function(...)`` call in ``path`` (``os.replace``, ``tempfile.mkstemp``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ):
            yield f"{node.func.value.id}.{node.func.attr}", node.lineno


RENAMES_AND_MODES = ("os.replace", "os.rename", "tempfile.mkstemp", "os.chmod", "os.fchmod")
"""how a file is put in place or made private: only through ``assistant.safe_files``"""


def test_files_are_put_in_place_and_made_private_only_by_the_safe_files_module() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {call}"
        for module, path in modules()
        if module != "assistant.safe_files"
        for call, line in _calls(path)
        if call in RENAMES_AND_MODES
    ]
    assert found == []


CRYPT_USERS = ("assistant.journal", "assistant.commands.key_cmd", "assistant.settings")
"""the journal package (encryption is a layer of it); making a key; checking the config"""


def test_only_the_journal_package_opens_the_crypt_module() -> None:
    crossings = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for module, path in modules()
        if not any(_within(module, user) for user in CRYPT_USERS)
        for name, line in imports(path)
        if _within(name, "assistant.journal.crypt")
    ]
    assert crossings == []


def test_the_journal_package_reaches_no_engine_or_command() -> None:
    """The journal on disk is below the wiring: it knows no adapter, engine or command."""
    above = ("assistant.engines", "assistant.commands", "assistant.app", "assistant.cli",
             "assistant.audio", "assistant.speech")  # fmt: skip
    crossings = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for module, path in modules()
        if _within(module, "assistant.journal") or module == "assistant.safe_files"
        for name, line in imports(path)
        if any(_within(name, p) for p in above)
    ]
    assert crossings == []
