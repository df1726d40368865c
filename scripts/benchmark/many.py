"""Deploying one worker to many projects in one process (what `wasmhost deploy` runs, minus
starting Python once per project)."""

from __future__ import annotations

from pathlib import Path

from .wasmhost import Workspace


def deploy_to_many(space: Workspace, projects: list[str], worker: Path, assets: Path) -> None:
    """Deploy `worker` and `assets` to every project, through the deploy function the CLI uses."""
    from host.bundle import read_folder
    from host.config import Settings
    from host.deploy import bundle_limits, deploy
    from host.services import Services

    settings = Settings.from_env(db=space.db, cache_dir=space.compiled)
    bundle = read_folder(worker, assets, bundle_limits(settings))
    services = Services.create(settings)
    try:
        for project in projects:
            deploy(services, project, bundle, {})
    finally:
        services.close()
