"""The service's matching processes: each batch's lines decided off the event loop, on other cores.

The handler loads what a batch's lines can concern into an index (see ``handlers._index_for``), as it does
when it decides in its own process, and notes what it added in :class:`IndexParts`. The parts, the lines and
the day's rates go to a worker, which builds the same index from the parts, decides the lines in order and
books each decision as the handler would (:func:`book_learning`): the decisions are those of the handler's own
process. They cross as plain values: pickling the index itself (frozen dataclasses) cost twice as much as
sending its parts and building it again. The workers hold no state between batches, so a worker that dies
costs only the batch it was deciding (the handler fails, the message is delivered again) and the next batch is
decided by fresh workers.

Workers are started through a fork server, never forked from the service: the service runs threads (the
database driver's, the bus client's) that a forked child would inherit in whatever state they were.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import TracebackType

from opendso_money import Money

from opendso_matching.collection_pause import cycle_collection_paused, in_order_paused
from opendso_matching.domain.batch import book_applied
from opendso_matching.domain.engine import MatchConfig, RateLookup
from opendso_matching.domain.index import MatchIndex
from opendso_matching.domain.model import Customer, OpenItem, Outcome, Payment, Proposal
from opendso_matching.pool import (
    PaymentFields,
    ProposalFields,
    payment_fields,
    payment_from_fields,
    proposal_fields,
    proposal_from_fields,
)

log = logging.getLogger(__name__)

# (from currency, to currency, day) -> rate: what the FX service answered for the batch.
Rates = dict[tuple[str, str, date], Decimal]


# id, customer, entity, number, kind, due date (ordinal), open amount (as written), currency, reference: days
# and amounts as ints and strings pickle at less than half the cost of dates and Decimals (exactly, both ways).
_ItemFields = tuple[str, str, str, str, str, int, str, str, str]


@dataclass
class IndexParts:
    """What an index was filled with, in order, as plain values: enough to build the same index elsewhere.
    With ``noting`` false it only fills the index (nothing will be built elsewhere)."""

    noting: bool = True
    customers: list[tuple[str, str, str, str]] = field(default_factory=list)
    aliases: list[tuple[str, str]] = field(default_factory=list)
    ibans: list[tuple[str, str]] = field(default_factory=list)
    items: list[_ItemFields] = field(default_factory=list)

    def add_customer(self, index: MatchIndex, customer: Customer) -> None:
        index.add_customer(customer)
        if self.noting:
            self.customers.append((customer.customer_id, customer.entity, customer.name, customer.account_number))

    def add_alias(self, index: MatchIndex, customer_id: str, alias: str) -> None:
        index.add_alias(customer_id, alias)
        if self.noting:
            self.aliases.append((customer_id, alias))

    def add_iban(self, index: MatchIndex, iban: str, customer_id: str) -> None:
        index.add_iban(iban, customer_id)
        if self.noting:
            self.ibans.append((iban, customer_id))

    def note_names(self, customers: Iterable[Customer], aliases: Iterable[tuple[str, str]]) -> None:
        """Customers and aliases the index already holds (shared, see MatchIndex.sharing_names_of)."""
        if self.noting:
            self.customers.extend((c.customer_id, c.entity, c.name, c.account_number) for c in customers)
            self.aliases.extend(aliases)

    def add_items(self, index: MatchIndex, items: Iterable[OpenItem]) -> None:
        if not self.noting:
            index.add_items(items)
            return
        for i in items:
            index.add_item(i)
            amount = i.open_amount
            self.items.append(
                (
                    i.item_id,
                    i.customer_id,
                    i.entity,
                    i.number,
                    i.kind,
                    i.due_date.toordinal(),
                    str(amount.amount),
                    amount.currency,
                    i.reference,
                )
            )

    def build(self) -> MatchIndex:
        """The index these parts were noted from, made again."""
        index = MatchIndex()
        for customer_id, entity, name, account_number in self.customers:
            index.add_customer(Customer(customer_id, entity, name, account_number))
        for customer_id, alias in self.aliases:
            index.add_alias(customer_id, alias)
        for iban, customer_id in self.ibans:
            index.add_iban(iban, customer_id)
        for item_id, customer_id, entity, number, kind, due, amount, currency, reference in self.items:
            open_amount = Money(Decimal(amount), currency)
            index.add_item(
                OpenItem(item_id, customer_id, entity, number, kind, date.fromordinal(due), open_amount, reference)
            )
        return index


class MatchWorkerError(RuntimeError):
    """A worker went away while deciding a batch: that batch is not decided (deliver it again)."""


def book_learning(index: MatchIndex, payment: Payment, proposal: Proposal) -> None:
    """What the service books in the index after each line: an applied line reduces its items, and its IBAN,
    if nobody's yet, names the customer for the lines after it (as the service learns it)."""
    if proposal.outcome is not Outcome.APPLY:
        return
    book_applied(index, payment, proposal)
    iban = payment.counterparty_iban
    if iban and proposal.customer_id is not None and index.customer_of_iban(iban) is None:
        index.add_iban(iban, proposal.customer_id)


def rate_lookup(rates: Rates | None) -> RateLookup | None:
    """The engine's rate look-up over the rates fetched for a batch."""
    if rates is None:
        return None
    return lambda source, target, on: rates.get((source, target, on))


def decide(payments: Sequence[Payment], index: MatchIndex, config: MatchConfig, rates: Rates | None) -> list[Proposal]:
    """The lines' proposals in order, each booked (:func:`book_learning`) before the next; the same in the
    service's process and in a worker."""
    return in_order_paused(payments, index, config, rate_lookup(rates), book_learning)


def _ready() -> int:
    return os.getpid()


def _decide_in_worker(
    payments: list[PaymentFields], parts: IndexParts, config: MatchConfig, rates: Rates | None
) -> list[ProposalFields]:
    # The build too: it makes as many objects as the batch has items, and no cycle.
    with cycle_collection_paused():
        decided = decide([payment_from_fields(p) for p in payments], parts.build(), config, rates)
        return [proposal_fields(p) for p in decided]


class MatchWorkers:
    """``workers`` processes deciding batches (:func:`decide`). Start it once (:meth:`start`), close it at the
    end (:meth:`close`); a batch whose worker died raises :class:`MatchWorkerError` and the pool replaces its
    processes for the next one."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        methods = multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    async def start(self) -> None:
        """Start the processes now rather than on the first batch, and wait until each answers."""
        if self._closed:
            raise MatchWorkerError("the matching workers are closed")
        if self._executor is None:
            self._executor = self._new_executor()
        loop = asyncio.get_running_loop()
        executor = self._executor
        # One call per worker at once: an executor starts a process for each call no idle one can take.
        await asyncio.gather(*(loop.run_in_executor(executor, _ready) for _ in range(self.workers)))

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context)

    def pids(self) -> list[int]:
        """The workers' process ids (what an operator, or a test, may look at)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return sorted(processes)

    async def decide(
        self, payments: Sequence[Payment], parts: IndexParts, config: MatchConfig, rates: Rates | None
    ) -> list[Proposal]:
        """:func:`decide` in a worker, against the index ``parts`` builds there. Processes that died are
        replaced here, when the next batch comes."""
        if self._closed:
            raise MatchWorkerError("the matching workers are closed")
        if self._executor is None:
            self._executor = self._new_executor()
        executor = self._executor
        loop = asyncio.get_running_loop()
        try:
            decided = await loop.run_in_executor(
                executor, _decide_in_worker, [payment_fields(p) for p in payments], parts, config, rates
            )
        except BrokenProcessPool as exc:
            self._replace(executor)
            raise MatchWorkerError(f"a matching worker went away while deciding {len(payments)} lines") from exc
        return [proposal_from_fields(p.transaction_id, f) for p, f in zip(payments, decided, strict=True)]

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        # Several batches may see the same pool break: only the first replaces it.
        if self._executor is not broken or self._closed:
            return
        log.warning("a matching worker died; starting fresh workers for the next batch")
        broken.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new_executor()

    def close(self) -> None:
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def __aenter__(self) -> MatchWorkers:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
