"""Process memory: hand freed heap back to the operating system."""

from __future__ import annotations

import contextlib
import ctypes
import gc


def release_memory() -> None:
    """Collect garbage and return the freed heap to the OS (glibc keeps it otherwise): a process's memory
    goes back to what it holds instead of staying at the high-water mark of its largest batch or table."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()  # Arrow's own allocator (mimalloc) keeps freed buffers too
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
