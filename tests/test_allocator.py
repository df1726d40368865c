"""The server asks glibc for few malloc arenas, unless the operator chose a number."""

import pytest

from host.allocator import limit_arenas


def test_glibc_takes_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_arenas() is True


def test_an_operators_malloc_arena_max_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert limit_arenas() is False


def test_memory_freed_between_live_chunks_is_given_back() -> None:
    import ctypes
    import time

    from host.allocator import FreedMemory
    from host.runtime.pool import InstancePool, PoolLimits

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    rss = InstancePool(PoolLimits()).rss
    watcher = FreedMemory(seconds=0.05)
    try:
        chunks = [libc.malloc(4096) for _ in range(40_000)]  # 160 MB below the mmap threshold
        for address in chunks:
            ctypes.memset(address, 1, 4096)  # resident
        for address in chunks[:-1]:  # the last one keeps the heap's top in use
            libc.free(address)
        peak = rss()
        watcher.start()
        deadline = time.monotonic() + 10
        while watcher.trims == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watcher.trims >= 1
        assert rss() < peak - 100 * 1024 * 1024  # most of the 160 MB went back
        libc.free(chunks[-1])
    finally:
        watcher.stop()
