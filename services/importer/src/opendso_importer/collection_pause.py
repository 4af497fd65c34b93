"""Python's cycle collector held off while a file is imported.

Why: an import allocates millions of small objects (rows, strings, message bytes) that live for a chunk
and are freed by reference counting; none of them form cycles. The cycle collector still walks them, and
the older generations grow with every chunk, so its passes cost 40 % of the importer's own CPU time in a
million-row import (measured: 17 s -> 9 s of CPU without them).

Some garbage does form cycles: the database driver's COPY leaves each chunk's buffer in one (1.3 MB a
chunk, measured). So after each chunk the youngest generations, which hold little more than that chunk's
leftovers, are collected (:func:`collect_chunk_garbage`); the old generation is left alone until the end.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_holders = 0
_was_enabled = True


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Hold the collector off until every import that asked has ended (imports may overlap)."""
    global _holders, _was_enabled
    if _holders == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _holders += 1
    try:
        yield
    finally:
        _holders -= 1
        if _holders == 0 and _was_enabled:
            gc.enable()


def collect_chunk_garbage() -> None:
    """Collect what a chunk left in cycles, while imports hold the full collections off."""
    if _holders:
        gc.collect(1)
