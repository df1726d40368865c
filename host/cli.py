"""The `wasmhost` command: thin commands over the same functions the API uses."""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import time
from pathlib import Path

import click

from host import server
from host.assets.options import HTML_HANDLING_MODES, NOT_FOUND_HANDLING_MODES
from host.bundle import Bundle, read_folder
from host.cli_build import build
from host.cli_projects import COMMANDS, failed
from host.config import MIB, Settings
from host.control_client import ControlError, RemoteControl
from host.errors import WasmhostError

DB_HELP = "SQLite database file (default: wasmhost.db, or WASMHOST_DB)."


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(package_name="wasmhost")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Run untrusted WebAssembly workers and their static files, one project per subdomain."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


for _command in (build, *COMMANDS):
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

    _configure_logging()
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
    """Create the table (in WAL mode) once, so workers starting together do not race to.

    No connection crosses the fork: making the store closes the connection it set up with.
    Host secrets need nothing here: `host_secret` makes each in one immediate transaction, so
    workers agree on it.
    """
    from host.storage.kv import SqliteStore

    try:
        SqliteStore(settings.db)
    except sqlite3.Error as error:
        raise click.ClickException(f"cannot open the database {settings.db}: {error}") from None


@main.command()
@click.option("--project", required=True, help="Project id: a-z, 0-9 and '-', up to 63 chars.")
@click.option(
    "--worker",
    required=True,
    type=click.Path(path_type=Path),
    help="The component (.wasm) built by scripts/build-guest.",
)
@click.option("--assets", type=click.Path(path_type=Path), help="Folder of static files to serve.")
@click.option("--db", type=click.Path(path_type=Path), help=DB_HELP)
@click.option("--url", help="Deploy to a running host's API instead (e.g. http://127.0.0.1:8080).")
@click.option("--token", envvar="WASMHOST_TOKEN", help="Bearer token for --url.")
@click.option("--html-handling", type=click.Choice(HTML_HANDLING_MODES), help="Asset HTML mode.")
@click.option(
    "--not-found-handling", type=click.Choice(NOT_FOUND_HANDLING_MODES), help="Asset miss mode."
)
@click.option(
    "--strict-isolation/--no-strict-isolation",
    default=None,
    help="A fresh instance for every request (nothing carries over between requests; slower)."
    " Options not given keep the active version's values.",
)
@click.option(
    "--cpu-deadline-ms",
    type=click.IntRange(min=1),
    help="This project's CPU deadline per request (at most the host's cpu_deadline_ms).",
)
@click.option(
    "--wall-clock-ms",
    type=click.IntRange(min=1),
    help="This project's wall-clock limit per request, waits included (at most the host's).",
)
@click.option(
    "--memory-limit-mb",
    type=click.IntRange(min=1),
    help="This project's memory per instance (at most the host's memory_limit_mb).",
)
def deploy(
    project: str,
    worker: Path,
    assets: Path | None,
    db: Path | None,
    url: str | None,
    token: str | None,
    html_handling: str | None,
    not_found_handling: str | None,
    strict_isolation: bool | None,
    cpu_deadline_ms: int | None,
    wall_clock_ms: int | None,
    memory_limit_mb: int | None,
) -> None:
    """Deploy a worker and its files to a project, atomically."""
    asked = {
        "cpu_deadline_ms": cpu_deadline_ms,
        "wall_clock_ms": wall_clock_ms,
        "memory_limit_mb": memory_limit_mb,
    }
    limits = {name: value for name, value in asked.items() if value is not None}
    options = {
        k: v
        for k, v in {
            "html_handling": html_handling,
            "not_found_handling": not_found_handling,
        }.items()
        if v is not None
    }
    try:
        if url is not None:
            if db is not None:
                raise click.UsageError("give either --db or --url, not both")
            if strict_isolation is not None:
                options["strict_isolation"] = str(strict_isolation).lower()
            options.update({name: str(value) for name, value in limits.items()})
            _deploy_remote(url, token, project, worker, assets, options)
        else:
            _deploy_local(db, project, worker, assets, options, strict_isolation, limits)
    except WasmhostError as error:
        raise click.ClickException(str(error)) from None


def _deploy_local(
    db: Path | None,
    project: str,
    worker: Path,
    assets: Path | None,
    options: dict[str, str],
    strict_isolation: bool | None,
    limits: dict[str, int],
) -> None:
    """Validate and write the deployment straight into the database."""
    from host.deploy import bundle_limits
    from host.deploy import deploy as run_deploy
    from host.services import Services

    _configure_logging(logging.WARNING)
    settings = Settings.from_env(db=db)
    bundle = read_folder(worker, assets, bundle_limits(settings))
    _say_reading(bundle)
    services = Services.create(settings)
    try:
        deployment = run_deploy(services, project, bundle, options, strict_isolation, limits)
    finally:
        services.close()
    click.echo(
        f"deployed {project} version {deployment.version} to {settings.db}"
        f" ({len(bundle.files)} files, worker {deployment.worker_sha256[:12]})"
    )


def _deploy_remote(
    url: str,
    token: str | None,
    project: str,
    worker: Path,
    assets: Path | None,
    options: dict[str, str],
) -> None:
    """Pack the bundle and send it to a running host's deploy API."""
    if not token:
        raise click.UsageError("--url needs --token (or WASMHOST_TOKEN)")
    from host.deploy import bundle_limits

    bundle = read_folder(worker, assets, bundle_limits(Settings.from_env()))
    _say_reading(bundle)
    started = time.monotonic()
    try:
        remote = RemoteControl(url, token)
        result, sent = remote.deploy(project, bundle, options)
    except ControlError as error:
        raise failed(error) from None
    seconds = time.monotonic() - started
    with_worker = "the worker and " if sent.worker else ""
    click.echo(
        f"deployed {project} version {result['version']} to {remote.url} in {seconds:.1f} s"
        f" (sent {with_worker}{sent.files} of {sent.total_files} files, {sent.bytes / 1e6:.1f} MB;"
        f" worker {result['worker_sha256'][:12]})"
    )


def _say_reading(bundle: Bundle) -> None:
    """Tell the user what is about to be validated (compiling can take seconds)."""
    size = len(bundle.worker) / 1e6
    click.echo(f"checking worker ({size:.1f} MB) and {len(bundle.files)} asset files…", err=True)


def _configure_logging(level: int = logging.INFO) -> None:
    """Log lines to stderr with time, level and source, control characters escaped."""
    from host import logs

    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr
    )
    logs.install()  # guest output and request paths never put terminal escapes in the log
    # waitress warns once per request queued behind busy threads: under load that is a log
    # line (and its cost) per request, when the server can least afford it.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
