"""Giving freed memory back to the system after a step.

A worker process runs one step after another, and glibc's allocator keeps what a heavy
step freed (a registry's tables, hundreds of MB) in its arenas for reuse; the process
then holds the largest step's memory for the rest of the build, and the next heavy
step adds to it. ``malloc_trim`` returns the free pages at the end of each step.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _libc():
    """The C library when it is glibc (it has ``malloc_trim``), else None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_free_memory() -> bool:
    """Return freed heap pages to the system; False where the allocator cannot."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
