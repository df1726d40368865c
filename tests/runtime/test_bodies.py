"""The body table: stored bodies read whole or streamed, attachments, streams that close."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from host.errors import GuestBadResponse, GuestOverBudget, GuestTrapped
from host.runtime.bodies import MAX_READ_BYTES, BodyStream, BodyTable, Chunks
from host.storage.sqlite_store import SqliteStore
from tests.runtime.inline_bytes import Inline

DATA = bytes(range(256)) * 10


@dataclass
class StoredInSqlite:
    """A value in a real store, counting how it is read."""

    store: SqliteStore
    key: str
    size: int
    reads: list[str] = field(default_factory=list)

    def read(self) -> bytes:
        """All the bytes."""
        self.reads.append("whole")
        data = self.store.get(self.key)
        assert data is not None
        return data

    def read_range(self, offset: int, length: int) -> bytes:
        """Only the bytes asked for."""
        self.reads.append("range")
        data = self.store.get_slice(self.key, offset, max(0, min(length, self.size - offset)))
        assert data is not None
        return data

    def chunks(self) -> Chunks:
        """The bytes in chunks of 1000."""
        self.reads.append("chunks")
        chunks = self.store.chunks(self.key, chunk_size=1000)
        assert chunks is not None
        return chunks


@pytest.fixture
def stored(tmp_path: Path) -> StoredInSqlite:
    """`DATA` in a fresh store."""
    store = SqliteStore(tmp_path / "kv.db")
    with store.atomic() as writes:
        writes.put("file", DATA)
    return StoredInSqlite(store, "file", len(DATA))


def test_a_stored_body_is_read_only_when_needed(stored: StoredInSqlite) -> None:
    bodies = BodyTable(1024)
    handle = bodies.add_stored(stored)
    assert bodies.size(handle) == len(DATA)
    assert stored.reads == []
    assert bodies.read(handle, 10, 5) == DATA[10:15]
    assert bodies.held == 0
    assert bodies.take(handle) == DATA
    assert stored.reads == ["range", "whole"]
    assert bodies.held == len(DATA)


def test_reading_a_stored_body_again_and_again_holds_nothing(stored: StoredInSqlite) -> None:
    bodies = BodyTable(1024, max_held_bytes=100)
    for _ in range(50):
        handle = bodies.add_stored(stored)
        assert bodies.read(handle, 0, 1) == DATA[:1]
        assert bodies.read(handle, len(DATA), 10) == b""
    assert bodies.held == 0


def test_one_read_returns_at_most_max_read_bytes() -> None:
    bodies = BodyTable(1024)
    handle = bodies.add(bytes(MAX_READ_BYTES + 10))
    assert len(bodies.read(handle, 0, 2**32 - 1)) == MAX_READ_BYTES
    assert len(bodies.read(handle, MAX_READ_BYTES, 2**32 - 1)) == 10


def test_everything_held_counts_against_the_request_budget(stored: StoredInSqlite) -> None:
    bodies = BodyTable(10_000, max_held_bytes=100)
    bodies.add(bytes(60))
    built = bodies.create()
    bodies.append(built, bytes(40))
    with pytest.raises(GuestOverBudget, match="request_memory_mb"):
        bodies.append(built, bytes(1))
    with pytest.raises(GuestOverBudget):
        bodies.take(bodies.add_stored(stored))
    assert bodies.held == 100


def test_an_unread_stored_body_streams_in_chunks(stored: StoredInSqlite) -> None:
    bodies = BodyTable(1024)
    stream = bodies.stream(bodies.add_stored(stored))
    assert stream is not None and stream.size == len(DATA)
    chunks = list(stream)
    assert [len(chunk) for chunk in chunks] == [1000, 1000, 560]
    assert b"".join(chunks) == DATA
    assert stored.reads == ["chunks"]


def test_a_body_in_memory_does_not_stream(stored: StoredInSqlite) -> None:
    bodies = BodyTable(1024)
    loaded = bodies.add_stored(stored)
    bodies.take(loaded)
    made = bodies.create()
    bodies.append(made, b"abc")
    for handle in (loaded, made, bodies.add(b"inline")):
        assert bodies.stream(handle) is None


def test_a_stored_body_the_guest_read_from_still_streams(stored: StoredInSqlite) -> None:
    bodies = BodyTable(1024)
    handle = bodies.add_stored(stored)
    bodies.read(handle, 0, 1)
    stream = bodies.stream(handle)
    assert stream is not None and b"".join(stream) == DATA


def test_attachments_are_kept_opaque() -> None:
    bodies = BodyTable(1024)
    marker = object()
    with_one = bodies.add_stored(Inline(b"x"), marker)
    assert bodies.attachment(with_one) is marker
    assert bodies.attachment(bodies.add_stored(Inline(b"y"))) is None
    assert bodies.attachment(bodies.add(b"z")) is None


def test_handles_continue_from_the_first_handle() -> None:
    bodies = BodyTable(1024, first_handle=40)
    assert bodies.add_stored(Inline(b"x")) == 40
    assert bodies.next_handle == 41
    with pytest.raises(GuestTrapped):
        bodies.attachment(39)


@pytest.mark.parametrize("handle", [0, 2, 99])
def test_returning_a_handle_that_is_not_its_own_is_a_bad_response(handle: int) -> None:
    bodies = BodyTable(1024)
    bodies.add(b"x")
    with pytest.raises(GuestBadResponse):
        bodies.take(handle)
    with pytest.raises(GuestBadResponse):
        bodies.stream(handle)


def test_closing_a_stream_stops_reading_then_runs_its_callbacks_once() -> None:
    events: list[str] = []

    def chunks() -> Chunks:
        try:
            yield b"one"
            yield b"two"
        finally:
            events.append("reading stopped")

    stream = BodyStream(chunks(), 6)
    stream.call_on_close(lambda: events.append("first added"))
    stream.call_on_close(lambda: events.append("last added"))
    assert next(stream) == b"one"
    stream.close()
    stream.close()
    assert events == ["reading stopped", "last added", "first added"]
    assert list(stream) == []


def test_close_callbacks_run_even_when_reading_fails_to_stop() -> None:
    ran: list[bool] = []

    def chunks() -> Chunks:
        try:
            yield b"one"
        finally:
            raise OSError("disk went away")

    stream = BodyStream(chunks(), 3)
    stream.call_on_close(lambda: ran.append(True))
    next(stream)
    with pytest.raises(OSError, match="disk went away"):
        stream.close()
    assert ran == [True]
