"""Items held between batches: a batch decides in a view of them that leaves them as they were, they follow the
tables' versions, and the domain stays free of the service's modules."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from opendso_matching.domain.batch import book_applied, match_in_order
from opendso_matching.domain.engine import MatchConfig
from opendso_matching.domain.index import MatchIndex
from opendso_matching.domain.model import OpenItem, Outcome
from opendso_matching.held import HeldLedger
from opendso_matching.store import UnitOfWork
from opendso_money import Money

from .test_pool import IBANS, customers, items, load, one_process, statement

DOMAIN = Path(__file__).resolve().parents[2] / "src" / "opendso_matching" / "domain"


def names() -> MatchIndex:
    """Every customer and alias of test_pool's ledger, without items: what the names cache holds."""
    index = MatchIndex()
    load(index, lambda entity: False)
    return index


def held_index() -> MatchIndex:
    held = MatchIndex()
    held.add_items(items())
    return held


def view_of(held: MatchIndex) -> MatchIndex:
    view = held.batch_view(names())
    for iban, customer_id in IBANS:
        view.add_iban(iban, customer_id)
    return view


def test_a_view_decides_every_line_as_an_index_of_its_own_would() -> None:
    payments = statement(300, seed=11)
    expected = one_process(payments)
    assert {p.outcome for p in expected} >= {Outcome.APPLY, Outcome.REVIEW}
    assert match_in_order(payments, view_of(held_index()), MatchConfig()) == expected


def test_what_a_view_books_stays_in_it_until_the_held_index_is_told() -> None:
    held = held_index()
    before = {i.item_id: i for i in items()}
    view = held.batch_view(names())
    decided = match_in_order(statement(200, seed=5), view, MatchConfig(), book=book_applied)
    applied = {a.item_id for p in decided if p.outcome is Outcome.APPLY for a in p.allocations}
    assert applied
    reduced = view.reduced
    assert set(reduced) == applied
    # The held items are as they were: a batch that is not committed leaves nothing behind.
    assert all(held.item(i) == before[i] for i in before)
    assert all(view.item(i) == reduced[i] for i in applied)
    assert all(reduced[i].open_amount != before[i].open_amount for i in applied)
    # Once the tables say so (here: told directly), the held index has them too; a second view starts from there.
    held.add_items(reduced.values())
    assert all(held.item(i) == reduced[i] for i in applied)
    assert held.batch_view(names()).item(next(iter(applied))) == reduced[next(iter(applied))]


def test_a_view_takes_no_items_customers_or_aliases() -> None:
    view = held_index().batch_view(names())
    with pytest.raises(TypeError, match="items"):
        view.add_item(items()[0])
    with pytest.raises(TypeError, match="customers"):
        view.add_customer(customers()[0])
    with pytest.raises(TypeError, match="aliases"):
        view.add_alias("FR01/C0", "DUPONT")


def test_the_domain_imports_nothing_of_the_service() -> None:
    offending: list[str] = []
    for source in sorted(DOMAIN.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offending += [
                f"{source.name}: {m}"
                for m in modules
                if m.startswith("opendso_matching") and not m.startswith("opendso_matching.domain")
            ]
    assert offending == []
    assert len(list(DOMAIN.glob("*.py"))) >= 6


class FakeRepo:
    """The item tables as HeldLedger reads them: items with the version they were stamped at, per entity."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[OpenItem, int]] = {}
        self.versions: dict[str, int] = {}
        self.reads: list[tuple[str, int]] = []

    def change(self, *changed: OpenItem) -> None:
        """One committed transaction changing these items: their entities' versions raised once."""
        raised = {e: self.versions.get(e, 0) + 1 for e in {i.entity for i in changed}}
        self.versions.update(raised)
        for i in changed:
            self.rows[i.item_id] = (i, raised[i.entity])

    async def item_versions(self) -> dict[str, int]:
        return dict(self.versions)

    async def items_changed_since(self, entity: str, version: int) -> list[OpenItem]:
        self.reads.append((entity, version))
        return [i for i, seq in self.rows.values() if i.entity == entity and seq > version]

    async def all_items(self, chunk: int = 20_000) -> AsyncIterator[list[OpenItem]]:
        rows = [i for i, _ in self.rows.values()]
        for start in range(0, len(rows), 7):
            yield rows[start : start + 7]


@dataclasses.dataclass
class FakeUow:
    repo: FakeRepo


def as_uow(repo: FakeRepo) -> UnitOfWork:
    return cast(UnitOfWork, FakeUow(repo))


async def test_held_items_load_once_then_follow_the_versions_and_a_redelivery_changes_nothing() -> None:
    repo = FakeRepo()
    repo.change(*items())
    ledger = HeldLedger()
    figures = await ledger.load(as_uow(repo))
    assert figures.items == len(items()) == len(ledger.index)
    assert ledger.currencies("CZ01") == {"CZK"}
    # Nothing changed: no entity is read again.
    assert await ledger.update(as_uow(repo)) == 0
    assert repo.reads == []

    first = items()[0]
    paid = dataclasses.replace(first, open_amount=Money.zero("EUR"))
    repo.change(paid)
    assert await ledger.update(as_uow(repo)) == 1
    assert repo.reads == [(first.entity, 1)]
    assert ledger.index.item(first.item_id) == paid
    assert paid not in ledger.index.open_items_of(first.customer_id)
    state = {i.item_id: ledger.index.item(i.item_id) for i in items()}

    # The same event delivered again: the same rows stamped again, read again, and the items as they were.
    repo.change(paid)
    assert await ledger.update(as_uow(repo)) == 1
    assert {i.item_id: ledger.index.item(i.item_id) for i in items()} == state
    # Found once by its number, not once per time it was read.
    found = ledger.index.items_by_key(first.number.replace("-", ""))
    assert [i for i in found if i.item_id == first.item_id] == [paid]


async def test_a_ledger_not_loaded_loads_at_its_first_update() -> None:
    repo = FakeRepo()
    repo.change(*items()[:3])
    ledger = HeldLedger()
    assert not ledger.loaded
    assert await ledger.update(as_uow(repo)) == 3
    assert ledger.loaded and len(ledger.index) == 3


async def test_a_transaction_s_own_changes_are_taken_as_decided_only_when_nothing_else_changed_the_entity() -> None:
    repo = FakeRepo()
    repo.change(*items())
    ledger = HeldLedger()
    await ledger.load(as_uow(repo))
    first, second = items()[0], items()[1]
    entity = first.entity
    paid = dataclasses.replace(first, open_amount=Money.zero(first.open_amount.currency))
    # Decided at version 1, stamped 2: nobody else in between, taken without reading the tables.
    repo.change(paid)
    assert ledger.settle(entity, 1, 2, [paid])
    assert ledger.versions()[entity] == 2
    assert ledger.index.item(first.item_id) == paid
    assert await ledger.update(as_uow(repo)) == 0
    assert repo.reads == []

    # Another transaction committed between this one's decisions (at 2) and its stamp (4): read back instead.
    other = dataclasses.replace(second, open_amount=Money.zero(second.open_amount.currency))
    repo.change(other)
    repo.change(paid)
    assert not ledger.settle(entity, 2, 4, [paid])
    assert ledger.index.item(second.item_id) == second
    assert await ledger.update(as_uow(repo)) >= 1
    assert ledger.index.item(second.item_id) == other
    # The held items moved on (an update read them) since the decisions were made: left to the tables too.
    assert not ledger.settle(entity, 2, 3, [paid])
    assert ledger.versions()[entity] == 4
