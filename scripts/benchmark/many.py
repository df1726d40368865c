"""Deploying one worker to many projects from one process: the deploy function `wasmhost
deploy` runs, without starting Python once per project."""

from __future__ import annotations

from pathlib import Path

from host.bundle import read_folder
from host.config import Settings
from host.deploy import bundle_limits, deploy
from host.errors import WasmhostError
from host.services import Services

from .wasmhost import CommandFailed, Workspace


def deploy_to_many(space: Workspace, projects: list[str], worker: Path, assets: Path) -> None:
    """Deploy `worker` and `assets` to every project, straight into the bench's database."""
    settings = Settings.load(db=space.db, cache_dir=space.compiled)
    bundle = read_folder(worker, assets, bundle_limits(settings))
    services = Services.create(settings)
    try:
        for project in projects:
            deploy(services, project, bundle, {})
    except WasmhostError as error:
        raise CommandFailed(f"deploying {project}: {error}") from None
    finally:
        services.close()
