"""A project's secrets: set or removed one at a time, each change a new version.

As with Workers, a secret is part of the deployment: putting or deleting one makes a new
version like the active one but for its secrets (no upload, no compile), and a rollback
brings back the secrets of the version rolled back to. Values are sealed (`host.secret_box`)
before they are stored and are never shown again: the API and the CLI list names only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from host.deploy import forget_workers
from host.env_vars import check_count, check_name, check_value
from host.errors import DeployError, ProjectNotFound
from host.services import Services
from host.storage.deployments import Deployment, active_deployment, derive_version
from host.storage.projects import check_project_id

log = logging.getLogger("wasmhost.deploy")
Change = Callable[[Deployment], Mapping[str, object]]


def put_secret(services: Services, project_id: str, name: str, value: str) -> Deployment:
    """Set the secret `name` (new or replaced) in a new version of the project."""
    check_project_id(project_id)
    check_name(name, "secret")
    check_value(name, value, "secret")
    sealed = services.secret_box.seal(project_id, name, value)

    def change(active: Deployment) -> dict[str, object]:
        """The active version's secrets with this one set."""
        secrets = {**active.secrets, name: sealed}
        check_count(active.vars, secrets, active.kv_namespaces)
        return {"secrets": secrets}

    return _new_version(services, project_id, change, f"set secret {name}")


def delete_secret(services: Services, project_id: str, name: str) -> Deployment:
    """Remove the secret `name` in a new version of the project; DeployError if it has none."""
    check_project_id(project_id)

    def change(active: Deployment) -> dict[str, object]:
        """The active version's secrets without this one."""
        if name not in active.secrets:
            raise DeployError(f"{project_id} has no secret {name!r}")
        return {"secrets": {n: v for n, v in active.secrets.items() if n != name}}

    return _new_version(services, project_id, change, f"deleted secret {name}")


def secret_names(services: Services, project_id: str) -> list[str]:
    """The names of the active version's secrets, sorted (values are never shown)."""
    check_project_id(project_id)
    active = active_deployment(services.store, project_id)
    if active is None:
        raise ProjectNotFound(project_id)
    return sorted(active.secrets)


def _new_version(services: Services, project_id: str, change: Change, what: str) -> Deployment:
    """Derive and switch to a new version with `change`, then retire the old instances."""
    keep = services.settings.keep_versions
    deployment, released = derive_version(services.store, project_id, change, keep)
    services.sandbox.pool.drop_project(project_id)
    forget_workers(services, released)
    log.info("%s: %s (version %d)", project_id, what, deployment.version)
    return deployment
