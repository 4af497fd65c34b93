"""A statement's lines decided in order, and how the lines of several entities can be decided apart.

Each line is decided against what the lines before it left open: an allocation changes what the next
payment may take. The engine reads and books the items of the payment's own entity only (a reference to
another entity's item is skipped, a customer's items are filtered by entity, an allocation books the items
the proposal chose), so the lines of one entity never see the effects of another's: deciding each entity's
lines in their order, apart, gives the decisions of deciding them all in one order. Customers, names,
aliases and IBANs are read across entities (a name's candidates are ranked among every customer, an IBAN of
another entity's customer names nobody), so whoever decides an entity's lines needs all of those.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext

from opendso_matching.domain.engine import MatchConfig, RateLookup, match
from opendso_matching.domain.index import MatchIndex
from opendso_matching.domain.model import Outcome, Payment, Proposal

# What deciding a line changes in the index before the next line: (index, payment, its proposal).
Booker = Callable[[MatchIndex, Payment, Proposal], None]
# Lines decided between two calls of a batch's ``between_chunks`` (the service collects the young generations
# there while the cycle collector is paused, see its collection_pause). Each object a chunk keeps (its
# proposals, the items it reduced) is walked once, by the collection after it, whatever the chunk's size: about
# 15 ms per 2,000 lines against a million items.
COLLECT_EVERY = 2000


def book_applied(index: MatchIndex, payment: Payment, proposal: Proposal) -> None:
    """An applied proposal's allocations reduce what its items still owe (write-offs included), as the service
    books them; a proposal left to a person changes nothing until the person decides."""
    if proposal.outcome is Outcome.APPLY:
        for allocation in proposal.allocations:
            paid = allocation.amount if allocation.write_off is None else allocation.amount + allocation.write_off
            index.reduce(allocation.item_id, paid)


def match_in_order(
    payments: Iterable[Payment],
    index: MatchIndex,
    config: MatchConfig,
    rates: RateLookup | None = None,
    book: Booker = book_applied,
    *,
    paused: Callable[[], AbstractContextManager[object]] = nullcontext,
    between_chunks: Callable[[], None] | None = None,
) -> list[Proposal]:
    """Each payment's proposal, each decided after ``book`` recorded the one before it. The whole batch runs
    inside ``paused()`` and ``between_chunks`` runs after every :data:`COLLECT_EVERY` lines: how the process
    manages its memory meanwhile is the caller's (the service pauses the cycle collector)."""
    proposals: list[Proposal] = []
    with paused():
        for n, payment in enumerate(payments, start=1):
            proposal = match(payment, index, config, rates)
            book(index, payment, proposal)
            proposals.append(proposal)
            if between_chunks is not None and n % COLLECT_EVERY == 0:
                between_chunks()
    return proposals


class EntityShares:
    """Which of ``workers`` deciders holds each entity: the heaviest entities first, each to the least loaded
    (weights are what an entity brings, its items or its lines), ties to the first. An entity without a weight
    goes by a hash of its code, so every decider and the one routing lines to them agree on it."""

    def __init__(self, weights: Mapping[str, int], workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        loads = [0] * workers
        self._owner: dict[str, int] = {}
        for entity, weight in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])):
            chosen = min(range(workers), key=lambda w: (loads[w], w))
            self._owner[entity] = chosen
            loads[chosen] += max(0, weight)

    def owner(self, entity: str) -> int:
        found = self._owner.get(entity)
        return found if found is not None else zlib.crc32(entity.encode()) % self.workers

    def holds(self, worker: int) -> Callable[[str], bool]:
        """Whether ``worker`` holds an entity: what its index keeps the items of."""
        return lambda entity: self.owner(entity) == worker
