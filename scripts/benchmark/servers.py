"""Starting the two servers compared: `wasmhost serve` and the baseline, alike in processes."""

from __future__ import annotations

import sys
from pathlib import Path

from .processes import Server
from .session import Session

BASELINE_APP = Path(__file__).with_name("baseline.py")


def start_wasmhost(
    session: Session,
    workers: int | None = None,
    db: str | None = None,
    extra: tuple[str, ...] = (),
) -> Server:
    """Start `wasmhost serve` on a free loopback port (on the bench's SQLite database unless
    told another) and wait until it listens."""
    workers = workers or session.workers
    space = session.space
    space.logs.mkdir(exist_ok=True)
    db = db or str(space.db)
    argv = [sys.executable, "-m", "host", "serve", "--port", "0", "--db", db, *extra]
    argv += ["--workers", str(workers), "--threads", str(session.threads)]
    backend = "postgresql" if db.startswith("postgresql") else "sqlite"
    log = space.logs / f"wasmhost-{workers}w-{backend}.log"
    name = f"wasmhost --workers {workers} ({backend})"
    return session.processes.start(name, argv, space.env(), log)


def start_baseline(session: Session, workers: int | None = None) -> Server:
    """Start the baseline app on the recorded answers, with the same workers and threads."""
    workers = workers or session.workers
    space = session.space
    space.logs.mkdir(exist_ok=True)
    argv = [sys.executable, str(BASELINE_APP), str(space.answers)]
    argv += ["--workers", str(workers), "--threads", str(session.threads)]
    log = space.logs / f"baseline-{workers}w.log"
    return session.processes.start(f"baseline --workers {workers}", argv, space.env(), log)
