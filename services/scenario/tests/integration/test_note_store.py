"""Notes from the portal, internal links and partners over the real store (SQLite, and PostgreSQL when
reachable): kept once per key with their reply, and the pauses of declared payments found until their day."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable

import pytest
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_scenario.app import MIGRATIONS
from opendso_scenario.store import OUTBOX, CustomerRecord, ItemStatusRecord, NoteRecord, UnitOfWork
from sqlalchemy.exc import IntegrityError

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("scenario_notes")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "scenario")
    await engine.dispose()


def note(note_id: str, key: str, customer_id: str = "FR01/C1", until: dt.date | None = None) -> NoteRecord:
    return NoteRecord(
        note_id=note_id,
        key=key,
        kind="declared_payment" if until else "comment",
        customer_id=customer_id,
        item_ids=("FR01/invoice/F-1", "FR01/invoice/F-2"),
        text="paid on Monday",
        by_user="portal:FR01/C1",
        reply=b"\x0a\x03abc",
        created_at=NOW,
        paused_until=until,
        task_id="t1",
    )


async def test_a_note_is_kept_once_per_key_with_its_reply(new_uow: Callable[[], UnitOfWork]) -> None:
    async with new_uow() as uow:
        await uow.notes.add(note("n1", "k1"))
        await uow.commit()
    async with new_uow() as uow:
        kept = await uow.notes.by_key("k1")
        assert await uow.notes.by_key("k2") is None
        assert [n.note_id for n in await uow.notes.notes_of("FR01/C1", "comment")] == ["n1"]
    assert (
        kept is not None and kept.reply == b"\x0a\x03abc" and kept.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")
    )
    with pytest.raises(IntegrityError):
        async with new_uow() as uow:
            await uow.notes.add(note("n2", "k1"))
            await uow.commit()


async def test_a_declared_payment_pauses_its_items_until_its_day(new_uow: Callable[[], UnitOfWork]) -> None:
    async with new_uow() as uow:
        await uow.notes.add(note("n1", "k1", until=TODAY + dt.timedelta(days=5)))
        await uow.notes.add(note("n2", "k2", customer_id="FR01/C2", until=TODAY + dt.timedelta(days=1)))
        await uow.notes.add(note("n3", "k3"))
        await uow.commit()
    async with new_uow() as uow:
        now = await uow.notes.pauses_of(["FR01/C1", "FR01/C2", "FR01/C3"], TODAY)
        later = await uow.notes.pauses_of(["FR01/C1", "FR01/C2"], TODAY + dt.timedelta(days=1))
    assert now == {
        "FR01/C1": dict.fromkeys(("FR01/invoice/F-1", "FR01/invoice/F-2"), TODAY + dt.timedelta(days=5)),
        "FR01/C2": dict.fromkeys(("FR01/invoice/F-1", "FR01/invoice/F-2"), TODAY + dt.timedelta(days=1)),
    }
    assert set(later) == {"FR01/C1"}


async def test_disputes_are_found_by_entity_and_customer_with_their_answers(new_uow: Callable[[], UnitOfWork]) -> None:
    customer = CustomerRecord(
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        name="Dupont",
        email="",
        language="fr",
        contact_name="",
        scenario_code="standard",
        collector="anna",
        sales_rep="rita",
    )
    status = ItemStatusRecord(
        item_id="FR01/invoice/F-1",
        customer_id="FR01/C1",
        status_code="dispute",
        since=TODAY,
        comment="price",
        owner="sales",
        set_by="anna",
        qualification_key="q1",
    )
    async with new_uow() as uow:
        await uow.repo.upsert_customer(customer, NOW)
        await uow.qualifications.save_statuses([status, dataclasses.replace(status, item_id="x", status_code="other")])
        await uow.notes.add(dataclasses.replace(note("n1", "k1"), kind="dispute_answer"))
        await uow.commit()
    async with new_uow() as uow:
        by_entity = await uow.qualifications.in_status("dispute", entity="FR01")
        elsewhere = await uow.qualifications.in_status("dispute", entity="DE01")
        by_customer = await uow.qualifications.in_status("dispute", customer_id="FR01/C1")
        answers = await uow.notes.notes_of_many(["FR01/C1", "FR01/C2"], "dispute_answer")
        stored = await uow.repo.customer("FR01/C1")
    assert by_entity == by_customer == [status]
    assert elsewhere == []
    assert list(answers) == ["FR01/C1"]
    assert stored is not None and stored.sales_rep == "rita"
