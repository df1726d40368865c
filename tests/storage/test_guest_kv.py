"""Guests' KV namespaces: Workers KV's operations and limits, per project and namespace, in a
table of their own in each backend."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from host.guest_kv import TABLE, KvError, ProjectKv, delete_project_kv
from host.storage.store import Store

MIB = 1024 * 1024


@pytest.fixture
def store(open_db: Callable[..., Store]) -> Store:
    return open_db(TABLE)


def kv(store: Store, project: str = "site", quota: int = 10 * MIB, **bindings: str) -> ProjectKv:
    """The KV of `project` with `bindings` (default: NOTES → notes)."""
    return ProjectKv(store, project, bindings or {"NOTES": "notes"}, quota)


def test_put_get_delete(store: Store) -> None:
    notes = kv(store)
    assert notes.get("NOTES", "a") is None
    notes.put("NOTES", "a", b"one", metadata='{"by": "me"}')
    entry = notes.get("NOTES", "a")
    assert entry is not None and (entry.value, entry.metadata, entry.expiration) == (
        b"one",
        '{"by": "me"}',
        None,
    )
    notes.put("NOTES", "a", b"two")
    assert notes.get("NOTES", "a").value == b"two"  # type: ignore[union-attr]
    notes.delete("NOTES", "a")
    notes.delete("NOTES", "a")  # deleting what is not there is fine
    assert notes.get("NOTES", "a") is None


def test_projects_and_namespaces_are_apart_and_only_declared_ones_can_be_named(
    store: Store,
) -> None:
    kv(store, "one").put("NOTES", "k", b"ones")
    assert kv(store, "two").get("NOTES", "k") is None
    assert kv(store, "one", OTHER="other").get("OTHER", "k") is None
    same_namespace = kv(store, "one", RENAMED="notes")  # a binding renamed keeps its data
    assert same_namespace.get("RENAMED", "k").value == b"ones"  # type: ignore[union-attr]
    with pytest.raises(KvError, match=r"no KV namespace is bound to 'NOPE' \(declared: NOTES\)"):
        kv(store, "one").get("NOPE", "k")
    assert sorted(store.keys("")) == ["#usage/one", "one/notes/m/k", "one/notes/v/k"]


def test_list_pages_in_key_order_with_prefix_and_cursor(store: Store) -> None:
    notes = kv(store)
    for n in range(25):
        notes.put("NOTES", f"item/{n:02d}", b"x", metadata=f'{{"n": {n}}}')
    notes.put("NOTES", "other", b"x")
    first = notes.list("NOTES", "item/", limit=10)
    assert [k.name for k in first.keys] == [f"item/{n:02d}" for n in range(10)]
    assert (first.complete, first.keys[3].metadata) == (False, '{"n": 3}')
    second = notes.list("NOTES", "item/", first.cursor, 10)
    third = notes.list("NOTES", "item/", second.cursor, 10)
    assert [k.name for k in third.keys] == [f"item/{n:02d}" for n in range(20, 25)]
    assert (third.complete, third.cursor) == (True, None)
    exact = notes.list("NOTES", "item/", limit=25)
    assert (len(exact.keys), exact.complete) == (25, True)
    assert len(notes.list("NOTES").keys) == 26
    for bad in (0, 1001):
        with pytest.raises(KvError, match="limit must be 1 to 1000"):
            notes.list("NOTES", limit=bad)
    with pytest.raises(KvError, match="cursor"):
        notes.list("NOTES", cursor="%%%")


@pytest.mark.parametrize(
    ("key", "value", "options", "message"),
    [
        ("", b"v", {}, "must not be empty"),
        (".", b"v", {}, "must not be empty, `.` or `..`"),
        ("k" * 513, b"v", {}, "513 bytes; at most 512"),
        ("é" * 257, b"v", {}, "514 bytes; at most 512"),
        ("k", b"v" * (25 * MIB + 1), {}, "at most 25 MiB"),
        ("k", b"v", {"metadata": '{"a": "' + "x" * 1020 + '"}'}, "longer than 1024 bytes"),
        ("k", b"v", {"metadata": "{not json"}, "must be JSON"),
        ("k", b"v", {"ttl": 59}, "at least 60 seconds, not 59"),
        ("k", b"v", {"expiration": int(time.time()) + 10}, "at least 60 seconds in the future"),
    ],
)
def test_workers_limits_are_refused_with_a_reason(
    store: Store, key: str, value: bytes, options: dict[str, object], message: str
) -> None:
    with pytest.raises(KvError, match=message):
        kv(store, quota=100 * MIB).put("NOTES", key, value, **options)  # type: ignore[arg-type]
    assert store.keys("") == []


def test_expired_entries_read_as_absent_and_make_room(store: Store) -> None:
    notes = kv(store, quota=1000)
    notes.put("NOTES", "old", b"x" * 900, ttl=60)
    assert notes.get("NOTES", "old").expiration >= time.time() + 59  # type: ignore[union-attr]
    with pytest.raises(KvError, match="quota is 1000"):
        notes.put("NOTES", "new", b"y" * 900)
    later = time.time() + 61
    real_time = time.time
    try:
        time.time = lambda: later  # type: ignore[assignment]
        assert notes.get("NOTES", "old") is None
        assert notes.list("NOTES").keys == []
        notes.put("NOTES", "new", b"y" * 900)  # the expired one is deleted to make room
    finally:
        time.time = real_time  # type: ignore[assignment]
    assert store.keys("site/") == ["site/notes/m/new", "site/notes/v/new"]


def test_the_quota_counts_keys_values_and_metadata_and_frees_on_delete(store: Store) -> None:
    notes = kv(store, quota=100)
    notes.put("NOTES", "k", b"v" * 90, metadata="[1]")  # 1 + 90 + 3 = 94
    with pytest.raises(KvError, match="would store 101 bytes of KV data; its quota is 100"):
        notes.put("NOTES", "k2", b"v" * 5)
    notes.put("NOTES", "k", b"v" * 96)  # replacing frees the old entry's bytes first: 97
    notes.delete("NOTES", "k")
    notes.put("NOTES", "k2", b"v" * 90)
    assert store.get("#usage/site") == b"92"


def test_deleting_a_project_forgets_its_entries_only(store: Store) -> None:
    kv(store, "one").put("NOTES", "k", b"1")
    kv(store, "two").put("NOTES", "k", b"2")
    delete_project_kv(store, "one")
    assert sorted(store.keys("")) == ["#usage/two", "two/notes/m/k", "two/notes/v/k"]


def test_replacing_an_expired_entry_that_is_swept_is_counted_once(store: Store) -> None:
    notes = kv(store, quota=10_000)
    for key in ("k", "m"):
        notes.put("NOTES", key, b"x" * 3000, ttl=60)
    notes.put("NOTES", "j", b"x" * 3000)
    later, real_time = time.time() + 61, time.time
    try:
        time.time = lambda: later  # type: ignore[assignment]
        notes.put("NOTES", "k", b"y" * 5000)  # needs the sweep, which also takes the old k
    finally:
        time.time = real_time  # type: ignore[assignment]
    assert store.get("#usage/site") == b"8002"  # j and the new k, each key and value once
    with pytest.raises(KvError, match="quota is 10000"):
        notes.put("NOTES", "more", b"z" * 4900)


def test_a_project_named_usage_keeps_to_its_own_keys(store: Store) -> None:
    kv(store, "alice").put("NOTES", "k", b"1" * 50)
    kv(store, "usage").put("NOTES", "k", b"2")
    delete_project_kv(store, "usage")
    assert store.get("#usage/alice") == b"51"


def test_a_listing_prefix_ending_in_the_last_code_point_works(store: Store) -> None:
    notes = kv(store)
    notes.put("NOTES", "a\U0010ffffb", b"1")
    notes.put("NOTES", "b", b"2")
    assert [k.name for k in notes.list("NOTES", "a\U0010ffff").keys] == ["a\U0010ffffb"]
