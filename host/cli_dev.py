"""`wasmhost dev [DIR]`: the development loop, like `wrangler dev`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from host import logs, server
from host.config import MIB, Settings
from host.deploy_target import Asked
from host.errors import WasmhostError


@click.command()
@click.argument(
    "folder",
    required=False,
    default=".",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    metavar="[DIR]",
)
@click.option("--project", help="Project id; default: the config file's name.")
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8787, show_default=True, help="Port to listen on (0: any).")
@click.option(
    "--db",
    help="The dev database, a file or URL [DIR/.wasmhost/dev.db], apart from any host's.",
)
def dev(folder: Path, project: str | None, bind: str, port: int, db: str | None) -> None:
    """Build, deploy and serve a project folder; rebuild and redeploy on every change.

    The next request after a change sees it. While a change does not build or deploy, every
    request gets a 500 page saying why (the error is printed here too). One line is logged
    per request.
    """
    from host.dev import DevApp, DevSession, Watcher
    from host.services import Services
    from host.web.app import create_app
    from host.web.body_policy import body_policy

    logs.configure()
    try:
        settings = Settings.load(db=db or folder / ".wasmhost" / "dev.db", token="")
    except WasmhostError as error:
        raise click.ClickException(str(error)) from None
    services = Services.create(settings)
    session = DevSession(services, Asked(folder, project))

    def redeploy() -> None:
        """Rebuild and redeploy, and say how it went."""
        click.echo(session.redeploy().describe(), err=True)

    click.echo(f"building {folder.resolve()} …", err=True)
    redeploy()
    watcher = Watcher(folder, redeploy)

    def announce(actual: int) -> None:
        """The ready line (tests wait for it), with the project's address."""
        name = session.outcome.project or "PROJECT"
        click.echo(
            f"wasmhost dev serving http://{name}.{settings.base_domain}:{actual}/"
            f" (watching {folder}; Ctrl-C to stop)"
        )
        sys.stdout.flush()
        watcher.start()

    try:
        server.serve(
            lambda: DevApp(create_app(services=services), session),
            host=bind,
            port=port,
            workers=1,
            threads=8,
            max_request_body_size=max(settings.max_request_mb, settings.max_upload_mb) * MIB,
            body_policy=body_policy(settings),
            on_ready=announce,
        )
    except server.ServeError as error:
        raise click.ClickException(str(error)) from None
    finally:
        watcher.stop()
        services.close()
