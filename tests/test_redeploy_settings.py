"""A redeploy keeps the active version's settings unless it gives new ones, and the compressed
variants of files it did not change."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from wasmtime import wat2wasm

from host.assets import compress
from host.assets.manifests import ManifestCache
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


def test_a_redeploy_takes_the_stored_variants_of_unchanged_files(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = b"export const greet = (name) => `hello ${name}`;\n" * 2000
    calls: list[int] = []
    real = compress.compress_one
    monkeypatch.setattr(
        compress, "compress_one", lambda data: calls.append(len(data)) or real(data)
    )
    files = {"/app.js": script, "/other.js": script + b"//2\n"}
    first = deploy(services, "p", Bundle(WORKER, files, has_assets=True), {})
    assert len(calls) == 2
    files["/other.js"] = script + b"//3\n"
    second = deploy(services, "p", Bundle(WORKER, files, has_assets=True), {})
    assert len(calls) == 3  # only the changed file was compressed again
    manifests = [ManifestCache(services.store).get(version).manifest for version in (first, second)]
    assert manifests[0] is not None and manifests[1] is not None
    assert manifests[0].files["/app.js"] == manifests[1].files["/app.js"]
    assert manifests[1].files["/app.js"].variants  # brotli and gzip, as stored the first time
