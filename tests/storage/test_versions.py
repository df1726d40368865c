"""Versions in each backend: each deploy a version, the newest kept, rollback, delete."""

import pytest

from host.assets.build import build_assets
from host.assets.manifest import etag_for
from host.errors import ProjectNotFound, VersionNotFound
from host.storage import keys
from host.storage.deployments import (
    NewVersion,
    activate_version,
    active_deployment,
    delete_project,
    list_deployments,
    list_versions,
    write_version,
)
from host.storage.pruning import forget_versions
from host.storage.store import Store

SHARED = b"a file every version has"


def version(n: int, worker: bytes = b"worker") -> NewVersion:
    """A version whose `/page.txt` says `n`, beside a file every version shares."""
    built = build_assets({"/page.txt": f"page {n}".encode(), "/shared.txt": SHARED})
    sha256 = etag_for(worker).strip('"')
    return NewVersion(worker, sha256, built.files, built.manifest.to_json(), built.variants)


def deploy(store: Store, n: int, keep: int = 3, project: str = "p", **kw: bytes) -> set[str]:
    """Deploy version `n` of the project; the workers released."""
    return write_version(store, project, version(n, **kw), keep)[1]


def stored_files(store: Store, project: str = "p") -> set[bytes | None]:
    """The bytes of every file the project stores."""
    return {store.get(key) for key in store.keys(keys.files_prefix(project))}


def test_every_deploy_is_a_new_version_and_the_newest_is_active(store: Store) -> None:
    for n in (1, 2, 3):
        deploy(store, n)
    assert [v.version for v in list_versions(store, "p")] == [1, 2, 3]
    active = active_deployment(store, "p")
    assert active is not None and (active.version, active.files) == (3, 2)
    assert active.size == len(b"page 3") + len(SHARED)


def test_versions_past_the_newest_kept_are_deleted_with_the_files_only_they_used(
    store: Store,
) -> None:
    for n in range(1, 7):
        deploy(store, n, keep=3)
    assert [v.version for v in list_versions(store, "p")] == [4, 5, 6]
    assert stored_files(store) == {b"page 4", b"page 5", b"page 6", SHARED}
    assert store.get(keys.manifest_key("p", 3)) is None
    assert store.get(keys.manifest_key("p", 4)) is not None


def test_an_unchanged_file_is_stored_once(store: Store) -> None:
    deploy(store, 1)
    deploy(store, 2)
    assert len(store.keys(keys.files_prefix("p"))) == 3  # page 1, page 2, shared


def test_rollback_switches_to_a_kept_version_in_one_step(store: Store) -> None:
    for n in (1, 2, 3):
        deploy(store, n)
    before = len(store.keys(""))
    rolled = activate_version(store, "p", 1)
    assert active_deployment(store, "p") == rolled
    assert rolled.version == 1
    assert len(store.keys("")) == before  # nothing written but the switch
    deploy(store, 4)  # numbers go on from the highest ever
    assert [v.version for v in list_versions(store, "p")] == [1, 2, 3, 4]  # 1 was serving


def test_rollback_to_a_version_not_kept_names_those_kept(store: Store) -> None:
    for n in range(1, 5):
        deploy(store, n, keep=2)
    with pytest.raises(VersionNotFound, match=r"no version 1 \(kept: 3, 4\)"):
        activate_version(store, "p", 1)
    with pytest.raises(ProjectNotFound):
        activate_version(store, "nobody", 1)


def test_the_active_version_is_kept_even_when_older_than_the_newest(store: Store) -> None:
    for n in (1, 2, 3):
        deploy(store, n)
    activate_version(store, "p", 1)
    with store.atomic() as writes:
        forget_versions(store, writes, "p", keep=1)
    assert [v.version for v in list_versions(store, "p")] == [1, 3]
    assert stored_files(store) == {b"page 1", b"page 3", SHARED}


def test_a_worker_is_released_once_no_kept_version_of_any_project_uses_it(
    store: Store,
) -> None:
    deploy(store, 1, keep=1, worker=b"old")
    deploy(store, 1, keep=1, project="q", worker=b"old")
    old = etag_for(b"old").strip('"')
    deploy(store, 2, keep=1, worker=b"new")  # p keeps version 1 (serving until now) once more
    assert deploy(store, 3, keep=1, worker=b"new") == set()  # q still keeps "old"
    assert store.keys(keys.workers_prefix("p")) == [keys.worker_key("p", etag_for(b"new")[1:-1])]
    assert delete_project(store, "q") == {old}


def test_delete_removes_everything_the_project_stored(store: Store) -> None:
    deploy(store, 1)
    deploy(store, 1, project="other")
    released = delete_project(store, "p")
    assert released == set()  # "other" keeps the same worker
    assert store.keys(keys.project_prefix("p")) == []
    assert [d.project_id for d in list_deployments(store)] == ["other"]
    assert delete_project(store, "other") == {etag_for(b"worker").strip('"')}
    assert store.keys("") == []
    with pytest.raises(ProjectNotFound):
        delete_project(store, "p")


def test_the_version_serving_until_a_deploy_is_kept_by_that_deploy(store: Store) -> None:
    for n in (1, 2, 3):
        deploy(store, n, keep=3)
    activate_version(store, "p", 1)  # rolled back: requests are on version 1
    deploy(store, 4, keep=3)
    assert [v.version for v in list_versions(store, "p")] == [1, 2, 3, 4]
    assert b"page 1" in stored_files(store)
    deploy(store, 5, keep=3)  # the next deploy lets it go
    assert [v.version for v in list_versions(store, "p")] == [3, 4, 5]
