"""Warm-up at start: the latest deployments' components are loaded before the first request."""

import shutil
from pathlib import Path

from wasmtime import wat2wasm

from host.bundle import Bundle
from host.config import Settings
from host.deploy import deploy
from host.services import Services
from host.web.warmup import load_recent_workers
from tests.runtime import wat_guests


def deployed(tmp_path: Path, projects: dict[str, str], cache_size: int = 16) -> Settings:
    """A database with each project deployed with its WAT guest; the settings to open it."""
    settings = Settings(
        db=tmp_path / "w.db", cache_dir=tmp_path / "c", compiled_cache_size=cache_size
    )
    services = Services.create(settings)
    try:
        for project, body in projects.items():
            deploy(services, project, Bundle(bytes(wat2wasm(wat_guests.guest(body)))), {})
    finally:
        services.close()
    return settings


def started(settings: Settings) -> tuple[Services, int]:
    """A new process's services (as after a restart) and how many workers the warm-up loaded."""
    services = Services.create(settings)
    return services, load_recent_workers(services)


def test_a_restart_loads_the_deployed_workers(tmp_path: Path) -> None:
    settings = deployed(
        tmp_path, {"a": wat_guests.HELLO, "b": wat_guests.COUNT, "c": wat_guests.HELLO}
    )
    services, loaded = started(settings)
    try:
        assert loaded == 2  # a and c share one component
    finally:
        services.close()


def test_only_the_most_recent_fit(tmp_path: Path) -> None:
    bodies = {"a": wat_guests.HELLO, "b": wat_guests.COUNT, "c": wat_guests.TRAP}
    services, loaded = started(deployed(tmp_path, bodies, cache_size=2))
    try:
        assert loaded == 2
    finally:
        services.close()


def test_nothing_is_compiled_at_start(tmp_path: Path) -> None:
    settings = deployed(tmp_path, {"a": wat_guests.HELLO})
    shutil.rmtree(settings.compiled_dir)
    services, loaded = started(settings)
    try:
        assert loaded == 0
        assert not settings.compiled_dir.exists() or not any(settings.compiled_dir.rglob("*.cwasm"))
    finally:
        services.close()
