"""wasmhost under gunicorn: `gunicorn -c production/gunicorn.conf.py`.

The same process model as `wasmhost serve --workers N`: each worker builds its own app after
the fork (never `preload_app`: a forked engine's deadline ticker would not run), threads serve
requests. Settings come from `WASMHOST_*` variables or `WASMHOST_CONFIG`'s file, as for
`wasmhost serve` (a bad one stops gunicorn before it starts): `host`, `port`, `workers`,
`threads` and `grace_seconds` too, unless gunicorn's own flags say otherwise. What only
`wasmhost serve` does: refusing a tenant body over `max_request_mb` before it is read (here the
app refuses it after gunicorn has read it).
"""

import math
import os
import shutil
import tempfile

from host import logs
from host.allocator import limit_arenas
from host.config import Settings
from host.metrics_dir import MULTIPROCESS_VARIABLE, clear_metrics_dir, worker_exited

OWNER_VARIABLE = "GUNICORN_WASMHOST_METRICS_OWNER"  # the master that made the folder

settings = Settings.load()
logs.configure(settings.log_level, settings.log_format)  # the workers inherit it

wsgi_app = "host.web.app:create_app()"
bind = f"{settings.host}:{settings.port}"
workers = settings.worker_count
worker_class = "gthread"
threads = settings.threads  # above project_concurrency, as for wasmhost serve
graceful_timeout = math.ceil(settings.grace_seconds)
timeout = settings.wall_clock_ms // 1000 + 30  # a worker busy longer than any guest may be
preload_app = False

limit_arenas()  # what wasmhost serve does: a memory arena per busy thread would only grow
# Workers add up their metrics in one folder (prometheus_client's multi-process mode): a fresh
# one unless PROMETHEUS_MULTIPROC_DIR names one (then emptied of an earlier run's files). Only
# the master that made it removes it; for upgrades in place (USR2), name your own folder.
if os.environ.get(MULTIPROCESS_VARIABLE):
    clear_metrics_dir(os.environ[MULTIPROCESS_VARIABLE])
else:
    os.environ[MULTIPROCESS_VARIABLE] = tempfile.mkdtemp(prefix="wasmhost-metrics-")
    os.environ[OWNER_VARIABLE] = str(os.getpid())


def child_exit(server: object, worker: object) -> None:
    """A worker ended: its live gauges and recent requests leave the sums."""
    worker_exited(worker.pid)  # type: ignore[attr-defined]


def on_exit(server: object) -> None:
    """gunicorn stops: remove the metrics folder if this master made it."""
    if os.environ.get(OWNER_VARIABLE) == str(os.getpid()):
        shutil.rmtree(os.environ[MULTIPROCESS_VARIABLE], ignore_errors=True)
