"""The one safe writer (assistant/safe_files.py): whole files or none, private modes,
never through a link, never a chmod of a folder ritual did not make."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePath

import pytest

from assistant import safe_files
from assistant.safe_files import (
    add_at,
    add_file,
    create_at,
    exists_at,
    fd_path,
    filled_in_place,
    folder_fd,
    fsync_folder,
    is_temp_name,
    leftovers,
    make_private_dirs,
    move_into_place,
    open_folder,
    open_new_in_place,
    open_private_at,
    own_private_folder,
    read_regular,
    remove_at,
    replace_at,
    replace_file,
    set_aside,
    shred_at,
    temp_file_beside,
    temp_name,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside what ritual owns, that must never change."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "victim.txt"
    path.write_text("keep me\n")
    path.chmod(0o644)
    return path


def test_replace_file_replaces_a_planted_symlink_and_leaves_its_target(
    tmp_path: Path, victim: Path
) -> None:
    target = tmp_path / "state.json"
    target.symlink_to(victim)
    replace_file(target, "new\n")
    assert victim.read_text() == "keep me\n" and mode(victim) == 0o644
    assert not target.is_symlink() and target.read_text() == "new\n"
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir() if is_temp_name(p.name)] == []


def test_replace_file_does_not_write_through_a_hard_link(tmp_path: Path, victim: Path) -> None:
    target = tmp_path / "entry.md"
    os.link(victim, target)
    replace_file(target, b"diary")
    assert victim.read_text() == "keep me\n" and target.read_bytes() == b"diary"


def test_a_symlinked_folder_is_refused_when_it_must_not_be_followed(
    tmp_path: Path, victim: Path
) -> None:
    linked = tmp_path / "audio"
    linked.symlink_to(victim.parent)
    with pytest.raises(OSError):
        replace_file(linked / "01.wav", b"x", follow_folder=False)
    with pytest.raises(OSError):
        os.close(open_new_in_place(linked / "01.wav", follow_folder=False))
    assert sorted(p.name for p in victim.parent.iterdir()) == ["victim.txt"]


def test_add_file_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "identity.age"
    add_file(target, b"first")
    with pytest.raises(FileExistsError):
        add_file(target, b"second")
    assert target.read_bytes() == b"first" and mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["identity.age"]


def test_new_folders_are_private_and_existing_ones_keep_their_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    make_private_dirs(shared / "a" / "b")
    assert mode(shared) == 0o755
    assert mode(shared / "a") == 0o700 and mode(shared / "a" / "b") == 0o700


def test_folder_fd_refuses_a_symlinked_part_below_the_root(tmp_path: Path, victim: Path) -> None:
    root = tmp_path / "journal"
    (root / "2026").mkdir(parents=True)
    (root / "2026" / "11").symlink_to(victim.parent)
    with pytest.raises(OSError), folder_fd(root, PurePath("2026/11")):
        pass
    with pytest.raises(OSError), folder_fd(root, PurePath("../outside")):
        pass
    with folder_fd(root, PurePath("2026/12")) as fd:
        assert stat.S_ISDIR(os.fstat(fd).st_mode)
    assert mode(root / "2026" / "12") == 0o700


def test_open_private_at_refuses_links_fifos_and_folders(tmp_path: Path, victim: Path) -> None:
    (tmp_path / "link").symlink_to(victim)
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    with open_folder(tmp_path) as folder:
        for name in ("link", "fifo", "folder"):
            with pytest.raises(OSError):
                os.close(open_private_at(folder, name))
        os.close(open_private_at(folder, "lock"))
    assert mode(tmp_path / "lock") == 0o600 and mode(victim) == 0o644


def test_filled_in_place_keeps_nothing_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "prompt.wav"
    with pytest.raises(RuntimeError), filled_in_place(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the engine died")
    assert list(tmp_path.iterdir()) == []
    with filled_in_place(target) as tmp:
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole" and mode(target) == 0o600


def test_leftovers_are_found_and_shredded(tmp_path: Path) -> None:
    left = tmp_path / temp_name("2026-11-30-morning.md")
    left.write_text("plaintext of a whole entry\n")
    (tmp_path / "2026-11-30-morning.md.age").write_text("sealed")
    with open_folder(tmp_path) as folder:
        assert leftovers(folder) == [left.name]
        shred_at(folder, left.name)
        assert leftovers(folder) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-11-30-morning.md.age"]


def test_a_shared_folder_is_used_only_when_it_is_ours(tmp_path: Path, victim: Path) -> None:
    mine = tmp_path / "ritual-0"
    assert own_private_folder(mine) and mode(mine) == 0o700
    planted = tmp_path / "ritual-1"
    planted.symlink_to(victim.parent)
    victim.parent.chmod(0o755)
    assert not own_private_folder(planted)
    assert mode(victim.parent) == 0o755


def test_the_descriptor_helpers_stay_in_their_folder(tmp_path: Path) -> None:
    with open_folder(tmp_path) as folder:
        os.close(create_at(folder, "new"))
        with pytest.raises(FileExistsError):
            create_at(folder, "new")
        replace_at(folder, "new", "replaced")
        add_at(folder, "added", b"once")
        with pytest.raises(FileExistsError):
            add_at(folder, "added", b"twice")
        assert exists_at(folder, "new") and exists_at(folder, "added")
        remove_at(folder, "new")
        remove_at(folder, "never-there")
        fsync_folder(folder)
        assert not exists_at(folder, "new")
    fsync_folder(tmp_path)
    assert (tmp_path / "added").read_bytes() == b"once"


def test_a_folder_is_swapped_into_place_through_a_hidden_name(tmp_path: Path) -> None:
    dest, staging = tmp_path / "model", tmp_path / ".model.staging"
    dest.mkdir()
    (dest / "old").write_text("old")
    staging.mkdir()
    (staging / "new").write_text("new")
    aside = set_aside(dest, "old")
    assert aside.name.startswith(".model.old-") and not dest.exists()
    move_into_place(staging, dest)
    assert (dest / "new").read_text() == "new" and (aside / "old").read_text() == "old"
    fd, part = temp_file_beside(dest, ".zip.part")
    os.close(fd)
    assert part.parent == tmp_path and part.name.startswith(".model.") and mode(part) == 0o600


def test_every_helper_is_tested_here() -> None:
    """A new helper in the safe-file module comes with a test in this file."""
    here = Path(__file__).read_text(encoding="utf-8")
    public = [
        name
        for name, value in vars(safe_files).items()
        if callable(value) and not name.startswith("_") and value.__module__ == safe_files.__name__
    ]
    untested = [name for name in public if name not in here]
    assert untested == [], untested


def test_a_hard_link_is_never_opened_for_writing_nor_zeroed(tmp_path: Path, victim: Path) -> None:
    left = temp_name("entry.md")
    os.link(victim, tmp_path / "lock")
    os.link(victim, tmp_path / left)
    with open_folder(tmp_path) as folder:
        with pytest.raises(OSError, match="another name"):
            open_private_at(folder, "lock")
        shred_at(folder, left)  # unlinked, not zeroed
    assert victim.read_text() == "keep me\n" and mode(victim) == 0o644
    assert not (tmp_path / left).exists()


def test_read_regular_reads_a_file_and_refuses_a_link_or_fifo(tmp_path: Path, victim: Path) -> None:
    (tmp_path / "state.json").write_text("{}")
    assert read_regular(tmp_path / "state.json") == b"{}"
    (tmp_path / "link").symlink_to(victim)
    os.mkfifo(tmp_path / "fifo")
    for name in ("link", "fifo"):
        with pytest.raises(OSError):
            read_regular(tmp_path / name)  # a FIFO without a writer: refused, not waited on


def test_folder_fd_can_look_without_making_and_fd_path_names_inside(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), folder_fd(tmp_path, PurePath("2026/12"), create=False):
        pass
    assert not (tmp_path / "2026").exists()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.txt").write_text("here")
    with folder_fd(tmp_path, PurePath("a"), create=False) as fd:
        assert Path(fd_path(fd, "b.txt")).read_text() == "here"
        assert Path(fd_path(fd)).resolve() == (tmp_path / "a").resolve()
