"""The folder where worker processes keep their metrics (prometheus_client's multi-process mode).

`wasmhost serve` makes a fresh one before any worker starts (unless `PROMETHEUS_MULTIPROC_DIR`
names one already, as under gunicorn) and removes it when it stops; when a worker dies, its
live gauges are dropped from the sums. Nothing here creates a metric.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import multiprocess

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_dir() -> Iterator[str]:
    """The multi-process metrics folder for the workers about to start (made and removed here
    unless the environment names one)."""
    given = os.environ.get(MULTIPROCESS_VARIABLE)
    if given:
        yield given
        return
    made = tempfile.mkdtemp(prefix="wasmhost-metrics-")
    os.environ[MULTIPROCESS_VARIABLE] = made
    try:
        yield made
    finally:
        del os.environ[MULTIPROCESS_VARIABLE]
        shutil.rmtree(made, ignore_errors=True)


def worker_exited(pid: int) -> None:
    """Forget a dead worker's live gauges (its counters stay in the sums)."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
