"""Values read in chunks in each backend (SQLite: through read-only blob handles): ranges,
boundaries, snapshots, and no transaction held between chunks."""

import gc
import random
import sqlite3
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from host.storage.sqlite_store import BLOBS_PER_CONNECTION, SqliteStore
from host.storage.store import CHUNK_SIZE, Store, ValueGone, open_store
from tests.conftest import BACKENDS

DATA = random.Random(7).randbytes(3 * CHUNK_SIZE + 100)


@pytest.fixture(scope="module", params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A store of each backend holding `DATA`, a few small values and an empty one."""
    if request.param == "sqlite":
        store = open_store(tmp_path_factory.mktemp("kv") / "kv.db")
    else:
        store = open_store(request.getfixturevalue("postgres").new_schema())
    with store.atomic() as writes:
        writes.put("data", DATA)
        writes.put("ten", b"0123456789")
        writes.put("empty", b"")
    yield store
    store.close()


def read(
    store: Store,
    key: str,
    start: int = 0,
    length: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> list[bytes]:
    """Every chunk of a stored value (the key must exist)."""
    chunks = store.chunks(key, start, length, chunk_size)
    assert chunks is not None
    return list(chunks)


def test_whole_value_in_default_chunks(store: Store) -> None:
    chunks = read(store, "data")
    assert [len(chunk) for chunk in chunks] == [CHUNK_SIZE] * 3 + [100]
    assert b"".join(chunks) == DATA


@pytest.mark.parametrize(
    ("size", "chunk_size", "lengths"),
    [
        (10, 5, [5, 5]),
        (10, 10, [10]),
        (10, 11, [10]),
        (10, 3, [3, 3, 3, 1]),
        (10, 1, [1] * 10),
    ],
)
def test_exact_chunk_boundaries(
    store: Store, size: int, chunk_size: int, lengths: list[int]
) -> None:
    chunks = read(store, "ten", 0, size, chunk_size)
    assert [len(chunk) for chunk in chunks] == lengths
    assert b"".join(chunks) == b"0123456789"


@pytest.mark.parametrize(
    ("start", "length", "expected"),
    [
        (0, None, b"0123456789"),
        (3, None, b"3456789"),
        (3, 4, b"3456"),
        (9, 1, b"9"),
        (8, 100, b"89"),
        (10, None, b""),
        (10, 5, b""),
        (50, 5, b""),
        (4, 0, b""),
    ],
)
def test_ranges(store: Store, start: int, length: int | None, expected: bytes) -> None:
    chunks = store.chunks("ten", start, length, 3)
    assert chunks is not None
    assert b"".join(chunks) == expected


def test_an_empty_value_has_no_chunks(store: Store) -> None:
    assert read(store, "empty") == []
    assert read(store, "empty", 0, 10) == []


def test_a_missing_key_is_none(store: Store) -> None:
    assert store.chunks("missing") is None
    assert store.chunks("missing", 5, 10) is None


@pytest.mark.parametrize(("start", "length", "chunk_size"), [(-1, None, 1), (0, -1, 1), (0, 1, 0)])
def test_bad_arguments_are_refused(
    store: Store, start: int, length: int | None, chunk_size: int
) -> None:
    with pytest.raises(ValueError, match="negative"):
        store.chunks("ten", start, length, chunk_size)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(min_value=0, max_value=len(DATA) + 10),
    st.none() | st.integers(min_value=0, max_value=len(DATA) + 10),
    st.sampled_from([1000, 4096, CHUNK_SIZE]),
)
def test_any_range_is_the_slice(
    store: Store, start: int, length: int | None, chunk_size: int
) -> None:
    chunks = read(store, "data", start, length, chunk_size)
    expected = DATA[start:] if length is None else DATA[start : start + length]
    assert b"".join(chunks) == expected
    assert all(0 < len(chunk) <= chunk_size for chunk in chunks)


def test_chunks_taken_inside_a_snapshot_come_from_it(open_db: Callable[..., Store]) -> None:
    reader, writer = open_db(), open_db()
    old, new = b"a" * 1000, b"b" * 2000
    with writer.atomic() as writes:
        writes.put("file", old)
    with reader.snapshot():
        chunks = reader.chunks("file", chunk_size=100)  # the row is found here
        assert chunks is not None
        with writer.atomic() as writes:
            writes.delete("file")
            writes.put("file", new)
        assert b"".join(chunks) == old
    assert reader.get("file") == new


def test_a_generator_closed_midway_reads_no_more(store: Store) -> None:
    chunks = store.chunks("data", chunk_size=10)
    assert chunks is not None
    assert next(chunks) == DATA[:10]
    chunks.close()
    assert list(chunks) == []


def test_no_sqlite_transaction_stays_open_between_chunks(tmp_path: Path) -> None:
    reader, writer = SqliteStore(tmp_path / "kv.db"), SqliteStore(tmp_path / "kv.db")
    with writer.atomic() as writes:
        writes.put("file", DATA)
    chunks = reader.chunks("file", chunk_size=1000)
    assert chunks is not None
    assert next(chunks) == DATA[:1000]
    assert not reader._conn.in_transaction  # a checkpoint may pass this reader
    with writer.atomic() as writes:
        writes.put("other", b"x")
    assert next(chunks) == DATA[1000:2000]


def test_a_value_deleted_while_read_is_an_error_not_other_bytes(
    open_db: Callable[..., Store],
) -> None:
    reader, writer = open_db(), open_db()
    with writer.atomic() as writes:
        writes.put("file", DATA)
    chunks = reader.chunks("file", chunk_size=1000)
    assert chunks is not None
    next(chunks)
    with writer.atomic() as writes:
        writes.delete("file")
        writes.put("later", DATA[::-1])  # may take the deleted row's place
    with pytest.raises(ValueGone, match="deleted"):
        next(chunks)


CURSORS_KEPT = 200  # CPython drops its references to dead cursors every 200 cursors


def test_sqlite_connections_keep_no_trace_of_every_chunk_ever_read(tmp_path: Path) -> None:
    # CPython's sqlite3 keeps a weak reference to every blob a connection opened
    # (python/cpython#144424): one per chunk read, on a thread's long-lived connection.
    store = SqliteStore(tmp_path / "kv.db")
    with store.atomic() as writes:
        writes.put("ten", b"0123456789")
    streaming = store.chunks("ten", chunk_size=1)  # a reader left on the first connection
    assert streaming is not None and next(streaming) == b"0"
    for _ in range(3 * BLOBS_PER_CONNECTION):
        assert store.get_slice("ten", 3, 1) == b"3"
    kept = max(_weak_references_kept(conn) for conn in _live_connections())
    assert kept <= BLOBS_PER_CONNECTION + CURSORS_KEPT  # (and to cursors, pruned by CPython)
    assert b"".join(streaming) == b"123456789"  # the replaced connection served it to the end
    store.close()


def _live_connections() -> list[sqlite3.Connection]:
    """Every sqlite3 connection still in memory."""
    gc.collect()
    return [obj for obj in gc.get_objects() if isinstance(obj, sqlite3.Connection)]


def _weak_references_kept(conn: sqlite3.Connection) -> int:
    """How many weak references the connection's own lists hold."""
    lists = [part for part in gc.get_referents(conn) if isinstance(part, list)]
    return sum(isinstance(item, weakref.ref) for part in lists for item in part)
