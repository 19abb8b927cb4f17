"""Process memory: hand freed heap back to the operating system, and read what a process holds."""

from __future__ import annotations

import contextlib
import ctypes
import gc
from pathlib import Path


def release_memory() -> None:
    """Collect garbage and return the freed heap to the OS (glibc keeps it otherwise): a process's memory
    goes back to what it holds instead of staying at the high-water mark of its largest batch or table."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()  # Arrow's own allocator (mimalloc) keeps freed buffers too
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


M_MMAP_THRESHOLD = -3  # mallopt(3) parameter


def fixed_mmap_threshold(size: int = 128 * 1024) -> None:
    """Make glibc serve every allocation of ``size`` bytes or more by its own mmap, given back to the system when
    freed. By default glibc raises that threshold to the largest block freed so far (up to 32 MB), after which a
    batch's big transient buffers (page strings, parse trees, arrays) come from the heap and leave it fragmented:
    a worker of the ingest pool kept ~40 MB more after eight batches that way (measured in a forked worker)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, size)


def smaps_rollup(pid: int | str = "self") -> dict[str, int]:
    """The kernel's memory totals of a process (``/proc/PID/smaps_rollup``: ``Rss``, ``Pss``, ``Private_Dirty``,
    ...), in bytes. Raises OSError where the kernel has no such file (not Linux, or the process is gone)."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            out[key] = int(value.split()[0]) * 1024
    return out
