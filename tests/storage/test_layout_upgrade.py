"""A database written in the first layout is moved to versions, and serves the same bytes."""

from host.assets.binding import AssetBinding
from host.assets.build import build_assets
from host.assets.manifest import Manifest
from host.assets.manifests import ManifestCache
from host.runtime.bodies import BodyTable
from host.runtime.values import WitRequest, WitResponse
from host.storage import keys
from host.storage.deployments import Deployment, active_deployment, list_versions
from host.storage.layout_upgrade import upgrade_layout
from host.storage.store import Store

FILES = {"/index.html": b"<p>" + b"hello " * 500, "/a b.txt": b"plain"}


def write_first_layout(store: Store, project: str) -> Manifest:
    """What the first version of the host wrote for a deployment: one copy, keyed by path."""
    built = build_assets(FILES)
    record = Deployment(project, "d1", 4, "sha-of-worker", "2026-11-01T00:00:00+00:00")
    with store.atomic() as writes:
        for path, data in built.files.items():
            writes.put(f"project/{project}/assets{path}", data)
        for encoding, by_path in built.variants.items():
            for path, data in by_path.items():
                writes.put(f"project/{project}/encoded/{encoding}{path}", data)
        writes.put(f"project/{project}/manifest", built.manifest.to_json())
        writes.put(f"project/{project}/worker", b"the component")
        writes.put(keys.deployment_key(project), record.to_json())
        writes.put(keys.project_index_key(project), b"")
    return built.manifest


def test_a_project_in_the_first_layout_becomes_its_first_kept_version(store: Store) -> None:
    manifest = write_first_layout(store, "old")
    assert upgrade_layout(store) == 1
    active = active_deployment(store, "old")
    assert active is not None and (active.version, active.files) == (4, 2)
    assert list_versions(store, "old") == [active]
    assert store.get(keys.manifest_key("old", 4)) == manifest.to_json()
    assert store.get(keys.worker_key("old", "sha-of-worker")) == b"the component"
    for path, entry in manifest.files.items():
        for rep in entry.representations:
            assert store.get(keys.file_key("old", rep.etag)) is not None, (path, rep.encoding)
    leftovers = [k for k in store.keys("project/old/") if k.split("/")[2] in OLD_NAMES]
    assert leftovers == []
    assert upgrade_layout(store) == 0  # once only
    served = serve(store, active, "/a%20b.txt")
    assert (served.status, served.body) == (200, b"plain")


def serve(store: Store, deployment: Deployment, path: str) -> WitResponse:
    """The asset binding's answer for `path`, with the body taken."""
    assets = ManifestCache(store).get(deployment)
    bodies = BodyTable(1 << 20)
    binding = AssetBinding(deployment.project_id, assets.manifest, assets.options, store, bodies)
    answer = binding.fetch(WitRequest("GET", f"http://old.localhost{path}", [], None))
    body = bodies.take(answer.body) if isinstance(answer.body, int) else answer.body
    return WitResponse(answer.status, answer.headers, body)


OLD_NAMES = {"assets", "encoded", "manifest", "worker"}


def test_an_empty_database_has_nothing_to_move(store: Store) -> None:
    assert upgrade_layout(store) == 0
