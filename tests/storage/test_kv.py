"""The key-value table: prefixes, atomic batches, snapshots, and threads."""

import threading
from pathlib import Path

import pytest

from host.storage.kv import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "kv.db")


def test_put_get_delete(store: SqliteStore) -> None:
    with store.atomic() as w:
        w.put("a", b"1")
        w.put("a", b"2")
    assert store.get("a") == b"2"
    with store.atomic() as w:
        w.delete("a")
    assert store.get("a") is None


def test_prefix_listing_is_exact(store: SqliteStore) -> None:
    with store.atomic() as w:
        for key in [
            "project/a/x",
            "project/a/y",
            "project/ab/x",
            "project/a0",
            "project/a/\U0010ffff",
        ]:
            w.put(key, b"")
    assert store.keys("project/a/") == ["project/a/x", "project/a/y", "project/a/\U0010ffff"]
    with store.atomic() as w:
        w.delete_prefix("project/a/")
    assert store.keys("project/") == ["project/a0", "project/ab/x"]


def test_failed_batch_leaves_nothing(store: SqliteStore) -> None:
    with store.atomic() as w:
        w.put("keep", b"old")
    with pytest.raises(RuntimeError), store.atomic() as w:
        w.put("keep", b"new")
        w.put("other", b"x")
        raise RuntimeError("crash mid-deploy")
    assert store.get("keep") == b"old"
    assert store.get("other") is None


def test_snapshot_sees_one_state_while_another_connection_writes(tmp_path: Path) -> None:
    reader, writer = SqliteStore(tmp_path / "kv.db"), SqliteStore(tmp_path / "kv.db")
    with writer.atomic() as w:
        w.put("manifest", b"v1")
        w.put("file", b"v1")
    with reader.snapshot():
        assert reader.get("manifest") == b"v1"
        done = threading.Event()

        def redeploy() -> None:
            with writer.atomic() as w:
                w.put("manifest", b"v2")
                w.put("file", b"v2")
            done.set()

        threading.Thread(target=redeploy).start()
        assert done.wait(10)
        assert reader.get("file") == b"v1"
    assert reader.get("file") == b"v2"


def test_threads_share_a_store(store: SqliteStore) -> None:
    def work(n: int) -> None:
        for i in range(20):
            with store.atomic() as w:
                w.put(f"t{n}/{i}", str(i).encode())
            assert store.get(f"t{n}/{i}") == str(i).encode()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.keys("t")) == 160


def test_deployments_are_listed_by_project(store: SqliteStore) -> None:
    from host.storage.deployments import NewVersion, list_deployments, write_version

    for project in ("b", "a", "b"):
        files = {"/deployment": b"an asset named like a row", "/x/deployment": b""}
        write_version(store, project, NewVersion(b"w", "sha", files, b"{}"), keep=10)
    listed = list_deployments(store)
    assert [(d.project_id, d.version) for d in listed] == [("a", 1), ("b", 2)]


def test_slices_are_read_in_sqlite(store: SqliteStore) -> None:
    data = bytes(range(256)) * 4
    with store.atomic() as w:
        w.put("blob", data)
    for start, length in [(0, 1), (10, 100), (1000, 24), (1000, 500), (0, 1024)]:
        assert store.get_slice("blob", start, length) == data[start : start + length]
    assert store.get_slice("missing", 0, 1) is None


def test_a_writer_locked_out_past_the_busy_timeout_gets_storage_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from host.errors import StorageBusy
    from host.storage import kv

    monkeypatch.setattr(kv, "BUSY_TIMEOUT_MS", 100)
    store = SqliteStore(tmp_path / "kv.db")
    other = sqlite3.connect(tmp_path / "kv.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StorageBusy, match="another writer held the database"), store.atomic() as w:
        w.put("a", b"1")
    other.execute("ROLLBACK")
    with store.atomic() as w:
        w.put("a", b"1")
    assert store.get("a") == b"1"
