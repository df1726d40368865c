"""Active deployments from memory: new deploys seen (at once through this store, as soon as
announced through another), each snapshot sees its own."""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from host.storage.active import ActiveDeployments
from host.storage.deployments import Deployment, NewVersion, write_version
from host.storage.store import Store

ANNOUNCED_SECONDS = 5  # the longest an announcement may take to arrive (not a timing target)


def deploy(store: Store, project: str = "p") -> Deployment:
    """A deployment with no files."""
    return write_version(store, project, NewVersion(b"w", "sha"), keep=10)[0]


def version(active: ActiveDeployments, project: str = "p") -> int | None:
    """The active version as the cache answers it."""
    found = active.get(project)
    return None if found is None else found.version


def test_a_deploy_through_this_store_is_seen_at_once(store: Store) -> None:
    active = ActiveDeployments(store)
    assert version(active) is None
    deploy(store)
    assert version(active) == 1
    deploy(store)
    assert version(active) == 2


def seen(active: ActiveDeployments, expected: int) -> int | None:
    """The active version once it is `expected`, or as it still is when waiting ends (another
    host's commit reaches a PostgreSQL store when its announcement arrives)."""
    waited_until = time.monotonic() + ANNOUNCED_SECONDS
    while (found := version(active)) != expected and time.monotonic() < waited_until:
        time.sleep(0.001)
    return found


def test_a_deploy_by_another_process_is_seen(store: Store, open_db: Callable[..., Store]) -> None:
    active = ActiveDeployments(store)
    deploy(store)
    assert version(active) == 1
    other = open_db()  # another process's store: its own connections and counter
    deploy(other)
    assert seen(active, 2) == 2
    deploy(other)
    assert seen(active, 3) == 3


def settled(store: Store) -> None:
    """Wait until nothing changes (a PostgreSQL store's feed is listening, and the commits made
    have been announced back), so the change token holds still."""
    waited_until = time.monotonic() + ANNOUNCED_SECONDS
    while store.change_token() != store.change_token() and time.monotonic() < waited_until:
        time.sleep(0.01)
    time.sleep(0.05)  # this store's own announcements, on their way back


def test_unchanged_rows_are_not_read_again(store: Store) -> None:
    active = ActiveDeployments(store)
    deploy(store)
    settled(store)
    assert active.get("p") is active.get("p")


def test_a_snapshot_never_sees_a_row_newer_than_itself(
    store: Store, open_db: Callable[..., Store]
) -> None:
    active = ActiveDeployments(store)
    deploy(store)
    with ThreadPoolExecutor(1) as reader, store.snapshot():
        assert version(active) == 1
        deploy(open_db())
        assert reader.submit(seen, active, 2).result() == 2  # another thread, a newer snapshot
        assert version(active) == 1  # this snapshot still sees version 1, and so does the cache
    assert version(active) == 2
