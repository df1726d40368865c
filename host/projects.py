"""Projects as the API and the CLI show them: JSON-ready views over the stored versions."""

from __future__ import annotations

from dataclasses import asdict

from host.assets.manifests import ManifestCache
from host.errors import ProjectNotFound
from host.services import Services
from host.storage.deployments import (
    Deployment,
    active_deployment,
    list_deployments,
    list_versions,
    project_created,
)
from host.storage.projects import check_project_id


def list_projects(services: Services) -> list[dict[str, object]]:
    """Every project's active version, by project id."""
    return [describe(d) for d in list_deployments(services.store)]


def describe(deployment: Deployment) -> dict[str, object]:
    """A version as the API shows it: its secrets by name only."""
    return asdict(deployment) | {
        "asset_options": dict(deployment.asset_options),
        "limits": dict(deployment.limits),
        "vars": dict(deployment.vars),
        "secrets": sorted(deployment.secrets),
    }


def show_project(services: Services, project_id: str) -> dict[str, object]:
    """A project as the API shows it: the active version, its files, the versions kept."""
    store = services.store
    active, versions = _active_and_kept(services, project_id)
    created = project_created(store, project_id)
    manifest = ManifestCache(store, capacity=1).get(active).manifest
    files = [
        {"path": path, "size": entry.size, "content_type": entry.content_type, "etag": entry.etag}
        for path, entry in (manifest.files.items() if manifest else ())
    ]
    return {
        "project_id": project_id,
        "created": created or (versions[0].deployed_at if versions else active.deployed_at),
        "active": describe(active),
        "versions": len(versions),
        "files": files,
    }


def list_project_versions(services: Services, project_id: str) -> list[dict[str, object]]:
    """The project's kept versions as the API shows them, each marked active or not."""
    active, versions = _active_and_kept(services, project_id)
    return [describe(v) | {"active": v.version == active.version} for v in versions]


def _active_and_kept(services: Services, project_id: str) -> tuple[Deployment, list[Deployment]]:
    """The active version and the kept ones, read together; ProjectNotFound if none."""
    store = services.store
    check_project_id(project_id)
    with store.snapshot():
        active = active_deployment(store, project_id)
        if active is None:
            raise ProjectNotFound(project_id)
        return active, list_versions(store, project_id)
