"""`wasmhost secret put|delete|list`: a project's secrets from the terminal.

A secret's value is read from standard input (piped, or typed without echo at a terminal),
never from the command line, where it would stay in the shell's history and the process list.
Each change makes a new version of the project, like a deploy, but uploads nothing.
"""

from __future__ import annotations

import sys

import click

from host.cli_projects import EXIT_HELP, BadInput, control, print_json, target_options


@click.group()
def secret() -> None:
    """Set, remove or list a project's secrets (env.NAME in its worker, values never shown)."""


@secret.command(epilog=EXIT_HELP)
@click.argument("project_id")
@click.argument("name")
@target_options
def put(
    project_id: str, name: str, db: str | None, url: str | None, token: str | None, as_json: bool
) -> None:
    """Set secret NAME of PROJECT_ID to a value read from stdin (a new version)."""
    value = _read_value(name)
    with control(db, url, token) as target:
        active = target.put_secret(project_id, name, value)
    if as_json:
        print_json(active)
    else:
        click.echo(f"set secret {name} of {project_id}: version {active['version']} is serving")


@secret.command(epilog=EXIT_HELP)
@click.argument("project_id")
@click.argument("name")
@target_options
def delete(
    project_id: str, name: str, db: str | None, url: str | None, token: str | None, as_json: bool
) -> None:
    """Remove secret NAME of PROJECT_ID (a new version)."""
    with control(db, url, token) as target:
        active = target.delete_secret(project_id, name)
    if as_json:
        print_json(active)
    else:
        click.echo(f"deleted secret {name} of {project_id}: version {active['version']} is serving")


@secret.command(name="list", epilog=EXIT_HELP)
@click.argument("project_id")
@target_options
def list_secrets(
    project_id: str, db: str | None, url: str | None, token: str | None, as_json: bool
) -> None:
    """The names of PROJECT_ID's secrets (values are never shown)."""
    with control(db, url, token) as target:
        names = target.secrets(project_id)
    if as_json:
        print_json(names)
    elif names:
        click.echo("\n".join(names))
    else:
        click.echo(f"{project_id} has no secrets", err=True)


def _read_value(name: str) -> str:
    """The secret's value: typed without echo at a terminal, else all of stdin (one trailing
    newline dropped)."""
    if sys.stdin.isatty():
        value: str = click.prompt(f"Value of {name}", hide_input=True)
        return value
    value = sys.stdin.read()
    value = value[:-1] if value.endswith("\n") else value
    if not value:
        raise BadInput(f"no value for {name} on stdin: pipe it in, e.g. `printf %s VALUE | …`")
    return value
