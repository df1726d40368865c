"""The C allocator's pools: a couple for the whole process, not one per busy thread, and
memory they keep after it is freed given back.

glibc gives each thread that allocates under contention a pool (arena) of its own, up to eight
per core, and keeps what each pool once held: with 32 request threads, every thread's first
heavy request (a large body, a guest that allocated) leaves tens of megabytes resident for good.
Two arenas keep a server's memory flat under attack; the GIL serializes most allocation anyway.
Within an arena, freed memory between chunks still in use stays resident too (glibc returns
only the top of a heap by itself), and hostile requests free a lot of it: a `FreedMemory`
thread calls `malloc_trim` every few seconds (about 10 ms for a fragmented 400 MB heap).
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable

M_ARENA_MAX = -8  # glibc's mallopt parameter number
ARENAS = 2
TRIM_SECONDS = 5.0  # how often freed memory is given back


def limit_arenas(count: int = ARENAS) -> bool:
    """Keep at most `count` arenas (call before threads start); False where that is not glibc.

    An operator's own MALLOC_ARENA_MAX wins: it is left alone.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, count))


class FreedMemory:
    """A daemon thread giving the allocator's freed memory back to the system now and then."""

    def __init__(self, seconds: float = TRIM_SECONDS) -> None:
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wasmhost-trim", daemon=True)
        self.trims = 0

    def start(self) -> FreedMemory:
        """Start watching (a no-op where malloc_trim is not available); returns self."""
        if _malloc_trim() is not None:
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        """Trim every `seconds` until stopped."""
        trim = _malloc_trim()
        assert trim is not None
        while not self._stop.wait(self._seconds):
            trim(0)
            self.trims += 1


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None elsewhere."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim
