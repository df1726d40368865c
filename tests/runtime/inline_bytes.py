"""Stored bytes held in memory, for tests of the body table and the pass-through alone."""

from __future__ import annotations

from dataclasses import dataclass

from host.runtime.bodies import Chunks


@dataclass
class Inline:
    """Bytes that play the part of a stored body (the real one reads SQLite)."""

    data: bytes

    @property
    def size(self) -> int:
        """The length."""
        return len(self.data)

    def read(self) -> bytes:
        """All the bytes."""
        return self.data

    def chunks(self) -> Chunks:
        """One chunk."""
        yield self.data
