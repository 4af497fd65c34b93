"""Full snapshots of contacts over the importer's real store and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus.outbox import Outbox
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_importer import handlers
from opendso_importer.app import MIGRATIONS
from opendso_importer.store import OUTBOX, UnitOfWork, contacts
from sqlalchemy import func, select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 24)
CUSTOMERS = (
    "entity;account_number;customer_name;email;item_number;issue_date;due_date;amount;open_amount;currency\n"
    "FR01;C1;Dupont SARL;ap@dupont.example;F-1;2026-10-01;2026-10-31;100.00;100.00;EUR\n"
    "FR01;C2;Martin SA;ap@martin.example;F-2;2026-10-01;2026-10-31;200.00;200.00;EUR\n"
    "DE01;D1;Müller GmbH;ap@mueller.example;R-1;2026-10-01;2026-10-31;300.00;300.00;EUR\n"
)
HEADER = "entity;account_number;contact_name;email;phone;role\n"
ALICE = "FR01;C1;Alice Dupont;alice@dupont.example;;collection\n"
BOB = "FR01;C1;Bob Dupont;bob@dupont.example;;billing\n"
CARL = "FR01;C2;Carl Martin;carl@martin.example;;collection\n"
DORA = "DE01;D1;Dora Müller;dora@mueller.example;;collection\n"


async def no_upload(name: str, into: Path) -> None:
    raise AssertionError("no upload expected")


DEPS = handlers.Deps(today=lambda: TODAY, max_file_bytes=10_000_000, fetch_upload=no_upload)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("importer")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)

    def make() -> UnitOfWork:
        return UnitOfWork(sessions, Outbox(OUTBOX), "importer")

    async with make() as uow:
        await handlers.import_receivables_file(
            im.ImportReceivablesFile(file_name="ar.csv", content=CUSTOMERS.encode()), uow, DEPS
        )
    async with make() as uow:
        report = await handlers.import_receivables_file(
            im.ImportReceivablesFile(
                file_name="crm.csv", content=(HEADER + ALICE + BOB + CARL + DORA).encode(), content_kind="contacts"
            ),
            uow,
            DEPS,
        )
    assert report.contacts_created == 4
    yield make
    await engine.dispose()


async def snapshot(new_uow: Callable[[], UnitOfWork], *rows: str, **options: Any) -> im.ImportReport:
    async with new_uow() as uow:
        return await handlers.import_receivables_file(
            im.ImportReceivablesFile(
                file_name="crm.csv",
                content=(HEADER + "".join(rows)).encode(),
                content_kind="contacts",
                mode=im.SYNC_MODE_FULL_SNAPSHOT,
                **options,
            ),
            uow,
            DEPS,
        )


async def stored_emails(new_uow: Callable[[], UnitOfWork]) -> set[str]:
    async with new_uow() as uow:
        return set(await uow.session.scalars(select(contacts.c.email)))


async def contact_changes(new_uow: Callable[[], UnitOfWork]) -> list[rv.ContactChange]:
    async with new_uow() as uow:
        payloads = await uow.session.scalars(
            select(OUTBOX.c.payload).where(OUTBOX.c.subject == subject_for(rv.ContactsChanged)).order_by(OUTBOX.c.seq)
        )
        return [change for p in payloads for change in rv.ContactsChanged.FromString(p).changes]


async def outbox_size(new_uow: Callable[[], UnitOfWork]) -> int:
    async with new_uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(OUTBOX)) or 0)


async def test_a_snapshot_removes_the_contacts_of_its_entities_it_no_longer_lists(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    before = len(await contact_changes(new_uow))

    # Bob left Dupont; Martin (C2) is in the CRM no more. Müller is in another entity, outside the snapshot.
    report = await snapshot(new_uow, ALICE)

    assert (report.contacts_created, report.contacts_changed, report.contacts_removed) == (0, 0, 2)
    assert (list(report.snapshot_entities), report.snapshot_closing_skipped) == (["FR01"], False)
    assert await stored_emails(new_uow) == {"alice@dupont.example", "dora@mueller.example"}
    removals = (await contact_changes(new_uow))[before:]
    assert [(c.type, c.contact.email, c.contact.customer_id) for c in removals] == [
        (rv.CHANGE_TYPE_REMOVED, "bob@dupont.example", "FR01/C1"),
        (rv.CHANGE_TYPE_REMOVED, "carl@martin.example", "FR01/C2"),
    ]
    async with new_uow() as uow:
        account = await handlers.get_customer_account(rv.GetCustomerAccount(entity="FR01", account_number="C1"), uow)
        martin = await handlers.get_customer_account(rv.GetCustomerAccount(entity="FR01", account_number="C2"), uow)
    assert [c.email for c in account.contacts] == ["alice@dupont.example"]
    assert list(martin.contacts) == []


async def test_the_same_snapshot_again_changes_and_publishes_nothing(new_uow: Callable[[], UnitOfWork]) -> None:
    await snapshot(new_uow, ALICE, CARL)
    published = await outbox_size(new_uow)

    again = await snapshot(new_uow, ALICE, CARL)

    assert (again.contacts_created, again.contacts_changed, again.contacts_removed) == (0, 0, 0)
    assert await outbox_size(new_uow) == published + 1  # FileImported only
    assert await stored_emails(new_uow) == {"alice@dupont.example", "carl@martin.example", "dora@mueller.example"}


async def test_a_snapshot_with_a_rejected_row_removes_nothing_and_says_so(new_uow: Callable[[], UnitOfWork]) -> None:
    before = len(await contact_changes(new_uow))
    unknown_customer = "FR01;C9;Nobody;nobody@x.example;;billing\n"

    report = await snapshot(new_uow, ALICE, unknown_customer)

    assert (report.rows_rejected, report.contacts_removed, report.snapshot_closing_skipped) == (1, 0, True)
    assert await stored_emails(new_uow) == {
        "alice@dupont.example",
        "bob@dupont.example",
        "carl@martin.example",
        "dora@mueller.example",
    }
    assert len(await contact_changes(new_uow)) == before


async def test_a_snapshot_of_named_entities_empties_those_the_file_has_no_contact_for(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    report = await snapshot(new_uow, ALICE, snapshot_entities=["FR01", "DE01"])

    assert (report.contacts_removed, list(report.snapshot_entities)) == (3, ["DE01", "FR01"])
    assert await stored_emails(new_uow) == {"alice@dupont.example"}


async def test_a_dry_run_of_a_snapshot_reports_the_removals_and_keeps_the_contacts(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    published = await outbox_size(new_uow)

    report = await snapshot(new_uow, ALICE, dry_run=True)

    assert report.contacts_removed == 2
    assert len(await stored_emails(new_uow)) == 4
    assert await outbox_size(new_uow) == published


async def test_a_contact_removed_and_listed_again_comes_back_as_new(new_uow: Callable[[], UnitOfWork]) -> None:
    await snapshot(new_uow, ALICE)

    report = await snapshot(new_uow, ALICE, BOB)

    assert (report.contacts_created, report.contacts_removed) == (1, 0)  # Bob back; Carl gone already
    assert await stored_emails(new_uow) == {"alice@dupont.example", "bob@dupont.example", "dora@mueller.example"}


async def test_contacts_of_entities_outside_the_named_snapshot_are_updated_but_never_removed(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    renamed = ALICE.replace("Alice Dupont", "Alice Dupont-Leroy")

    report = await snapshot(new_uow, renamed, CARL, snapshot_entities=["DE01"])

    assert (report.contacts_created, report.contacts_changed, report.contacts_removed) == (0, 1, 1)
    assert await stored_emails(new_uow) == {"alice@dupont.example", "bob@dupont.example", "carl@martin.example"}
