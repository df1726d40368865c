"""The per-request body table: bodies that stay on the host, named by small integer handles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from host.errors import GuestBadResponse, GuestTrapped


@dataclass(frozen=True)
class Alternative:
    """Another form of a stored body (say, brotli) to send if the guest returns it untouched.

    The guest sees and reads the plain body; `etag` is the plain body's ETag, and `headers`
    (content-encoding, etag, content-length) describe the alternative form.
    """

    etag: str
    headers: tuple[tuple[str, str], ...]
    load: Callable[[], bytes]
    size: int


@dataclass
class _Lazy:
    """A body whose bytes are read only when someone needs them."""

    load: Callable[[], bytes]
    size: int
    alternative: Alternative | None = None
    data: bytes | None = field(default=None)

    def bytes(self) -> bytes:
        """Read the bytes once."""
        if self.data is None:
            self.data = self.load()
        return self.data


Entry = bytes | bytearray | _Lazy


class BodyTable:
    """Bodies owned by one request; a guest can only name handles of its own request.

    Handles count up from `first_handle`: a warm instance's next request starts where the last
    one ended, so a handle kept from an earlier request names nothing in a later one.
    """

    def __init__(self, max_created_bytes: int, first_handle: int = 1) -> None:
        if first_handle < 1:
            raise ValueError("handles start at 1 or later (0 is never valid)")
        self._entries: list[Entry] = []
        self._room = max_created_bytes
        self._first = first_handle

    @property
    def next_handle(self) -> int:
        """The handle the next body would get (where a later request's table starts)."""
        return self._first + len(self._entries)

    def add(self, data: bytes) -> int:
        """Store finished bytes; returns their handle."""
        return self._new(data)

    def add_lazy(
        self, load: Callable[[], bytes], size: int, alternative: Alternative | None = None
    ) -> int:
        """Store a body read by `load()` only when first needed; returns its handle."""
        return self._new(_Lazy(load, size, alternative))

    def alternative(self, handle: int) -> Alternative | None:
        """The alternative form registered with a stored body, if any."""
        entry = self._entry(handle)
        return entry.alternative if isinstance(entry, _Lazy) else None

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
        self._room -= len(chunk)
        entry += chunk

    def size(self, handle: int) -> int:
        """The body's length in bytes."""
        entry = self._entry(handle)
        return entry.size if isinstance(entry, _Lazy) else len(entry)

    def read(self, handle: int, offset: int, limit: int) -> bytes:
        """Up to `limit` bytes from `offset`; empty at the end."""
        return bytes(self._bytes(self._entry(handle))[offset : offset + limit])

    def take(self, handle: int) -> bytes:
        """The whole body, to send as a response (a guest's returned handle)."""
        try:
            return bytes(self._bytes(self._entry(handle)))
        except GuestTrapped as error:
            raise GuestBadResponse(str(error)) from None

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

    @staticmethod
    def _bytes(entry: Entry) -> bytes | bytearray:
        """The entry's bytes, loading a lazy one."""
        return entry.bytes() if isinstance(entry, _Lazy) else entry
