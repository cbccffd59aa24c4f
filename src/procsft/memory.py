"""Hand memory that a step frees back to the system while it runs (glibc's allocator).

glibc serves a large allocation with its own mapping, returned to the system when freed, but
raises that threshold each time such a mapping is freed, up to 32 MiB. After the first few
tensors are freed, activations of a few MiB come from the heap instead, and freed heap memory
stays resident: a training step's RSS becomes its high-water mark plus fragmentation (SFT of
SmolLM2-135M on CPU: 5.4 of its 6.3 GiB peak without this, measured by benchmarks/sft_memory.py).
A fixed threshold keeps every tensor of at least 1 MiB in a mapping of its own. It changes
where memory comes from, never a computed value.
"""

from __future__ import annotations

import ctypes
import sys

MMAP_THRESHOLD = 1 << 20
"""Allocations of at least this many bytes get a mapping of their own (glibc's default
starts at 128 KiB and grows)."""

# mallopt(3) parameter numbers, from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def return_freed_memory(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap and trim thresholds at `threshold` bytes for the rest of this process;
    return whether it took effect (False off glibc: musl, macOS, Windows keep their own)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    mapped = mallopt(_M_MMAP_THRESHOLD, threshold) == 1
    trimmed = mallopt(_M_TRIM_THRESHOLD, threshold) == 1
    return mapped and trimmed
