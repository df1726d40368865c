"""The shared backend: one table of a PostgreSQL database, for many hosts at once.

Keys are stored as their UTF-8 bytes (`bytea`, which sorts byte by byte: the code point order
SQLite gives text), values as `bytea` kept uncompressed out of line, so a slice of a large
file reads only its own pages. Connections come from a psycopg pool; a thread inside
`snapshot()` or `atomic()` keeps one for the block. Writers take one advisory lock per
table, so batches are serialized as SQLite's are: a deploy reads the latest version number
and writes the next with no other writer in between, on any host. Every batch announces
itself on a channel, and `change_token` counts the announcements (`host.storage.changes`).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from host.errors import StorageBusy, StorageUnavailable
from host.storage.changes import ChangeFeed
from host.storage.store import CHUNK_SIZE, ValueGone, prefix_range

CONNECT_SECONDS = 10  # how long to wait for the server (or a free pooled connection)
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5}  # ~25 s to notice
IDLE_IN_BATCH = "60s"  # a batch whose host went silent loses its lock after this
LOCK_TIMEOUT = "10s"  # how long a writer waits for another one before giving up
POOL_SIZE = 10  # connections per store and process, at most (each is held for one query)


class PostgresWrites:
    """The writes of one atomic batch, on the batch's connection."""

    def __init__(self, conn: psycopg.Connection[Any], table: sql.Identifier) -> None:
        self._conn = conn
        self._table = table

    def put(self, key: str, value: bytes) -> None:
        """Set `key` to `value`."""
        self._run(
            "INSERT INTO {t} (key, value) VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_key(key), value),
        )

    def put_new(self, key: str, value: bytes) -> None:
        """Set `key` to `value` unless it is set (content-addressed values never change)."""
        self._run(
            "INSERT INTO {t} (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
            (_key(key), value),
        )

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        self._run("DELETE FROM {t} WHERE key = %s", (_key(key),))

    def delete_prefix(self, prefix: str) -> None:
        """Remove every key that starts with `prefix`."""
        self._run("DELETE FROM {t} WHERE key >= %s AND key < %s", _range(prefix))

    def _run(self, query: str, params: tuple[Any, ...]) -> None:
        """One statement of the batch."""
        self._conn.execute(sql.SQL(query).format(t=self._table), params)


class PostgresStore:
    """Keys to bytes in one table of a PostgreSQL database, through a connection pool."""

    def __init__(self, url: str, table: str = "kv", pool_size: int = POOL_SIZE) -> None:
        if not table.isidentifier():
            raise ValueError(f"not a table name: {table!r}")
        self.url = url
        self.table = table
        self._ident = sql.Identifier(table)
        self._bound = threading.local()  # the connection of this thread's open block
        self._commits = 0  # batches committed through this store (this process)
        self._snapshots = itertools.count(1)  # numbers the snapshots taken (for change_token)
        schema = self._create_table()
        name = f"{schema}.{table}"
        self._lock_id = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], signed=True)
        self._channel = "wasmhost_" + hashlib.sha256(name.encode()).hexdigest()[:16]
        self._changes = ChangeFeed(url, self._channel, self.redact)
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_SECONDS, **KEEPALIVE},
            check=ConnectionPool.check_connection,  # one dropped by a restart is replaced
            timeout=CONNECT_SECONDS,
            open=False,
            name=f"wasmhost-{table}",
        )
        self._pool_opened = False
        self._pool_lock = threading.Lock()

    def _create_table(self) -> str:
        """Create the table if it is missing (its values stored uncompressed, so slices read
        only their pages; altered only when new, as altering waits for every reader); the
        schema it lives in."""
        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_SECONDS) as c:
                if c.execute("SELECT to_regclass(%s)", (self.table,)).fetchone() == (None,):
                    with c.transaction():  # hosts starting at once make it once
                        c.execute("SELECT pg_advisory_xact_lock(7216016345)")
                        c.execute(
                            sql.SQL(
                                "CREATE TABLE IF NOT EXISTS {t} (key bytea PRIMARY KEY, value"
                                " bytea NOT NULL); ALTER TABLE {t} ALTER value SET STORAGE EXTERNAL"
                            ).format(t=self._ident)
                        )
                row = c.execute("SELECT current_schema()").fetchone()
        except psycopg.Error as error:
            kind = type(error).__name__
            reason = self.redact(str(error))
            raise StorageUnavailable(f"cannot use {self.describe()}: {kind}: {reason}") from None
        return str(row[0]) if row else "public"

    def describe(self) -> str:
        """The server and database, without the password."""
        try:
            parts = conninfo_to_dict(self.url)
        except psycopg.ProgrammingError:
            return "a PostgreSQL database (the URL does not parse)"
        where = f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}"
        return f"postgresql://{parts.get('user', '')}@{where}/{parts.get('dbname', '')}"

    def redact(self, text: str) -> str:
        """`text` without the URL's password (libpq may quote what it could not parse)."""
        password = urlsplit(self.url).password
        return text.replace(password, "***") if password else text

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection of this thread's open block, or one from the pool for one query;
        StorageUnavailable if the server cannot be reached."""
        bound: psycopg.Connection[Any] | None = getattr(self._bound, "conn", None)
        try:
            if bound is not None:
                yield bound
                return
            with self._open_pool().connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as error:
            raise StorageUnavailable(f"{self.describe()}: {self.redact(str(error))}") from None

    def _open_pool(self) -> ConnectionPool:
        """The pool, opened on first use (its threads start in the process that uses it)."""
        if not self._pool_opened:
            with self._pool_lock:
                if not self._pool_opened:
                    self._pool.open()
                    self._pool_opened = True
        return self._pool

    def _rows(self, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Run one query (the table's name as `{t}`), its rows in binary form."""
        with self._connection() as conn:
            cursor = conn.execute(sql.SQL(query).format(t=self._ident), params, binary=True)
            return cursor.fetchall()

    def _one(self, query: str, params: tuple[Any, ...]) -> Any:
        """The first column of the first row, or None if there is no row."""
        rows = self._rows(query, params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        """Close every connection and stop the change feed (the store cannot be used after)."""
        self._changes.stop()
        if self._pool_opened:
            self._pool.close()
            self._pool_opened = False

    def stored_bytes(self) -> int:
        """The whole database's size on the server, in bytes."""
        return int(self._one("SELECT pg_database_size(current_database())", ()) or 0)

    def get(self, key: str) -> bytes | None:
        """The value under `key`, or None."""
        value = self._one("SELECT value FROM {t} WHERE key = %s", (_key(key),))
        return None if value is None else bytes(value)

    def has(self, key: str) -> bool:
        """Whether `key` is set (its value is not read)."""
        return self._one("SELECT 1 FROM {t} WHERE key = %s", (_key(key),)) is not None

    def size(self, key: str) -> int | None:
        """The length of the value under `key` (not read), or None if absent."""
        found = self._one("SELECT octet_length(value) FROM {t} WHERE key = %s", (_key(key),))
        return None if found is None else int(found)

    def get_slice(self, key: str, start: int, length: int) -> bytes | None:
        """`length` bytes of the value under `key` from offset `start`, or None if absent."""
        if start < 0 or length < 0:
            raise ValueError("start and length must not be negative")
        value = self._one(
            "SELECT substring(value FROM %s FOR %s) FROM {t} WHERE key = %s",
            (start + 1, length, _key(key)),
        )
        return None if value is None else bytes(value)

    def chunks(
        self, key: str, start: int = 0, length: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Generator[bytes, None, None] | None:
        """The value under `key` (or `length` bytes from `start`) in chunks, or None if absent;
        each chunk is one short query (`ValueGone` if the value was deleted meanwhile)."""
        if start < 0 or (length is not None and length < 0) or chunk_size < 1:
            raise ValueError("start and length must not be negative, chunk_size at least 1")
        size = self.size(key)
        if size is None:
            return None
        end = size if length is None else min(size, start + length)
        return self._chunks(key, start, end, chunk_size)

    def _chunks(self, key: str, position: int, end: int, size: int) -> Generator[bytes, None, None]:
        """Bytes `position` to `end` of one value, `size` at a time."""
        while position < end:
            chunk = self.get_slice(key, position, min(size, end - position))
            if chunk is None:
                raise ValueGone(f"{key} was deleted while it was being read")
            if not chunk:
                return
            position += len(chunk)
            yield chunk

    def keys(self, prefix: str) -> list[str]:
        """Every key that starts with `prefix`, in order."""
        query = "SELECT key FROM {t} WHERE key >= %s AND key < %s ORDER BY key"
        rows = self._rows(query, _range(prefix))
        return [bytes(row[0]).decode() for row in rows]

    def page(self, prefix: str, after: str = "", limit: int = 1000) -> list[tuple[str, bytes]]:
        """Up to `limit` keys that start with `prefix` and sort after `after`, with their
        values, in key order."""
        rows = self._rows(
            "SELECT key, value FROM {t} WHERE key >= %s AND key < %s AND key > %s"
            " ORDER BY key LIMIT %s",
            (*_range(prefix), _key(after), limit),
        )
        return [(bytes(row[0]).decode(), bytes(row[1])) for row in rows]

    def items(self, prefix: str) -> list[tuple[str, bytes]]:
        """Every key that starts with `prefix`, with its value, in key order."""
        rows = self._rows(
            "SELECT key, value FROM {t} WHERE key >= %s AND key < %s ORDER BY key", _range(prefix)
        )
        return [(bytes(row[0]).decode(), bytes(row[1])) for row in rows]

    def change_token(self) -> tuple[int, int, int]:
        """A value that differs once a batch was committed anywhere since it was last asked
        (through this store at once; through another host when its announcement arrives,
        typically well under a millisecond later; always, while the feed is disconnected).
        Inside `snapshot()` it names that snapshot, so what was read in it stays there."""
        return self._changes.token(), self._commits, getattr(self._bound, "snapshot", 0)

    @contextmanager
    def _bound_connection(self) -> Iterator[tuple[psycopg.Connection[Any], bool]]:
        """A connection kept by this thread for a block, and whether an outer block holds it."""
        outer: psycopg.Connection[Any] | None = getattr(self._bound, "conn", None)
        if outer is not None:
            yield outer, True
            return
        with self._connection() as conn:
            self._bound.conn = conn
            try:
                yield conn, False
            finally:
                self._bound.conn = None

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside the block all see one committed state of the table."""
        with self._bound_connection() as (conn, nested):
            if nested:
                yield
                return
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self._bound.snapshot = next(self._snapshots)
            try:
                yield
            finally:
                self._bound.snapshot = 0
                _end(conn, "ROLLBACK")

    @contextmanager
    def atomic(self) -> Iterator[PostgresWrites]:
        """A batch of writes that lands whole or not at all, one batch per table at once across
        every host; StorageBusy if another writer holds the table past the lock timeout."""
        with self._bound_connection() as (conn, nested):
            if nested:
                raise RuntimeError("atomic() inside atomic() or snapshot() is not supported")
            conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")  # reads see the last writer's
            try:
                conn.execute(f"SET LOCAL idle_in_transaction_session_timeout = '{IDLE_IN_BATCH}'")
                conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_id,))
            except psycopg.errors.LockNotAvailable:
                _end(conn, "ROLLBACK")
                raise StorageBusy(f"another writer held the database for {LOCK_TIMEOUT}") from None
            try:
                yield PostgresWrites(conn, self._ident)
                conn.execute(sql.SQL("NOTIFY {c}").format(c=sql.Identifier(self._channel)))
                conn.execute("COMMIT")
                self._commits += 1
            except BaseException:
                _end(conn, "ROLLBACK")
                raise


def _key(key: str) -> bytes:
    """A key as stored: its UTF-8 bytes (their order is the code points' order)."""
    return key.encode("utf-8", "surrogatepass")


def _range(prefix: str) -> tuple[bytes, bytes]:
    """`prefix_range` as stored keys."""
    low, high = prefix_range(prefix)
    return _key(low), _key(high)


def _end(conn: psycopg.Connection[Any], statement: str) -> None:
    """End a block; a connection that broke meanwhile is left to the pool to replace."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE and not conn.closed:
        with suppress(psycopg.OperationalError):
            conn.execute(statement)
