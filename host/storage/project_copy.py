"""Copying projects between databases (SQLite to PostgreSQL, say): `wasmhost migrate`.

A project is copied whole: its versions, manifests, files and workers with their index keys in
one transaction on the target (so it appears there complete or not at all), after its guests'
KV entries in one of their own (each checking first that the target has no such project).
Values are read one at a time, so a project's size never has to fit in memory. Secrets stay
sealed: the target's hosts need the source's secrets key file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from host.errors import WasmhostError
from host.guest_kv import USAGE
from host.storage import keys
from host.storage.store import Store, Writes


class ProjectExists(WasmhostError):
    """The target database already has a project of that id."""


@dataclass(frozen=True)
class Databases:
    """One side of a copy: the host's store and the guests' KV store of one database."""

    store: Store
    kv: Store


@dataclass(frozen=True)
class Copied:
    """What one project's copy wrote."""

    project_id: str
    keys: int
    bytes: int


def project_ids(source: Store) -> list[str]:
    """Every project in a database, by id."""
    return [key.removeprefix(keys.PROJECT_INDEX) for key in source.keys(keys.PROJECT_INDEX)]


def copy_project(source: Databases, target: Databases, project_id: str) -> Copied:
    """Copy one project; ProjectExists if the target has it already (nothing is written)."""
    with source.kv.snapshot(), target.kv.atomic() as writes:
        _refuse_existing(target.store, project_id)
        kv_keys, kv_bytes = _write_each(source.kv, writes, _kv_keys(source.kv, project_id))
    with source.store.snapshot(), target.store.atomic() as writes:
        _refuse_existing(target.store, project_id)  # made meanwhile
        count, size = _write_each(source.store, writes, _project_keys(source.store, project_id))
    return Copied(project_id, count + kv_keys, size + kv_bytes)


def _refuse_existing(target: Store, project_id: str) -> None:
    """ProjectExists if the target has the project."""
    if target.has(keys.project_index_key(project_id)):
        raise ProjectExists(f"{project_id} already exists in {target.describe()}")


def _project_keys(store: Store, project_id: str) -> Iterator[str]:
    """Every key of the host's table that belongs to the project."""
    yield from store.keys(keys.project_prefix(project_id))
    yield keys.project_index_key(project_id)
    for worker_key in store.keys(keys.workers_prefix(project_id)):
        sha256 = worker_key.removeprefix(keys.workers_prefix(project_id))
        yield keys.worker_user_key(sha256, project_id)


def _kv_keys(kv: Store, project_id: str) -> Iterator[str]:
    """Every key of the guests' KV table that belongs to the project."""
    yield from kv.keys(f"{project_id}/")
    yield f"{USAGE}{project_id}"


def _write_each(source: Store, writes: Writes, names: Iterator[str]) -> tuple[int, int]:
    """Write each key's value as the source has it (absent keys skipped)."""
    count = size = 0
    for name in names:
        value = source.get(name)
        if value is not None:
            writes.put(name, value)
            count, size = count + 1, size + len(value)
    return count, size
