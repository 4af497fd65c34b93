"""The matching service's handlers over its real store and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import signal
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from opendso.banking.v1 import banking_pb2 as bk
from opendso.common.v1.common_pb2 import EventMeta
from opendso.matching.v1 import matching_pb2 as mt
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import InvalidRequest, QueryError
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto, money_to_proto
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_matching import app, handlers
from opendso_matching.app import MIGRATIONS
from opendso_matching.held import HeldLedger
from opendso_matching.settings import Settings
from opendso_matching.store import OUTBOX, UnitOfWork, ibans, transactions
from opendso_matching.workers import MatchWorkerError, MatchWorkers
from opendso_money import Money
from sqlalchemy import select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
DEPS = handlers.Deps(now=lambda: NOW)
IBAN_DUPONT = "FR7630006000011234567890189"
IBAN_UNKNOWN = "DE89370400440532013000"


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("matching")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "matching")
    await engine.dispose()


def meta(event_id: str, at: dt.datetime = NOW - dt.timedelta(days=1)) -> EventMeta:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return EventMeta(event_id=event_id, occurred_at=stamp, source="importer", entity="FR01")


def customer(account: str, name: str) -> rv.CustomerChange:
    return rv.CustomerChange(
        type=rv.CHANGE_TYPE_CREATED,
        customer=rv.Customer(customer_id=f"FR01/{account}", entity="FR01", account_number=account, name=name),
    )


def item(account: str, number: str, open_amount: str, due: dt.date, kind: int = rv.ITEM_KIND_INVOICE) -> rv.ItemChange:
    money = {"amount": open_amount, "currency": "EUR"}
    kind_name = "credit_note" if kind == rv.ITEM_KIND_CREDIT_NOTE else "invoice"
    return rv.ItemChange(
        type=rv.CHANGE_TYPE_CREATED,
        item=rv.OpenItem(
            item_id=f"FR01/{kind_name}/{number}",
            customer_id=f"FR01/{account}",
            entity="FR01",
            account_number=account,
            number=number,
            kind=kind,
            issue_date=date_to_proto(due - dt.timedelta(days=30)),
            due_date=date_to_proto(due),
            amount=money,
            open_amount=money,
        ),
    )


def line(tid: str, amount: str, *, text: str = "", name: str = "", iban: str = "") -> bk.BankTransaction:
    return bk.BankTransaction(
        transaction_id=tid,
        entity="FR01",
        booking_date=date_to_proto(dt.date(2026, 11, 20)),
        amount={"amount": amount, "currency": "EUR"},
        counterparty_name=name,
        counterparty_iban=iban,
        remittance_text=text,
    )


async def seed(new_uow: Callable[[], UnitOfWork]) -> None:
    async with new_uow() as uow:
        await handlers.record_customers(
            rv.CustomersChanged(
                meta=meta("c1"),
                changes=[
                    customer("C001", "Dupont Industrie SARL"),
                    customer("C002", "Martin et Fils SA"),
                    customer("C003", "Bäckerei Müller GmbH"),
                ],
            ),
            uow,
            DEPS,
        )
        await handlers.record_items(
            rv.ItemsChanged(
                meta=meta("i1"),
                changes=[
                    item("C001", "F-2026-000101", "1200.00", dt.date(2026, 10, 1)),
                    item("C001", "F-2026-000102", "300.00", dt.date(2026, 10, 15)),
                    item("C002", "F-2026-000201", "980.40", dt.date(2026, 10, 5)),
                    item("C002", "F-2026-000202", "150.00", dt.date(2026, 10, 20)),
                    item("C003", "F-2026-000301", "75.00", dt.date(2026, 10, 2)),
                    item("C003", "F-2026-000302", "75.00", dt.date(2026, 10, 9)),
                ],
            ),
            uow,
            DEPS,
        )
        await uow.commit()


async def receive(
    new_uow: Callable[[], UnitOfWork], event_id: str, *lines: bk.BankTransaction, deps: handlers.Deps = DEPS
) -> None:
    async with new_uow() as uow:
        await handlers.match_transactions(
            bk.BankTransactionsReceived(meta=meta(event_id, NOW), transactions=list(lines)), uow, deps
        )
        await uow.commit()


async def published(new_uow: Callable[[], UnitOfWork], message_type: type[Any]) -> list[Any]:
    async with new_uow() as uow:
        rows = await uow.session.execute(
            select(OUTBOX.c.payload).where(OUTBOX.c.subject == subject_for(message_type)).order_by(OUTBOX.c.seq)
        )
        return [message_type.FromString(payload) for (payload,) in rows]


async def entry(new_uow: Callable[[], UnitOfWork], tid: str) -> mt.ReviewEntry:
    async with new_uow() as uow:
        return await handlers.get_transaction_match(mt.GetTransactionMatch(transaction_id=tid), uow)


async def test_lines_are_applied_queued_or_suspended_and_a_redelivery_changes_nothing(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await seed(new_uow)
    batch = [
        line("T1", "1200.00", text="Facture F-2026-000101", name="DUPONT INDUSTRIE"),
        line("T2", "75.00", name="BAECKEREI MUELLER"),
        line("T3", "55.10", text="merci", name="Someone Unknown Ltd"),
        line("T4", "-20.00", text="bank fees"),
    ]
    await receive(new_uow, "b1", *batch)
    first = await published(new_uow, mt.PaymentAllocated)
    assert [(p.transaction_id, [a.item_id for a in p.allocations], p.automatic) for p in first] == [
        ("T1", ["FR01/invoice/F-2026-000101"], True)
    ]
    assert Decimal(first[0].allocations[0].amount.amount) == Decimal("1200.00")
    assert (await entry(new_uow, "T2")).status == mt.TRANSACTION_STATUS_IN_REVIEW
    t2 = await entry(new_uow, "T2")
    # Two items of 75.00: the oldest is proposed, the other is the alternative.
    assert [a.item_id for a in t2.proposal.allocations] == ["FR01/invoice/F-2026-000301"]
    assert list(t2.proposal.alternative_item_ids) == ["FR01/invoice/F-2026-000302"]
    assert (await entry(new_uow, "T3")).status == mt.TRANSACTION_STATUS_SUSPENSE
    assert (await entry(new_uow, "T4")).status == mt.TRANSACTION_STATUS_IGNORED
    queued = await published(new_uow, mt.TransactionQueued)
    assert sorted(q.transaction.transaction_id for q in queued) == ["T2", "T3"]

    # The same statement again (a redelivery, or a second file repeating lines): nothing new.
    await receive(new_uow, "b2", *batch)
    assert len(await published(new_uow, mt.PaymentAllocated)) == 1
    assert len(await published(new_uow, mt.TransactionQueued)) == 2

    async with new_uow() as uow:
        queue = await handlers.list_review_queue(mt.ListReviewQueue(entity="FR01"), uow)
        suspense = await handlers.list_review_queue(mt.ListReviewQueue(status=mt.TRANSACTION_STATUS_SUSPENSE), uow)
    assert [e.transaction.transaction_id for e in queue.entries] == ["T2"]
    assert [e.transaction.transaction_id for e in suspense.entries] == ["T3"]


async def test_partial_payments_and_what_the_ledger_says_afterwards(new_uow: Callable[[], UnitOfWork]) -> None:
    await seed(new_uow)
    # A part payment quoting the invoice, from a payer whose name fits: applied, and its IBAN learned.
    first = line("P1", "500.00", text="F-2026-000101 acompte", name="DUPONT INDUSTRIE", iban=IBAN_DUPONT)
    await receive(new_uow, "b1", first)
    # The rest, from the same IBAN under another name: the IBAN now vouches for the customer.
    await receive(new_uow, "b2", line("P2", "700.00", text="F-2026-000101 solde", name="DI SARL", iban=IBAN_DUPONT))
    allocated = await published(new_uow, mt.PaymentAllocated)
    assert [(p.transaction_id, p.allocations[0].amount.amount) for p in allocated] == [
        ("P1", "500.00"),
        ("P2", "700.00"),
    ]
    # A third payment quoting the paid invoice is not applied to it again.
    await receive(new_uow, "b3", line("P3", "1200.00", text="F-2026-000101"))
    assert (await entry(new_uow, "P3")).status != mt.TRANSACTION_STATUS_APPLIED or not (
        await entry(new_uow, "P3")
    ).proposal.allocations

    # The ERP then reports the item paid (a newer state): the allocations are in it and come off nothing.
    closed = item("C001", "F-2026-000101", "1200.00", dt.date(2026, 10, 1))
    closed.type = rv.CHANGE_TYPE_CLOSED
    async with new_uow() as uow:
        await handlers.record_items(
            rv.ItemsChanged(meta=meta("i2", NOW + dt.timedelta(hours=1)), changes=[closed]), uow, DEPS
        )
        await uow.commit()
    async with new_uow() as uow:
        [state] = await uow.repo.items_by_ids(["FR01/invoice/F-2026-000101"])
    assert state.open_amount.amount == 0


async def test_a_collector_confirms_and_the_service_learns_the_payer(new_uow: Callable[[], UnitOfWork]) -> None:
    await seed(new_uow)
    await receive(new_uow, "b1", line("R1", "1130.40", text="paiement", name="M&F HOLDING", iban=IBAN_UNKNOWN))
    assert (await entry(new_uow, "R1")).status == mt.TRANSACTION_STATUS_SUSPENSE

    confirm = mt.ConfirmMatch(
        transaction_id="R1",
        customer_id="FR01/C002",
        allocations=[
            mt.AllocationRequest(item_id="FR01/invoice/F-2026-000201", amount="980.40"),
            mt.AllocationRequest(item_id="FR01/invoice/F-2026-000202", amount="150.00"),
        ],
        user="alice",
    )
    async with new_uow() as uow:
        decision = await handlers.confirm_match(confirm, uow, DEPS)
    assert decision.entry.status == mt.TRANSACTION_STATUS_APPLIED
    assert sorted(decision.learned) == sorted([f"IBAN {IBAN_UNKNOWN} is FR01/C002", "name 'M&F HOLDING' is FR01/C002"])
    [manual] = await published(new_uow, mt.PaymentAllocated)
    assert (manual.automatic, manual.decided_by, manual.unallocated.amount) == (False, "alice", "0.00")

    # A retried confirmation answers the same decision and publishes nothing.
    async with new_uow() as uow:
        again = await handlers.confirm_match(confirm, uow, DEPS)
    assert again.replayed and again.allocation_id == decision.allocation_id
    assert len(await published(new_uow, mt.PaymentAllocated)) == 1
    # Another decision on an applied line is a conflict: the allocation must be reversed first.
    other = mt.ConfirmMatch(transaction_id="R1", customer_id="FR01/C002", allocations=[confirm.allocations[0]])
    async with new_uow() as uow:
        with pytest.raises(QueryError, match="reverse it first") as refused:
            await handlers.confirm_match(other, uow, DEPS)
    assert refused.value.code == "conflict"

    # Next month the same payer, same IBAN, no reference: matched by itself.
    async with new_uow() as uow:
        await handlers.record_items(
            rv.ItemsChanged(meta=meta("i3"), changes=[item("C002", "F-2026-000250", "410.00", dt.date(2026, 11, 5))]),
            uow,
            DEPS,
        )
        await uow.commit()
    await receive(new_uow, "b2", line("R2", "410.00", text="paiement", name="M&F HOLDING", iban=IBAN_UNKNOWN))
    learned = await entry(new_uow, "R2")
    assert learned.status == mt.TRANSACTION_STATUS_APPLIED
    assert [a.item_id for a in learned.proposal.allocations] == ["FR01/invoice/F-2026-000250"]


async def test_a_reversal_gives_the_items_back_and_is_idempotent(new_uow: Callable[[], UnitOfWork]) -> None:
    await seed(new_uow)
    await receive(new_uow, "b1", line("V1", "300.00", text="F-2026-000102"))
    applied = await entry(new_uow, "V1")
    assert applied.status == mt.TRANSACTION_STATUS_APPLIED
    reverse = mt.ReverseAllocation(allocation_id=applied.allocation_id, reason="wrong customer", user="bob")
    async with new_uow() as uow:
        undone = await handlers.reverse_allocation(reverse, uow, DEPS)
    assert undone.entry.status == mt.TRANSACTION_STATUS_IN_REVIEW and not undone.replayed
    async with new_uow() as uow:
        again = await handlers.reverse_allocation(reverse, uow, DEPS)
    assert again.replayed
    [reversal] = await published(new_uow, mt.AllocationReversed)
    assert (reversal.transaction_id, reversal.reason, reversal.reversed_by) == ("V1", "wrong customer", "bob")
    assert [a.item_id for a in reversal.allocations] == ["FR01/invoice/F-2026-000102"]
    async with new_uow() as uow:
        [state] = await uow.repo.items_by_ids(["FR01/invoice/F-2026-000102"])
    assert state.open_amount.amount == Decimal("300.00")


async def test_a_confirmation_that_does_not_fit_is_refused_with_the_field(new_uow: Callable[[], UnitOfWork]) -> None:
    await seed(new_uow)
    await receive(new_uow, "b1", line("X1", "100.00", text="?", name="Nobody"))
    cases = [
        (mt.ConfirmMatch(transaction_id="X1"), "customer_id is required"),
        (
            mt.ConfirmMatch(
                transaction_id="X1",
                customer_id="FR01/C001",
                allocations=[mt.AllocationRequest(item_id="FR01/invoice/F-2026-000201", amount="100.00")],
            ),
            "allocations[0].item_id: FR01/invoice/F-2026-000201 belongs to FR01/C002",
        ),
        (
            mt.ConfirmMatch(
                transaction_id="X1",
                customer_id="FR01/C001",
                allocations=[mt.AllocationRequest(item_id="FR01/invoice/F-2026-000102", amount="1o0")],
            ),
            "allocations[0].amount: '1o0' is not a decimal amount",
        ),
        (
            mt.ConfirmMatch(
                transaction_id="X1",
                customer_id="FR01/C001",
                allocations=[
                    mt.AllocationRequest(item_id="FR01/invoice/F-2026-000101", amount="90.00"),
                    mt.AllocationRequest(item_id="FR01/invoice/F-2026-000102", amount="20.00"),
                ],
            ),
            "110.00 EUR is more than the payment of 100.00 EUR",
        ),
    ]
    for command, message in cases:
        async with new_uow() as uow:
            with pytest.raises(
                InvalidRequest, match=message.replace("[", r"\[").replace("]", r"\]").replace("?", r"\?")
            ):
                await handlers.confirm_match(command, uow, DEPS)
    # A split that leaves money over: the rest is the customer's unallocated payment.
    async with new_uow() as uow:
        decision = await handlers.confirm_match(
            mt.ConfirmMatch(
                transaction_id="X1",
                customer_id="FR01/C001",
                allocations=[mt.AllocationRequest(item_id="FR01/invoice/F-2026-000102", amount="60.00")],
                skip_learning=True,
            ),
            uow,
            DEPS,
        )
    assert not decision.learned
    [allocated] = await published(new_uow, mt.PaymentAllocated)
    assert allocated.unallocated.amount == "40.00"


@pytest.mark.parametrize("holding", [False, True], ids=["loaded per batch", "items held"])
async def test_a_payment_that_came_before_its_invoice_is_applied_once_the_invoice_is_imported(
    new_uow: Callable[[], UnitOfWork], holding: bool
) -> None:
    await seed(new_uow)
    deps = held_deps() if holding else DEPS
    if holding:
        await load_held(new_uow, deps)
    early = line("E1", "640.00", text="Facture F-2026-000401", name="Dupont Industrie")
    held = line("E2", "300.00", text="F-2026-000102")
    await receive(new_uow, "b1", early, held, deps=deps)
    # The payer is known by name, but none of its items fits: a collector would have to look.
    assert (await entry(new_uow, "E1")).status == mt.TRANSACTION_STATUS_IN_REVIEW
    # E2 was applied by itself, then a collector reversed it: it must stay with the collector.
    async with new_uow() as uow:
        await handlers.reverse_allocation(
            mt.ReverseAllocation(allocation_id=(await entry(new_uow, "E2")).allocation_id, reason="check"), uow, DEPS
        )
    # Nothing changed in the ledger since: a pass does nothing.
    assert await handlers.rematch_queued(new_uow, deps) == 0
    async with new_uow() as uow:
        await handlers.record_items(
            rv.ItemsChanged(meta=meta("i9"), changes=[item("C001", "F-2026-000401", "640.00", dt.date(2026, 11, 1))]),
            uow,
            DEPS,
        )
        await uow.commit()
    assert await handlers.rematch_queued(new_uow, deps) == 1
    applied = await entry(new_uow, "E1")
    assert applied.status == mt.TRANSACTION_STATUS_APPLIED
    assert [a.item_id for a in applied.proposal.allocations] == ["FR01/invoice/F-2026-000401"]
    assert (await entry(new_uow, "E2")).status == mt.TRANSACTION_STATUS_IN_REVIEW
    # Done once: the next pass has nothing new to look at.
    assert await handlers.rematch_queued(new_uow, deps) == 0
    assert [p.transaction_id for p in await published(new_uow, mt.PaymentAllocated)] == ["E2", "E1"]


async def test_a_payment_in_another_currency_is_converted_at_the_rate_the_fx_service_gives(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await seed(new_uow)
    asked: list[set[tuple[str, str, dt.date]]] = []

    async def fetch(wanted: set[tuple[str, str, dt.date]]) -> dict[tuple[str, str, dt.date], Decimal]:
        asked.append(wanted)
        return {w: Decimal("0.925") for w in wanted if w[:2] == ("USD", "EUR")}

    deps = dataclasses.replace(DEPS, fetch_rates=fetch)
    usd = line("X1", "324.32", text="Invoice F-2026-000102", name="Dupont Industrie")
    usd.amount.currency = "USD"
    async with new_uow() as uow:
        await handlers.match_transactions(
            bk.BankTransactionsReceived(meta=meta("fx1", NOW), transactions=[usd]), uow, deps
        )
        await uow.commit()
    assert asked == [{("USD", "EUR", dt.date(2026, 11, 20))}]
    applied = await entry(new_uow, "X1")
    # 324.32 USD x 0.925 = 299.996 -> 300.00 EUR: what F-2026-000102 owes.
    assert applied.status == mt.TRANSACTION_STATUS_APPLIED
    assert applied.proposal.rate == "0.925"
    assert [(a.item_id, a.amount.amount, a.amount.currency) for a in applied.proposal.allocations] == [
        ("FR01/invoice/F-2026-000102", "300.00", "EUR")
    ]

    # Without a rate the same kind of payment waits for a collector.
    other = line("X2", "100.00", text="Invoice F-2026-000101", name="Dupont Industrie")
    other.amount.currency = "CHF"
    async with new_uow() as uow:
        await handlers.match_transactions(
            bk.BankTransactionsReceived(meta=meta("fx2", NOW), transactions=[other]), uow, deps
        )
        await uow.commit()
    assert (await entry(new_uow, "X2")).status == mt.TRANSACTION_STATUS_IN_REVIEW


IBAN_NEW = "DE44500105175407324931"


def learning_statement() -> list[bk.BankTransaction]:
    """A statement of every outcome, whose second line is applied by the IBAN its first line teaches."""
    return [
        line("W1", "1200.00", text="Facture F-2026-000101", iban=IBAN_NEW),
        line("W2", "300.00", iban=IBAN_NEW),
        line("W3", "980.40", text="F 2026 000201", name="MARTIN ET FILS"),
        line("W4", "75.00", name="BAECKEREI MUELLER"),
        line("W5", "55.10", text="merci", name="Someone Unknown Ltd"),
        line("W6", "-20.00", text="bank fees"),
    ]


async def decided(new_uow: Callable[[], UnitOfWork]) -> list[tuple[Any, ...]]:
    """What was recorded and published for each line, without the ids and times a run makes up."""
    async with new_uow() as uow:
        rows = await uow.session.execute(
            select(transactions.c.transaction_id, transactions.c.status, transactions.c.proposal).order_by(
                transactions.c.transaction_id
            )
        )
        learned = await uow.session.execute(select(ibans.c.iban, ibans.c.customer_id, ibans.c.source))
        recorded = [tuple(r) for r in rows] + [tuple(r) for r in learned]
    allocated = [
        (p.transaction_id, p.customer_id, [(a.item_id, a.amount.amount) for a in p.allocations], p.confidence)
        for p in await published(new_uow, mt.PaymentAllocated)
    ]
    queued = [q.transaction.transaction_id for q in await published(new_uow, mt.TransactionQueued)]
    return [*recorded, tuple(allocated), tuple(queued)]


async def test_lines_are_decided_alike_in_worker_processes_and_in_the_service_process(
    new_uow: Callable[[], UnitOfWork], make_database: MakeDatabase
) -> None:
    url = await make_database("matching_pooled")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)

        def pooled_uow() -> UnitOfWork:
            return UnitOfWork(sessions, Outbox(OUTBOX), "matching")

        await seed(new_uow)
        await seed(pooled_uow)
        await receive(new_uow, "b1", *learning_statement())
        async with MatchWorkers(2) as workers:
            # Names indexed once for the service too: neither changes a decision.
            deps = dataclasses.replace(DEPS, workers=workers, names=handlers.NamesCache())
            await receive(pooled_uow, "b1", *learning_statement(), deps=deps)
        in_process = await decided(new_uow)
        assert await decided(pooled_uow) == in_process
    finally:
        await engine.dispose()
    assert (await entry(new_uow, "W2")).status == mt.TRANSACTION_STATUS_APPLIED
    assert (IBAN_NEW, "FR01/C001", "applied") in in_process


async def test_a_batch_whose_worker_died_records_nothing_and_is_decided_again_by_fresh_workers(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await seed(new_uow)
    async with MatchWorkers(1) as workers:
        deps = dataclasses.replace(DEPS, workers=workers)
        [dead] = workers.pids()
        os.kill(dead, signal.SIGKILL)
        with pytest.raises(MatchWorkerError):
            await receive(new_uow, "b1", *learning_statement(), deps=deps)
        assert await decided(new_uow) == [(), ()]
        # The message delivered again.
        await receive(new_uow, "b1", *learning_statement(), deps=deps)
        assert dead not in workers.pids()
    statuses = [(e.transaction.transaction_id, e.status) for e in [await entry(new_uow, f"W{n}") for n in (1, 2, 6)]]
    assert statuses == [
        ("W1", mt.TRANSACTION_STATUS_APPLIED),
        ("W2", mt.TRANSACTION_STATUS_APPLIED),
        ("W6", mt.TRANSACTION_STATUS_IGNORED),
    ]


async def test_names_indexed_once_serve_each_batch_until_a_customer_or_an_alias_changes(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await seed(new_uow)
    names = handlers.NamesCache()
    deps = dataclasses.replace(DEPS, names=names)

    async def held() -> Any:
        async with new_uow() as uow:
            return await names.of("FR01", uow)

    first = await held()
    assert await held() is first
    # Renamed: the next batch finds the customer by its new name, not by the one indexed before.
    async with new_uow() as uow:
        await handlers.record_customers(
            rv.CustomersChanged(meta=meta("c2", NOW), changes=[customer("C002", "Zephyr Trading SA")]), uow, deps
        )
        await uow.commit()
    await receive(new_uow, "b1", line("N1", "150.00", name="ZEPHYR TRADING"), deps=deps)
    assert (await entry(new_uow, "N1")).proposal.customer_id == "FR01/C002"
    renamed = await held()
    assert renamed is not first
    # A collector's confirmation teaches a name: indexed again for the next batch.
    await receive(new_uow, "b2", line("N2", "55.10", text="merci", name="ACME HOLDING"), deps=deps)
    assert (await entry(new_uow, "N2")).status == mt.TRANSACTION_STATUS_SUSPENSE
    async with new_uow() as uow:
        decision = await handlers.confirm_match(
            mt.ConfirmMatch(
                transaction_id="N2",
                customer_id="FR01/C001",
                allocations=[mt.AllocationRequest(item_id="FR01/invoice/F-2026-000102", amount="55.10")],
            ),
            uow,
            deps,
        )
    assert any("ACME HOLDING" in learned for learned in decision.learned)
    assert await held() is not renamed
    await receive(new_uow, "b3", line("N3", "5.00", text="merci", name="ACME HOLDING"), deps=deps)
    assert (await entry(new_uow, "N3")).proposal.customer_id == "FR01/C001"


# --- every item held in memory between batches ----------------------------------------------------------


def held_deps() -> handlers.Deps:
    return dataclasses.replace(DEPS, ledger=HeldLedger(), names=handlers.NamesCache())


async def load_held(new_uow: Callable[[], UnitOfWork], deps: handlers.Deps) -> None:
    assert deps.ledger is not None
    async with new_uow() as uow:
        await deps.ledger.load(uow)


async def held_item(new_uow: Callable[[], UnitOfWork], deps: handlers.Deps, item_id: str) -> Any:
    """The held item after the update a batch starts with."""
    assert deps.ledger is not None
    async with new_uow() as uow:
        await deps.ledger.update(uow)
    return deps.ledger.index.item(item_id)


async def a_month_of_changes(new_uow: Callable[[], UnitOfWork], deps: handlers.Deps) -> None:
    """Statements, with the ledger and a collector changing items between them."""
    await receive(new_uow, "b1", *learning_statement(), deps=deps)
    # The invoice W1 paid, paid again: already paid, whoever holds the items.
    await receive(new_uow, "b2", line("H1", "1200.00", text="F-2026-000101"), deps=deps)
    # A new invoice, then a line paying it by its number.
    async with new_uow() as uow:
        await handlers.record_items(
            rv.ItemsChanged(meta=meta("i5"), changes=[item("C002", "F-2026-000260", "610.00", dt.date(2026, 11, 2))]),
            uow,
            deps,
        )
        await uow.commit()
    await receive(new_uow, "b3", line("H2", "610.00", text="Rg F-2026-000260", name="MARTIN ET FILS"), deps=deps)
    # A collector undoes W3's allocation: its invoice is open again for the next line quoting it.
    async with new_uow() as uow:
        await handlers.reverse_allocation(
            mt.ReverseAllocation(allocation_id=(await entry(new_uow, "W3")).allocation_id, reason="check"), uow, deps
        )
    await receive(new_uow, "b4", line("H3", "980.40", text="F-2026-000201", name="MARTIN ET FILS"), deps=deps)


async def test_lines_are_decided_alike_with_every_item_held_and_with_each_batch_loading_its_own(
    new_uow: Callable[[], UnitOfWork], make_database: MakeDatabase
) -> None:
    url = await make_database("matching_held")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)

        def held_uow() -> UnitOfWork:
            return UnitOfWork(sessions, Outbox(OUTBOX), "matching")

        await seed(new_uow)
        await seed(held_uow)
        deps = held_deps()
        await load_held(held_uow, deps)
        await a_month_of_changes(new_uow, DEPS)
        await a_month_of_changes(held_uow, deps)
        loaded_per_batch = await decided(new_uow)
        assert await decided(held_uow) == loaded_per_batch
        assert deps.ledger is not None
        paid = await held_item(held_uow, deps, "FR01/invoice/F-2026-000101")
        reopened = await held_item(held_uow, deps, "FR01/invoice/F-2026-000201")
    finally:
        await engine.dispose()
    statuses = {tid: (await entry(new_uow, tid)).status for tid in ("W1", "H1", "H2", "W3", "H3")}
    assert statuses == {
        "W1": mt.TRANSACTION_STATUS_APPLIED,
        "H1": mt.TRANSACTION_STATUS_IN_REVIEW,
        "H2": mt.TRANSACTION_STATUS_APPLIED,
        "W3": mt.TRANSACTION_STATUS_IN_REVIEW,
        "H3": mt.TRANSACTION_STATUS_APPLIED,
    }
    # The held items followed: W1's invoice paid, W3's given back by the reversal and paid again by H3.
    assert paid.open_amount.amount == 0
    assert reopened.open_amount.amount == 0


async def test_a_batch_not_committed_leaves_the_held_items_as_the_tables_have_them(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await seed(new_uow)
    deps = held_deps()
    await load_held(new_uow, deps)
    paying = line("U1", "1200.00", text="Facture F-2026-000101")
    async with new_uow() as uow:
        await handlers.match_transactions(
            bk.BankTransactionsReceived(meta=meta("u1", NOW), transactions=[paying]), uow, deps
        )
        # The unit of work ends without a commit (the handler failed after deciding, the process went away).
    unpaid = await held_item(new_uow, deps, "FR01/invoice/F-2026-000101")
    assert unpaid.open_amount.amount == Decimal("1200.00")
    # The message delivered again is decided as new.
    await receive(new_uow, "u1", paying, deps=deps)
    assert (await entry(new_uow, "U1")).status == mt.TRANSACTION_STATUS_APPLIED
    assert (await held_item(new_uow, deps, "FR01/invoice/F-2026-000101")).open_amount.amount == 0
    # Delivered once more after its commit: nothing decided, written or held anew.
    assert deps.ledger is not None
    versions, state = deps.ledger.versions(), await decided(new_uow)
    await receive(new_uow, "u1", paying, deps=deps)
    assert await decided(new_uow) == state
    assert await held_item(new_uow, deps, "FR01/invoice/F-2026-000101") is not None
    assert deps.ledger.versions() == versions
    assert len(await published(new_uow, mt.PaymentAllocated)) == 1


async def test_a_redelivered_item_event_changes_nothing_held(new_uow: Callable[[], UnitOfWork]) -> None:
    await seed(new_uow)
    deps = held_deps()
    await load_held(new_uow, deps)
    assert deps.ledger is not None
    event = rv.ItemsChanged(meta=meta("i7"), changes=[item("C003", "F-2026-000303", "42.00", dt.date(2026, 11, 3))])
    for _ in range(2):
        async with new_uow() as uow:
            await handlers.record_items(event, uow, deps)
            await uow.commit()
        async with new_uow() as uow:
            assert await deps.ledger.update(uow) == 1
        state = dict(deps.ledger.index._items)
    async with new_uow() as uow:
        await handlers.record_items(event, uow, deps)
        await uow.commit()
    async with new_uow() as uow:
        await deps.ledger.update(uow)
    assert dict(deps.ledger.index._items) == state
    assert len(deps.ledger.index) == 7
    assert deps.ledger.index.items_by_key("F2026000303") == [state["FR01/invoice/F-2026-000303"]]


async def test_each_transaction_raises_its_entities_item_version_once_and_stamps_what_it_changed(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await seed(new_uow)
    async with new_uow() as uow:
        assert await uow.repo.item_versions() == {"FR01": 1}
        assert len(await uow.repo.items_changed_since("FR01", 0)) == 6
        assert await uow.repo.items_changed_since("FR01", 1) == []
    await receive(
        new_uow,
        "b1",
        line("S1", "100.00", text="F-2026-000102", name="Dupont Industrie SARL"),
        line("S2", "75.00", text="F-2026-000301"),
    )
    async with new_uow() as uow:
        # One statement, two allocations: one raise.
        assert await uow.repo.item_versions() == {"FR01": 2}
        changed = await uow.repo.items_changed_since("FR01", 1)
    assert sorted((i.number, i.open_amount.amount) for i in changed) == [
        ("F-2026-000102", Decimal("200.00")),
        ("F-2026-000301", Decimal("0.00")),
    ]
    async with new_uow() as uow:
        loaded = [i async for chunk in uow.repo.all_items(chunk=4) for i in chunk]
    assert len(loaded) == 6
    assert {i.item_id: i.open_amount.amount for i in loaded}["FR01/invoice/F-2026-000102"] == Decimal("200.00")


async def test_the_service_loads_the_held_items_and_names_before_it_serves(
    new_uow: Callable[[], UnitOfWork], make_database: MakeDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await make_database("matching_start")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        await seed(lambda: UnitOfWork(sessions, Outbox(OUTBOX), "matching"))
    finally:
        await engine.dispose()
    seen: dict[str, Any] = {}
    create_app = app.create_app

    def create(settings: Settings) -> Any:
        runtime, deps = create_app(settings)
        seen["deps"] = deps
        return runtime, deps

    async def serve(*args: object, **kwargs: object) -> None:
        deps = seen["deps"]
        seen["held when serving"] = (deps.ledger.loaded, len(deps.ledger.index), sorted(deps.names._entities))
        raise RuntimeError("stopped")

    monkeypatch.setattr(app, "create_app", create)
    monkeypatch.setattr(app, "serve", serve)
    with pytest.raises(RuntimeError, match="stopped"):
        await app.run(Settings(database_url=url))
    assert seen["held when serving"] == (True, 6, ["FR01"])


async def test_a_statement_of_two_entities_not_committed_leaves_nothing_held_of_either(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await seed(new_uow)
    german = rv.OpenItem(
        item_id="DE01/invoice/D-2026-000901",
        customer_id="DE01/K9",
        entity="DE01",
        account_number="K9",
        number="D-2026-000901",
        kind=rv.ITEM_KIND_INVOICE,
        due_date=date_to_proto(dt.date(2026, 10, 1)),
        open_amount=money_to_proto(Money(Decimal("500.00"), "EUR")),
    )
    async with new_uow() as uow:
        await handlers.record_customers(
            rv.CustomersChanged(
                meta=meta("c9"),
                changes=[
                    rv.CustomerChange(
                        customer=rv.Customer(customer_id="DE01/K9", entity="DE01", account_number="K9", name="Kunde")
                    )
                ],
            ),
            uow,
            DEPS,
        )
        await handlers.record_items(rv.ItemsChanged(meta=meta("i9"), changes=[rv.ItemChange(item=german)]), uow, DEPS)
        await uow.commit()
    deps = held_deps()
    await load_held(new_uow, deps)
    assert deps.ledger is not None
    versions = deps.ledger.versions()
    french = line("M1", "1200.00", text="Facture F-2026-000101")
    german_line = bk.BankTransaction()
    german_line.CopyFrom(line("M2", "500.00", text="Rechnung D-2026-000901"))
    german_line.entity = "DE01"
    statement = bk.BankTransactionsReceived(meta=meta("m1", NOW), transactions=[french, german_line])
    async with new_uow() as uow:
        await handlers.match_transactions(statement, uow, deps)
        # Not committed: the second entity's lines were decided after the first's were written in this transaction.
    assert deps.ledger.versions() == versions
    for item_id, owed in (("FR01/invoice/F-2026-000101", "1200.00"), ("DE01/invoice/D-2026-000901", "500.00")):
        assert (await held_item(new_uow, deps, item_id)).open_amount.amount == Decimal(owed)
    async with new_uow() as uow:
        await handlers.match_transactions(statement, uow, deps)
        await uow.commit()
    assert {(await entry(new_uow, tid)).status for tid in ("M1", "M2")} == {mt.TRANSACTION_STATUS_APPLIED}
    for item_id in ("FR01/invoice/F-2026-000101", "DE01/invoice/D-2026-000901"):
        assert (await held_item(new_uow, deps, item_id)).open_amount.amount == 0


async def test_ibans_learned_together_keep_what_a_collector_confirmed(new_uow: Callable[[], UnitOfWork]) -> None:
    await seed(new_uow)
    async with new_uow() as uow:
        await uow.repo.learn_iban(IBAN_DUPONT, "FR01/C001", "confirmed", NOW)
        await uow.repo.learn_iban(IBAN_UNKNOWN, "FR01/C002", "applied", NOW)
        await uow.repo.learn_ibans(
            [(IBAN_DUPONT, "FR01/C003"), (IBAN_UNKNOWN, "FR01/C003"), (IBAN_NEW, "FR01/C003")], "applied", NOW
        )
        await uow.commit()
    async with new_uow() as uow:
        learned = await uow.repo.ibans_for([IBAN_DUPONT, IBAN_UNKNOWN, IBAN_NEW])
    # A collector's word stays; an inferred one gives way to the newer inference; a new one is written.
    assert learned == {IBAN_DUPONT: "FR01/C001", IBAN_UNKNOWN: "FR01/C003", IBAN_NEW: "FR01/C003"}


async def test_two_instances_holding_the_items_each_see_what_the_other_allocated_and_reversed(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await seed(new_uow)
    first, second = held_deps(), held_deps()
    await load_held(new_uow, first)
    await load_held(new_uow, second)
    assert first.ledger is not None and second.ledger is not None
    invoice = "FR01/invoice/F-2026-000102"
    await receive(new_uow, "t1", line("T1", "300.00", text="F-2026-000102"), deps=first)
    applied = await entry(new_uow, "T1")
    assert applied.status == mt.TRANSACTION_STATUS_APPLIED
    # The instance that decided holds the item as its decision left it, without reading it back.
    async with new_uow() as uow:
        assert await first.ledger.update(uow) == 0
    assert first.ledger.index.item(invoice).open_amount.amount == 0
    # The other reads it back, by the allocation line's version.
    async with new_uow() as uow:
        assert await second.ledger.update(uow) == 1
    assert second.ledger.index.item(invoice).open_amount.amount == 0
    assert first.ledger.versions() == second.ledger.versions()
    # A collector's reversal (through either) gives the item back to both.
    async with new_uow() as uow:
        await handlers.reverse_allocation(
            mt.ReverseAllocation(allocation_id=applied.allocation_id, reason="wrong", user="bob"), uow, DEPS
        )
    for deps in (first, second):
        assert (await held_item(new_uow, deps, invoice)).open_amount.amount == Decimal("300.00")
    # The second instance pays it again; the first sees that too.
    await receive(new_uow, "t2", line("T2", "300.00", text="F-2026-000102 again"), deps=second)
    assert (await entry(new_uow, "T2")).status == mt.TRANSACTION_STATUS_APPLIED
    for deps in (first, second):
        assert (await held_item(new_uow, deps, invoice)).open_amount.amount == 0


async def test_part_payments_come_off_an_item_exactly_whatever_the_database_sums_in(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await seed(new_uow)
    async with new_uow() as uow:
        await handlers.record_items(
            rv.ItemsChanged(meta=meta("i5"), changes=[item("C002", "F-2026-000203", "300.30", dt.date(2026, 10, 25))]),
            uow,
            DEPS,
        )
        await uow.commit()
    name = "Martin et Fils SA"
    await receive(new_uow, "p1", line("Q1", "100.10", text="F-2026-000203 acompte", name=name))
    await receive(new_uow, "p2", line("Q2", "200.17", text="F-2026-000203 acompte 2", name=name))
    assert {(await entry(new_uow, tid)).status for tid in ("Q1", "Q2")} == {mt.TRANSACTION_STATUS_APPLIED}
    async with new_uow() as uow:
        [by_id] = await uow.repo.items_by_ids(["FR01/invoice/F-2026-000203"])
        [loaded] = [i async for chunk in uow.repo.all_items() for i in chunk if i.item_id == by_id.item_id]
    # The second payment settles the rest, 0.03 short written off: 100.10 + 200.20 come off. SQLite sums decimal
    # text as binary floats (300.29999999999995, leaving 5E-14 open): summed exactly instead.
    assert by_id.open_amount == loaded.open_amount == Money(Decimal("0.00"), "EUR")
    assert str(by_id.open_amount.amount) == "0.00"
