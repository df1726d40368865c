"""The embedded backend: one table of an SQLite file (through sqlite-utils), safe for many
threads and processes on one machine.

The host keeps its projects in the table `kv`; the guests' KV namespaces live in a table of
their own in the same file (`host.guest_kv`), through a second store over that table.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from host.errors import StorageBusy
from host.storage.store import CHUNK_SIZE, ValueGone, prefix_range

TABLE = "kv"
BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another one before giving up
BLOBS_PER_CONNECTION = 1_000  # blobs a thread's connection opens before it is replaced


class _Connection(sqlite3.Connection):
    """A connection that counts the blobs it opened.

    CPython's sqlite3 keeps a weak reference to every blob a connection ever opened, dead or
    alive, until the connection is closed (python/cpython#144424): streamed asset chunks would
    grow a long-lived connection without bound, so a thread's connection is replaced after
    `BLOBS_PER_CONNECTION` of them. Each weak reference costs about 70 bytes and a worker has
    a connection per thread and store (64 with 32 threads): 1,000 keeps that under 5 MB a
    worker, for a new connection (about 70 us) every 1,000 chunks of 256 KiB.
    """

    blobs_opened = 0

    def blobopen(self, *args: Any, **kwargs: Any) -> sqlite3.Blob:
        """The stock `blobopen`, counted."""
        self.blobs_opened += 1
        return super().blobopen(*args, **kwargs)


class SqliteWrites:
    """The writes of one atomic batch; visible to readers only once the batch commits."""

    def __init__(self, conn: sqlite3.Connection, table: str = TABLE) -> None:
        self._conn = conn
        self._table = table

    def put(self, key: str, value: bytes) -> None:
        """Set `key` to `value`."""
        self._conn.execute(
            f"INSERT INTO {self._table} (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def put_new(self, key: str, value: bytes) -> None:
        """Set `key` to `value` unless it is set (content-addressed values never change)."""
        self._conn.execute(
            f"INSERT INTO {self._table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
            (key, value),
        )

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        self._conn.execute(f"DELETE FROM {self._table} WHERE key = ?", (key,))

    def delete_prefix(self, prefix: str) -> None:
        """Remove every key that starts with `prefix`."""
        low, high = prefix_range(prefix)
        self._conn.execute(f"DELETE FROM {self._table} WHERE key >= ? AND key < ?", (low, high))


class SqliteStore:
    """Keys to bytes in one table of an SQLite file, in WAL mode; one connection per thread."""

    def __init__(self, path: Path, table: str = TABLE) -> None:
        if not table.isidentifier():
            raise ValueError(f"not a table name: {table!r}")
        self.path = Path(path)
        self.table = table
        self._local = threading.local()
        self._commits = 0  # batches committed through this store (this process)
        setup = self._connect()
        try:
            db = sqlite_utils.Database(setup)
            db.enable_wal()
            setup.execute("BEGIN IMMEDIATE")  # processes starting together wait for each other
            db[table].create({"key": str, "value": bytes}, pk="key", if_not_exists=True)  # type: ignore[union-attr]
            setup.execute("COMMIT")
        finally:
            setup.close()  # threads open their own; none may outlive a fork

    def _connect(self) -> _Connection:
        """A new autocommit connection; transactions are opened explicitly."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, factory=_Connection
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection: a new one after it opened `BLOBS_PER_CONNECTION` blobs
        (outside a transaction; the old one closes once the last reader using it is done)."""
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is None or (conn.blobs_opened >= BLOBS_PER_CONNECTION and not conn.in_transaction):
            conn = self._local.conn = self._connect()
        return conn

    def close(self) -> None:
        """Close this thread's connection (another is opened if the thread uses the store)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            conn.close()

    def describe(self) -> str:
        """The database file."""
        return str(self.path)

    def stored_bytes(self) -> int:
        """The database file and its write-ahead log, in bytes."""
        files = (self.path, self.path.with_name(self.path.name + "-wal"))
        return sum(path.stat().st_size for path in files if path.exists())

    def get(self, key: str) -> bytes | None:
        """The value under `key`, or None."""
        row = self._conn.execute(f"SELECT value FROM {self.table} WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def has(self, key: str) -> bool:
        """Whether `key` is set (its value is not read)."""
        row = self._conn.execute(f"SELECT 1 FROM {self.table} WHERE key = ?", (key,)).fetchone()
        return row is not None

    def size(self, key: str) -> int | None:
        """The length of the value under `key` (not read), or None if absent."""
        row = self._conn.execute(f"SELECT length(value) FROM {self.table} WHERE key = ?", (key,))
        found = row.fetchone()
        return None if found is None else int(found[0])

    def get_slice(self, key: str, start: int, length: int) -> bytes | None:
        """`length` bytes of the value under `key` from offset `start`, or None if absent.

        Only those bytes are read (through a blob handle), however large the value is.
        """
        chunks = self.chunks(key, start, length, chunk_size=max(1, length))
        return None if chunks is None else b"".join(chunks)

    def chunks(
        self, key: str, start: int = 0, length: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Generator[bytes, None, None] | None:
        """The value under `key` (or `length` bytes from `start`) in chunks, or None if absent.

        Each chunk is read as it is taken, through a read-only blob handle opened for that chunk
        alone, so no read transaction stays open between chunks (a slow reader never holds
        back a WAL checkpoint). Inside a `snapshot()` every chunk comes from its state; outside
        one, use it for values that never change once written (`ValueGone` if deleted meanwhile).
        """
        if start < 0 or (length is not None and length < 0) or chunk_size < 1:
            raise ValueError("start and length must not be negative, chunk_size at least 1")
        conn = self._conn
        if _rowid(conn, self.table, key) is None:
            return None
        return _blob_chunks(conn, self.table, key, start, length, chunk_size)

    def keys(self, prefix: str) -> list[str]:
        """Every key that starts with `prefix`, in order."""
        low, high = prefix_range(prefix)
        rows = self._conn.execute(
            f"SELECT key FROM {self.table} WHERE key >= ? AND key < ? ORDER BY key", (low, high)
        )
        return [row[0] for row in rows]

    def page(self, prefix: str, after: str = "", limit: int = 1000) -> list[tuple[str, bytes]]:
        """Up to `limit` keys that start with `prefix` and sort after `after`, with their
        values, in key order."""
        low, high = prefix_range(prefix)
        rows = self._conn.execute(
            f"SELECT key, value FROM {self.table} WHERE key >= ? AND key < ? AND key > ?"
            " ORDER BY key LIMIT ?",
            (low, high, after, limit),
        )
        return [(row[0], bytes(row[1])) for row in rows]

    def items(self, prefix: str) -> list[tuple[str, bytes]]:
        """Every key that starts with `prefix`, with its value, in key order."""
        low, high = prefix_range(prefix)
        rows = self._conn.execute(
            f"SELECT key, value FROM {self.table} WHERE key >= ? AND key < ? ORDER BY key",
            (low, high),
        )
        return [(row[0], bytes(row[1])) for row in rows]

    def change_token(self) -> tuple[int, int]:
        """A value that differs whenever anything committed since this thread last asked.

        SQLite's `data_version` counts commits by other connections (other threads and
        processes) as this thread's connection sees them; commits through this store are
        counted here. Inside `snapshot()` it describes the snapshot's state.
        """
        row = self._conn.execute("PRAGMA data_version").fetchone()
        return int(row[0]), self._commits

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside the block all see one committed state of the table."""
        conn = self._conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")

    @contextmanager
    def atomic(self) -> Iterator[SqliteWrites]:
        """A batch of writes that lands whole or not at all; StorageBusy if another writer
        keeps the database locked past the busy timeout."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                seconds = BUSY_TIMEOUT_MS // 1000
                raise StorageBusy(f"another writer held the database for {seconds} s") from None
            raise
        try:
            yield SqliteWrites(conn, self.table)
            conn.execute("COMMIT")
            self._commits += 1
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _rowid(conn: sqlite3.Connection, table: str, key: str) -> int | None:
    """The row of `table` holding `key`, if any."""
    row = conn.execute(f"SELECT rowid FROM {table} WHERE key = ?", (key,)).fetchone()
    return None if row is None else int(row[0])


def _blob_chunks(
    conn: sqlite3.Connection,
    table: str,
    key: str,
    start: int,
    length: int | None,
    chunk_size: int,
) -> Generator[bytes, None, None]:
    """Bytes `start` to `start + length` (or the end) of one value, `chunk_size` at a time."""
    position, end = start, None if length is None else start + length
    while end is None or position < end:
        chunk = _read_chunk(conn, table, key, position, end, chunk_size)
        if not chunk:
            return
        position += len(chunk)
        yield chunk


def _read_chunk(
    conn: sqlite3.Connection, table: str, key: str, position: int, end: int | None, size: int
) -> bytes:
    """One chunk, the row found and read in one short read transaction (so a row id freed and
    taken by another value in between can never be read); ValueGone if the key is gone."""
    nested = conn.in_transaction  # inside a caller's snapshot(): it already holds one
    if not nested:
        conn.execute("BEGIN")
    try:
        rowid = _rowid(conn, table, key)
        if rowid is None:
            raise ValueGone(f"{key} was deleted while it was being read")
        with conn.blobopen(table, "value", rowid, readonly=True) as blob:
            stop = len(blob) if end is None else min(end, len(blob))
            if position >= stop:
                return b""
            blob.seek(position)
            return blob.read(min(size, stop - position))
    finally:
        if not nested:
            conn.execute("ROLLBACK")
