"""`wasmhost deploy [DIR]`: build when needed, then deploy to a database or a running host."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from host import logs
from host.assets.options import HTML_HANDLING_MODES, NOT_FOUND_HANDLING_MODES
from host.bundle import read_folder
from host.cli_projects import failed
from host.config import DB_HELP, Settings
from host.control_client import ControlError, RemoteControl
from host.deploy_target import Asked, Target, deploy_target
from host.errors import WasmhostError
from host.progress import Progress
from host.projects import describe


@click.command()
@click.argument(
    "folder", required=False, type=click.Path(path_type=Path, file_okay=False), metavar="[DIR]"
)
@click.option("--project", help="Project id (a-z, 0-9, '-'); default: the config file's name.")
@click.option(
    "--worker",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A built component (.wasm); default: the config's, or DIR built with wasmhost build.",
)
@click.option("--assets", type=click.Path(path_type=Path), help="Folder of static files to serve.")
@click.option("--db", help=DB_HELP)
@click.option("--url", help="Deploy to a running host's API instead (e.g. http://127.0.0.1:8080).")
@click.option("--token", envvar="WASMHOST_TOKEN", help="Bearer token for --url.")
@click.option("--html-handling", type=click.Choice(HTML_HANDLING_MODES), help="Asset HTML mode.")
@click.option(
    "--not-found-handling", type=click.Choice(NOT_FOUND_HANDLING_MODES), help="Asset miss mode."
)
@click.option(
    "--strict-isolation/--no-strict-isolation",
    default=None,
    help="A fresh instance for every request (nothing carries over between requests; slower).",
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
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help="A variable the worker reads as env.NAME (repeatable; over the config file's vars).",
)
@click.option(
    "--kv",
    "kv_bindings",
    multiple=True,
    metavar="BINDING[=NAMESPACE]",
    help="A KV namespace the worker reads as env.BINDING (repeatable; over the config file's).",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="A host the worker may fetch() from (repeatable; *.example.com for subdomains).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new version as JSON, for scripts.")
def deploy(
    folder: Path | None,
    project: str | None,
    worker: Path | None,
    assets: Path | None,
    db: str | None,
    url: str | None,
    token: str | None,
    html_handling: str | None,
    not_found_handling: str | None,
    strict_isolation: bool | None,
    variables: tuple[str, ...],
    kv_bindings: tuple[str, ...],
    allow_hosts: tuple[str, ...],
    as_json: bool,
    **limit_flags: int | None,
) -> None:
    """Deploy a project as a new version, atomically.

    DIR (default: here) is the project's folder: its wasmhost.toml, wrangler.toml or
    wrangler.jsonc gives the name, entry module (built when needed), assets folder, asset
    options, vars and KV namespaces. Flags override the file; settings given nowhere keep the
    active version's values. Secrets are set apart, with `wasmhost secret put`.
    """
    options = {
        name: value
        for name, value in (
            ("html_handling", html_handling),
            ("not_found_handling", not_found_handling),
        )
        if value is not None
    }
    limits = {name: value for name, value in limit_flags.items() if value is not None}
    if url is not None and db is not None:
        raise click.UsageError("give either --db or --url, not both")
    if url is not None and not token:
        raise click.UsageError("--url needs --token (or WASMHOST_TOKEN)")
    kv = _parse_kv(kv_bindings)
    variables_given = _parse_vars(variables)
    asked = Asked(
        folder, project, worker, assets, options, limits, variables_given, kv, allow_hosts
    )
    try:
        with deploy_target(asked) as target:
            for note in target.notes:
                click.echo(note, err=True)
            if url is not None and token:
                _deploy_remote(url, token, target, strict_isolation, as_json)
            else:
                _deploy_local(db, target, strict_isolation, as_json)
    except WasmhostError as error:
        raise click.ClickException(str(error)) from None


def _deploy_local(
    db: str | None, target: Target, strict_isolation: bool | None, as_json: bool
) -> None:
    """Validate and write the new version straight into the database."""
    from host.deploy import bundle_limits
    from host.deploy import deploy as run_deploy
    from host.services import Services

    logs.configure("warning")
    settings = Settings.load(db=db)
    bundle = read_folder(target.worker, target.assets, bundle_limits(settings))
    target.fill(bundle)
    started = time.monotonic()
    services = Services.create(settings)
    where = services.store.describe()
    try:
        deployment = run_deploy(
            services,
            target.project,
            bundle,
            target.options,
            strict_isolation,
            target.limits,
            Progress(),
        )
    finally:
        services.close()
    if as_json:
        click.echo(json.dumps(describe(deployment), indent=2, sort_keys=True))
        return
    click.echo(
        f"deployed {target.project} version {deployment.version} to {where}"
        f" in {time.monotonic() - started:.1f} s"
        f" ({len(bundle.files)} files, worker {deployment.worker_sha256[:12]})"
    )


def _deploy_remote(
    url: str, token: str, target: Target, strict_isolation: bool | None, as_json: bool
) -> None:
    """Send what the host lacks of the bundle to its API, and deploy."""
    from host.deploy import bundle_limits

    bundle = read_folder(target.worker, target.assets, bundle_limits(Settings.load()))
    target.fill(bundle)
    query = dict(target.options) | {name: str(value) for name, value in target.limits.items()}
    if strict_isolation is not None:
        query["strict_isolation"] = str(strict_isolation).lower()
    started = time.monotonic()
    try:
        remote = RemoteControl(url, token)
        result, sent = remote.deploy(target.project, bundle, query, Progress())
    except ControlError as error:
        raise failed(error) from None
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
        return
    click.echo(
        f"deployed {target.project} version {result['version']} to {remote.url}"
        f" in {time.monotonic() - started:.1f} s"
        f" (sent {sent.describe()}; worker {result['worker_sha256'][:12]})"
    )


def _parse_vars(given: tuple[str, ...]) -> dict[str, str]:
    """`--var NAME=VALUE` flags as a mapping (the last of a name wins)."""
    variables = {}
    for item in given:
        name, equals, value = item.partition("=")
        if not equals:
            raise click.BadParameter(f"{item!r}: write NAME=VALUE", param_hint="--var")
        variables[name] = value
    return variables


def _parse_kv(given: tuple[str, ...]) -> dict[str, str]:
    """`--kv BINDING[=NAMESPACE]` flags as a mapping (the namespace is the binding's name when
    not given)."""
    bindings = {}
    for item in given:
        binding, _, namespace = item.partition("=")
        bindings[binding] = namespace or binding
    return bindings
