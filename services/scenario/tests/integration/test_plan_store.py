"""Payment plans on SQLite and PostgreSQL: created, chased, paid down by item events, broken by a missed instalment."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus.envelope import new_meta
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_scenario import handlers, plans
from opendso_scenario.app import MIGRATIONS
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.store import OUTBOX, CustomerRecord, ItemRecord, UnitOfWork

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 24)
AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
FIRST = TODAY + dt.timedelta(days=10)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("scenario_plans")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "scenario")
    await engine.dispose()


def deps(today: dt.date) -> handlers.Deps:
    return handlers.Deps(
        today=lambda: today,
        now=lambda: AT,
        settle_seconds=1.0,
        scenarios=builtin_scenarios(),
        default_scenario="standard",
    )


def invoice(number: str, due: dt.date, amount: str) -> ItemRecord:
    return ItemRecord(
        f"FR01/invoice/{number}", "FR01/C1", number, "invoice", due - dt.timedelta(30), due, Decimal(amount), "EUR"
    )


def paid_down(item: ItemRecord, open_amount: str, at: dt.datetime) -> rv.ItemChanged:
    meta = new_meta("importer", entity="FR01")
    meta.occurred_at.FromDatetime(at)
    return rv.ItemChanged(
        meta=meta,
        item=rv.OpenItem(
            item_id=item.item_id,
            customer_id=item.customer_id,
            entity="FR01",
            account_number="C1",
            number=item.number,
            kind=rv.ITEM_KIND_INVOICE,
            issue_date=date_to_proto(item.issue_date),
            due_date=date_to_proto(item.due_date),
            amount={"amount": str(item.open_amount), "currency": "EUR"},
            open_amount={"amount": open_amount, "currency": "EUR"},
        ),
    )


async def test_a_plan_is_stored_paid_down_and_broken(new_uow: Callable[[], UnitOfWork]) -> None:
    f1 = invoice("F-1", TODAY - dt.timedelta(days=20), "300.00")
    f2 = invoice("F-2", TODAY - dt.timedelta(days=4), "100.00")
    async with new_uow() as uow:
        customer = CustomerRecord("FR01/C1", "FR01", "C1", "Dupont", "", "fr", "Marie", "standard", collector="anna")
        await uow.repo.upsert_customers([customer], AT)
        await uow.repo.upsert_items([f1, f2], AT)
        await uow.commit()

    command = col.CreatePaymentPlan(
        customer_id="FR01/C1",
        item_ids=[f1.item_id, f2.item_id],
        instalment_count=4,
        first_date=date_to_proto(FIRST),
        user="anna",
        idempotency_key="plan-1",
    )
    async with new_uow() as uow:
        plan = (await plans.create_plan(command, uow, deps(TODAY))).plan
    async with new_uow() as uow:
        assert (await plans.create_plan(command, uow, deps(TODAY))).replayed
        statuses = await uow.qualifications.statuses_of("FR01/C1")
        assert {k: s.status_code for k, s in statuses.items()} == {
            f1.item_id: "payment_plan",
            f2.item_id: "payment_plan",
        }
        chased = {i.item_id: i for i in await uow.repo.items_of("FR01/C1") if i.kind == "instalment"}
        assert sorted(chased) == [i.item_id for i in plan.instalments]
        assert {i.open_amount for i in chased.values()} == {Decimal("100.00")}
        assert await uow.plans.active_cover([f1.item_id, "FR01/invoice/other"]) == {f1.item_id: plan.plan_id}
        assert await uow.plans.covered_of(plan.plan_id) == {
            f1.item_id: Decimal("300.00"),
            f2.item_id: Decimal("100.00"),
        }

    # The first instalment is chased five days before its date, about itself alone.
    async with new_uow() as uow:
        assert await handlers.evaluate_customer("FR01/C1", uow, deps(FIRST - dt.timedelta(days=5))) == 1
        await uow.commit()
    async with new_uow() as uow:
        [task] = await uow.repo.tasks_of("FR01/C1")
        assert task.item_ids == (plan.instalments[0].item_id,)

    # 150.00 paid on F-1, then an older event still saying 300.00: the first 150.00 of the instalments are paid.
    for open_amount, at in (("150.00", AT + dt.timedelta(hours=1)), ("300.00", AT - dt.timedelta(hours=1))):
        async with new_uow() as uow:
            await handlers.record_item(paid_down(f1, open_amount, at), uow, deps(TODAY))
            await uow.commit()
    async with new_uow() as uow:
        owed = {i.item_id: i.open_amount for i in await uow.repo.items_of("FR01/C1")}
        assert [owed[i.item_id] for i in plan.instalments] == [Decimal(a) for a in ("0", "50", "100", "100")]
        stored = await uow.plans.plan(plan.plan_id)
        assert stored is not None and (stored.paid, stored.next_due) == (Decimal("150.00"), dt.date(2027, 1, 4))
        assert await uow.plans.plans_to_check(dt.date(2027, 1, 5), 10) == [stored]
        assert await uow.plans.plans_to_check(dt.date(2027, 1, 4), 10) == []

    # The second instalment is still 50.00 short three days after its date: the plan breaks.
    late = deps(dt.date(2027, 1, 7))
    assert await plans.check_plans(new_uow, late) == 1
    assert await plans.check_plans(new_uow, late) == 0
    async with new_uow() as uow:
        ended = await uow.plans.plan(plan.plan_id)
        assert ended is not None
        assert (ended.state, ended.ended_on, ended.next_due) == ("broken", dt.date(2027, 1, 7), None)
        assert await uow.qualifications.statuses_of("FR01/C1") == {}
        owed = {i.item_id: i.open_amount for i in await uow.repo.items_of("FR01/C1")}
        assert [owed[i.item_id] for i in plan.instalments] == [Decimal(0)] * 4
        assert await uow.plans.active_cover([f1.item_id]) == {}
        calls = [t for t in await uow.repo.tasks_of("FR01/C1") if t.step_code == "payment_plan_broken"]
        assert [(t.channel, t.collector, t.item_ids) for t in calls] == [
            ("phone_call", "anna", (f1.item_id, f2.item_id))
        ]
        listed = await plans.list_plans(col.ListPaymentPlans(customer_id="FR01/C1", include_ended=True), uow)
        assert [(p.plan_id, p.state, p.paid.amount) for p in listed.plans] == [
            (plan.plan_id, col.PAYMENT_PLAN_STATE_BROKEN, "150.00")
        ]
        assert dataclasses.asdict(ended)["idempotency_key"] == "plan-1"
