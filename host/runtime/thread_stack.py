"""The stack pages a failed guest call leaves behind, given back to the system.

A guest runs on the stack of the thread that calls it (wasmtime's synchronous calls), up to the
engine's `max_wasm_stack` (512 KiB), and the kernel keeps every stack page a thread ever
touched: a guest that recursed until it overflowed leaves half a megabyte resident in each of
a worker's request threads it ever ran on (16 MiB a worker with 32 threads), long after.
After a failed call (how such a guest ends) the pages below the current frame are given back
(`madvise(MADV_DONTNEED)`); a later deep call gets fresh zeroed pages.

The current frame's address comes from glibc's `dl_iterate_phdr`, which hands its callback a
structure on its own stack, just below the caller's frame; where that address is not inside
the thread's stack (or the calls are missing: not glibc), nothing is given back.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MARGIN = 64 * 1024  # left alone below the current frame: the frames of the madvise call
_ATTR_BYTES = 256  # room for a pthread_attr_t on every platform (56 bytes on x86-64 glibc)
_PHDR_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)


class _Libc:
    """The C library calls this needs, or None where one is missing."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.pthread_self = libc.pthread_self
        self.pthread_self.restype = ctypes.c_void_p
        self.getattr_np = libc.pthread_getattr_np
        self.getattr_np.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.getstack = libc.pthread_attr_getstack
        self.getstack.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_size_t),
        ]
        self.attr_destroy = libc.pthread_attr_destroy
        self.attr_destroy.argtypes = [ctypes.c_void_p]
        self.iterate_phdr = libc.dl_iterate_phdr
        self.iterate_phdr.argtypes = [_PHDR_CALLBACK, ctypes.POINTER(ctypes.c_void_p)]
        self.madvise = libc.madvise
        self.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def _load() -> _Libc | None:
    """The C library's calls, or None where they are not all there."""
    try:
        return _Libc()
    except (OSError, AttributeError):
        return None


_libc = _load()
_bounds = threading.local()  # .stack: (lowest, highest) address of this thread's stack


@_PHDR_CALLBACK  # type: ignore[untyped-decorator]
def _note_address(info: int, size: int, data: int) -> int:
    """dl_iterate_phdr's callback: write its structure's address where `data` points; stop."""
    ctypes.cast(data, ctypes.POINTER(ctypes.c_void_p))[0] = info
    return 1


def give_back_unused() -> int:
    """Give back this thread's stack pages below the current frame; returns how many bytes
    the range given back spans (0 when nothing could be, or need be)."""
    if _libc is None:
        return 0
    stack = _stack_bounds(_libc)
    here = _current_frame(_libc)
    if stack is None or here is None or not stack[0] < here < stack[1]:
        return 0
    low = -(-stack[0] // PAGE_SIZE) * PAGE_SIZE
    high = (here - MARGIN) // PAGE_SIZE * PAGE_SIZE
    if high <= low:
        return 0
    if _libc.madvise(low, high - low, mmap.MADV_DONTNEED) != 0:
        return 0
    return high - low


def _stack_bounds(libc: _Libc) -> tuple[int, int] | None:
    """The lowest and highest address of this thread's stack (asked once per thread)."""
    known: tuple[int, int] | None = getattr(_bounds, "stack", None)
    if known is None:
        attr = ctypes.create_string_buffer(_ATTR_BYTES)
        if libc.getattr_np(libc.pthread_self(), attr) != 0:
            return None
        address, size = ctypes.c_void_p(), ctypes.c_size_t()
        try:
            if libc.getstack(attr, ctypes.byref(address), ctypes.byref(size)) != 0:
                return None
        finally:
            libc.attr_destroy(attr)
        lowest = address.value or 0
        known = _bounds.stack = (lowest, lowest + size.value)
    return known


def _current_frame(libc: _Libc) -> int | None:
    """An address just below the caller's frame on this thread's stack."""
    found = ctypes.c_void_p()
    libc.iterate_phdr(_note_address, ctypes.byref(found))
    return found.value
