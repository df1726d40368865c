"""The folder where worker processes keep their metrics (prometheus_client's multi-process mode)
and their recent requests (`host.recent`).

`wasmhost serve` makes a fresh one before any worker starts (unless `PROMETHEUS_MULTIPROC_DIR`
names one already: then it empties it of an earlier run's files) and removes it when it stops;
when a worker dies, its live gauges are dropped from the sums. Nothing here creates a metric.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import multiprocess

from host.recent import forget_worker

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_dir() -> Iterator[str]:
    """The multi-process metrics folder for the workers about to start (made and removed here
    unless the environment names one)."""
    given = os.environ.get(MULTIPROCESS_VARIABLE)
    if given:
        clear_metrics_dir(given)
        yield given
        return
    made = tempfile.mkdtemp(prefix="wasmhost-metrics-")
    os.environ[MULTIPROCESS_VARIABLE] = made
    try:
        yield made
    finally:
        del os.environ[MULTIPROCESS_VARIABLE]
        shutil.rmtree(made, ignore_errors=True)


def clear_metrics_dir(folder: str) -> None:
    """Remove an earlier run's files from a given folder (their counts would be added in)."""
    for pattern in ("*.db", "recent-*.json"):
        for stale in Path(folder).glob(pattern):
            stale.unlink(missing_ok=True)


def shared_folder() -> Path | None:
    """The folder workers share files in, if `wasmhost serve` (or the environment) made one."""
    given = os.environ.get(MULTIPROCESS_VARIABLE)
    return Path(given) if given else None


def worker_exited(pid: int) -> None:
    """Forget a dead worker's live gauges (its counters stay in the sums) and recent requests."""
    folder = shared_folder()
    if folder is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
        forget_worker(folder, pid)
