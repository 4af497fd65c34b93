"""Payment plans in the scenario service, over fakes: instalments replace the covered items in the scenario."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import InvalidRequest, NotFound
from opendso_bus.envelope import new_meta
from opendso_contracts.convert import date_to_proto
from opendso_scenario import handlers, plans

from .test_handlers import TODAY, Harness, customer_event, item_event

FIRST = TODAY + dt.timedelta(days=10)  # 2026-12-04


async def chased(h: Harness) -> None:
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=20, amount="300.00"))
    await h.handle(item_event("F-2", days_overdue=4, amount="100.00"))
    await h.settle()


def create(*numbers: str, count: int = 2, **extra: Any) -> col.CreatePaymentPlan:
    fields: dict[str, Any] = {
        "customer_id": "FR01/C1",
        "item_ids": [f"FR01/invoice/{n}" for n in numbers],
        "instalment_count": count,
        "first_date": date_to_proto(FIRST),
        "frequency": "monthly",
        "comment": "agreed on the phone",
        "user": "anna",
    }
    fields.update(extra)
    return col.CreatePaymentPlan(**{k: v for k, v in fields.items() if v is not None})


def on(h: Harness, day: dt.date) -> None:
    h.deps = dataclasses.replace(h.deps, today=lambda: day)


def paid_down(number: str, open_amount: str, at: dt.datetime | None = None) -> rv.ItemChanged:
    """The importer's event for an invoice that now owes ``open_amount``."""
    opened = item_event(number, days_overdue=20 if number == "F-1" else 4)
    meta = new_meta("importer", entity="FR01")
    if at is not None:
        meta.occurred_at.FromDatetime(at)
    event = rv.ItemChanged(meta=meta, item=opened.item)
    event.item.open_amount.amount = open_amount
    return event


def instalment_open(h: Harness, plan: col.PaymentPlan) -> list[Decimal]:
    return [h.repo.items[i.item_id].open_amount for i in plan.instalments]


def dec(*amounts: str) -> list[Decimal]:
    return [Decimal(a) for a in amounts]


async def test_a_plan_takes_its_items_out_and_its_instalments_are_chased_on_their_own_dates() -> None:
    h = Harness()
    await chased(h)
    created = await plans.create_plan(create("F-1", "F-2"), h.uow(), h.deps)
    plan = created.plan
    assert plan.state == col.PAYMENT_PLAN_STATE_ACTIVE
    assert [(i.number, i.due_date, i.amount.amount) for i in plan.instalments] == [
        (f"{plan.plan_id}-01", date_to_proto(FIRST), "200.00"),
        (f"{plan.plan_id}-02", date_to_proto(dt.date(2027, 1, 4)), "200.00"),
    ]
    first, second = (i.item_id for i in plan.instalments)
    assert first == f"FR01/plan/{plan.plan_id}/01"
    assert (h.repo.items[first].kind, h.repo.items[first].number) == ("instalment", f"{plan.plan_id}-01")
    statuses = h.repo.qualifications.statuses
    assert {k: s.status_code for k, s in statuses.items()} == {
        "FR01/invoice/F-1": "payment_plan",
        "FR01/invoice/F-2": "payment_plan",
    }
    assert [e.plan.plan_id for e in h.published(col.PaymentPlanCreated)] == [plan.plan_id]
    assert "FR01/C1" in h.repo.dirty

    sent = len(h.published(msg.SendMessage))
    # Today: the invoices are out, and the first instalment is ten days away: nothing to do.
    assert await handlers.evaluate_customer("FR01/C1", h.uow(), h.deps) == 0
    # Five days before the first instalment: the standard scenario's friendly e-mail, about it alone.
    on(h, FIRST - dt.timedelta(days=5))
    assert await handlers.evaluate_customer("FR01/C1", h.uow(), h.deps) == 1
    [friendly] = h.published(msg.SendMessage)[sent:]
    assert [i.item_id for i in friendly.items] == [first]
    assert friendly.items[0].open_amount.amount == "200.00"
    # Three days after it, still unpaid: the first reminder, still about the instalment and not the invoices.
    on(h, FIRST + dt.timedelta(days=3))
    assert await handlers.evaluate_customer("FR01/C1", h.uow(), h.deps) == 1
    reminder = h.published(msg.SendMessage)[-1]
    assert [i.item_id for i in reminder.items] == [first]
    leaders = {t.step_code: t.leader_item_id for t in h.repo.tasks.values() if t.leader_item_id.startswith("FR01/plan")}
    assert leaders == {"friendly": first, "first": first}

    # The first instalment is paid (on F-1): the second one leads on its own date.
    await h.handle(paid_down("F-1", "100.00"))
    on(h, dt.date(2027, 1, 4) - dt.timedelta(days=5))
    assert await handlers.evaluate_customer("FR01/C1", h.uow(), h.deps) == 1
    assert [i.item_id for i in h.published(msg.SendMessage)[-1].items] == [second]


async def test_payments_reduce_the_instalments_in_date_order_and_a_redelivered_or_older_event_changes_nothing() -> None:
    h = Harness()
    await chased(h)
    plan = (await plans.create_plan(create("F-1", "F-2", count=4), h.uow(), h.deps)).plan
    assert instalment_open(h, plan) == dec("100.00", "100.00", "100.00", "100.00")

    await h.handle(paid_down("F-1", "150.00", at=dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)))
    assert instalment_open(h, plan) == dec("0", "50.00", "100.00", "100.00")
    stored = h.repo.plans.plans[plan.plan_id]
    assert (stored.paid, stored.next_due) == (Decimal("150.00"), dt.date(2027, 1, 4))

    # The same event again, and an older one still saying 300.00: the figures stay as they are.
    await h.handle(paid_down("F-1", "150.00", at=dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)))
    await h.handle(paid_down("F-1", "300.00", at=dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC)))
    assert instalment_open(h, plan) == dec("0", "50.00", "100.00", "100.00")
    assert h.repo.plans.plans[plan.plan_id].paid == Decimal("150.00")

    # A batch closing F-2 pays 100.00 more, applied after the first 150.00.
    closed = paid_down("F-2", "0")
    batch = rv.ItemsChanged(
        meta=new_meta("importer", entity="FR01"),
        changes=[rv.ItemChange(type=rv.CHANGE_TYPE_CLOSED, item=closed.item)],
    )
    await handlers.record_items(batch, h.uow(), h.deps)
    assert instalment_open(h, plan) == dec("0", "0", "50.00", "100.00")
    assert h.published(col.PaymentPlanCompleted) == []


async def test_a_plan_completes_when_every_covered_item_is_paid() -> None:
    h = Harness()
    await chased(h)
    plan = (await plans.create_plan(create("F-1", "F-2"), h.uow(), h.deps)).plan
    await h.handle(paid_down("F-1", "0"))
    await h.handle(paid_down("F-2", "0"))
    [done] = h.published(col.PaymentPlanCompleted)
    assert (done.plan_id, done.total.amount) == (plan.plan_id, "400.00")
    assert sorted(done.item_ids) == ["FR01/invoice/F-1", "FR01/invoice/F-2"]
    stored = h.repo.plans.plans[plan.plan_id]
    assert (stored.state, stored.paid, stored.ended_on) == ("completed", Decimal("400.00"), TODAY)
    assert h.repo.qualifications.statuses == {}
    assert instalment_open(h, plan) == dec("0", "0")
    # Nothing is left to chase, and nothing completes twice.
    on(h, FIRST + dt.timedelta(days=40))
    assert await handlers.evaluate_customer("FR01/C1", h.uow(), h.deps) == 0
    await h.handle(paid_down("F-2", "0"))
    assert len(h.published(col.PaymentPlanCompleted)) == 1


async def test_a_missed_instalment_breaks_the_plan_puts_the_items_back_and_calls_the_collector() -> None:
    h = Harness()
    await h.handle(customer_event(email=""))  # without an address every step waits on the agenda
    await h.handle(item_event("F-1", days_overdue=20, amount="300.00"))
    await h.handle(item_event("F-2", days_overdue=4, amount="100.00"))
    await h.settle()
    plan = (await plans.create_plan(create("F-1", "F-2"), h.uow(), h.deps)).plan
    await h.handle(paid_down("F-1", "250.00"))  # 50.00 of the first 200.00 instalment
    on(h, FIRST - dt.timedelta(days=5))
    assert await handlers.evaluate_customer("FR01/C1", h.uow(), h.deps) == 1
    [friendly] = [t for t in h.repo.tasks.values() if t.leader_item_id == plan.instalments[0].item_id]
    assert friendly.status == "open"

    on(h, FIRST + dt.timedelta(days=2))  # the last day of grace
    assert await plans.check_plans(h.uow, h.deps) == 0
    on(h, FIRST + dt.timedelta(days=3))
    assert await plans.check_plans(h.uow, h.deps) == 1

    [broken] = h.published(col.PaymentPlanBroken)
    assert broken.plan_id == plan.plan_id
    assert list(broken.missed_instalments) == [f"{plan.plan_id}-01"]
    assert (broken.paid.amount, broken.missing.amount) == ("50.00", "150.00")
    call = h.repo.tasks[broken.task_id]
    assert (call.channel, call.step_code, call.status) == ("phone_call", "payment_plan_broken", "open")
    assert set(call.item_ids) == {"FR01/invoice/F-1", "FR01/invoice/F-2"}
    assert h.repo.qualifications.statuses == {}
    assert instalment_open(h, plan) == dec("0", "0")
    assert h.repo.plans.plans[plan.plan_id].state == "broken"
    # The reminder still waiting about the instalment is cancelled, and the timeline is told.
    assert h.repo.tasks[friendly.task_id].status == "cancelled"
    assert [c.task.task_id for c in h.published(col.TaskChanged)] == [friendly.task_id]

    # The invoices are chased again: F-1, now 33 days overdue, leads the call step.
    assert await handlers.evaluate_customer("FR01/C1", h.uow(), h.deps) == 1
    [again] = [t for t in h.repo.tasks.values() if t.step_code == "call"]
    assert again.leader_item_id == "FR01/invoice/F-1"
    assert await plans.check_plans(h.uow, h.deps) == 0


async def test_an_explicit_schedule_with_its_own_dates_and_amounts() -> None:
    h = Harness()
    await chased(h)
    schedule = [
        col.ScheduledInstalment(due_date=date_to_proto(TODAY), amount={"amount": "50.00", "currency": "EUR"}),
        col.ScheduledInstalment(due_date=date_to_proto(FIRST), amount={"amount": "250.00", "currency": "EUR"}),
    ]
    plan = (
        await plans.create_plan(
            col.CreatePaymentPlan(customer_id="FR01/C1", item_ids=["FR01/invoice/F-1"], schedule=schedule, user="a"),
            h.uow(),
            h.deps,
        )
    ).plan
    assert plan.frequency == "schedule"
    assert [(i.due_date, i.amount.amount) for i in plan.instalments] == [
        (date_to_proto(TODAY), "50.00"),
        (date_to_proto(FIRST), "250.00"),
    ]
    short = [schedule[0], dataclasses_copy(schedule[1], "200.00")]
    with pytest.raises(InvalidRequest, match=r"schedule: adds up to 250.00 EUR, not the covered total 100.00 EUR"):
        await plans.create_plan(
            col.CreatePaymentPlan(customer_id="FR01/C1", item_ids=["FR01/invoice/F-2"], schedule=short, user="a"),
            h.uow(),
            h.deps,
        )


def dataclasses_copy(line: col.ScheduledInstalment, amount: str) -> col.ScheduledInstalment:
    copy = col.ScheduledInstalment()
    copy.CopyFrom(line)
    copy.amount.amount = amount
    return copy


async def test_a_plan_that_does_not_fit_is_refused_naming_what_is_wrong() -> None:
    h = Harness()
    await chased(h)
    await h.handle(paid_down("F-2", "0"))
    with pytest.raises(InvalidRequest, match=r"item_ids\[FR01/invoice/F-9\]: not an item of customer FR01/C1"):
        await plans.create_plan(create("F-1", "F-9"), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match=r"item_ids\[FR01/invoice/F-2\]: is not open"):
        await plans.create_plan(create("F-1", "F-2"), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="frequency: 'yearly' is not one of weekly, monthly"):
        await plans.create_plan(create("F-1", frequency="yearly"), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="first_date: 2026-11-01 is before today"):
        await plans.create_plan(create("F-1", first_date=date_to_proto(dt.date(2026, 11, 1))), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="instalment_count: must be >= 1"):
        await plans.create_plan(create("F-1", count=0), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="down_payment: is in USD but the covered items are in EUR"):
        await plans.create_plan(create("F-1", down_payment={"amount": "10.00", "currency": "USD"}), h.uow(), h.deps)
    junk = col.ScheduledInstalment(due_date=date_to_proto(FIRST), amount={"amount": "12,50", "currency": "EUR"})
    with pytest.raises(InvalidRequest, match="schedule or down_payment"):
        await plans.create_plan(
            col.CreatePaymentPlan(customer_id="FR01/C1", item_ids=["FR01/invoice/F-1"], schedule=[junk], user="a"),
            h.uow(),
            h.deps,
        )
    with pytest.raises(InvalidRequest, match="instalment_count, first_date, frequency: not with an explicit schedule"):
        await plans.create_plan(create("F-1", schedule=[junk]), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="user is required"):
        await plans.create_plan(create("F-1", user=""), h.uow(), h.deps)
    with pytest.raises(NotFound):
        await plans.create_plan(create("F-1", customer_id="FR01/NOPE"), h.uow(), h.deps)
    assert h.repo.plans.plans == {} and h.repo.qualifications.statuses == {}

    await plans.create_plan(create("F-1"), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match=r"item_ids\[FR01/invoice/F-1\]: already in payment plan PP-"):
        await plans.create_plan(create("F-1", count=3), h.uow(), h.deps)


async def test_a_retried_request_answers_the_plan_already_created() -> None:
    h = Harness()
    await chased(h)
    first = await plans.create_plan(create("F-1", idempotency_key="k-1"), h.uow(), h.deps)
    again = await plans.create_plan(create("F-1", idempotency_key="k-1"), h.uow(), h.deps)
    assert again.replayed and again.plan.plan_id == first.plan.plan_id
    same = await plans.create_plan(create("F-1"), h.uow(), h.deps)
    assert same.replayed and same.plan.plan_id == first.plan.plan_id
    with pytest.raises(InvalidRequest, match="idempotency_key: 'k-1' already created plan"):
        await plans.create_plan(create("F-2", idempotency_key="k-1"), h.uow(), h.deps)
    assert len(h.repo.plans.plans) == 1
    assert len(h.published(col.PaymentPlanCreated)) == 1


async def test_a_cancelled_plan_gives_the_items_back_and_a_new_plan_over_them_gets_a_new_id() -> None:
    h = Harness()
    await chased(h)
    plan = (await plans.create_plan(create("F-1", "F-2"), h.uow(), h.deps)).plan
    cancel = col.CancelPaymentPlan(customer_id="FR01/C1", plan_id=plan.plan_id, user="anna", reason="customer asked")
    reply = await plans.cancel_plan(cancel, h.uow(), h.deps)
    assert (reply.plan.state, reply.reason, reply.replayed) == (
        col.PAYMENT_PLAN_STATE_CANCELLED,
        "customer asked",
        False,
    )
    assert reply.plan.ended_on == date_to_proto(TODAY)
    assert h.repo.qualifications.statuses == {}
    assert instalment_open(h, plan) == dec("0", "0")
    assert (await plans.cancel_plan(cancel, h.uow(), h.deps)).replayed
    assert len(h.published(col.PaymentPlanCancelled)) == 1
    with pytest.raises(NotFound):
        await plans.cancel_plan(
            col.CancelPaymentPlan(customer_id="FR01/C2", plan_id=plan.plan_id, user="a"), h.uow(), h.deps
        )

    again = (await plans.create_plan(create("F-1", "F-2"), h.uow(), h.deps)).plan
    assert again.plan_id == f"{plan.plan_id}-R2"
    assert again.instalments[0].item_id == f"FR01/plan/{plan.plan_id}-R2/01"
    listed = await plans.list_plans(col.ListPaymentPlans(customer_id="FR01/C1"), h.uow())
    assert [p.plan_id for p in listed.plans] == [again.plan_id]
    every = await plans.list_plans(col.ListPaymentPlans(customer_id="FR01/C1", include_ended=True), h.uow())
    assert {p.plan_id: p.state for p in every.plans} == {
        plan.plan_id: col.PAYMENT_PLAN_STATE_CANCELLED,
        again.plan_id: col.PAYMENT_PLAN_STATE_ACTIVE,
    }
