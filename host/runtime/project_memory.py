"""Memory per project: the linear memory its instances may reserve in one process, in all.

Every instance of a project reserves its memory cap (the most its linear memory may grow to)
from the project's budget for as long as it exists, serving a request or kept warm, and gives
it back when it is dropped. A request that would need a fresh instance past the budget is
refused (ProjectOverMemory), so one project's instances can never hold more than its budget in
a process, whatever its guests allocate. (A warm instance is always of the project's current
deployment and is lent before a fresh one is made, so refusing never strands a warm one.)
"""

from __future__ import annotations

import threading

from host.errors import ProjectOverMemory

MIB = 1024 * 1024


class Reservation:
    """Memory one instance holds in its project's budget, given back once."""

    def __init__(self, budget: ProjectMemory, project_id: str, size: int) -> None:
        self._budget = budget
        self._project_id = project_id
        self._size = size

    def release(self) -> None:
        """Give the memory back (again is a no-op)."""
        size, self._size = self._size, 0
        if size:
            self._budget._give_back(self._project_id, size)


class ProjectMemory:
    """Bytes reserved per project, up to `limit` each."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._reserved: dict[str, int] = {}
        self._lock = threading.Lock()

    def reserve(self, project_id: str, size: int) -> Reservation:
        """Reserve `size` bytes for one instance of the project; ProjectOverMemory if over."""
        with self._lock:
            reserved = self._reserved.get(project_id, 0)
            if reserved + size > self.limit:
                raise ProjectOverMemory(
                    f"{project_id} has instances reserving {reserved // MIB} MiB; another"
                    f" {size // MIB} MiB would pass its {self.limit // MIB} MiB"
                )
            self._reserved[project_id] = reserved + size
        return Reservation(self, project_id, size)

    def reserved(self, project_id: str) -> int:
        """Bytes the project's instances reserve now."""
        with self._lock:
            return self._reserved.get(project_id, 0)

    def _give_back(self, project_id: str, size: int) -> None:
        """Return `size` bytes to the project's budget."""
        with self._lock:
            left = self._reserved[project_id] - size
            if left:
                self._reserved[project_id] = left
            else:
                del self._reserved[project_id]
