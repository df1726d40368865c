"""wasmhost on PostgreSQL against wasmhost on SQLite: the same projects (moved over with
`wasmhost migrate`), `/api/hello` and a small asset, each pair measured back to back.

The PostgreSQL server is one of its own on a loopback port, durable as in production (fsync
and synchronous commits on); both hosts run at once with the same workers and threads.
"""

from __future__ import annotations

import subprocess
import sys

from .answers import Recording
from .examples import Example
from .postgres import PostgresMissing, PostgresServer
from .progress import say
from .rows import TIMES, Row, failed_row, failures, rate_ratio
from .scenarios import SCENARIOS, Scenario
from .servers import start_wasmhost
from .session import Session
from .throughput import drive
from .wasmhost import ROOT, CommandFailed

MEASURED = SCENARIOS[:2]  # /api/hello and a small asset
KEYS = tuple(f"postgresql-{scenario.key}" for scenario in MEASURED)


def postgres_rows(session: Session, examples: list[Example], recording: Recording) -> list[Row]:
    """One row per scenario and example: req/s on PostgreSQL over req/s on SQLite."""
    try:
        server = PostgresServer(durable=True)
    except PostgresMissing as error:
        say(f"PostgreSQL rows not measured: {error}")
        return [
            _missing(scenario, example, str(error)) for scenario in MEASURED for example in examples
        ]
    server.start()
    try:
        url = server.new_database()
        _migrate(session, url)
        key = ("--secrets-key-file", f"{session.space.db}.secrets-key")
        on_sqlite = start_wasmhost(session)
        on_postgres = start_wasmhost(session, db=url, extra=key)
        rows = [
            _row(session, scenario, example, recording, on_postgres.port, on_sqlite.port)
            for scenario in MEASURED
            for example in examples
        ]
        for host in (on_sqlite, on_postgres):
            session.processes.stop(host)
        return rows
    finally:
        server.stop()


def _migrate(session: Session, url: str) -> None:
    """Copy every project of the bench's SQLite database to PostgreSQL."""
    argv = [sys.executable, "-m", "host", "migrate", "--from", str(session.space.db), "--to", url]
    done = subprocess.run(
        argv, capture_output=True, text=True, env=session.space.env(), cwd=ROOT, timeout=600
    )
    if done.returncode != 0:
        raise CommandFailed(f"wasmhost migrate failed:\n{done.stdout}{done.stderr}")
    say(f"moved to PostgreSQL: {done.stdout.strip().replace(chr(10), '; ')}")


def _row(
    session: Session,
    scenario: Scenario,
    example: Example,
    recording: Recording,
    postgres_port: int,
    sqlite_port: int,
) -> Row:
    """One scenario of one example on PostgreSQL, then on SQLite."""
    runs = [
        drive(port, example.project, scenario, recording, session.plan, warm_up=True)
        for port in (postgres_port, sqlite_port)
    ]
    on_postgres, on_sqlite = runs
    ratio = rate_ratio(on_postgres, on_sqlite)
    say(f"{example.project} {scenario.key} PostgreSQL / SQLite: {ratio:.2f}x")
    rates = f"{on_postgres.requests_per_second:,.0f} vs {on_sqlite.requests_per_second:,.0f}"
    return Row(
        f"postgresql-{scenario.key}",
        f"PostgreSQL / SQLite backend, {scenario.title}",
        example.language,
        TIMES,
        ratio,
        [ratio],
        detail=f"{rates} req/s",
        problems=failures("postgresql", on_postgres) + failures("sqlite", on_sqlite),
    )


def _missing(scenario: Scenario, example: Example, why: str) -> Row:
    """The row of a scenario that could not be measured."""
    key, title = f"postgresql-{scenario.key}", f"PostgreSQL / SQLite backend, {scenario.title}"
    return failed_row(key, title, example.language, TIMES, why)
