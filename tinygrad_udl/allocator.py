"""Keep freed array memory for reuse instead of handing it back to the kernel after every step.

The tensor engine allocates every intermediate array anew (numpy has no memory pool for large
arrays). glibc's malloc serves blocks over its mmap threshold with fresh `mmap`s and hands the
end of its heap back to the kernel once enough of it is free (the trim threshold; both adapt to
the largest block freed so far). In a training loop that means fresh, zero-filled pages for the
activations of every step: about 1,500 page faults per iteration of a small transformer layer
(W6 of docs/performance.md), some 40 % of its time -- the same for hand-written numpy. PyTorch's
CPU allocator keeps its memory and has none.

At import, on Linux with glibc, `configure()` raises both thresholds once (mmap threshold 32 MiB,
glibc's own adaptive maximum; trim threshold 256 MiB), so freed blocks go back to malloc's free
lists and the next step reuses them. The cost: the process keeps up to that much freed memory
instead of returning it. `TINYGRAD_UDL_MALLOC=default` in the environment leaves the allocator as
it is; elsewhere (macOS, Windows, musl) nothing is changed.
"""
from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 256 << 20
OPT_OUT = "TINYGRAD_UDL_MALLOC"

# mallopt() parameters, from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def configure() -> str:
    """Set glibc's thresholds (once per process is enough); a line saying what was done."""
    if os.environ.get(OPT_OUT, "") == "default":
        return f"malloc: left as it is ({OPT_OUT}=default)"
    if not sys.platform.startswith("linux"):
        return "malloc: left as it is (not Linux)"
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):   # glibc only: musl and others differ in mallopt
            return "malloc: left as it is (not glibc)"
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return "malloc: left as it is (no mallopt)"
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD):
        return f"malloc: glibc mmap threshold {MMAP_THRESHOLD >> 20} MiB, trim threshold {TRIM_THRESHOLD >> 20} MiB"
    return "malloc: left as it is (mallopt refused)"


STATUS = configure()
