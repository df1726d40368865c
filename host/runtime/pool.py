"""Warm instances: ready instances kept per project, least recently used dropped first.

A request borrows an instance of its project's current deployment (`take`) and hands it back
when done (`give`); the caller gives back only instances that may be reused. Bounds: instances
per project, instances in all, and the process's memory (resident set size): while it is above
the budget, the least recently used instances are dropped. An instance left idle for
`idle_seconds` is dropped too, so a project keeps as many as its recent concurrency needs, not
as many as its busiest moment ever did. A project whose deployment changed loses every
instance of the old one at its next request.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from host.metrics import meters
from host.runtime.instance import Instance

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class PoolLimits:
    """How many warm instances to keep, and the memory above which to drop them."""

    per_project: int = 8
    total: int = 64
    max_rss_bytes: int = 1024 * 1024 * 1024
    idle_seconds: float = 60.0


@dataclass
class _ProjectInstances:
    """The idle instances of one project's deployment, most recently used last."""

    deployment_id: str
    idle: list[Instance] = field(default_factory=list)
    since: list[float] = field(default_factory=list)  # when each went idle (monotonic)


class InstancePool:
    """Idle instances by project, bounded per project, in all, and by process memory."""

    def __init__(self, limits: PoolLimits) -> None:
        self._limits = limits
        self._projects: OrderedDict[str, _ProjectInstances] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()
        self._statm: int | None = None

    def take(self, project_id: str, deployment_id: str) -> Instance | None:
        """An idle instance of this deployment, or None; drops those of an older deployment."""
        stale: list[Instance] = []
        with self._lock:
            entry = self._projects.get(project_id)
            if entry is not None and entry.deployment_id != deployment_id:
                stale = self._remove_project(project_id)
            elif entry is not None and entry.idle:
                self._projects.move_to_end(project_id)
                self._count -= 1
                meters().warm_instances.set(self._count)
                entry.since.pop()
                return entry.idle.pop()
            meters().warm_instances.set(self._count)
        _drop(stale)  # the old deployment's Stores are freed here, outside the lock
        return None

    def give(self, project_id: str, deployment_id: str, instance: Instance) -> None:
        """Keep an idle instance for the project's next request, within the bounds."""
        dropped: list[Instance] = []
        with self._lock:
            entry = self._projects.get(project_id)
            if entry is None or entry.deployment_id != deployment_id:
                dropped = self._remove_project(project_id)
                entry = self._projects[project_id] = _ProjectInstances(deployment_id)
            self._projects.move_to_end(project_id)
            now = time.monotonic()
            entry.idle.append(instance)
            entry.since.append(now)
            self._count += 1
            if len(entry.idle) > self._limits.per_project:
                dropped.append(self._pop_oldest(project_id, entry))
            while self._count > self._limits.total:
                dropped.append(self._pop_least_recent())
            dropped += self._idle_too_long(now)
            meters().warm_instances.set(self._count)
        _drop(dropped)  # the Stores are freed here, outside the lock
        self._keep_within_memory()

    def drop_project(self, project_id: str) -> int:
        """Drop every idle instance of a project; returns how many there were."""
        with self._lock:
            dropped = self._remove_project(project_id)
            meters().warm_instances.set(self._count)
        _drop(dropped)
        return len(dropped)

    def __len__(self) -> int:
        """How many idle instances are kept."""
        return self._count

    def count(self, project_id: str) -> int:
        """How many idle instances one project has."""
        with self._lock:
            entry = self._projects.get(project_id)
            return 0 if entry is None else len(entry.idle)

    def _remove_project(self, project_id: str) -> list[Instance]:
        """Take a project's instances out (caller holds the lock)."""
        entry = self._projects.pop(project_id, None)
        if entry is None:
            return []
        self._count -= len(entry.idle)
        return entry.idle

    def _pop_least_recent(self) -> Instance:
        """Take out the oldest instance of the least recently used project (lock held)."""
        project_id, entry = next(iter(self._projects.items()))
        return self._pop_oldest(project_id, entry)

    def _pop_oldest(self, project_id: str, entry: _ProjectInstances) -> Instance:
        """Take out a project's longest idle instance (lock held)."""
        instance = entry.idle.pop(0)
        entry.since.pop(0)
        self._count -= 1
        if not entry.idle:
            del self._projects[project_id]
        return instance

    def _idle_too_long(self, now: float) -> list[Instance]:
        """Take out every instance idle for longer than the limit (lock held)."""
        expired = []
        oldest_allowed = now - self._limits.idle_seconds
        for project_id, entry in list(self._projects.items()):
            while entry.idle and entry.since[0] < oldest_allowed:
                expired.append(self._pop_oldest(project_id, entry))
        return expired

    def _keep_within_memory(self) -> None:
        """Drop least recently used instances while the process is over its memory budget."""
        while self.rss() > self._limits.max_rss_bytes:
            with self._lock:
                if self._count == 0:
                    return
                dropped = self._pop_least_recent()
                meters().warm_instances.set(self._count)
            dropped.retire()

    def rss(self) -> int:
        """This process's resident set size in bytes (one read of /proc/self/statm)."""
        if self._statm is None:
            try:
                self._statm = os.open("/proc/self/statm", os.O_RDONLY)
            except OSError:
                self._statm = -1
        if self._statm < 0:
            return 0
        return int(os.pread(self._statm, 128, 0).split()[1]) * PAGE_SIZE


def _drop(instances: list[Instance]) -> None:
    """Retire instances taken out of the pool (outside the lock)."""
    for instance in instances:
        instance.retire()
