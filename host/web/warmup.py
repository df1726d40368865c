"""Warm-up at start: load the components of the most recently deployed projects.

A restarted host would otherwise make the first request to each project wait while its
compiled component is read, authenticated and mapped (tens of milliseconds for a Python
guest). Loading happens before the host says it is ready; only components already compiled
(on disk, or by another host sharing the PostgreSQL database) are loaded, at most as many as
the loader keeps in memory.
"""

from __future__ import annotations

import logging

from host.errors import WasmhostError
from host.services import Services
from host.storage.deployments import list_deployments

log = logging.getLogger("wasmhost.warmup")


def load_recent_workers(services: Services) -> int:
    """Load the workers of the most recent deployments into memory; returns how many."""
    recent = sorted(list_deployments(services.store), key=lambda d: d.deployed_at, reverse=True)
    loaded: set[str] = set()
    for deployment in recent:
        if len(loaded) >= services.settings.compiled_cache_size:
            break
        if deployment.worker_sha256 in loaded:
            continue
        try:
            services.loader.get(deployment.worker_sha256, _never_compile)
        except (WasmhostError, LookupError) as error:
            log.info("not loaded at start: %s (%s)", deployment.project_id, error)
            continue
        loaded.add(deployment.worker_sha256)
    return len(loaded)


def _never_compile() -> bytes:
    """Warm-up loads only what is compiled already: compiling is left to the first request."""
    raise LookupError("not compiled on this host yet")
