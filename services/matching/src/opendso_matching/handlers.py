"""Bus handlers of the matching service (cash application).

Item and customer events keep the service's own copy of the ledger; each batch of bank lines is
matched against it with the domain engine. A confident proposal is applied and published; the
rest waits in the review queue (or the suspense list) until a collector decides, and what the
collector decides teaches the service (the payer's IBAN and name).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial

from google.protobuf.timestamp_pb2 import Timestamp
from opendso.banking.v1 import banking_pb2 as bk
from opendso.common.v1.common_pb2 import EventMeta
from opendso.matching.v1 import matching_pb2 as mt
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import InvalidRequest, NotFound, QueryError
from opendso_contracts.convert import date_from_proto, money_from_proto, money_to_proto
from opendso_money import Money

from opendso_matching.domain.amounts import convert
from opendso_matching.domain.engine import MatchConfig, match
from opendso_matching.domain.index import BatchIndex, MatchIndex, normalise_iban
from opendso_matching.domain.keys import compact, digits_key, text_keys
from opendso_matching.domain.model import Allocation, Customer, OpenItem, Outcome, Payment, Proposal
from opendso_matching.domain.names import NameIndex
from opendso_matching.held import HeldLedger
from opendso_matching.store import AllocationRecord, TransactionRecord, UnitOfWork
from opendso_matching.workers import IndexParts, MatchWorkers, Rates, book_learning, decide, rate_lookup

# Transaction statuses as stored.
APPLIED, IN_REVIEW, SUSPENSE, IGNORED = "applied", "in_review", "suspense", "ignored"
_STATUS_TO_PROTO = {
    APPLIED: mt.TRANSACTION_STATUS_APPLIED,
    IN_REVIEW: mt.TRANSACTION_STATUS_IN_REVIEW,
    SUSPENSE: mt.TRANSACTION_STATUS_SUSPENSE,
    IGNORED: mt.TRANSACTION_STATUS_IGNORED,
}
_STATUS_FROM_PROTO = {v: k for k, v in _STATUS_TO_PROTO.items()}
_OUTCOME_TO_PROTO = {
    Outcome.APPLY: mt.MATCH_OUTCOME_APPLY,
    Outcome.REVIEW: mt.MATCH_OUTCOME_REVIEW,
    Outcome.SUSPENSE: mt.MATCH_OUTCOME_SUSPENSE,
    Outcome.IGNORED: mt.MATCH_OUTCOME_IGNORED,
}
_STATUS_OF_OUTCOME = {Outcome.APPLY: APPLIED, Outcome.REVIEW: IN_REVIEW, Outcome.SUSPENSE: SUSPENSE}
# A name the index already scores this high for the customer teaches nothing new.
_ALIAS_KNOWN_SCORE = 97.0
MAX_PAGE = 500


FetchRates = Callable[[set[tuple[str, str, dt.date]]], Awaitable[dict[tuple[str, str, dt.date], Decimal]]]


@dataclass(frozen=True)
class Deps:
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    config: MatchConfig = field(default_factory=MatchConfig)
    # FX rates for payments in another currency than the items, asked of the FX service for a batch at once
    # ((from, to, day) wanted -> the rates it has); None: such payments go to review.
    fetch_rates: FetchRates | None = None
    # Where a batch's lines are decided: these processes, or (None) the handler's own.
    workers: MatchWorkers | None = None
    # Each entity's names indexed once for many batches (None: loaded and indexed for each batch). One cache
    # per database: the service makes it (see app.create_app).
    names: NamesCache | None = None
    # Every item held indexed between batches, updated from the tables before each (None: what a batch's lines
    # can concern is loaded and indexed for each batch). Used where lines are decided in this process.
    ledger: HeldLedger | None = None


@dataclass(frozen=True)
class _Names:
    version: int
    # The entity's customers and aliases, indexed (see MatchIndex.sharing_names_of); and as loaded, in order.
    index: MatchIndex
    customers: list[Customer]
    aliases: list[tuple[str, str]]


class NamesCache:
    """Each entity's customers and aliases, indexed, as of its name version (see ``store.name_versions``): a batch
    reads the version (one row) and uses the names indexed at that version, instead of loading and indexing
    every customer's name again. A version that moved (a customer changed, an alias learned, here or in another
    instance) makes the next batch load them again."""

    def __init__(self) -> None:
        self._entities: dict[str, _Names] = {}

    async def of(self, entity: str, uow: UnitOfWork) -> _Names:
        # The version before the names: names loaded after it are at least as new, never older.
        return await self._at(entity, await uow.repo.names_version(entity), uow)

    async def of_entities(self, entities: Iterable[str], uow: UnitOfWork) -> dict[str, _Names]:
        """:meth:`of` for several entities, their versions read in one query."""
        versions = await uow.repo.names_versions(entities)
        return {entity: await self._at(entity, version, uow) for entity, version in versions.items()}

    async def _at(self, entity: str, version: int, uow: UnitOfWork) -> _Names:
        cached = self._entities.get(entity)
        if cached is not None and cached.version == version:
            return cached
        customers = await uow.repo.customers_of_entity(entity)
        aliases = await uow.repo.aliases_of_entity(entity)
        index = MatchIndex()
        for customer in customers:
            index.add_customer(customer)
        for customer_id, alias in aliases:
            index.add_alias(customer_id, alias)
        cached = _Names(version, index, customers, aliases)
        self._entities[entity] = cached
        return cached


# --- the ledger copy ------------------------------------------------------------------------------------


def _occurred(meta: EventMeta) -> dt.datetime:
    return meta.occurred_at.ToDatetime(tzinfo=dt.UTC)


def _customer(c: rv.Customer) -> Customer:
    return Customer(c.customer_id, c.entity, c.name, c.account_number)


_KIND_NAMES = {
    rv.ITEM_KIND_INVOICE: "invoice",
    rv.ITEM_KIND_CREDIT_NOTE: "credit_note",
    rv.ITEM_KIND_UNALLOCATED_PAYMENT: "unallocated_payment",
    rv.ITEM_KIND_INSTALMENT: "instalment",
}


def _item(i: rv.OpenItem, closed: bool) -> OpenItem:
    open_amount = money_from_proto(i.open_amount)
    if closed:
        open_amount = Money.zero(open_amount.currency)
    return OpenItem(
        item_id=i.item_id,
        customer_id=i.customer_id,
        entity=i.entity,
        number=i.number,
        kind=_KIND_NAMES.get(i.kind, "invoice"),
        due_date=date_from_proto(i.due_date),
        open_amount=open_amount,
        reference=i.reference,
    )


async def record_customers(event: rv.CustomersChanged, uow: UnitOfWork, deps: Deps) -> None:
    changed = [_customer(c.customer) for c in event.changes]
    # A customer that moved entity leaves the names of the one it was in, too.
    before = await uow.repo.entities_of_customers(c.customer_id for c in changed)
    await uow.repo.upsert_customers(changed, _occurred(event.meta))
    await uow.repo.names_changed({*before, *(c.entity for c in changed)})
    await uow.repo.ledger_changed((c.customer.entity for c in event.changes), deps.now())


async def record_customer(event: rv.CustomerCreated | rv.CustomerChanged, uow: UnitOfWork, deps: Deps) -> None:
    await record_customers(
        rv.CustomersChanged(meta=event.meta, changes=[rv.CustomerChange(customer=event.customer)]), uow, deps
    )


async def record_items(event: rv.ItemsChanged, uow: UnitOfWork, deps: Deps) -> None:
    records = [_item(c.item, c.type == rv.CHANGE_TYPE_CLOSED) for c in event.changes]
    await uow.repo.upsert_items(records, _occurred(event.meta))
    await uow.repo.ledger_changed((r.entity for r in records), deps.now())


async def record_item(event: rv.ItemOpened | rv.ItemChanged | rv.ItemClosed, uow: UnitOfWork, deps: Deps) -> None:
    kind = rv.CHANGE_TYPE_CLOSED if isinstance(event, rv.ItemClosed) else rv.CHANGE_TYPE_CHANGED
    await record_items(rv.ItemsChanged(meta=event.meta, changes=[rv.ItemChange(type=kind, item=event.item)]), uow, deps)


# --- matching bank lines --------------------------------------------------------------------------------


def payment_of(t: bk.BankTransaction) -> Payment:
    return Payment(
        transaction_id=t.transaction_id,
        entity=t.entity,
        booking_date=date_from_proto(t.booking_date),
        amount=money_from_proto(t.amount),
        counterparty_name=t.counterparty_name,
        counterparty_iban=normalise_iban(t.counterparty_iban),
        remittance_text=t.remittance_text,
        structured_reference=t.structured_reference,
        structured_reference_type=t.structured_reference_type,
    )


def allocation_to_proto(a: Allocation) -> mt.Allocation:
    answer = mt.Allocation(item_id=a.item_id, item_number=a.item_number, amount=money_to_proto(a.amount))
    if a.write_off is not None:
        answer.write_off.CopyFrom(money_to_proto(a.write_off))
    return answer


def proposal_to_proto(p: Proposal) -> mt.Proposal:
    return mt.Proposal(
        outcome=_OUTCOME_TO_PROTO[p.outcome],
        confidence=str(p.confidence),
        customer_id=p.customer_id or "",
        allocations=[allocation_to_proto(a) for a in p.allocations],
        unallocated=money_to_proto(p.unallocated),
        reasons=list(p.reasons),
        rate="" if p.rate is None else str(p.rate),
        alternative_item_ids=list(p.alternatives),
    )


async def match_transactions(event: bk.BankTransactionsReceived, uow: UnitOfWork, deps: Deps) -> None:
    """Match a statement's lines (a thousand at most) in order; a line seen before is left alone. Every entity's
    lines are decided, then all of them written at once: a few statements for the message, not for each entity."""
    known = await uow.repo.known_transactions(t.transaction_id for t in event.transactions)
    fresh: dict[str, bk.BankTransaction] = {}
    for t in event.transactions:
        if t.transaction_id not in known:
            fresh.setdefault(t.transaction_id, t)
    by_entity: dict[str, list[bk.BankTransaction]] = {}
    for t in fresh.values():
        by_entity.setdefault(t.entity, []).append(t)
    if not by_entity:
        return
    uow.caused_by(event.meta)
    held = deps.ledger if deps.workers is None else None
    names: dict[str, MatchIndex] = {}
    ibans: dict[str, str] = {}
    if held is not None:
        # Before this transaction writes anything: what it reads then is committed (its own stamps are not yet).
        await held.update(uow)
        names = await _names_of_entities(list(by_entity), uow, deps.names)
        ibans = await uow.repo.ibans_for(normalise_iban(t.counterparty_iban) for t in fresh.values())
    basis = held.versions() if held is not None else {}
    decided = _Decided()
    # Entity after entity: an entity's lines are decided against the IBANs the lines before them learned (written
    # with the rest, below; carried to the next entity's index meanwhile), in this process or in a worker alike.
    for entity, lines in by_entity.items():
        parts = IndexParts(noting=deps.workers is not None)
        index: MatchIndex
        view: BatchIndex | None = None
        if held is not None:
            index = view = held.view(names[entity])
            for iban in {normalise_iban(t.counterparty_iban) for t in lines}:
                customer_id = ibans.get(iban) or decided.learned.get(iban)
                if customer_id is not None:
                    index.add_iban(iban, customer_id)
            currencies = held.currencies(entity)
        else:
            index, currencies = await _index_for(entity, lines, uow, deps.config, parts, deps.names, decided.learned)
        rates = await _rates_for(lines, currencies, deps)
        payments = [payment_of(t) for t in lines]
        # Whose IBANs the index knew before these lines: a line applied from an IBAN nobody's teaches it.
        ibans_known = {p.counterparty_iban for p in payments if index.customer_of_iban(p.counterparty_iban) is not None}
        if deps.workers is None:
            proposals = decide(payments, index, deps.config, rates)
        else:
            proposals = await deps.workers.decide(payments, parts, deps.config, rates)
        decided.add(lines, payments, proposals, ibans_known, uow, deps.now())
        if view is not None and view.reduced:
            decided.reduced[entity] = list(view.reduced.values())
    await decided.write(uow, deps.now())
    if held is not None and decided.reduced:
        # The items the decisions reduced are held as they left them once the transaction commits, unless another
        # transaction changed the entity's items meanwhile (see HeldLedger.settle).
        stamps = await uow.repo.stamp_entities(decided.reduced)
        for entity, items in decided.reduced.items():
            uow.after_commit.append(partial(held.settle, entity, basis.get(entity, -1), stamps[entity], items))


async def match_transaction(event: bk.BankTransactionReceived, uow: UnitOfWork, deps: Deps) -> None:
    await match_transactions(bk.BankTransactionsReceived(meta=event.meta, transactions=[event.transaction]), uow, deps)


async def _rates_for(lines: list[bk.BankTransaction], currencies: set[str], deps: Deps) -> Rates | None:
    """The day's rates from each line's currency to the items' currencies, fetched once for the batch."""
    if deps.fetch_rates is None:
        return None
    wanted = {
        (t.amount.currency, currency, date_from_proto(t.booking_date))
        for t in lines
        for currency in currencies
        if currency != t.amount.currency
    }
    if not wanted:
        return None
    return dict(await deps.fetch_rates(wanted))


async def _names_of_entities(entities: list[str], uow: UnitOfWork, names: NamesCache | None) -> dict[str, MatchIndex]:
    """:func:`_names_of` for several entities (the cache's versions read in one query)."""
    if names is not None:
        return {entity: found.index for entity, found in (await names.of_entities(entities, uow)).items()}
    return {entity: await _names_of(entity, uow, None) for entity in entities}


async def _names_of(entity: str, uow: UnitOfWork, names: NamesCache | None) -> MatchIndex:
    """The entity's customers, names and aliases indexed: the cache's, or loaded now."""
    if names is not None:
        return (await names.of(entity, uow)).index
    index = MatchIndex()
    for customer in await uow.repo.customers_of_entity(entity):
        index.add_customer(customer)
    for customer_id, alias in await uow.repo.aliases_of_entity(entity):
        index.add_alias(customer_id, alias)
    return index


async def _held_index_for(
    entity: str, lines: list[bk.BankTransaction], uow: UnitOfWork, ledger: HeldLedger, names: NamesCache | None
) -> tuple[MatchIndex, set[str]]:
    """A view of the held items (updated from the tables by the caller, before its transaction wrote anything: the
    held items are only ever what was committed), with the entity's names and the IBANs the lines come from; and
    the currencies of the entity's items."""
    index = ledger.view(await _names_of(entity, uow, names))
    for iban, customer_id in (await uow.repo.ibans_for(normalise_iban(t.counterparty_iban) for t in lines)).items():
        index.add_iban(iban, customer_id)
    return index, ledger.currencies(entity)


async def _index_for(
    entity: str,
    lines: list[bk.BankTransaction],
    uow: UnitOfWork,
    config: MatchConfig,
    parts: IndexParts | None = None,
    names: NamesCache | None = None,
    learned: dict[str, str] | None = None,
) -> tuple[MatchIndex, set[str]]:
    """What these lines can concern: the items they name, the customers their IBANs and names point to, and
    those customers' items; with the entity's names and aliases for the name search (from ``names`` when
    given). Also answers the currencies those items are in. ``parts`` notes what went in, to build the same
    index in a worker."""
    parts = parts if parts is not None else IndexParts(noting=False)
    if names is None:
        index = MatchIndex()
        for customer in await uow.repo.customers_of_entity(entity):
            parts.add_customer(index, customer)
        for customer_id, alias in await uow.repo.aliases_of_entity(entity):
            parts.add_alias(index, customer_id, alias)
    else:
        held = await names.of(entity, uow)
        index = MatchIndex.sharing_names_of(held.index)
        parts.note_names(held.customers, held.aliases)
    ibans = await uow.repo.ibans_for(normalise_iban(t.counterparty_iban) for t in lines)
    # IBANs the lines before these learned in this transaction, not written yet.
    for iban in {normalise_iban(t.counterparty_iban) for t in lines} - ibans.keys():
        if learned and iban in learned:
            ibans[iban] = learned[iban]
    for iban, customer_id in ibans.items():
        parts.add_iban(index, iban, customer_id)
    keys: set[str] = set()
    for t in lines:
        keys.update(text_keys(t.remittance_text))
        if t.structured_reference:
            keys.add(compact(t.structured_reference))
            if (digits := digits_key(t.structured_reference)) is not None:
                keys.add(digits)
    referenced = await uow.repo.items_by_ids(await uow.repo.item_ids_by_keys(keys))
    customers = {i.customer_id for i in referenced} | set(ibans.values())
    for t in lines:
        if t.counterparty_name:
            customers.update(
                m.customer_id for m in index.names.best(t.counterparty_name, cutoff=config.name_cutoff)[:3]
            )
    of_customers = await uow.repo.items_of_customers(customers)
    parts.add_items(index, referenced)
    parts.add_items(index, of_customers)
    return index, {i.open_amount.currency for i in (*referenced, *of_customers)}


class _Decided:
    """A message's decided lines as they are to be written: each line with its proposal, the allocations applied,
    the IBANs they teach (an IBAN nobody's before names the customer of the first line applied from it), and the
    events, in the lines' order; written a table at a time (a statement per line and table cost forty times the
    deciding). Also what the decisions left of the items each entity's view reduced."""

    def __init__(self) -> None:
        self.records: list[TransactionRecord] = []
        self.applied: list[tuple[AllocationRecord, list[tuple[str, Money]]]] = []
        self.events: list[mt.PaymentAllocated | mt.TransactionQueued] = []
        # IBAN -> the customer the lines taught it names, in the order learned
        self.learned: dict[str, str] = {}
        # entity -> the items its lines' decisions reduced, as they left them
        self.reduced: dict[str, list[OpenItem]] = {}

    def add(
        self,
        lines: list[bk.BankTransaction],
        payments: list[Payment],
        proposals: list[Proposal],
        ibans_known: set[str],
        uow: UnitOfWork,
        now: dt.datetime,
    ) -> None:
        for line, payment, proposal in zip(lines, payments, proposals, strict=True):
            encoded = proposal_to_proto(proposal)
            status = _STATUS_OF_OUTCOME.get(proposal.outcome, IGNORED)
            allocation_id: str | None = None
            if proposal.outcome is Outcome.APPLY:
                assert proposal.customer_id is not None
                record, settled, event = _allocation(
                    line,
                    proposal.customer_id,
                    proposal.allocations,
                    proposal.unallocated,
                    encoded,
                    uow,
                    automatic=True,
                    user="",
                    as_proposed=True,
                )
                allocation_id = record.allocation_id
                self.applied.append((record, settled))
                self.events.append(event)
                iban = payment.counterparty_iban
                if iban and iban not in ibans_known:
                    # Seen paying this customer's invoices: the IBAN names the customer next time.
                    ibans_known.add(iban)
                    self.learned.setdefault(iban, proposal.customer_id)
            elif status in (IN_REVIEW, SUSPENSE):
                self.events.append(
                    mt.TransactionQueued(
                        meta=uow.meta(entity=line.entity),
                        transaction=line,
                        proposal=encoded,
                        status=_STATUS_TO_PROTO[status],
                    )
                )
            self.records.append(
                TransactionRecord(
                    transaction_id=line.transaction_id,
                    entity=line.entity,
                    status=status,
                    booking_date=date_from_proto(line.booking_date),
                    transaction=line.SerializeToString(),
                    proposal=encoded.SerializeToString(),
                    allocation_id=allocation_id,
                    updated_at=now,
                )
            )

    async def write(self, uow: UnitOfWork, now: dt.datetime) -> None:
        await uow.repo.add_allocations(self.applied, now)
        await uow.repo.learn_ibans(list(self.learned.items()), "applied", now)
        await uow.publish_many(list(self.events))
        await uow.repo.add_transactions(self.records)


async def _act_on(
    line: bk.BankTransaction, proposal: Proposal, uow: UnitOfWork, now: dt.datetime, learns: bool
) -> tuple[str, str | None]:
    """Apply a confident proposal, queue any other: answer the line's status and its allocation's id.
    ``learns``: the line's IBAN was nobody's, and now names the proposal's customer (see book_learning)."""
    status = _STATUS_OF_OUTCOME.get(proposal.outcome, IGNORED)
    if proposal.outcome is Outcome.APPLY:
        assert proposal.customer_id is not None
        allocation_id = await _apply(
            line,
            proposal.customer_id,
            proposal.allocations,
            proposal.unallocated,
            proposal_to_proto(proposal),
            uow,
            now,
            automatic=True,
            user="",
        )
        if learns:
            # Seen paying this customer's invoices: the IBAN names the customer next time.
            await uow.repo.learn_iban(normalise_iban(line.counterparty_iban), proposal.customer_id, "applied", now)
        return status, allocation_id
    if status in (IN_REVIEW, SUSPENSE):
        await uow.publish(
            mt.TransactionQueued(
                meta=uow.meta(entity=line.entity),
                transaction=line,
                proposal=proposal_to_proto(proposal),
                status=_STATUS_TO_PROTO[status],
            )
        )
    return status, None


# Queued lines matched again per entity and pass; the rest wait for the next pass.
REMATCH_BATCH = 1000


async def rematch_queued(uow_factory: Callable[[], UnitOfWork], deps: Deps) -> int:
    """Match again the queued lines of every entity whose ledger changed since: a payment that arrived before
    its invoice was imported is applied once the invoice is there. Lines a person held are left alone.
    Answers how many lines were applied."""
    async with uow_factory() as uow:
        changed = await uow.repo.entities_to_rematch()
    applied = 0
    for entity, version in changed:
        async with uow_factory() as uow:
            records = await uow.repo.queued_lines(entity, REMATCH_BATCH)
            lines = [bk.BankTransaction.FromString(r.transaction) for r in records]
            if not lines:
                index, currencies = MatchIndex(), set[str]()
            elif deps.ledger is not None:
                await deps.ledger.update(uow)
                index, currencies = await _held_index_for(entity, lines, uow, deps.ledger, deps.names)
            else:
                index, currencies = await _index_for(entity, lines, uow, deps.config, names=deps.names)
            rates = await _rates_for(lines, currencies, deps)
            lookup = rate_lookup(rates)
            for record, line in zip(records, lines, strict=True):
                payment = payment_of(line)
                proposal = match(payment, index, deps.config, lookup)
                iban = payment.counterparty_iban
                learns = proposal.outcome is Outcome.APPLY and bool(iban) and index.customer_of_iban(iban) is None
                book_learning(index, payment, proposal)
                encoded = proposal_to_proto(proposal).SerializeToString()
                if proposal.outcome is not Outcome.APPLY and _STATUS_OF_OUTCOME.get(proposal.outcome) == record.status:
                    if encoded != record.proposal:
                        await uow.repo.set_transaction(
                            record.transaction_id,
                            status=record.status,
                            allocation_id=None,
                            proposal=encoded,
                            now=deps.now(),
                        )
                    continue
                uow.caused_by(None, correlation_id=f"rematch:{record.transaction_id}")
                status, allocation_id = await _act_on(line, proposal, uow, deps.now(), learns)
                await uow.repo.set_transaction(
                    record.transaction_id, status=status, allocation_id=allocation_id, proposal=encoded, now=deps.now()
                )
                applied += status == APPLIED
            await uow.repo.rematched(entity, version)
            await uow.commit()
    return applied


async def _apply(
    line: bk.BankTransaction,
    customer_id: str,
    allocations: Iterable[Allocation],
    unallocated: Money,
    proposal: mt.Proposal,
    uow: UnitOfWork,
    now: dt.datetime,
    *,
    automatic: bool,
    user: str,
) -> str:
    """Record an allocation and publish it; answer its id."""
    record, settled, published = _allocation(
        line, customer_id, allocations, unallocated, proposal, uow, automatic=automatic, user=user
    )
    await uow.repo.add_allocation(record, settled, now)
    await uow.publish(published)
    return record.allocation_id


def _allocation(
    line: bk.BankTransaction,
    customer_id: str,
    allocations: Iterable[Allocation],
    unallocated: Money,
    proposal: mt.Proposal,
    uow: UnitOfWork,
    *,
    automatic: bool,
    user: str,
    as_proposed: bool = False,
) -> tuple[AllocationRecord, list[tuple[str, Money]], mt.PaymentAllocated]:
    """An allocation as recorded (with what it settles of each item) and as published. ``as_proposed``: the
    allocations and the rest are the proposal's, taken from it as encoded rather than encoded again."""
    allocation_id = str(uuid.uuid4())
    chosen = list(allocations)
    decision = mt.PaymentAllocated(
        allocation_id=allocation_id,
        transaction_id=line.transaction_id,
        entity=line.entity,
        customer_id=customer_id,
        allocations=proposal.allocations if as_proposed else [allocation_to_proto(a) for a in chosen],
        unallocated=proposal.unallocated if as_proposed else money_to_proto(unallocated),
        confidence=proposal.confidence,
        reasons=list(proposal.reasons),
        automatic=automatic,
        decided_by=user,
        booking_date=line.booking_date,
        payment_amount=line.amount,
    )
    record = AllocationRecord(
        allocation_id, line.transaction_id, customer_id, line.entity, "active", decision.SerializeToString()
    )
    settled = [(a.item_id, a.amount if a.write_off is None else a.amount + a.write_off) for a in chosen]
    # Recorded without its meta (above), published with it.
    decision.meta.CopyFrom(uow.meta(entity=line.entity))
    return record, settled, decision


# --- the review queue -----------------------------------------------------------------------------------


def _entry(record: TransactionRecord) -> mt.ReviewEntry:
    updated = Timestamp()
    updated.FromDatetime(record.updated_at if record.updated_at.tzinfo else record.updated_at.replace(tzinfo=dt.UTC))
    return mt.ReviewEntry(
        transaction=bk.BankTransaction.FromString(record.transaction),
        proposal=mt.Proposal.FromString(record.proposal),
        status=_STATUS_TO_PROTO[record.status],
        allocation_id=record.allocation_id or "",
        updated_at=updated,
    )


def _decode_cursor(token: str) -> tuple[dt.date, str] | None:
    if not token:
        return None
    try:
        booked, transaction_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return dt.date.fromisoformat(booked), str(transaction_id)
    except (ValueError, TypeError) as exc:
        raise InvalidRequest(f"page_token is not a token this service issued: {exc}") from None


def _encode_cursor(record: TransactionRecord) -> str:
    raw = json.dumps([record.booking_date.isoformat(), record.transaction_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


async def list_review_queue(query: mt.ListReviewQueue, uow: UnitOfWork) -> mt.ReviewQueue:
    if query.page_size < 0 or query.page_size > MAX_PAGE:
        raise InvalidRequest(f"page_size must be between 1 and {MAX_PAGE}, got {query.page_size}")
    status = _STATUS_FROM_PROTO.get(query.status, IN_REVIEW) if query.status else IN_REVIEW
    page_size = query.page_size or 50
    rows, total = await uow.repo.queue(status, query.entity, page_size + 1, _decode_cursor(query.page_token))
    page = rows[:page_size]
    token = _encode_cursor(page[-1]) if len(rows) > page_size else ""
    return mt.ReviewQueue(entries=[_entry(r) for r in page], next_page_token=token, total=total)


async def get_transaction_match(query: mt.GetTransactionMatch, uow: UnitOfWork) -> mt.ReviewEntry:
    record = await uow.repo.transaction(query.transaction_id)
    if record is None:
        raise NotFound(f"no bank transaction {query.transaction_id!r}")
    return _entry(record)


# --- a collector's decisions ----------------------------------------------------------------------------


def _decimal(text: str, where: str, *, allow_empty: bool = False) -> Decimal | None:
    if not text and allow_empty:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidRequest(f"{where}: {text!r} is not a decimal amount") from None
    if not value.is_finite():
        raise InvalidRequest(f"{where}: {text!r} is not a decimal amount")
    return value


async def _chosen_allocations(
    command: mt.ConfirmMatch, payment: Payment, proposal: mt.Proposal, uow: UnitOfWork
) -> tuple[list[Allocation], Money]:
    """The collector's allocations, checked against the items as they stand and the payment."""
    if len({a.item_id for a in command.allocations}) != len(command.allocations):
        raise InvalidRequest("allocations: an item appears twice")
    found = {i.item_id: i for i in await uow.repo.items_by_ids(a.item_id for a in command.allocations)}
    chosen: list[Allocation] = []
    currencies: set[str] = set()
    total = Decimal(0)
    for n, request in enumerate(command.allocations):
        where = f"allocations[{n}]"
        item = found.get(request.item_id)
        if item is None:
            raise InvalidRequest(f"{where}.item_id: no item {request.item_id!r}")
        if item.customer_id != command.customer_id:
            raise InvalidRequest(
                f"{where}.item_id: {request.item_id} belongs to {item.customer_id}, not {command.customer_id}"
            )
        amount = _decimal(request.amount, f"{where}.amount")
        write_off = _decimal(request.write_off, f"{where}.write_off", allow_empty=True)
        assert amount is not None
        due = item.open_amount.amount
        settled = amount + (write_off or 0)
        # Zero is allowed only with a write-off: a tiny invoice the shortfall settles whole.
        if (amount == 0 and not write_off) or (amount != 0 and due != 0 and (amount > 0) != (due > 0)):
            raise InvalidRequest(f"{where}.amount: {amount} does not have the sign of what {item.number} owes ({due})")
        if abs(settled) > abs(due):
            raise InvalidRequest(f"{where}.amount: {settled} is more than the {due} {item.number} still owes")
        currency = item.open_amount.currency
        currencies.add(currency)
        total += amount
        chosen.append(
            Allocation(
                item.item_id,
                item.number,
                Money(amount, currency),
                None if write_off is None else Money(write_off, currency),
            )
        )
    if len(currencies) > 1:
        raise InvalidRequest(f"allocations: items in several currencies ({', '.join(sorted(currencies))})")
    paid = payment.amount
    if currencies and paid.currency not in currencies:
        target = currencies.pop()
        if not proposal.rate:
            raise InvalidRequest(f"the payment is in {paid.currency}, the items in {target}, and no rate is known")
        paid = convert(paid, Decimal(proposal.rate), target)
    if total > paid.amount:
        raise InvalidRequest(f"allocations: {total} {paid.currency} is more than the payment of {paid}")
    return chosen, Money(paid.amount - total, paid.currency)


async def confirm_match(command: mt.ConfirmMatch, uow: UnitOfWork, deps: Deps) -> mt.MatchDecision:
    record = await uow.repo.transaction(command.transaction_id, for_update=True)
    if record is None:
        raise NotFound(f"no bank transaction {command.transaction_id!r}")
    proposal = mt.Proposal.FromString(record.proposal)
    if command.accept_proposal:
        if command.customer_id or command.allocations:
            raise InvalidRequest("accept_proposal takes the proposal as it stands: send no customer_id or allocations")
        if not proposal.customer_id:
            raise InvalidRequest("the proposal names no customer: choose the customer and the items")
        command.customer_id = proposal.customer_id
        del command.allocations[:]
        command.allocations.extend(
            mt.AllocationRequest(
                item_id=a.item_id,
                amount=a.amount.amount,
                write_off=a.write_off.amount if a.HasField("write_off") else "",
            )
            for a in proposal.allocations
        )
    if record.status == APPLIED:
        return await _replay_or_refuse(record, command, uow)
    if record.status == IGNORED:
        raise InvalidRequest(f"{command.transaction_id} is money paid out, not a customer payment")
    if not command.customer_id:
        raise InvalidRequest("customer_id is required (or accept_proposal)")
    customer = await uow.repo.customer(command.customer_id)
    if customer is None:
        raise InvalidRequest(f"customer_id: no customer {command.customer_id!r}")
    line = bk.BankTransaction.FromString(record.transaction)
    if customer.entity != line.entity:
        raise InvalidRequest(f"customer_id: {customer.customer_id} is not of entity {line.entity}")
    payment = payment_of(line)
    chosen, unallocated = await _chosen_allocations(command, payment, proposal, uow)
    now = deps.now()
    uow.caused_by(None, correlation_id=command.correlation_id)
    decided = mt.Proposal()
    decided.CopyFrom(proposal)
    decided.customer_id = customer.customer_id
    allocation_id = await _apply(
        line, customer.customer_id, chosen, unallocated, decided, uow, now, automatic=False, user=command.user
    )
    await uow.repo.set_transaction(
        record.transaction_id, status=APPLIED, allocation_id=allocation_id, proposal=record.proposal, now=now
    )
    learned = [] if command.skip_learning else await _learn(payment, customer, uow, now)
    await uow.commit()
    updated = await uow.repo.transaction(record.transaction_id)
    assert updated is not None
    return mt.MatchDecision(entry=_entry(updated), allocation_id=allocation_id, learned=learned)


async def _replay_or_refuse(record: TransactionRecord, command: mt.ConfirmMatch, uow: UnitOfWork) -> mt.MatchDecision:
    """A retried confirmation answers what was decided; another decision needs the allocation reversed first."""
    assert record.allocation_id is not None
    allocation = await uow.repo.allocation(record.allocation_id)
    assert allocation is not None
    decided = mt.PaymentAllocated.FromString(allocation.decision)
    same_items = {(a.item_id, Decimal(a.amount.amount)) for a in decided.allocations} == {
        (a.item_id, _decimal(a.amount, "amount")) for a in command.allocations
    }
    if decided.customer_id == command.customer_id and same_items:
        return mt.MatchDecision(entry=_entry(record), allocation_id=record.allocation_id, replayed=True)
    raise QueryError(
        "conflict", f"{record.transaction_id} is already applied (allocation {record.allocation_id}); reverse it first"
    )


async def _learn(payment: Payment, customer: Customer, uow: UnitOfWork, now: dt.datetime) -> list[str]:
    """What a collector's decision teaches: this IBAN and this name are this customer."""
    learned: list[str] = []
    if payment.counterparty_iban and await uow.repo.learn_iban(
        payment.counterparty_iban, customer.customer_id, "confirmed", now
    ):
        learned.append(f"IBAN {payment.counterparty_iban} is {customer.customer_id}")
    name = payment.counterparty_name.strip()
    if name:
        names = NameIndex()
        names.add(customer.customer_id, customer.name)
        for customer_id, alias in await uow.repo.aliases_of_entity(customer.entity):
            if customer_id == customer.customer_id:
                names.add(customer_id, alias)
        best = names.best(name, cutoff=0)
        if (not best or best[0].score < _ALIAS_KNOWN_SCORE) and await uow.repo.learn_alias(
            customer.customer_id, name, now
        ):
            await uow.repo.names_changed([customer.entity])
            learned.append(f"name '{name}' is {customer.customer_id}")
    return learned


async def reverse_allocation(command: mt.ReverseAllocation, uow: UnitOfWork, deps: Deps) -> mt.MatchDecision:
    allocation = await uow.repo.allocation(command.allocation_id, for_update=True)
    if allocation is None:
        raise NotFound(f"no allocation {command.allocation_id!r}")
    record = await uow.repo.transaction(allocation.transaction_id, for_update=True)
    assert record is not None
    if allocation.status == "reversed":
        return mt.MatchDecision(entry=_entry(record), allocation_id=allocation.allocation_id, replayed=True)
    now = deps.now()
    uow.caused_by(None, correlation_id=command.correlation_id)
    decided = mt.PaymentAllocated.FromString(allocation.decision)
    await uow.repo.reverse_allocation(allocation.allocation_id, now)
    # Held: the engine would apply it again by itself, which is what the person just undid.
    await uow.repo.set_transaction(
        record.transaction_id, status=IN_REVIEW, allocation_id=None, proposal=record.proposal, now=now, held=True
    )
    await uow.publish(
        mt.AllocationReversed(
            meta=uow.meta(entity=allocation.entity),
            allocation_id=allocation.allocation_id,
            transaction_id=allocation.transaction_id,
            entity=allocation.entity,
            customer_id=allocation.customer_id,
            allocations=list(decided.allocations),
            unallocated=decided.unallocated,
            reason=command.reason,
            reversed_by=command.user,
        )
    )
    await uow.commit()
    updated = await uow.repo.transaction(record.transaction_id)
    assert updated is not None
    return mt.MatchDecision(entry=_entry(updated), allocation_id=allocation.allocation_id)
