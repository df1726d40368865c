"""Small asset files kept in memory: read from the database once, never past their bounds."""

from host.assets.file_cache import FileCache
from host.storage.store import Store


def stored(store: Store, **files: bytes) -> None:
    """Put files (name → bytes) in the store."""
    with store.atomic() as writes:
        for name, data in files.items():
            writes.put(name, data)


def gone(store: Store, *names: str) -> None:
    """Delete files, so that only a copy in memory could still answer."""
    with store.atomic() as writes:
        for name in names:
            writes.delete(name)


def test_a_small_file_is_read_from_the_database_once(store: Store) -> None:
    files = FileCache(1024)
    stored(store, a=b"alpha")
    assert files.get(store, "a", 5) == b"alpha"
    gone(store, "a")
    assert files.get(store, "a", 5) == b"alpha"


def test_large_files_and_missing_ones_are_not_kept(store: Store) -> None:
    files = FileCache(1024, max_file_bytes=10)
    stored(store, big=b"x" * 11)
    assert not files.keeps(11) and files.keeps(10)
    assert files.get(store, "big", 11) == b"x" * 11
    gone(store, "big")
    assert files.get(store, "big", 11) is None
    assert files.get(store, "missing", 3) is None


def test_the_least_recently_used_go_beyond_capacity(store: Store) -> None:
    files = FileCache(10)
    stored(store, a=b"aaaa", b=b"bbbb", c=b"cccc")
    for name in ("a", "b", "a", "c"):  # c pushes out b, the least recently used
        files.get(store, name, 4)
    gone(store, "a", "b", "c")
    assert [files.get(store, name, 4) for name in ("a", "b", "c")] == [b"aaaa", None, b"cccc"]


def test_a_file_whose_size_is_not_the_manifests_is_not_kept(store: Store) -> None:
    files = FileCache(1024)
    stored(store, a=b"alpha")
    assert files.get(store, "a", 4) == b"alpha"
    gone(store, "a")
    assert files.get(store, "a", 4) is None
