"""The storage interface in each backend: prefixes, atomic batches, snapshots, threads."""

import threading
from collections.abc import Callable

import pytest

from host.errors import StorageBusy
from host.storage import postgres_store, sqlite_store
from host.storage.store import Store


def test_put_get_delete(store: Store) -> None:
    with store.atomic() as w:
        w.put("a", b"1")
        w.put("a", b"2")
    assert store.get("a") == b"2"
    with store.atomic() as w:
        w.delete("a")
    assert store.get("a") is None


def test_prefix_listing_is_exact(store: Store) -> None:
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


def test_failed_batch_leaves_nothing(store: Store) -> None:
    with store.atomic() as w:
        w.put("keep", b"old")
    with pytest.raises(RuntimeError), store.atomic() as w:
        w.put("keep", b"new")
        w.put("other", b"x")
        raise RuntimeError("crash mid-deploy")
    assert store.get("keep") == b"old"
    assert store.get("other") is None


def test_snapshot_sees_one_state_while_another_connection_writes(
    open_db: Callable[..., Store],
) -> None:
    reader, writer = open_db(), open_db()
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


def test_threads_share_a_store(store: Store) -> None:
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


def test_deployments_are_listed_by_project(store: Store) -> None:
    from host.storage.deployments import NewVersion, list_deployments, write_version

    for project in ("b", "a", "b"):
        files = {"/deployment": b"an asset named like a row", "/x/deployment": b""}
        write_version(store, project, NewVersion(b"w", "sha", files, b"{}"), keep=10)
    listed = list_deployments(store)
    assert [(d.project_id, d.version) for d in listed] == [("a", 1), ("b", 2)]


def test_slices_are_read_in_the_database(store: Store) -> None:
    data = bytes(range(256)) * 4
    with store.atomic() as w:
        w.put("blob", data)
    for start, length in [(0, 1), (10, 100), (1000, 24), (1000, 500), (0, 1024)]:
        assert store.get_slice("blob", start, length) == data[start : start + length]
    assert store.get_slice("missing", 0, 1) is None


def test_a_writer_locked_out_past_the_busy_timeout_gets_storage_busy(
    open_db: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(postgres_store, "LOCK_TIMEOUT", "100ms")
    store, other = open_db(), open_db()
    with other.atomic() as held:
        held.put("b", b"2")
        with (
            pytest.raises(StorageBusy, match="another writer held the database"),
            store.atomic() as w,
        ):
            w.put("a", b"1")
    with store.atomic() as w:
        w.put("a", b"1")
    assert (store.get("a"), store.get("b")) == (b"1", b"2")


def test_keys_may_hold_any_code_point(store: Store) -> None:
    odd = ["nul\x00inside", "emoji/\U0001f600", "last/\U0010ffff", "bom\ufeff"]
    with store.atomic() as w:
        for key in odd:
            w.put(key, key.encode())
    assert sorted(store.keys("")) == sorted(odd)
    assert [store.get(key) for key in odd] == [key.encode() for key in odd]


def test_an_unreachable_or_unparsable_postgresql_url_is_named_without_its_password() -> None:
    from host.errors import StorageUnavailable
    from host.storage.store import open_store

    for url in ("postgresql://me:s3cret@127.0.0.1:1/db", "postgresql://me:s3%zzcret@127.0.0.1/db"):
        with pytest.raises(StorageUnavailable) as raised:
            open_store(url)
        message = str(raised.value)
        assert message.startswith("cannot use ") and "s3" not in message, message
