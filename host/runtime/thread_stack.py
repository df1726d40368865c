"""The stack pages a failed guest call leaves behind, given back to the system.

A guest runs on the stack of the thread that calls it (wasmtime's synchronous calls), up to the
engine's `max_wasm_stack` (512 KiB), and the kernel keeps every stack page a thread ever
touched: a guest that recursed until its stack ran out leaves half a megabyte resident in each
request thread it ever ran on (16 MiB a worker with 32 threads), long after. After a failed
call, the pages of the thread's stack below the current frame are given back
(`madvise(MADV_DONTNEED)`); a later deep call gets fresh zeroed pages.

Linux tells a thread its own stack pointer in /proc/thread-self/syscall (that of the read
asking for it), and pthread_getattr_np the bounds of its stack. Where either is missing, and on
the main thread (whose lower bound glibc only guesses from the stack limit), nothing is given
back.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading

PAGE_SIZE = mmap.PAGESIZE
MARGIN = 64 * 1024  # left alone below the current frame: room for the frames of the madvise call
SYSCALL_FILE = "/proc/thread-self/syscall"  # "number, six arguments, stack pointer, pc"
_ATTR_BYTES = 256  # room for a pthread_attr_t on every platform (56 bytes on x86-64 glibc)


class _Libc:
    """The C library's calls this needs (AttributeError where one is missing)."""

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


def give_back_unused() -> int:
    """Give back this thread's stack pages below the current frame; returns the size of the
    range given back (0 where nothing could be)."""
    if _libc is None or threading.current_thread() is threading.main_thread():
        return 0
    stack = _stack_bounds(_libc)
    here = stack_pointer()
    if stack is None or here is None or not stack[0] < here < stack[1]:
        return 0
    low = -(-stack[0] // PAGE_SIZE) * PAGE_SIZE
    high = (here - MARGIN) // PAGE_SIZE * PAGE_SIZE
    if high <= low or _libc.madvise(low, high - low, mmap.MADV_DONTNEED) != 0:
        return 0
    return high - low


def stack_pointer() -> int | None:
    """This thread's stack pointer in a system call made just now, or None where Linux does
    not tell."""
    try:
        descriptor = os.open(SYSCALL_FILE, os.O_RDONLY)
        try:
            fields = os.read(descriptor, 512).split()
        finally:
            os.close(descriptor)
    except OSError:
        return None
    return int(fields[7], 16) if len(fields) == 9 else None


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
