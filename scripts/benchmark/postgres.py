"""A throwaway PostgreSQL server on a loopback port, for the tests and the benchmark.

It uses the server programs of the installed `postgresql` package (Debian keeps them in
/usr/lib/postgresql/VERSION/bin): `initdb` makes a cluster in a temporary folder, `pg_ctl`
starts it listening on 127.0.0.1 only (its socket in that folder too), and `stop()` removes
it all. Run as root, the programs run as the `postgres` user, as PostgreSQL requires.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

USER = "wasmhost"  # the cluster's superuser (trusted on loopback: a test server only)
INSTALL_HINT = "install Debian's postgresql package (scripts/setup does, as root)"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server programs are not installed."""


def server_programs() -> Path:
    """The folder holding initdb and pg_ctl (the newest version installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresMissing(f"PostgreSQL's initdb was not found: {INSTALL_HINT}")


def _version(initdb: str) -> int:
    """The major version in /usr/lib/postgresql/VERSION/bin/initdb."""
    name = Path(initdb).parent.parent.name
    return int(name) if name.isdigit() else 0


class PostgresServer:
    """One cluster: `start()`, then `url()` or `new_database()`; `stop()` removes it."""

    def __init__(self, durable: bool = False) -> None:
        self._programs = server_programs()
        self._durable = durable  # fsync and synchronous commits as in production
        self._folder = Path(tempfile.mkdtemp(prefix="wasmhost-pg-"))
        self.port = _free_port()

    def start(self) -> PostgresServer:
        """Make the cluster and start the server; RuntimeError with its log if it fails."""
        data = self._folder / "data"
        self._as_owner(["initdb", "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8"])
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self._folder}"
        if not self._durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = self._folder / "server.log"
        self._as_owner(["pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "start"])
        return self

    def url(self, database: str = "postgres") -> str:
        """The URL of one database on this server."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new, empty database's URL."""
        name = "db_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def new_schema(self) -> str:
        """The URL of a new, empty schema in the default database (quicker than a database)."""
        name = "s_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        return f"{self.url()}?options=-csearch_path%3D{name}"

    def stop(self) -> None:
        """Stop the server at once and remove its folder."""
        data = self._folder / "data"
        if data.exists():
            self._as_owner(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"], check=False)
        shutil.rmtree(self._folder, ignore_errors=True)

    def _as_owner(self, argv: list[str], check: bool = True) -> None:
        """Run a server program (as `postgres` when we are root: it refuses to run as root)."""
        command = [str(self._programs / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self._folder, owner.pw_uid, owner.pw_gid)
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            log = self._folder / "server.log"
            shown = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{argv[0]} failed:\n{result.stdout}{result.stderr}{shown}")


def _free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
