"""Admission: each project may have only so many requests in progress in this process.

Beyond its share a request is refused at once (503 with Retry-After) instead of waiting for a
thread, so a project whose guests sleep or loop cannot take the threads every other project
needs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from host.errors import ProjectBusy


class ProjectSlots:
    """Counts the requests in progress per project, up to `limit` each."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._busy: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, project_id: str) -> Iterator[None]:
        """Hold one of the project's slots for the block; ProjectBusy if none is free."""
        with self._lock:
            busy = self._busy.get(project_id, 0)
            if busy >= self._limit:
                raise ProjectBusy(f"{project_id} already has {busy} requests in progress")
            self._busy[project_id] = busy + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._busy[project_id] - 1
                if left:
                    self._busy[project_id] = left
                else:
                    del self._busy[project_id]
