"""The key-value table: one SQLite table (through sqlite-utils), safe for many threads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

TABLE = "kv"
CHUNK_SIZE = 256 * 1024


class Writes:
    """The writes of one atomic batch; visible to readers only once the batch commits."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def put(self, key: str, value: bytes) -> None:
        """Set `key` to `value`."""
        self._conn.execute(
            f"INSERT INTO {TABLE} (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        self._conn.execute(f"DELETE FROM {TABLE} WHERE key = ?", (key,))

    def delete_prefix(self, prefix: str) -> None:
        """Remove every key that starts with `prefix`."""
        low, high = _prefix_range(prefix)
        self._conn.execute(f"DELETE FROM {TABLE} WHERE key >= ? AND key < ?", (low, high))


class SqliteStore:
    """Keys to bytes in one SQLite file, in WAL mode; one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._commits = 0  # batches committed through this store (this process)
        setup = self._connect()
        try:
            db = sqlite_utils.Database(setup)
            db.enable_wal()
            db[TABLE].create({"key": str, "value": bytes}, pk="key", if_not_exists=True)  # type: ignore[union-attr]
        finally:
            setup.close()  # threads open their own; none may outlive a fork

    def _connect(self) -> sqlite3.Connection:
        """A new autocommit connection; transactions are opened explicitly."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def get(self, key: str) -> bytes | None:
        """The value under `key`, or None."""
        row = self._conn.execute(f"SELECT value FROM {TABLE} WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

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

        The row is found now and its bytes are read as the chunks are taken, through one
        read-only blob handle. Take them inside the same transaction as the lookup (keep the
        `snapshot()` open until the chunks are done) so they come from the state it saw.
        """
        if start < 0 or (length is not None and length < 0) or chunk_size < 1:
            raise ValueError("start and length must not be negative, chunk_size at least 1")
        conn = self._conn
        row = conn.execute(f"SELECT rowid FROM {TABLE} WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return _blob_chunks(conn, int(row[0]), start, length, chunk_size)

    def keys(self, prefix: str) -> list[str]:
        """Every key that starts with `prefix`, in order."""
        low, high = _prefix_range(prefix)
        rows = self._conn.execute(
            f"SELECT key FROM {TABLE} WHERE key >= ? AND key < ? ORDER BY key", (low, high)
        )
        return [row[0] for row in rows]

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
    def atomic(self) -> Iterator[Writes]:
        """A batch of writes that lands whole or not at all."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield Writes(conn)
            conn.execute("COMMIT")
            self._commits += 1
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _prefix_range(prefix: str) -> tuple[str, str]:
    """The half-open key range [low, high) holding exactly the keys that start with `prefix`."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _blob_chunks(
    conn: sqlite3.Connection, rowid: int, start: int, length: int | None, chunk_size: int
) -> Generator[bytes, None, None]:
    """Bytes `start` to `start + length` (or the end) of one row's value, `chunk_size` at a time."""
    with conn.blobopen(TABLE, "value", rowid, readonly=True) as blob:
        size = len(blob)
        position = min(start, size)
        end = size if length is None else min(size, position + length)
        blob.seek(position)
        while position < end:
            chunk = blob.read(min(chunk_size, end - position))
            position += len(chunk)
            yield chunk
