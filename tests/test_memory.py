"""Freed memory goes back to the system after a step (glibc's malloc_trim)."""

from __future__ import annotations

import psutil
import pytest

from manuscript_engine.core.memory import _libc, release_free_memory

CHUNK = 64 * 1024  # below glibc's mmap threshold: these live in the heap
CHUNKS = 3000  # about 190 MB


@pytest.mark.skipif(_libc() is None, reason="the C library has no malloc_trim")
def test_release_returns_freed_heap_holes_to_the_system():
    process = psutil.Process()
    blocks = [bytearray(CHUNK) for _ in range(CHUNKS)]
    for block in blocks:
        block[::4096] = b"x" * len(block[::4096])  # touch every page
    del blocks[::2]  # holes between the blocks still held: free() cannot give them back
    before = process.memory_info().rss
    assert release_free_memory() is True
    after = process.memory_info().rss
    assert before - after > CHUNK * CHUNKS // 4
    del blocks
