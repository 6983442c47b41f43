"""Giving memory back to the system between the phases of a big load."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def release_free_memory() -> None:
    """Free what only reference cycles still hold, and hand the freed heap back.

    After millions of small objects are dropped, CPython's cyclic collector may not run
    for a long time (its oldest generation is collected rarely when many objects live
    long), and glibc keeps freed heap pages mapped; the next phase (a bulk load) would
    then come on top of memory nobody uses. ``malloc_trim`` exists in glibc only.
    """
    gc.collect()
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is not None:
        trim(0)
