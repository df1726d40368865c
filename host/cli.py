"""The `wasmhost` command: thin commands over the same functions the API uses."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import click

from host import logs, server
from host.cli_build import build
from host.cli_deploy import deploy
from host.cli_dev import dev
from host.cli_projects import COMMANDS
from host.cli_secrets import secret
from host.config import MIB, Settings
from host.errors import WasmhostError

DB_HELP = "SQLite database file (default: wasmhost.db, or WASMHOST_DB)."


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(package_name="wasmhost")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Run untrusted WebAssembly workers and their static files, one project per subdomain."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


for _command in (deploy, dev, build, *COMMANDS, secret):
    main.add_command(_command)


def _usable_cores() -> int:
    """How many cores this process may run on (its CPU affinity, where the system tells)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@main.command()
@click.option("--db", type=click.Path(path_type=Path), help=DB_HELP)
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, help="Port to listen on (0: any).")
@click.option("--base-domain", help="Projects answer at {project}.{base-domain} [localhost].")
@click.option(
    "--token",
    envvar="WASMHOST_TOKEN",
    help="Bearer token enabling the deploy API (prefer the"
    " WASMHOST_TOKEN variable: options show in process lists).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=_usable_cores,
    show_default="the cores this process may use",
    envvar="WASMHOST_WORKERS",
    help="Worker processes sharing the socket, each with its own engine and instances"
    " (1: this process serves alone; also WASMHOST_WORKERS).",
)
@click.option(
    "--threads",
    default=32,
    show_default=True,
    help="Waitress threads per worker; keep it above project_concurrency so that one project"
    " cannot hold them all.",
)
@click.option(
    "--grace-seconds",
    type=click.FloatRange(min=0),
    default=server.GRACE_SECONDS,
    show_default=True,
    envvar="WASMHOST_GRACE_SECONDS",
    help="On SIGTERM or SIGINT, how long requests in flight may take before workers are"
    " killed (also WASMHOST_GRACE_SECONDS).",
)
def serve(
    db: Path | None,
    bind: str,
    port: int,
    base_domain: str | None,
    token: str | None,
    workers: int,
    threads: int,
    grace_seconds: float,
) -> None:
    """Serve every deployed project over HTTP with waitress, from one or more processes."""
    from host.web.app import create_app
    from host.web.body_policy import body_policy

    logs.configure()
    try:
        settings = Settings.from_env(db=db, base_domain=base_domain, token=token)
    except WasmhostError as error:
        raise click.ClickException(str(error)) from None
    _prepare_database(settings)

    def announce(actual: int) -> None:
        """Print the ready line (scripts and tests wait for it) once the socket listens."""
        click.echo(
            f"wasmhost serving {settings.db} on http://{bind}:{actual}/"
            f" (projects at http://PROJECT.{settings.base_domain}:{actual}/)"
            f", {workers} worker{'s' if workers > 1 else ''}",
        )
        sys.stdout.flush()

    try:
        server.serve(
            lambda: create_app(settings),
            host=bind,
            port=port,
            workers=workers,
            threads=threads,
            max_request_body_size=max(settings.max_request_mb, settings.max_upload_mb) * MIB,
            body_policy=body_policy(settings),
            on_ready=announce,
            grace_seconds=grace_seconds,
        )
    except server.ServeError as error:
        raise click.ClickException(str(error)) from None


def _prepare_database(settings: Settings) -> None:
    """Create the tables (in WAL mode) once, so workers starting together do not race to.

    No connection crosses the fork: making the store closes the connection it set up with.
    Host secrets need nothing here: `host_secret` makes each in one immediate transaction, so
    workers agree on it.
    """
    from host.guest_kv import open_store
    from host.storage.kv import SqliteStore

    try:
        SqliteStore(settings.db)
        open_store(settings.db)
    except sqlite3.Error as error:
        raise click.ClickException(f"cannot open the database {settings.db}: {error}") from None
