"""Disk caches within a size: least recently used entries (and their companions) go first."""

import os
from pathlib import Path

import pytest

from host.disk_budget import keep_within
from host.guest_build import BuildError, prune


def entry(folder: Path, name: str, size: int, used: float) -> Path:
    """A cached file of `size` bytes last used at `used` (seconds since the epoch)."""
    path = folder / name
    path.write_bytes(b"x" * size)
    os.utime(path, (used, used))
    return path


def test_the_oldest_go_until_the_rest_fit(tmp_path: Path) -> None:
    old, mid, new = (entry(tmp_path, n, 100, t) for n, t in (("a", 1), ("b", 2), ("c", 3)))
    assert keep_within([old, mid, new], 250) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "c"]


def test_companions_count_and_go_with_their_entry(tmp_path: Path) -> None:
    old, new = entry(tmp_path, "a.bin", 100, 1), entry(tmp_path, "b.bin", 100, 2)
    for main in (old, new):
        entry(tmp_path, main.stem + ".mac", 60, 1)
    assert keep_within([old, new], 300, lambda p: [p.with_suffix(".mac")]) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.bin", "b.mac"]


def test_the_newest_stays_even_alone_over_the_budget(tmp_path: Path) -> None:
    big = entry(tmp_path, "big", 1000, 5)
    assert keep_within([big, tmp_path / "gone-meanwhile"], 10) == []
    assert big.exists()


def test_the_guest_build_cache_keeps_within_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WASMHOST_BUILD_CACHE_MB", "1")
    for name, used in (("old", 1), ("new", 2)):
        entry(tmp_path, f"{name}.wasm", 700 * 1024, used)
    prune(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["new.wasm"]
    monkeypatch.setenv("WASMHOST_BUILD_CACHE_MB", "lots")
    with pytest.raises(BuildError, match="WASMHOST_BUILD_CACHE_MB must be a whole number"):
        prune(tmp_path)
