"""`wasmhost migrate`: copy projects from one database to another (SQLite to PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import click

from host.config import Settings
from host.errors import WasmhostError
from host.guest_kv import open_kv_store
from host.storage.layout_upgrade import upgrade_layout
from host.storage.project_copy import Databases, ProjectExists, copy_project, project_ids
from host.storage.secrets import check_secrets_key, open_secrets_key
from host.storage.store import open_store


@click.command()
@click.argument("projects", nargs=-1, metavar="[PROJECT_ID]...")
@click.option("--from", "source", required=True, help="Database to copy from (file or URL).")
@click.option("--to", "target", required=True, help="Database to copy to (file or URL).")
@click.option(
    "--secrets-key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The key the source's secrets are sealed with [SOURCE.secrets-key].",
)
def migrate(
    projects: tuple[str, ...], source: str, target: str, secrets_key_file: Path | None
) -> None:
    """Copy projects (every one by default) to another database, each whole in one transaction,
    e.g. `wasmhost migrate --from wasmhost.db --to postgresql://wasmhost@db/wasmhost`.

    Projects the target already has are skipped (exit code 1). Secrets are copied sealed: the
    target's hosts need the source's secrets key file (it is checked against both databases).
    Compiled components are not copied; hosts compile each once (and share it).
    """
    settings = _settings(source, secrets_key_file)
    try:
        origin = Databases(open_store(source), open_kv_store(source))
        upgrade_layout(origin.store)
        key = open_secrets_key(origin.store, settings.secrets_key_path)
        destination = Databases(open_store(target), open_kv_store(target))
        check_secrets_key(destination.store, key, settings.secrets_key_path)
    except WasmhostError as error:
        raise click.ClickException(str(error)) from None
    known = project_ids(origin.store)
    missing = [project_id for project_id in projects if project_id not in known]
    if missing:
        raise click.ClickException(f"not in {origin.store.describe()}: {', '.join(missing)}")
    skipped = _copy_each(origin, destination, list(projects) or known)
    if skipped:
        where = destination.store.describe()
        raise click.ClickException(f"{skipped} skipped: they exist in {where} already")


def _settings(source: str, secrets_key_file: Path | None) -> Settings:
    """The source's settings (where its secrets key is); the source must exist."""
    try:
        settings = Settings.load(db=source, secrets_key_file=secrets_key_file)
    except WasmhostError as error:
        raise click.ClickException(str(error)) from None
    if settings.db_path is not None and not settings.db_path.is_file():
        raise click.ClickException(f"no database at {source}: give the file projects are in")
    return settings


def _copy_each(source: Databases, target: Databases, projects: list[str]) -> int:
    """Copy each project, saying so; how many were skipped."""
    skipped = 0
    for project_id in projects:
        try:
            copied = copy_project(source, target, project_id)
        except ProjectExists as error:
            click.echo(f"skipped {error}", err=True)
            skipped += 1
            continue
        size = f"{copied.bytes / 1e6:.1f} MB"
        click.echo(f"copied {project_id}: {copied.keys} keys, {size}")
    return skipped
