"""The scenario service's store on SQLite and PostgreSQL: scenario choice, sending windows, scheduled actions."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable

import pytest
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_scenario.app import MIGRATIONS
from opendso_scenario.store import OUTBOX, CustomerRecord, TaskRecord, UnitOfWork

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("scenario")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "scenario")
    await engine.dispose()


def task(task_id: str, status: str, send_at: dt.datetime | None) -> TaskRecord:
    return TaskRecord(
        task_id=task_id,
        key=f"key-{task_id}",
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        customer_name="Dupont",
        scenario_code="standard",
        step_code="first",
        channel="email",
        automatic=True,
        status=status,
        due_on=AT.date(),
        leader_item_id="FR01/invoice/F-1",
        item_ids=("FR01/invoice/F-1",),
        totals=(("100.00", "EUR"),),
        days_overdue=3,
        created_at=AT,
        send_at=send_at,
    )


async def test_scenario_choice_windows_and_scheduled_actions_round_trip(new_uow: Callable[[], UnitOfWork]) -> None:
    customer = CustomerRecord("FR01/C1", "FR01", "C1", "Dupont", "ap@x.example", "fr", "Marie", "standard", "vip")
    async with new_uow() as uow:
        await uow.repo.upsert_customers([customer], AT)
        await uow.repo.set_scenario("FR01/C1", "firm", "big debts", ["rule 'big debts' matched"])
        await uow.repo.upsert_windows({"FR01": json.dumps({"time_zone": "Europe/Paris"})}, AT)
        await uow.repo.add_task(task("t1", "scheduled", AT + dt.timedelta(hours=1)))
        await uow.repo.add_task(task("t2", "scheduled", AT + dt.timedelta(hours=3)))
        await uow.repo.add_task(task("t3", "open", None))
        await uow.commit()
    # A later customer event keeps the strategy's choice.
    async with new_uow() as uow:
        await uow.repo.upsert_customers([customer], AT + dt.timedelta(minutes=5))
        await uow.commit()
    async with new_uow() as uow:
        stored = await uow.repo.customer("FR01/C1")
        assert stored is not None
        assert (stored.scenario_code, stored.scenario_rule, stored.customer_group) == ("firm", "big debts", "vip")
        assert json.loads(stored.scenario_explanation) == ["rule 'big debts' matched"]
        assert json.loads(await uow.repo.window_of("FR01") or "{}") == {"time_zone": "Europe/Paris"}
        assert await uow.repo.window_of("DE01") is None
        due = await uow.repo.scheduled_due(AT + dt.timedelta(hours=2), 10)
        assert [t.task_id for t in due] == ["t1"]
        found = await uow.repo.task("t2")
        assert found is not None and found.send_at == AT + dt.timedelta(hours=3)
        assert [t.task_id for t in await uow.repo.tasks_in_status(["FR01/C1", "FR01/C9"], "scheduled")] == [
            "t1",
            "t2",
        ]
        assert await uow.repo.tasks_in_status(["FR01/C9"], "open") == []


async def test_agenda_filters_and_keyset_pages_in_each_sort(new_uow: Callable[[], UnitOfWork]) -> None:
    from decimal import Decimal

    from opendso_scenario.store import AgendaFilter

    async with new_uow() as uow:
        for n in range(12):
            record = task(f"t{n:02d}", "open", None)
            await uow.repo.add_task(
                dataclasses.replace(
                    record,
                    key=f"k{n}",
                    amount=Decimal(f"{(n * 5) % 12}50.25"),
                    collector="anna" if n % 3 else "ben",
                    due_on=AT.date() - dt.timedelta(days=n % 4),
                    days_overdue=n % 5,
                )
            )
        await uow.commit()
    for sort, key in (
        ("amount", lambda t: (-t.amount, t.task_id)),
        ("due_on", lambda t: (t.due_on, t.task_id)),
        ("days_overdue", lambda t: (-t.days_overdue, t.task_id)),
    ):
        flt = AgendaFilter(collector="anna", min_amount=Decimal("150"), sort=sort)
        seen: list[TaskRecord] = []
        after = None
        async with new_uow() as uow:
            while True:
                page, total = await uow.repo.agenda(flt, 3, after)
                seen.extend(page)
                if len(page) < 3:
                    break
                last = page[-1]
                value = {"amount": last.amount, "due_on": last.due_on, "days_overdue": last.days_overdue}[sort]
                after = (value, last.task_id)
        assert all(t.collector == "anna" and t.amount is not None and t.amount >= 150 for t in seen)
        assert [t.task_id for t in seen] == [t.task_id for t in sorted(seen, key=key)], sort
        assert len({t.task_id for t in seen}) == len(seen) == total


async def test_item_statuses_and_promises_round_trip(new_uow: Callable[[], UnitOfWork]) -> None:
    from decimal import Decimal

    from opendso_scenario.store import ItemStatusRecord, PromiseRecord

    day = AT.date()
    status = ItemStatusRecord("FR01/invoice/F-1", "FR01/C1", "promise_to_pay", day, "will pay", "", "anna", "q1")
    promise = PromiseRecord(
        "p1", "FR01/C1", ("FR01/invoice/F-1",), Decimal("300.00"), "EUR", day, day, "anna", Decimal("300.00"), "pending"
    )
    async with new_uow() as uow:
        await uow.qualifications.save_statuses([status])
        await uow.qualifications.save_promise(promise)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.qualifications.statuses_of("FR01/C1") == {status.item_id: status}
        assert await uow.qualifications.pending_promises(day, 10) == []
        assert await uow.qualifications.pending_promises(day + dt.timedelta(days=1), 10) == [promise]
        await uow.qualifications.clear_status(("FR01/invoice/F-1",), "dispute")
        assert len(await uow.qualifications.statuses_of("FR01/C1")) == 1
        await uow.qualifications.clear_status(("FR01/invoice/F-1",), "promise_to_pay")
        await uow.qualifications.set_promise_state("p1", "broken")
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.qualifications.statuses_of("FR01/C1") == {}
        found = await uow.qualifications.promise("p1")
        assert found is not None and found.state == "broken"
