"""Deploying a project: the one function behind both the CLI and the deploy API."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from host.assets.build import build_assets
from host.assets.options import AssetOptions
from host.bundle import Bundle, BundleLimits
from host.config import MIB, Settings
from host.env_vars import check_count, check_kv_namespaces, check_vars
from host.errors import WasmhostError
from host.guest_kv import delete_project_kv
from host.metrics import meters
from host.outbound import check_hosts
from host.progress import QUIET, Progress
from host.project_limits import project_limits, sandbox_limits
from host.reuse import complete_from_storage, stored_variants
from host.services import Services
from host.storage.deployments import (
    Deployment,
    NewVersion,
    activate_version,
    active_deployment,
    delete_project,
    write_version,
)
from host.storage.projects import check_project_id

log = logging.getLogger("wasmhost.deploy")


def bundle_limits(settings: Settings) -> BundleLimits:
    """The bundle limits the settings call for."""
    return BundleLimits(
        max_file_bytes=settings.max_file_mb * MIB,
        max_files=settings.max_files,
        max_total_bytes=settings.max_upload_mb * MIB,
    )


def deploy(
    services: Services,
    project_id: str,
    bundle: Bundle,
    options: Mapping[str, str],
    strict_isolation: bool | None = None,
    limits: Mapping[str, object] | None = None,
    progress: Progress = QUIET,
) -> Deployment:
    """Validate everything, then store a new version and switch to it in one transaction.

    Nothing is written unless the worker compiles, implements the world and starts within
    the sandbox limits (the project's own `limits`, if it asks for tighter ones), the files
    pass the limits and the options are valid. With `strict_isolation` every request gets a
    fresh instance instead of a warm one. Asset options, `strict_isolation` and limits not
    given keep the active version's values, as do the variables unless the bundle has some
    (then they replace them) and the secrets (changed only through `host.project_secrets`).
    Long steps are reported to `progress`.
    """
    try:
        deployment = _deploy(
            services, project_id, bundle, options, strict_isolation, limits, progress
        )
    except WasmhostError:
        meters().deploys.labels("refused").inc()
        raise
    meters().deploys.labels("deployed").inc()
    return deployment


def _deploy(
    services: Services,
    project_id: str,
    bundle: Bundle,
    options: Mapping[str, str],
    strict_isolation: bool | None,
    limits: Mapping[str, object] | None,
    progress: Progress,
) -> Deployment:
    """`deploy`, uncounted."""
    check_project_id(project_id)
    limits_of_bundles = bundle_limits(services.settings)
    bundle = complete_from_storage(services.store, project_id, bundle, limits_of_bundles)
    previous = active_deployment(services.store, project_id)
    kept = previous or Deployment(project_id, "", 0, "", "")
    asset_options = AssetOptions.from_mapping({**kept.asset_options, **options})
    own_limits = {**kept.limits, **project_limits(limits or {}, services.settings)}
    if strict_isolation is None:
        strict_isolation = kept.strict_isolation
    variables = dict(kept.vars) if bundle.vars is None else check_vars(bundle.vars)
    kv = kept.kv_namespaces if bundle.kv_namespaces is None else bundle.kv_namespaces
    kv = check_kv_namespaces(kv)
    check_count(variables, kept.secrets, kv)
    given_hosts = bundle.outbound_hosts
    outbound = check_hosts(list(kept.outbound_hosts) if given_hosts is None else given_hosts)
    with progress.step(f"compiling and starting the worker ({len(bundle.worker) / 1e6:.1f} MB)"):
        worker = services.loader.compile(bundle.worker)
        services.sandbox.check_starts(worker, sandbox_limits(services.sandbox.limits, own_limits))
    assets = None
    if bundle.has_assets:
        with progress.step(f"preparing {len(bundle.files)} asset files"):
            known = stored_variants(services.store, previous) if previous else None
            assets = build_assets(bundle.files, asset_options, known)
    new = NewVersion(
        worker=bundle.worker,
        worker_sha256=worker.sha256,
        files=assets.files if assets else {},
        manifest=assets.manifest.to_json() if assets else None,
        variants=assets.variants if assets else {},
        asset_options=asset_options.to_mapping(),
        strict_isolation=strict_isolation,
        limits=own_limits,
        vars=variables,
        secrets=kept.secrets,
        kv_namespaces=kv,
        outbound_hosts=outbound,
    )
    keep = services.settings.keep_versions
    with progress.step(f"storing the new version of {project_id}"):
        deployment, released = write_version(services.store, project_id, new, keep)
    services.sandbox.pool.drop_project(project_id)
    forget_workers(services, released)
    log.info(
        "deployed %s version %d (%d files, worker %s)",
        project_id,
        deployment.version,
        len(bundle.files),
        worker.sha256[:12],
    )
    return deployment


def rollback(services: Services, project_id: str, version: int) -> Deployment:
    """Switch the project back to one of its kept versions: no upload, no compile."""
    check_project_id(project_id)
    deployment = activate_version(services.store, project_id, version)
    services.sandbox.pool.drop_project(project_id)
    log.info("rolled %s back to version %d", project_id, version)
    return deployment


def delete(services: Services, project_id: str) -> None:
    """Delete the project: every version, file and worker, and compiled artifacts no one uses."""
    check_project_id(project_id)
    released = delete_project(services.store, project_id)
    delete_project_kv(services.kv_store, project_id)
    services.sandbox.pool.drop_project(project_id)
    forget_workers(services, released)
    log.info("deleted %s", project_id)


def forget_workers(services: Services, sha256s: set[str]) -> None:
    """Drop the compiled artifacts of workers no project keeps any more."""
    for sha256 in sha256s:
        services.loader.forget(sha256)
