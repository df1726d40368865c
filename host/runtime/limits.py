"""What a guest may use: per request, and over the life of one instance."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The sandbox's limits for every instance it makes."""

    cpu_deadline_ms: int = 1000
    wall_clock_ms: int = 30_000
    memory_bytes: int = 128 * 1024 * 1024
    # Counts that keep the memory cap a real total: one linear memory, a few small tables.
    memories: int = 1
    tables: int = 4
    table_elements: int = 100_000
    instances: int = 32
    # Requests one instance serves before it is replaced by a fresh one.
    max_requests: int = 1000
