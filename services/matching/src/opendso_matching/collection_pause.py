"""Python's cycle collector held off while a batch of lines is decided.

Why: deciding a line allocates objects (keys, candidates, reasons, proposals, reduced items) that are
freed by reference counting or kept as the batch's answer; none of them form cycles (measured on the
labelled set: a full collection after 20,000 lines found nothing unreachable). The collector still walks
them, and every full pass walks the index too, millions of objects held for the whole batch (measured on
100,000 labelled lines against a million items, in one process: its passes took 3.0 s of a 12.3 s pass;
paused, with the young generations collected between chunks, 1.0 s).

Should a cycle appear after all, it is young: between chunks of a batch the youngest generations are
collected (:func:`collect_young_garbage`), which walks only what the chunk left, never the index.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from opendso_matching.domain.batch import Booker, book_applied, match_in_order
from opendso_matching.domain.engine import MatchConfig, RateLookup
from opendso_matching.domain.index import MatchIndex
from opendso_matching.domain.model import Payment, Proposal

_holders = 0
_was_enabled = True


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Hold the collector off until every batch that asked has ended (a pool's batch holds it across the
    chunks it decides, each of which asks again)."""
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


def collect_young_garbage() -> None:
    """Collect what the last chunk left in cycles, while a batch holds the full collections off."""
    if _holders:
        gc.collect(1)


def in_order_paused(
    payments: Iterable[Payment],
    index: MatchIndex,
    config: MatchConfig,
    rates: RateLookup | None = None,
    book: Booker = book_applied,
) -> list[Proposal]:
    """:func:`~opendso_matching.domain.batch.match_in_order` with the cycle collector paused for the batch and
    the young generations collected between its chunks: how the service decides every batch."""
    return match_in_order(
        payments, index, config, rates, book, paused=cycle_collection_paused, between_chunks=collect_young_garbage
    )
