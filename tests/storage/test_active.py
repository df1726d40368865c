"""Active deployments from memory: new deploys seen at once, each snapshot sees its own."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from host.storage.active import ActiveDeployments
from host.storage.deployments import Deployment, NewVersion, write_version
from host.storage.kv import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "kv.db")


def deploy(store: SqliteStore, project: str = "p") -> Deployment:
    """A deployment with no files."""
    return write_version(store, project, NewVersion(b"w", "sha"), keep=10)[0]


def version(active: ActiveDeployments, project: str = "p") -> int | None:
    """The active version as the cache answers it."""
    found = active.get(project)
    return None if found is None else found.version


def test_a_deploy_through_this_store_is_seen_at_once(store: SqliteStore) -> None:
    active = ActiveDeployments(store)
    assert version(active) is None
    deploy(store)
    assert version(active) == 1
    deploy(store)
    assert version(active) == 2


def test_a_deploy_by_another_process_is_seen_at_once(store: SqliteStore) -> None:
    active = ActiveDeployments(store)
    deploy(store)
    assert version(active) == 1
    other = SqliteStore(store.path)  # another process's store: its own connections and counter
    deploy(other)
    assert version(active) == 2


def test_unchanged_rows_are_not_read_again(store: SqliteStore) -> None:
    active = ActiveDeployments(store)
    deploy(store)
    assert active.get("p") is active.get("p")


def test_a_snapshot_never_sees_a_row_newer_than_itself(store: SqliteStore) -> None:
    active = ActiveDeployments(store)
    deploy(store)
    with ThreadPoolExecutor(1) as reader, store.snapshot():
        assert version(active) == 1
        deploy(SqliteStore(store.path))
        assert reader.submit(version, active).result() == 2  # another thread, a newer snapshot
        assert version(active) == 1  # this snapshot still sees version 1, and so does the cache
    assert version(active) == 2
