"""The customer search over the importer's real store and migrations, on SQLite and PostgreSQL: accents and
case folded inside the database, the scope cut and the page taken there."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_importer import handlers
from opendso_importer.app import MIGRATIONS
from opendso_importer.customer_search import SqlCustomerFinder, search_customers
from opendso_importer.store import OUTBOX, UnitOfWork

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 24)
LEDGER = (
    "entity;account_number;customer_name;collector;sales_rep;item_number;issue_date;due_date;amount;open_amount;"
    "currency\n"
    "CZ01;100;DVOŘÁK s.r.o.;Šárka;rita;F-1;2026-10-01;2026-10-31;100.00;100.00;CZK\n"
    "CZ01;101;Dvorak Trading;Šárka;sam;F-2;2026-10-01;2026-10-31;100.00;100.00;CZK\n"
    "FR01;200;Épicerie du Marché;anna;rita;F-3;2026-10-01;2026-10-31;100.00;100.00;EUR\n"
    "DE01;300;Müller Straße GmbH;otto;rita;R-1;2026-10-01;2026-10-31;100.00;100.00;EUR\n"
    "DE01;M_1%;Meier AG;otto;sam;R-2;2026-10-01;2026-10-31;100.00;100.00;EUR\n"
)


async def no_upload(name: str, into: Path) -> None:
    raise AssertionError("no upload expected")


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("importer")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)

    def make() -> UnitOfWork:
        return UnitOfWork(sessions, Outbox(OUTBOX), "importer")

    deps = handlers.Deps(today=lambda: TODAY, max_file_bytes=10_000_000, fetch_upload=no_upload)
    async with make() as uow:
        report = await handlers.import_receivables_file(
            im.ImportReceivablesFile(file_name="ar.csv", content=LEDGER.encode()), uow, deps
        )
    assert report.customers_created == 5
    yield make
    await engine.dispose()


async def _search(new_uow: Callable[[], UnitOfWork], **fields: object) -> list[str]:
    async with new_uow() as uow:
        answer = await search_customers(rv.SearchCustomers(**fields), SqlCustomerFinder(uow.session))  # type: ignore[arg-type]
    return [c.customer_id for c in answer.customers]


async def test_names_match_without_accents_and_in_any_case(new_uow: Callable[[], UnitOfWork]) -> None:
    assert await _search(new_uow, text="dvorak") == ["CZ01/100", "CZ01/101"]
    assert await _search(new_uow, text="Dvořák") == ["CZ01/100", "CZ01/101"]
    assert await _search(new_uow, text="EPICERIE marche") == ["FR01/200"]
    assert await _search(new_uow, text="strasse") == ["DE01/300"]
    assert await _search(new_uow, text="müll") == ["DE01/300"]


async def test_an_account_number_matches_in_part_and_in_full_first(new_uow: Callable[[], UnitOfWork]) -> None:
    assert await _search(new_uow, text="10") == ["CZ01/100", "CZ01/101"]
    assert await _search(new_uow, text="100") == ["CZ01/100"]


async def test_like_wildcards_typed_are_plain_characters(new_uow: Callable[[], UnitOfWork]) -> None:
    assert await _search(new_uow, text="m_1%") == ["DE01/M_1%"]
    assert await _search(new_uow, text="me%") == []


async def test_the_scope_is_cut_in_the_database(new_uow: Callable[[], UnitOfWork]) -> None:
    assert await _search(new_uow, text="dvorak", entities=["FR01", "DE01"]) == []
    assert await _search(new_uow, text="dvorak", collector="ŠÁRKA") == ["CZ01/100", "CZ01/101"]
    assert await _search(new_uow, text="dvorak", sales_rep="Rita") == ["CZ01/100"]
    assert await _search(new_uow, text="gmbh", entities=["DE01"], sales_rep="sam") == []


async def test_pages_follow_each_other(new_uow: Callable[[], UnitOfWork]) -> None:
    # "er": Épicerie, Meier, Müller, in folded alphabetical order.
    async with new_uow() as uow:
        finder = SqlCustomerFinder(uow.session)
        pages = [await search_customers(rv.SearchCustomers(text="er", limit=2, offset=o), finder) for o in (0, 2)]
    assert [c.customer_id for c in pages[0].customers] == ["FR01/200", "DE01/M_1%"]
    assert pages[0].more
    assert [c.customer_id for c in pages[1].customers] == ["DE01/300"]
    assert not pages[1].more
