"""The `wasmhost` command: thin commands over the same functions the API uses."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from host import logs, server
from host.allocator import limit_arenas
from host.cli_build import build
from host.cli_deploy import deploy
from host.cli_dev import dev
from host.cli_migrate import migrate
from host.cli_projects import COMMANDS
from host.cli_secrets import secret
from host.config import MIB, Settings, env_name, setting_type, settings_fields, shown_default
from host.errors import WasmhostError
from host.metrics_dir import metrics_dir, worker_exited


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(package_name="wasmhost")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Run untrusted WebAssembly workers and their static files, one project per subdomain."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


for _command in (deploy, dev, build, *COMMANDS, secret, migrate):
    main.add_command(_command)


SERVE_EXAMPLES = """
Every setting below can also come from a WASMHOST_<NAME> variable or a key in a TOML file
(--config); a flag wins over a variable, a variable over the file.
"""


def setting_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add one flag per setting (`--cpu-deadline-ms`), its help, variable and default shown."""
    for f in reversed(settings_fields()):
        flag = "--" + f.name.replace("_", "-")
        help = f"{f.metadata['help']} [{env_name(f.name)}; default: {shown_default(f)}]"
        kind = setting_type(f)
        if kind is bool:
            option = click.option(f"{flag}/--no-{flag[2:]}", f.name, default=None, help=help)
        elif f.metadata["choices"]:
            choice = click.Choice(f.metadata["choices"])
            option = click.option(flag, f.name, type=choice, default=None, help=help)
        else:
            click_type = click.Path(path_type=Path) if kind is Path else kind
            option = click.option(flag, f.name, type=click_type, default=None, help=help)
        command = option(command)
    return command


@main.command(epilog=SERVE_EXAMPLES)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="WASMHOST_CONFIG",
    help="TOML file of settings, keys named as below with underscores [WASMHOST_CONFIG].",
)
@setting_options
def serve(config: Path | None, **flags: Any) -> None:
    """Serve every deployed project over HTTP with waitress, from one or more processes."""
    from host.web.app import create_app
    from host.web.body_policy import body_policy

    try:
        settings = Settings.load(config, **flags)
    except WasmhostError as error:
        raise click.ClickException(str(error)) from None
    logs.configure(settings.log_level, settings.log_format)
    limit_arenas()  # before the database's pool starts threads
    projects, where = _prepare_database(settings)
    workers = settings.worker_count

    def announce(actual: int) -> None:
        """Print the ready line (scripts and tests wait for it) once the socket listens."""
        control = f"http://{settings.host}:{actual}/"
        api = f"deploy API and control page at {control}" if settings.token else "deploy API off"
        click.echo(
            f"wasmhost serving {where} ({_count(projects, 'project')}) on {control}"
            f" (projects at http://PROJECT.{settings.base_domain}:{actual}/)"
            f", {_count(workers, 'worker')}; {api}",
        )
        sys.stdout.flush()

    try:
        with metrics_dir():
            server.serve(
                lambda: create_app(settings),
                host=settings.host,
                port=settings.port,
                workers=workers,
                threads=settings.threads,
                max_request_body_size=max(settings.max_request_mb, settings.max_upload_mb) * MIB,
                body_policy=body_policy(settings),
                on_ready=announce,
                grace_seconds=settings.grace_seconds,
                on_worker_exit=worker_exited,
            )
    except server.ServeError as error:
        raise click.ClickException(str(error)) from None


def _count(number: int, noun: str) -> str:
    """`1 project`, `3 projects`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _prepare_database(settings: Settings) -> tuple[int, str]:
    """Create the tables once (so workers starting together do not race to) and check the
    secrets key against the database; how many projects are deployed, and where.

    No connection crosses the fork: every store made here is closed again.
    """
    from host.guest_kv import open_kv_store
    from host.storage.deployments import list_deployments
    from host.storage.secrets import open_secrets_key
    from host.storage.store import open_store

    try:
        store = open_store(settings.db)
        try:
            open_kv_store(settings.db).close()
            open_secrets_key(store, settings.secrets_key_path)
            return len(list_deployments(store)), store.describe()
        finally:
            store.close()  # no connection may cross the fork into the workers
    except sqlite3.Error as error:
        raise click.ClickException(f"cannot open the database {settings.db}: {error}") from None
    except WasmhostError as error:
        raise click.ClickException(str(error)) from None
