"""One bench run's shared parts: its processes, folder, plan, and the servers' shape."""

from __future__ import annotations

from dataclasses import dataclass

from .plan import Plan
from .processes import Processes
from .wasmhost import Workspace


@dataclass(frozen=True)
class Session:
    """What every scenario needs: where to start servers, how long to measure, how many
    worker processes and threads per process both servers get."""

    processes: Processes
    space: Workspace
    plan: Plan
    workers: int
    threads: int
