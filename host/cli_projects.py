"""`wasmhost projects`, `project`, `versions`, `rollback`, `delete`: projects from the terminal.

Each works on a local database (`--db`) or a running host (`--url`, `--token`) through
`host.control_client`, prints a short table (or `--json` for scripts), and exits with a code
that says what went wrong: 1 refused, 2 usage, 3 no such project or version, 4 host
unreachable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from host.config import DB_HELP
from host.control_client import Control, ControlError, local_or_remote
from host.errors import WasmhostError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_HELP = "Exit codes: 0 done, 1 refused, 2 usage, 3 no such project or version, 4 unreachable."


class Refused(click.ClickException):
    """The host refused or failed (exit code 1)."""

    exit_code = 1


class BadInput(click.ClickException):
    """The command was given something unusable: an id, a URL, options (exit code 2)."""

    exit_code = 2


class NotFound(click.ClickException):
    """No such project or version (exit code 3)."""

    exit_code = 3


class Unreachable(click.ClickException):
    """The host at --url did not answer (exit code 4)."""

    exit_code = 4


FAILURES: dict[str, type[click.ClickException]] = {
    "usage": BadInput,
    "bad_url": BadInput,
    "invalid_project_id": BadInput,
    "project_not_found": NotFound,
    "version_not_found": NotFound,
    "unreachable": Unreachable,
}


def failed(error: ControlError) -> click.ClickException:
    """A ControlError as a one-line exit with the code its kind calls for."""
    return FAILURES.get(error.code, Refused)(str(error))


def target_options(command: F) -> F:
    """`--db`, `--url`, `--token` and `--json`, shared by every command here."""
    options = [
        click.option("--db", help=DB_HELP),
        click.option("--url", help="A running host instead (e.g. http://127.0.0.1:8080)."),
        click.option("--token", envvar="WASMHOST_TOKEN", help="Bearer token for --url."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@contextmanager
def control(db: str | None, url: str | None, token: str | None) -> Iterator[Control]:
    """The control for the options given; ControlErrors become one-line exits."""
    try:
        target = local_or_remote(db, url, token)
    except ControlError as error:
        raise failed(error) from None
    except WasmhostError as error:  # the database could not be opened
        raise Refused(str(error)) from None
    try:
        yield target
    except ControlError as error:
        raise failed(error) from None
    finally:
        target.close()


@click.command(epilog=EXIT_HELP)
@target_options
def projects(db: str | None, url: str | None, token: str | None, as_json: bool) -> None:
    """List every project with its active version."""
    with control(db, url, token) as target:
        found = target.projects()
    if as_json:
        print_json(found)
    elif not found:
        click.echo("no projects yet: deploy one with `wasmhost deploy`")
    else:
        rows = [
            [p["project_id"], p["version"], p["files"], _size(p["size"]), p["deployed_at"]]
            for p in found
        ]
        _table(["PROJECT", "VERSION", "FILES", "SIZE", "DEPLOYED"], rows)


@click.command(epilog=EXIT_HELP)
@click.argument("project_id")
@target_options
def project(
    project_id: str, db: str | None, url: str | None, token: str | None, as_json: bool
) -> None:
    """Show a project: its active version, that version's files, the versions kept."""
    with control(db, url, token) as target:
        found = target.project(project_id)
    if as_json:
        print_json(found)
        return
    active = found["active"]
    click.echo(f"{project_id}: version {active['version']} of {found['versions']} kept")
    click.echo(f"created {found['created']}, active version deployed {active['deployed_at']}")
    click.echo(
        f"worker {active['worker_sha256'][:12]}, {active['files']} files, {_size(active['size'])}"
    )
    if found["files"]:
        click.echo()
        rows = [[f["path"], _size(f["size"]), f["content_type"]] for f in found["files"]]
        _table(["PATH", "SIZE", "TYPE"], rows)


@click.command(epilog=EXIT_HELP)
@click.argument("project_id")
@target_options
def versions(
    project_id: str, db: str | None, url: str | None, token: str | None, as_json: bool
) -> None:
    """List a project's kept versions, oldest first; the active one is marked with *."""
    with control(db, url, token) as target:
        found = target.versions(project_id)
    if as_json:
        print_json(found)
        return
    rows = [
        [
            f"{v['version']}{' *' if v['active'] else ''}",
            v["deployed_at"],
            v["worker_sha256"][:12],
            v["files"],
            _size(v["size"]),
        ]
        for v in found
    ]
    _table(["VERSION", "DEPLOYED", "WORKER", "FILES", "SIZE"], rows)


@click.command(epilog=EXIT_HELP)
@click.argument("project_id")
@click.argument("version", type=click.IntRange(min=1))
@target_options
def rollback(
    project_id: str,
    version: int,
    db: str | None,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Switch PROJECT_ID back to one of its kept versions (no upload, one step)."""
    with control(db, url, token) as target:
        active = target.rollback(project_id, version)
    if as_json:
        print_json(active)
    else:
        click.echo(
            f"{project_id} now serves version {active['version']}"
            f" (deployed {active['deployed_at']})"
        )


@click.command(epilog=EXIT_HELP)
@click.argument("project_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@target_options
def delete(
    project_id: str,
    yes: bool,
    db: str | None,
    url: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Delete a project: every version, file and worker it stored."""
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError(f"deleting {project_id} cannot be undone: add --yes")
        click.confirm(f"Delete {project_id} and all its versions?", abort=True)
    with control(db, url, token) as target:
        target.delete(project_id)
    if as_json:
        print_json({"deleted": project_id})
    else:
        click.echo(f"deleted {project_id}")


COMMANDS = (projects, project, versions, rollback, delete)


def print_json(value: object) -> None:
    """Indented JSON on stdout."""
    click.echo(json.dumps(value, indent=2, sort_keys=True))


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Left-aligned columns, two spaces apart."""
    cells = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _size(count: int) -> str:
    """A byte count for people: `812 B`, `12.3 kB`, `4.1 MB`."""
    if count < 1000:
        return f"{count} B"
    value = count / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
