"""The per-request body table: bodies that stay on the host, named by small integer handles."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Protocol

from host.errors import GuestBadResponse, GuestOverBudget, GuestTrapped

Chunks = Generator[bytes, None, None]
# The most one `bodies.read` returns (the SDKs read 256 KiB at a time and loop until the end).
MAX_READ_BYTES = 1024 * 1024


class StoredBytes(Protocol):
    """Bytes kept outside the table (say, in storage), read whole or in chunks when needed."""

    @property
    def size(self) -> int:
        """The length in bytes."""

    def read(self) -> bytes:
        """All the bytes at once."""

    def read_range(self, offset: int, length: int) -> bytes:
        """`length` bytes from `offset` (fewer at the end), reading only those."""

    def chunks(self) -> Chunks:
        """The bytes in chunks, each read as it is taken."""


@dataclass
class _Stored:
    """A stored body, read only when someone needs it; `attachment` is its maker's, opaque here."""

    source: StoredBytes
    attachment: object | None = None
    data: bytes | None = None

    def load(self) -> bytes:
        """Read the bytes once."""
        if self.data is None:
            self.data = self.source.read()
        return self.data

    def read(self, offset: int, limit: int) -> bytes:
        """Up to `limit` bytes from `offset`, from memory if loaded, else from the source."""
        if self.data is not None:
            return self.data[offset : offset + limit]
        return self.source.read_range(offset, limit) if offset < self.source.size else b""


Entry = bytes | bytearray | _Stored


class BodyStream:
    """A body sent in chunks, as a WSGI response iterable that runs callbacks when closed.

    The WSGI server calls `close()` once the response is done or the client went away; the
    callbacks then release what the request held until that moment (its project's slot).
    """

    def __init__(self, chunks: Chunks, size: int) -> None:
        self.size = size
        self._chunks = chunks
        self._on_close = ExitStack()

    def __iter__(self) -> Iterator[bytes]:
        """The stream is its own iterator."""
        return self

    def __next__(self) -> bytes:
        """The next chunk."""
        return next(self._chunks)

    def call_on_close(self, callback: Callable[[], object]) -> None:
        """Run `callback` when the stream is closed, after reading stops (last added runs first)."""
        self._on_close.callback(callback)

    def close(self) -> None:
        """Stop reading, then run the callbacks; closing again does nothing."""
        with self._on_close:
            self._chunks.close()


class BodyTable:
    """Bodies owned by one request; a guest can only name handles of its own request.

    Handles count up from `first_handle`: a warm instance's next request starts where the last
    one ended, so a handle kept from an earlier request names nothing in a later one.

    Every byte the table holds counts against the request's memory budget (`max_held_bytes`):
    bodies received, built by the guest, or loaded from storage to be sent. A stored body the
    guest reads is read from storage a range at a time and not kept.
    """

    def __init__(
        self, max_created_bytes: int, first_handle: int = 1, max_held_bytes: int | None = None
    ) -> None:
        if first_handle < 1:
            raise ValueError("handles start at 1 or later (0 is never valid)")
        self._entries: list[Entry] = []
        self._room = max_created_bytes
        self._first = first_handle
        self._budget = max_held_bytes
        self._held = 0

    @property
    def next_handle(self) -> int:
        """The handle the next body would get (where a later request's table starts)."""
        return self._first + len(self._entries)

    @property
    def held(self) -> int:
        """Bytes the table holds now (counted against the budget)."""
        return self._held

    def add(self, data: bytes) -> int:
        """Store finished bytes; returns their handle."""
        self._hold(len(data))
        return self._new(data)

    def add_stored(self, source: StoredBytes, attachment: object | None = None) -> int:
        """A body whose bytes `source` gives only when needed, with its maker's attachment."""
        return self._new(_Stored(source, attachment))

    def attachment(self, handle: int) -> object | None:
        """What the maker of a stored body attached to it, if anything."""
        entry = self._entry(handle)
        return entry.attachment if isinstance(entry, _Stored) else None

    def create(self) -> int:
        """A new empty body the guest can append to."""
        return self._new(bytearray())

    def append(self, handle: int, chunk: bytes) -> None:
        """Append to a body made with `create`, within the request's byte budget."""
        entry = self._entry(handle)
        if not isinstance(entry, bytearray):
            raise GuestTrapped(f"body {handle} is read-only")
        if len(chunk) > self._room:
            raise GuestTrapped("the guest built bodies larger than max_response_mb")
        self._hold(len(chunk))
        self._room -= len(chunk)
        entry += chunk

    def size(self, handle: int) -> int:
        """The body's length in bytes."""
        entry = self._entry(handle)
        return entry.source.size if isinstance(entry, _Stored) else len(entry)

    def read(self, handle: int, offset: int, limit: int) -> bytes:
        """Up to `limit` bytes (at most MAX_READ_BYTES) from `offset`; empty at the end."""
        entry = self._entry(handle)
        limit = min(limit, MAX_READ_BYTES)
        if isinstance(entry, _Stored):
            return entry.read(offset, limit)
        return bytes(entry[offset : offset + limit])

    def take(self, handle: int) -> bytes:
        """The whole body, to send as a response (a guest's returned handle)."""
        return bytes(self._bytes(self._returned(handle)))

    def stream(self, handle: int) -> BodyStream | None:
        """A returned stored body not loaded yet, as chunks; None for bytes already in memory."""
        entry = self._returned(handle)
        if not isinstance(entry, _Stored) or entry.data is not None:
            return None
        return BodyStream(entry.source.chunks(), entry.source.size)

    def _new(self, entry: Entry) -> int:
        """Append an entry and return its handle."""
        self._entries.append(entry)
        return self._first + len(self._entries) - 1

    def _entry(self, handle: int) -> Entry:
        """The entry for `handle`, or a trap if the guest named one that is not its own."""
        index = handle - self._first
        if not 0 <= index < len(self._entries):
            raise GuestTrapped(f"unknown body handle {handle}")
        return self._entries[index]

    def _returned(self, handle: int) -> Entry:
        """The entry for a handle the guest returned: naming another is a bad response."""
        try:
            return self._entry(handle)
        except GuestTrapped as error:
            raise GuestBadResponse(str(error)) from None

    def _bytes(self, entry: Entry) -> bytes | bytearray:
        """The entry's bytes, loading a stored one (which then counts against the budget)."""
        if not isinstance(entry, _Stored):
            return entry
        if entry.data is None:
            self._hold(entry.source.size)
        return entry.load()

    def _hold(self, size: int) -> None:
        """Count `size` more bytes held; GuestOverBudget beyond the request's budget."""
        if self._budget is not None and self._held + size > self._budget:
            raise GuestOverBudget(
                f"the request would hold {self._held + size} bytes of bodies in the host"
                f" (request_memory_mb allows {self._budget})"
            )
        self._held += size
