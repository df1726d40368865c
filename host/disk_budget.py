"""Disk caches kept within a size: the least recently used entries go first.

An entry is a file (and its companions, such as a compiled artifact's MAC); "used" is its
modification time, which the caches set when they reuse an entry. The newest entry is always
kept, even alone over the budget, so that what was just written can be used.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path


def keep_within(
    entries: Iterable[Path],
    max_bytes: int,
    companions: Callable[[Path], list[Path]] = lambda path: [],
) -> list[Path]:
    """Delete the least recently used entries (with their companions) until the rest fit in
    `max_bytes`; return the entries deleted."""
    sized = []
    for path in entries:
        with contextlib.suppress(FileNotFoundError):  # another process deleted it meanwhile
            stat = path.stat()
            size = stat.st_size + sum(_size(extra) for extra in companions(path))
            sized.append((stat.st_mtime, path, size))
    sized.sort(key=lambda entry: entry[0], reverse=True)
    total, deleted = 0, []
    for index, (_, path, size) in enumerate(sized):
        total += size
        if total > max_bytes and index > 0:
            for doomed in (*companions(path), path):
                doomed.unlink(missing_ok=True)
            deleted.append(path)
    return deleted


def touch(path: Path) -> None:
    """Mark an entry as just used."""
    with contextlib.suppress(OSError):
        path.touch(exist_ok=True)


def _size(path: Path) -> int:
    """A file's size, 0 if it is gone."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
