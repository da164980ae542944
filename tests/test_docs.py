"""The documentation holds together: links lead somewhere, the command table is whole.

The README is a front page and the guides live in docs/; moving a guide, renaming a
heading or adding a sub-command must not leave a reader at a dead end.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import build_parser
from tests.cli import ROOT

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
"""an inline Markdown link's target (images, ``![...]``, are not pages to read)"""
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`]+)`")


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench/README.md"]


def prose(path: Path) -> str:
    """The text of a document without its code blocks, where brackets are not links."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces
    to hyphens."""
    text = heading.strip().lower()
    kept = "".join(
        c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN"
    )  # fmt: skip
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {
        slug(line.lstrip("#"))
        for line in prose(path).splitlines()
        if re.match(r"^#{1,6} ", line)
    }  # fmt: skip


def relative_links(path: Path) -> Iterator[tuple[str, Path, str]]:
    """Every link that leads inside the repository: (as written, file, anchor)."""
    for target in LINK.findall(prose(path)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        yield target, (path.parent / file_part if file_part else path), anchor


def test_the_slug_matches_githubs() -> None:
    assert slug(" Hands-free: `ritual listen`") == "hands-free-ritual-listen"
    assert slug("What `./setup` installs") == "what-setup-installs"
    assert slug("Privacy: encryption, deleting, retention") == (
        "privacy-encryption-deleting-retention"
    )


def test_every_relative_link_leads_to_a_file_and_heading() -> None:
    broken = []
    for doc in documents():
        for target, file, anchor in relative_links(doc):
            where = f"{doc.relative_to(ROOT)}: ({target})"
            if not file.exists():
                broken.append(f"{where}: no such file")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                broken.append(f"{where}: no heading #{anchor}")
    assert broken == []


def test_the_guides_are_reachable_from_the_readme() -> None:
    """A guide nobody links to is a guide nobody reads."""
    linked = {
        file.resolve()
        for doc in documents()
        for _, file, _ in relative_links(doc)
    }  # fmt: skip
    orphans = [
        str(guide.relative_to(ROOT))
        for guide in sorted((ROOT / "docs").glob("*.md"))
        if guide.resolve() not in linked
    ]
    assert orphans == []


def sub_commands(parser: argparse.ArgumentParser) -> dict[str, set[str]]:
    """Each command of ``ritual --help`` with its actions (``journal``: list, show …)."""

    def choices(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}

    return {name: set(choices(sub)) for name, sub in choices(parser).items()}


def command_table(readme: str) -> list[str]:
    """The first cells of the table under the README's "Commands" heading."""
    section = re.search(r"^## Commands\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    if section is None:
        pytest.fail("README.md has no '## Commands' section")
    return [
        line.split(" | ")[0]
        for line in section.group(1).splitlines()
        if line.startswith("| `ritual ")
    ]


def named_in(cells: list[str]) -> dict[str, set[str]]:
    """What the table names: ``ritual models list\\|install`` gives models: list, install."""
    named: dict[str, set[str]] = {}
    for cell in cells:
        for span in CODE_SPAN.findall(cell):
            words = span.split()
            if len(words) < 2 or words[0] != "ritual":
                continue
            actions = re.split(r"\\?\|", words[2]) if len(words) > 2 else []
            named.setdefault(words[1], set()).update(actions)
    return named


def table_problems(readme: str, commands: dict[str, set[str]]) -> list[str]:
    """Commands the table leaves out, and commands it names that do not exist."""
    named = named_in(command_table(readme))
    missing = [
        f"missing: ritual {name} {action}".rstrip()
        for name, actions in commands.items()
        for action in sorted(actions) or [""]
        if name not in named or (action and action not in named[name])
    ]
    unknown = [
        f"unknown: ritual {name} {action}".rstrip()
        for name, actions in named.items()
        for action in (sorted(actions) if commands.get(name) else [""])
        if name not in commands or (action and action not in commands[name])
    ]
    return missing + unknown


def test_the_readme_table_names_every_command_and_only_real_ones() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert table_problems(readme, sub_commands(build_parser())) == []


def test_a_table_that_is_wrong_either_way_is_caught() -> None:
    """The check above can fail: a command left out, an action left out and an
    action that does not exist are each reported."""
    table = (
        "## Commands\n\n| command | what |\n|---|---|\n"
        "| `ritual run NAME` | x |\n| `ritual journal list\\|frobnicate` | x |\n\n## Next\n"
    )
    commands = {"run": set(), "voices": {"list"}, "journal": {"list", "show"}}
    assert table_problems(table, commands) == [
        "missing: ritual voices list",
        "missing: ritual journal show",
        "unknown: ritual journal frobnicate",
    ]


MODULE_PATH = re.compile(r"`((?:[a-z0-9_]+/)*[a-z0-9_]+\.py)`")


def test_the_architecture_names_every_module() -> None:
    """Every room of the house is in the architecture guide: each module by its
    path below ``assistant/`` or its file name (a command module is covered by
    "one ``*_cmd.py`` per sub-command")."""
    text = (ROOT / "docs/architecture.md").read_text(encoding="utf-8")
    named = set(MODULE_PATH.findall(text))
    unnamed = [
        rel
        for path in sorted((ROOT / "assistant").rglob("*.py"))
        if path.name != "__init__.py" and not path.name.endswith("_cmd.py")
        for rel in [path.relative_to(ROOT / "assistant").as_posix()]
        if rel not in named and path.name not in named
    ]
    assert unnamed == []


def test_the_module_paths_the_docs_name_exist() -> None:
    """A module renamed or moved leaves no stale path in the docs."""
    modules = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.py") if ".venv" not in p.parts}
    stale = [
        f"{doc.relative_to(ROOT)}: {name}"
        for doc in documents()
        for name in sorted(set(MODULE_PATH.findall(doc.read_text(encoding="utf-8"))))
        if not any(m == name or m.endswith("/" + name) for m in modules)
    ]
    assert stale == []


def test_the_front_page_stays_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 130, f"README.md has {lines} lines; move detail into a guide in docs/"
