"""The C allocator's pools: a couple for the whole process, not one per busy thread.

glibc gives each thread that allocates under contention a pool (arena) of its own, up to eight
per core, and keeps what each pool once held: with 32 request threads, every thread's first
heavy request (a large body, a guest that allocated) leaves tens of megabytes resident for good.
Two arenas keep a server's memory flat under attack; the GIL serializes most allocation anyway.
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8  # glibc's mallopt parameter number
ARENAS = 2


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
