"""A redeploy keeps the active version's settings unless it gives new ones."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from wasmtime import wat2wasm

from host.bundle import Bundle
from host.config import Settings
from host.deploy import deploy
from host.services import Services
from tests.runtime import wat_guests

WORKER = bytes(wat2wasm(wat_guests.guest(wat_guests.HELLO)))


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """Services on a fresh database."""
    services = Services.create(Settings(db=tmp_path / "h.db", cache_dir=tmp_path / "c"))
    yield services
    services.close()


def site() -> Bundle:
    """A worker with a 404 page."""
    return Bundle(WORKER, {"/404.html": b"lost"}, has_assets=True)


def test_settings_not_given_keep_the_active_versions_values(services: Services) -> None:
    first = deploy(
        services, "p", site(), {"not_found_handling": "404-page"}, True, {"cpu_deadline_ms": 200}
    )
    again = deploy(services, "p", site(), {})
    assert again.version == first.version + 1
    assert again.asset_options == first.asset_options
    assert (again.strict_isolation, dict(again.limits)) == (True, {"cpu_deadline_ms": 200})


def test_settings_given_replace_the_active_versions_values(services: Services) -> None:
    deploy(
        services, "p", site(), {"not_found_handling": "404-page"}, True, {"cpu_deadline_ms": 200}
    )
    changed = deploy(
        services, "p", site(), {"not_found_handling": "none"}, False, {"cpu_deadline_ms": 300}
    )
    assert changed.asset_options["not_found_handling"] == "none"
    assert changed.asset_options["html_handling"] == "auto-trailing-slash"
    assert (changed.strict_isolation, dict(changed.limits)) == (False, {"cpu_deadline_ms": 300})


def test_a_first_deploy_takes_the_defaults(services: Services) -> None:
    first = deploy(services, "new", site(), {})
    assert first.asset_options == {
        "html_handling": "auto-trailing-slash",
        "not_found_handling": "none",
    }
    assert (first.strict_isolation, dict(first.limits)) == (False, {})
