"""The storage interface: keys (text) to values (bytes), read by prefix, written in batches.

Everything the host stores goes through it, with the same keys in every backend
(`host.storage.keys`): SQLite (`sqlite_store`, the embedded default) and PostgreSQL
(`postgres_store`, shared by many hosts). `open_store` picks one from the `db` setting.
"""

from __future__ import annotations

from collections.abc import Generator, Hashable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

CHUNK_SIZE = 256 * 1024  # what `chunks` reads at a time
LAST = chr(0x10FFFF)  # the last code point: no key of ours ends a prefix with it


class ValueGone(KeyError):
    """A value was deleted while it was being read in chunks."""


class Writes(Protocol):
    """The writes of one atomic batch; visible to readers only once the batch commits."""

    def put(self, key: str, value: bytes) -> None: ...  # set `key`
    def put_new(self, key: str, value: bytes) -> None: ...  # set `key` unless it is set
    def delete(self, key: str) -> None: ...  # remove `key` if present
    def delete_prefix(self, prefix: str) -> None: ...  # remove every key starting so


class Store(Protocol):
    """One table of keys to bytes. Reads outside `snapshot()` each see the latest commit."""

    def get(self, key: str) -> bytes | None: ...
    def has(self, key: str) -> bool: ...
    def size(self, key: str) -> int | None: ...  # the value's length, not reading it
    def get_slice(self, key: str, start: int, length: int) -> bytes | None: ...
    def chunks(  # a large value piece by piece (None if absent; ValueGone if deleted meanwhile)
        self, key: str, start: int = 0, length: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Generator[bytes, None, None] | None: ...
    def keys(self, prefix: str) -> list[str]: ...  # in key order, as are the next two
    def items(self, prefix: str) -> list[tuple[str, bytes]]: ...
    def page(self, prefix: str, after: str = "", limit: int = 1000) -> list[tuple[str, bytes]]: ...
    def atomic(self) -> AbstractContextManager[Writes]: ...  # all or nothing; one writer at once
    def snapshot(self) -> AbstractContextManager[None]: ...  # reads inside see one state
    def change_token(self) -> Hashable: ...  # differs once anything was committed since
    def close(self) -> None: ...  # let go of this thread's (or every) connection
    def describe(self) -> str: ...  # where it is, for messages (no password)
    def stored_bytes(self) -> int: ...  # how much it holds, for metrics


def prefix_range(prefix: str) -> tuple[str, str]:
    """The half-open key range [low, high) holding exactly the keys that start with `prefix`
    (every key for ""; no key of ours starts with the last code point)."""
    stem = prefix.rstrip(LAST)  # the last code point has no successor: carry over
    if not stem:
        return prefix, LAST if not prefix else prefix + LAST
    return prefix, stem[:-1] + chr(ord(stem[-1]) + 1)


def is_url(db: str | Path) -> bool:
    """Whether the `db` setting names a PostgreSQL server rather than an SQLite file."""
    return str(db).startswith(("postgresql://", "postgres://"))


def open_store(db: str | Path, table: str = "kv") -> Store:
    """The store behind the `db` setting: a `postgresql://` URL, or an SQLite file's path."""
    if is_url(db):
        from host.storage.postgres_store import PostgresStore

        return PostgresStore(str(db), table)
    from host.storage.sqlite_store import SqliteStore

    return SqliteStore(Path(db), table)
