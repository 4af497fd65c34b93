"""Escalated cases and the promises read for the next best action, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest
import sqlalchemy.exc
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_scenario.app import MIGRATIONS
from opendso_scenario.store import (
    OUTBOX,
    EscalatedItemRecord,
    EscalationRecord,
    ItemStatusRecord,
    PromiseRecord,
    UnitOfWork,
)

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
DAY = AT.date()


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("scenario")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "scenario")
    await engine.dispose()


def case(case_id: str, key: str | None, created: dt.datetime = AT) -> EscalationRecord:
    earlier = ItemStatusRecord("FR01/invoice/F-2", "FR01/C1", "dispute", DAY, "wrong qty", "sales", "anna", "q-1")
    return EscalationRecord(
        case_id=case_id,
        customer_id="FR01/C1",
        entity="FR01",
        partner_kind="legal",
        partner_id="cabinet-martin",
        items=(
            EscalatedItemRecord("FR01/invoice/F-1", "F-1", DAY - dt.timedelta(days=95), Decimal("1234.567"), "EUR"),
            EscalatedItemRecord("FR01/invoice/F-2", "F-2", DAY, Decimal("0.10"), "CZK", previous_status=earlier),
        ),
        note="formal notice ignored",
        escalated_by="anna",
        escalated_on=DAY,
        task_id="",
        state="open",
        active_key=key,
        created_at=created,
    )


async def test_cases_round_trip_and_are_withdrawn(new_uow: Callable[[], UnitOfWork]) -> None:
    first = case("c1", "FR01/C1:legal:abc")
    async with new_uow() as uow:
        await uow.escalations.add(first)
        await uow.escalations.add(case("c2", "FR01/C1:call_centre:def", AT + dt.timedelta(minutes=1)))
        await uow.commit()
    async with new_uow() as uow:
        # Exact decimals and the earlier status come back as stored.
        assert await uow.escalations.case("c1") == first
        assert await uow.escalations.open_case("FR01/C1:legal:abc") == first
        assert await uow.escalations.open_case("FR01/C1:legal:zzz") is None
        assert [c.case_id for c in await uow.escalations.cases_of("FR01/C1")] == ["c1", "c2"]
        await uow.escalations.withdraw("c1", "ben", DAY + dt.timedelta(days=1), "paid in part")
        await uow.commit()
    async with new_uow() as uow:
        withdrawn = await uow.escalations.case("c1")
        assert withdrawn == dataclasses.replace(
            first,
            state="withdrawn",
            active_key=None,
            withdrawn_by="ben",
            withdrawn_on=DAY + dt.timedelta(days=1),
            withdraw_reason="paid in part",
        )
        assert await uow.escalations.open_case("FR01/C1:legal:abc") is None
        assert [c.case_id for c in await uow.escalations.cases_of("FR01/C1", open_only=True)] == ["c2"]
        assert await uow.escalations.cases_of("FR01/C9") == []
        # A withdrawn case frees its key: the same items may be escalated again.
        await uow.escalations.add(case("c3", "FR01/C1:legal:abc"))
        await uow.commit()


async def test_two_open_cases_with_the_same_items_and_kind_cannot_both_be_stored(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    async with new_uow() as uow:
        await uow.escalations.add(case("c1", "FR01/C1:legal:abc"))
        await uow.commit()
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        async with new_uow() as uow:
            await uow.escalations.add(case("c2", "FR01/C1:legal:abc"))
            await uow.commit()
    async with new_uow() as uow:
        assert [c.case_id for c in await uow.escalations.cases_of("FR01/C1")] == ["c1"]


async def test_promises_of_a_customer_are_read_oldest_day_first(new_uow: Callable[[], UnitOfWork]) -> None:
    def promise(promise_id: str, days: int, state: str, customer: str = "FR01/C1") -> PromiseRecord:
        on = DAY + dt.timedelta(days=days)
        return PromiseRecord(
            promise_id, customer, ("FR01/invoice/F-1",), Decimal("10.50"), "EUR", on, DAY, "anna", Decimal("20"), state
        )

    async with new_uow() as uow:
        for p in (promise("p2", 5, "pending"), promise("p1", -5, "broken"), promise("p3", 1, "kept", "FR01/C2")):
            await uow.qualifications.save_promise(p)
        await uow.commit()
    async with new_uow() as uow:
        found = await uow.qualifications.promises_of("FR01/C1")
        assert [(p.promise_id, p.state, p.amount) for p in found] == [
            ("p1", "broken", Decimal("10.50")),
            ("p2", "pending", Decimal("10.50")),
        ]
