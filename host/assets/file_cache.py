"""Small asset files kept in memory, so a request for one reads no database.

A file's bytes are stored under their ETag and never change, so a copy needs no invalidation:
a new version's changed file has another key. Files up to `max_file_bytes` are kept, least
recently used dropped beyond `capacity_bytes` (per host process). With PostgreSQL this saves
a round trip per asset answered; with SQLite, a read of the file.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from host.storage.store import Store

MAX_FILE_BYTES = 256 * 1024


class FileCache:
    """`get(store, key, size)`: a small file's bytes, read from `store` the first time only."""

    def __init__(self, capacity_bytes: int, max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self._capacity = capacity_bytes
        self._max_file = min(max_file_bytes, capacity_bytes)
        self._files: OrderedDict[str, bytes] = OrderedDict()
        self._held = 0  # bytes kept
        self._lock = threading.Lock()

    def keeps(self, size: int) -> bool:
        """Whether a file of `size` bytes is one this cache keeps."""
        return size <= self._max_file

    def get(self, store: Store, key: str, size: int) -> bytes | None:
        """The file under `key` (None if not stored), kept if it is small enough."""
        with self._lock:
            found = self._files.get(key)
            if found is not None:
                self._files.move_to_end(key)
                return found
        value = store.get(key)
        if value is not None and self.keeps(len(value)) and len(value) == size:
            self._keep(key, value)
        return value

    def _keep(self, key: str, value: bytes) -> None:
        """Remember a file, dropping the least recently used beyond capacity."""
        with self._lock:
            if key in self._files:
                return
            self._files[key] = value
            self._held += len(value)
            while self._held > self._capacity:
                _, dropped = self._files.popitem(last=False)
                self._held -= len(dropped)
