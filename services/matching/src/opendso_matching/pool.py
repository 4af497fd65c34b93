"""Cash application on several cores: processes that each hold some entities' items and decide their lines.

The lines of different entities never see each other's effects (see :mod:`domain.batch`), so each entity's
lines go, in their order, to the process holding its items; the decisions are those of one process deciding
every line in order. Each process also holds every customer, name, alias and IBAN, which the engine reads
across entities. A ledger of one entity gets no help from a second process: splitting its lines by the
customers they can concern needs each line's references, IBAN and name looked up first, which cost 70 % of
matching's own CPU on the labelled set, in one process, before any line is decided.

The calling process decides one share itself (its lines cross no pipe) and forks a worker for each other
share. A worker builds its own index after the fork (``load`` runs in it) rather than reading the parent's:
a forked process touching the parent's objects copies the pages they lie in (a reference count is a write),
which cost a third more CPU than matching in the parent on a million items. Payments go to the workers and
proposals come back as tuples of plain values: pickling the frozen dataclasses themselves costs several times
more. Workers are forked: start a pool before the process starts threads.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import pickle
import queue
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, cast

from opendso_money import Money

from opendso_matching.collection_pause import cycle_collection_paused, in_order_paused
from opendso_matching.domain.batch import Booker, EntityShares, book_applied
from opendso_matching.domain.engine import MatchConfig, RateLookup
from opendso_matching.domain.index import MatchIndex
from opendso_matching.domain.model import Allocation, Outcome, Payment, Proposal

# Fills an index with what a worker holds: every customer, name, alias and IBAN, and the items of the
# entities the predicate accepts.
Loader = Callable[[MatchIndex, Callable[[str], bool]], None]

# A worker answers in chunks of this many lines: the parent turns them back into proposals while the
# workers decide the next ones.
CHUNK = 2000

PaymentFields = tuple[str, str, date, Decimal, str, str, str, str, str, str]
_AllocationFields = tuple[str, str, Decimal, str, Decimal | None, str]
ProposalFields = tuple[
    str,
    Decimal,
    str | None,
    tuple[_AllocationFields, ...],
    Decimal,
    str,
    tuple[str, ...],
    Decimal | None,
    tuple[str, ...],
]
_OUTCOMES = {o.value: o for o in Outcome}


class MatchPoolError(RuntimeError):
    """A worker failed or went away; the pool cannot decide any more lines."""


class MatchPool:
    """Decides batches of lines in ``workers`` processes, this one included, the lines of each entity in their
    order. ``load`` fills each one's index (see :data:`Loader`), ``weights`` (items or lines per entity) share
    the entities out, ``book`` records each decision in the index before the next line. With one worker (or
    where processes cannot be forked) everything runs in this process. A pool keeps its indexes between
    batches: a batch is decided against what the batches before it left open."""

    def __init__(
        self,
        load: Loader,
        *,
        weights: Mapping[str, int],
        workers: int,
        config: MatchConfig | None = None,
        rates: RateLookup | None = None,
        book: Booker = book_applied,
    ) -> None:
        self.config = config or MatchConfig()
        self._rates = rates
        self._book = book
        if "fork" not in multiprocessing.get_all_start_methods():
            workers = 1
        self.shares = EntityShares(weights, max(1, workers))
        self._connections: list[Connection] = []
        self._processes: list[BaseProcess] = []
        self._closed = False
        # The CPU time each worker spent deciding the last batch (this process's first): on a busy machine, what
        # it cost apart from the waiting.
        self.cpu_seconds: list[float] = []
        context = multiprocessing.get_context("fork") if self.shares.workers > 1 else None
        # Frozen objects are never visited by a collector: the workers' collections then leave this process's
        # objects, and the pages they lie in, alone.
        frozen_before = gc.get_freeze_count()
        gc.freeze()
        try:
            for worker in range(1, self.shares.workers):
                assert context is not None
                ours, theirs = context.Pipe()
                process = context.Process(
                    target=_serve,
                    args=(theirs, load, self.shares.holds(worker), self.config, rates, book),
                    name=f"opendso-matching-{worker}",
                    daemon=True,
                )
                process.start()
                theirs.close()
                self._connections.append(ours)
                self._processes.append(process)
        finally:
            if frozen_before == 0:
                gc.unfreeze()
        try:
            # This process's share is indexed while the workers index theirs.
            self._index = MatchIndex()
            # A build makes millions of objects and no cycle: each full collection on the way walked all of them
            # again (a fifth of the build's CPU).
            with cycle_collection_paused():
                load(self._index, self.shares.holds(0))
            for connection in self._connections:
                self._receive(connection)
        except BaseException:
            self.close()
            raise

    @property
    def workers(self) -> int:
        return self.shares.workers

    def match(self, payments: Sequence[Payment]) -> list[Proposal]:
        """The proposals for ``payments``, in their order."""
        if self._closed:
            raise MatchPoolError("the pool is closed")
        positions: list[list[int]] = [[] for _ in range(self.shares.workers)]
        for n, payment in enumerate(payments):
            positions[self.shares.owner(payment.entity)].append(n)
        # While the batch runs, the collector leaves alone what this process held before it (the caller's
        # ledger, this pool's index): walking millions of objects in full took seconds, more than once a batch.
        freeze = gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            # Held across the chunks, and the reading of the workers' answers between them: each chunk collects
            # its young garbage (see in_order_paused), nothing walks the rest.
            with cycle_collection_paused():
                return self._decide(payments, positions)
        except MatchPoolError:
            self.close()
            raise
        except Exception as exc:
            # Failing in this process or in another is the same failure to the caller.
            self.close()
            raise MatchPoolError(f"a matching worker failed: {exc!r}") from exc
        except BaseException:
            self.close()
            raise
        finally:
            if freeze:
                gc.unfreeze()

    def _decide(self, payments: Sequence[Payment], positions: list[list[int]]) -> list[Proposal]:
        for connection, where in zip(self._connections, positions[1:], strict=True):
            connection.send_bytes(pickle.dumps([payment_fields(payments[n]) for n in where], protocol=5))
        proposals: list[Proposal | None] = [None] * len(payments)
        answered = [0] * self.shares.workers
        cpu = [0.0] * self.shares.workers
        waiting = {id(c): (worker, c) for worker, c in enumerate(self._connections, start=1)}

        def read(block: bool) -> None:
            """Turn what the workers sent back into proposals: all of it (``block``), or what is there now."""
            while waiting and (ready := wait([c for _, c in waiting.values()], None if block else 0)):
                for connection in ready:
                    worker, answering = waiting[id(connection)]
                    kind, body = self._receive(answering)
                    if kind == "done":
                        cpu[worker] = body
                        del waiting[id(connection)]
                        continue
                    where, start = positions[worker], answered[worker]
                    for n, fields in zip(where[start : start + len(body)], body, strict=True):
                        proposals[n] = proposal_from_fields(payments[n].transaction_id, fields)
                    answered[worker] = start + len(body)

        own = positions[0]
        for start in range(0, len(own), CHUNK):
            chunk = own[start : start + CHUNK]
            began = time.process_time()
            decided = in_order_paused([payments[n] for n in chunk], self._index, self.config, self._rates, self._book)
            cpu[0] += time.process_time() - began
            for n, proposal in zip(chunk, decided, strict=True):
                proposals[n] = proposal
            answered[0] += len(chunk)
            read(block=False)
        read(block=True)
        if answered != [len(where) for where in positions]:
            raise MatchPoolError(f"the workers decided {answered} of {[len(w) for w in positions]} lines")
        self.cpu_seconds = cpu
        return cast(list[Proposal], proposals)

    def _receive(self, connection: Connection) -> tuple[str, Any]:
        try:
            kind, body = pickle.loads(connection.recv_bytes())
        except (EOFError, OSError) as exc:
            raise MatchPoolError(f"a matching worker went away: {exc!r}") from exc
        if kind == "failed":
            raise MatchPoolError(f"a matching worker failed:\n{body}")
        return kind, body

    def close(self) -> None:
        self._closed = True
        for connection in self._connections:
            # A worker that went away needs no goodbye.
            with contextlib.suppress(OSError):
                connection.send_bytes(pickle.dumps(None))
            connection.close()
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
        self._connections, self._processes = [], []

    def __enter__(self) -> MatchPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _serve(
    connection: Connection,
    load: Loader,
    holds: Callable[[str], bool],
    config: MatchConfig,
    rates: RateLookup | None,
    book: Booker,
) -> None:
    """A worker: build the index of what it holds, then decide each batch it is sent, answering in chunks.
    A message is (kind, body): ("ready", items held), ("decided", proposals), ("done", CPU seconds) at the end
    of a batch, or ("failed", the traceback)."""
    # Answers are written by a thread of their own: a write waits for the parent to read, and the parent reads
    # one worker's chunk while the other's waits. Deciding the next lines meanwhile is what keeps both cores
    # busy; the thread holds no lock while it waits on the pipe.
    outgoing: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    writer = threading.Thread(target=_write, args=(connection, outgoing), name="answers", daemon=True)
    writer.start()
    try:
        index = MatchIndex()
        with cycle_collection_paused():
            load(index, holds)
        # The index lives as long as the worker: later collections need not walk it again and again.
        gc.collect()
        gc.freeze()
        outgoing.put(pickle.dumps(("ready", len(index)), protocol=5))
        while (request := pickle.loads(connection.recv_bytes())) is not None:
            started = time.process_time()
            with cycle_collection_paused():
                payments = [payment_from_fields(fields) for fields in request]
                for start in range(0, len(payments), CHUNK):
                    decided = in_order_paused(payments[start : start + CHUNK], index, config, rates, book)
                    outgoing.put(pickle.dumps(("decided", [proposal_fields(p) for p in decided]), protocol=5))
            outgoing.put(pickle.dumps(("done", time.process_time() - started), protocol=5))
    except EOFError:
        pass
    except BaseException:
        outgoing.put(pickle.dumps(("failed", traceback.format_exc()), protocol=5))
    outgoing.put(None)
    writer.join()


def _write(connection: Connection, outgoing: queue.SimpleQueue[bytes | None]) -> None:
    while (message := outgoing.get()) is not None:
        try:
            connection.send_bytes(message)
        except OSError:
            # The parent is gone (it closed the pool): nobody is left to tell.
            return


def payment_fields(p: Payment) -> PaymentFields:
    """A payment as plain values, what crosses to another process (see :func:`payment_from_fields`)."""
    return (
        p.transaction_id,
        p.entity,
        p.booking_date,
        p.amount.amount,
        p.amount.currency,
        p.counterparty_name,
        p.counterparty_iban,
        p.remittance_text,
        p.structured_reference,
        p.structured_reference_type,
    )


def payment_from_fields(f: PaymentFields) -> Payment:
    return Payment(f[0], f[1], f[2], Money(f[3], f[4]), f[5], f[6], f[7], f[8], f[9])


def proposal_fields(p: Proposal) -> ProposalFields:
    """A proposal as plain values, without its transaction id (see :func:`proposal_from_fields`)."""
    return (
        p.outcome.value,
        p.confidence,
        p.customer_id,
        tuple(
            (
                a.item_id,
                a.item_number,
                a.amount.amount,
                a.amount.currency,
                None if a.write_off is None else a.write_off.amount,
                "" if a.write_off is None else a.write_off.currency,
            )
            for a in p.allocations
        ),
        p.unallocated.amount,
        p.unallocated.currency,
        p.reasons,
        p.rate,
        p.alternatives,
    )


def proposal_from_fields(transaction_id: str, f: ProposalFields) -> Proposal:
    return Proposal(
        transaction_id,
        _OUTCOMES[f[0]],
        f[1],
        f[2],
        tuple(
            Allocation(item_id, number, Money(amount, currency), None if off is None else Money(off, off_currency))
            for item_id, number, amount, currency, off, off_currency in f[3]
        ),
        Money(f[4], f[5]),
        f[6],
        f[7],
        f[8],
    )
