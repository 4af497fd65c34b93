"""Lines decided in worker processes by entity decide as one process deciding them all in order."""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from opendso_matching.domain.batch import EntityShares, book_applied, match_in_order
from opendso_matching.domain.engine import MatchConfig
from opendso_matching.domain.index import MatchIndex
from opendso_matching.domain.model import Customer, OpenItem, Outcome, Payment, Proposal
from opendso_matching.pool import MatchPool, MatchPoolError
from opendso_matching.workers import IndexParts, MatchWorkerError, MatchWorkers, decide
from opendso_money import Money

ENTITIES = {"FR01": "EUR", "DE01": "EUR", "CZ01": "CZK"}
BOOKED = date(2026, 11, 24)
# The same company names in every entity: the name search ranks them all.
NAMES = ["Dupont Freres", "Muller Maschinenbau", "Kowalski Handel", "Novak Stavby", "Dupont Logistique", "Omega"]


def customers() -> list[Customer]:
    return [
        Customer(f"{e}/C{n}", e, f"{name} {'SARL' if n % 2 else 'GmbH'}")
        for e in ENTITIES
        for n, name in enumerate(NAMES)
    ]


def items() -> list[OpenItem]:
    """Each customer's invoices and a credit note, numbered alike in every entity: a reference finds items of
    the other entities too, which the engine must leave alone."""
    found: list[OpenItem] = []
    for customer in customers():
        n = int(customer.customer_id.rsplit("C", 1)[1])
        currency = ENTITIES[customer.entity]
        for k in range(4):
            number = f"F2026-{n:03d}{k:02d}"
            found.append(
                OpenItem(
                    f"{customer.entity}/invoice/{number}",
                    customer.customer_id,
                    customer.entity,
                    number,
                    "invoice",
                    BOOKED - timedelta(days=10 * k),
                    Money(Decimal(100 + 37 * n + 11 * k), currency),
                )
            )
        found.append(
            OpenItem(
                f"{customer.entity}/credit_note/CN-{n:03d}",
                customer.customer_id,
                customer.entity,
                f"CN-2026-{n:03d}",
                "credit_note",
                BOOKED,
                Money(Decimal(-(100 + 37 * n)), currency),
                reference=f"F2026-{n:03d}00",
            )
        )
    return found


# An IBAN known for a customer of one entity, paid with by lines of another entity too.
IBANS = [("FR7630006000011234567890189", "FR01/C0"), ("DE89370400440532013000", "DE01/C1")]


def load(index: MatchIndex, holds: Callable[[str], bool]) -> None:
    for customer in customers():
        index.add_customer(customer)
    index.add_items(i for i in items() if holds(i.entity))
    for iban, customer_id in IBANS:
        index.add_iban(iban, customer_id)
    index.add_alias("DE01/C2", "KOWALSKI H.")


def statement(lines: int, seed: int) -> list[Payment]:
    """Lines of every shape, entities interleaved, many paying the same items more than once (a part, then
    the rest, then again), so that a line's decision depends on the lines before it."""
    rng = random.Random(seed)
    pool = items()
    payments: list[Payment] = []
    for n in range(lines):
        entity = rng.choice(list(ENTITIES))
        target = rng.choice([i for i in pool if i.entity == entity and i.kind == "invoice"])
        owed = target.open_amount.amount
        shape = rng.choice(["exact", "part", "rest", "typo", "name", "iban", "nothing", "several"])
        amount = {"part": owed / 2, "rest": owed / 2, "several": owed * 2 + 11}.get(shape, owed)
        text = {
            "exact": f"Rechnung {target.number}",
            "part": f"a conto {target.number}",
            "rest": f"Rest {target.number}",
            "typo": f"inv {target.number[:-1]}{(int(target.number[-1]) + 1) % 10}",
            "several": f"{target.number} {target.number[:-1]}1",
        }.get(shape, "")
        name = NAMES[int(target.customer_id.rsplit("C", 1)[1])] if shape in ("name", "nothing") else ""
        iban = rng.choice([iban for iban, _ in IBANS]) if shape == "iban" else ""
        payments.append(
            Payment(
                f"T{n}",
                entity,
                BOOKED,
                Money(amount, ENTITIES[entity]),
                counterparty_name=name,
                counterparty_iban=iban,
                remittance_text=text,
            )
        )
    return payments


def one_process(payments: list[Payment]) -> list[Proposal]:
    index = MatchIndex()
    load(index, lambda entity: True)
    return match_in_order(payments, index, MatchConfig())


def test_statement_depends_on_the_order_of_its_lines() -> None:
    # Without this the comparisons below could pass with a pool that ignores what earlier lines booked.
    payments = statement(300, seed=7)
    alone = [one_process([p])[0] for p in payments]
    assert alone != one_process(payments)
    assert {p.outcome for p in one_process(payments)} >= {Outcome.APPLY, Outcome.REVIEW}


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_by_entity_decide_as_one_process(workers: int) -> None:
    payments = statement(300, seed=7)
    weights = {entity: 1 for entity in ENTITIES}
    with MatchPool(load, weights=weights, workers=workers) as pool:
        assert pool.workers == workers
        assert pool.match(payments) == one_process(payments)
        assert len(pool.cpu_seconds) == workers


def test_a_batch_continues_from_what_the_batches_before_it_left_open() -> None:
    payments = statement(200, seed=3)
    with MatchPool(load, weights={"FR01": 5, "DE01": 3, "CZ01": 1}, workers=2) as pool:
        first, second = pool.match(payments[:120]), pool.match(payments[120:])
    assert first + second == one_process(payments)


def test_one_worker_decides_in_this_process() -> None:
    payments = statement(50, seed=5)
    with MatchPool(load, weights={}, workers=1) as pool:
        assert pool.match(payments) == one_process(payments)
        assert len(pool.cpu_seconds) == 1


@pytest.mark.parametrize("worker", [0, 1])
def test_a_failing_worker_fails_the_batch_and_closes_the_pool(worker: int) -> None:
    payments = statement(10, seed=1)
    weights = {entity: 1 for entity in ENTITIES}
    failing = next(p.transaction_id for p in payments if EntityShares(weights, 2).owner(p.entity) == worker)

    def book(index: MatchIndex, payment: Payment, proposal: Proposal) -> None:
        if payment.transaction_id == failing:
            raise ValueError(f"cannot book {failing}")
        book_applied(index, payment, proposal)

    pool = MatchPool(load, weights=weights, workers=2, book=book)
    with pytest.raises(MatchPoolError, match=f"cannot book {failing}"):
        pool.match(payments)
    with pytest.raises(MatchPoolError, match="closed"):
        pool.match(payments)


def test_heaviest_entities_go_first_each_to_the_least_loaded_worker() -> None:
    shares = EntityShares({"A": 10, "B": 6, "C": 5, "D": 1}, 2)
    assert [shares.owner(e) for e in "ABCD"] == [0, 1, 1, 0]
    assert shares.holds(1)("C") and not shares.holds(1)("A")


def test_an_entity_without_a_weight_has_the_same_worker_every_time() -> None:
    assert EntityShares({}, 3).owner("XX01") == EntityShares({"A": 1}, 3).owner("XX01")
    assert 0 <= EntityShares({}, 3).owner("XX01") < 3


def test_booking_reduces_what_applied_items_owe_and_nothing_else() -> None:
    index = MatchIndex()
    load(index, lambda entity: True)
    invoice = index.item("FR01/invoice/F2026-00000")
    assert invoice is not None
    paid = Payment("T1", "FR01", BOOKED, invoice.open_amount, remittance_text=f"Facture {invoice.number}")
    first, second = match_in_order([paid, paid], index, MatchConfig())
    assert first.outcome is Outcome.APPLY
    assert second.outcome is not Outcome.APPLY
    left = index.item(invoice.item_id)
    assert left is not None and left.open_amount.is_zero()


# --- the service's workers: a batch decided in another process, as the service's own would --------------

NEW_IBAN = "CZ6508000000192000145399"


def learning_statement() -> list[Payment]:
    """Lines of which a later one is decided by an IBAN an earlier one taught (see book_learning)."""
    first, second = [i for i in items() if i.customer_id == "FR01/C3" and i.kind == "invoice"][1:3]
    return [
        Payment("L1", "FR01", BOOKED, first.open_amount, counterparty_iban=NEW_IBAN, remittance_text=first.number),
        Payment("L2", "FR01", BOOKED, second.open_amount, counterparty_iban=NEW_IBAN),
        *statement(120, seed=11),
    ]


def in_the_service_process(payments: list[Payment]) -> list[Proposal]:
    index = MatchIndex()
    load(index, lambda entity: True)
    return decide(payments, index, MatchConfig(), None)


def noted() -> tuple[MatchIndex, IndexParts]:
    """The index of ``load`` as the service fills it, noting its parts for a worker."""
    index, parts = MatchIndex(), IndexParts()
    for customer in customers():
        parts.add_customer(index, customer)
    parts.add_items(index, items())
    for iban, customer_id in IBANS:
        parts.add_iban(index, iban, customer_id)
    parts.add_alias(index, "DE01/C2", "KOWALSKI H.")
    return index, parts


def test_the_service_books_what_it_learns_for_the_lines_after() -> None:
    decided = in_the_service_process(learning_statement())
    assert [p.outcome for p in decided[:2]] == [Outcome.APPLY, Outcome.APPLY]
    assert decided[1].customer_id == "FR01/C3"
    index = MatchIndex()
    load(index, lambda entity: True)
    # Without the IBAN learned, the second line names nobody.
    assert match_in_order(learning_statement(), index, MatchConfig())[1].outcome is not Outcome.APPLY


def test_an_index_built_again_from_its_parts_decides_alike() -> None:
    payments = learning_statement()
    index, parts = noted()
    assert decide(payments, parts.build(), MatchConfig(), None) == decide(payments, index, MatchConfig(), None)
    assert decide(payments, parts.build(), MatchConfig(), None) == in_the_service_process(payments)


def test_items_cross_to_a_worker_exactly() -> None:
    credit = OpenItem(
        "FR01/x", "FR01/C1", "FR01", "CN-1", "credit_note", BOOKED, Money(Decimal("-12.50"), "EUR"), "F-1"
    )
    index, parts = MatchIndex(), IndexParts()
    parts.add_items(index, [*items(), credit])
    built = parts.build()
    for item in [*items(), credit]:
        again = built.item(item.item_id)
        assert again == item
        # The same Decimal as written ("-12.50", not "-12.5"): proposals carry the amounts as they are.
        assert again is not None and str(again.open_amount.amount) == str(item.open_amount.amount)


def test_parts_not_noted_only_fill_the_index() -> None:
    index, parts = MatchIndex(), IndexParts(noting=False)
    parts.add_customer(index, customers()[0])
    parts.add_items(index, items()[:3])
    assert len(index) == 3 and index.customer(customers()[0].customer_id) is not None
    assert parts == IndexParts(noting=False)


async def test_service_workers_decide_as_the_service_process() -> None:
    payments = learning_statement()
    index, parts = noted()
    rates = {("EUR", "CZK", BOOKED): Decimal("25.10")}
    async with MatchWorkers(2) as workers:
        assert len(workers.pids()) == 2
        decided = await workers.decide(payments, parts, MatchConfig(), rates)
        again = await workers.decide(payments, parts, MatchConfig(), rates)
    expected = decide(payments, index, MatchConfig(), rates)
    assert decided == expected
    # The workers keep nothing between batches: the same batch, the same decisions.
    assert again == expected


async def test_a_worker_that_dies_fails_its_batch_only_and_the_next_batch_gets_fresh_workers() -> None:
    payments = learning_statement()
    _, parts = noted()
    async with MatchWorkers(1) as workers:
        [dead] = workers.pids()
        os.kill(dead, signal.SIGKILL)
        with pytest.raises(MatchWorkerError, match="went away"):
            await workers.decide(payments, parts, MatchConfig(), None)
        assert await workers.decide(payments, parts, MatchConfig(), None) == in_the_service_process(payments)
        assert len(workers.pids()) == 1 and dead not in workers.pids()


async def test_closed_workers_decide_nothing() -> None:
    workers = MatchWorkers(1)
    await workers.start()
    workers.close()
    with pytest.raises(MatchWorkerError, match="closed"):
        await workers.decide(learning_statement(), IndexParts(), MatchConfig(), None)


def test_workers_need_one_process_at_least() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MatchWorkers(0)
