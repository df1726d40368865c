"""Copying projects between databases (`wasmhost migrate`): from SQLite to each backend, whole,
once, and only the projects asked for."""

from collections.abc import Callable
from pathlib import Path

import pytest

from host.guest_kv import TABLE, ProjectKv
from host.storage.deployments import NewVersion, write_version
from host.storage.project_copy import Databases, ProjectExists, copy_project, project_ids
from host.storage.store import Store, open_store

MIB = 1024 * 1024


def source_with_two_projects(folder: Path) -> Databases:
    """An SQLite database holding `one` (two versions, files, KV entries) and `two`."""
    source = Databases(open_store(folder / "old.db"), open_store(folder / "old.db", TABLE))
    for project, files in (("one", {"/a.txt": b"a"}), ("one", {"/b.txt": b"b" * 100}), ("two", {})):
        write_version(
            source.store,
            project,
            NewVersion(b"w-" + project.encode(), "sha-" + project, files),
            keep=5,
        )
    ProjectKv(source.kv, "one", {"NOTES": "notes"}, MIB).put("NOTES", "k", b"v")
    return source


def everything(store: Store) -> list[tuple[str, bytes]]:
    """Every key and value of a store."""
    return store.items("")


def test_a_project_is_copied_whole_and_alone(tmp_path: Path, open_db: Callable[..., Store]) -> None:
    source = source_with_two_projects(tmp_path)
    target = Databases(open_db(), open_db(TABLE))
    copied = copy_project(source, target, "one")
    assert project_ids(target.store) == ["one"]
    expected = [(k, v) for k, v in everything(source.store) if "two" not in k]
    assert everything(target.store) == expected
    assert everything(target.kv) == everything(source.kv)
    assert copied.keys == len(expected) + len(everything(source.kv))
    assert ProjectKv(target.kv, "one", {"NOTES": "notes"}, MIB).get("NOTES", "k") is not None


def test_a_project_the_target_has_is_refused_and_nothing_is_written(
    tmp_path: Path, open_db: Callable[..., Store]
) -> None:
    source = source_with_two_projects(tmp_path)
    target = Databases(open_db(), open_db(TABLE))
    write_version(target.store, "one", NewVersion(b"mine", "sha-mine"), keep=5)
    before = everything(target.store)
    with pytest.raises(ProjectExists, match="one already exists"):
        copy_project(source, target, "one")
    assert everything(target.store) == before
