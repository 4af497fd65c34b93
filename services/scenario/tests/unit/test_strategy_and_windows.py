"""Strategy rules and entities' sending windows in the scenario service's handlers, over fakes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import PermanentError
from opendso_bus.envelope import new_meta
from opendso_scenario import handlers
from opendso_scenario.domain.strategy import DEFAULT_STRATEGY
from opendso_scenario.store import ItemRecord, ItemStatusRecord

from .test_handlers import Harness, customer_event, item_event

# 2026-11-28 is a Saturday: a reminder due then waits for Monday 08:00 in Paris (07:00 UTC).
SATURDAY = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
MONDAY_8_PARIS = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)


def entity_event(time_zone: str = "Europe/Paris", calendar: str = "FR") -> rv.EntitiesChanged:
    return rv.EntitiesChanged(
        meta=new_meta("importer", entity="FR01"),
        changes=[
            rv.EntityChange(
                type=rv.CHANGE_TYPE_CREATED,
                entity=rv.Entity(
                    code="FR01",
                    name="OpenDSO France",
                    country="FR",
                    currency="EUR",
                    time_zone=time_zone,
                    holiday_calendar=calendar,
                    late_payment_law="FR",
                ),
            )
        ],
    )


async def test_the_strategy_picks_the_scenario_and_says_why() -> None:
    h = Harness()
    h.deps = dataclasses.replace(h.deps, strategy=DEFAULT_STRATEGY)
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=2, amount="120.00"))
    await h.settle()

    answer = await handlers.get_customer_scenario(col.GetCustomerScenario(customer_id="FR01/C1"), h.uow())
    # 120.00 EUR owed: the small-balance rule of the shipped strategy.
    assert answer.scenario_code == "gentle"
    assert answer.rule_name
    assert any("matched" in line for line in answer.explanation)
    assert all(t.scenario_code == "gentle" for t in h.repo.tasks.values())


async def test_without_rules_everyone_gets_the_default_scenario_and_the_reason_says_so() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()
    answer = await handlers.get_customer_scenario(col.GetCustomerScenario(customer_id="FR01/C1"), h.uow())
    assert (answer.scenario_code, answer.rule_name) == ("standard", "")
    assert list(answer.explanation) == ["no strategy rules: default scenario 'standard'"]


async def test_an_automatic_reminder_waits_for_the_entitys_window_then_goes_out() -> None:
    h = Harness()
    h.clock.now = SATURDAY
    await handlers.record_entities(entity_event(), h.uow(), h.deps)
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()

    [task] = h.repo.tasks.values()
    assert (task.status, task.send_at) == ("scheduled", MONDAY_8_PARIS)
    assert h.published(msg.SendMessage) == []
    [created] = h.published(col.TaskCreated)
    assert created.task.status == col.TASK_STATUS_SCHEDULED
    assert created.task.send_at.ToDatetime(tzinfo=dt.UTC) == MONDAY_8_PARIS

    # Sunday: still closed.
    h.clock.now = MONDAY_8_PARIS - dt.timedelta(days=1)
    assert await handlers.send_scheduled(h.uow, h.deps) == 0
    h.clock.now = MONDAY_8_PARIS
    assert await handlers.send_scheduled(h.uow, h.deps) == 1
    [sent] = h.published(msg.SendMessage)
    assert (sent.message_key, sent.template_code) == (task.key, "first_reminder")
    assert h.repo.tasks[task.task_id].status == "sent"
    # Done once: a second pass sends nothing more.
    assert await handlers.send_scheduled(h.uow, h.deps) == 0


async def test_a_scheduled_reminder_whose_invoices_were_paid_meanwhile_is_cancelled() -> None:
    h = Harness()
    h.clock.now = SATURDAY
    await handlers.record_entities(entity_event(), h.uow(), h.deps)
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()
    [task] = h.repo.tasks.values()
    paid: ItemRecord = h.repo.items["FR01/invoice/F-1"]
    h.repo.items[paid.item_id] = dataclasses.replace(paid, open_amount=paid.open_amount * 0)

    h.clock.now = MONDAY_8_PARIS
    assert await handlers.send_scheduled(h.uow, h.deps) == 0
    assert h.repo.tasks[task.task_id].status == "cancelled"
    assert h.published(msg.SendMessage) == []


async def test_a_scheduled_reminder_whose_invoice_was_disputed_meanwhile_is_cancelled() -> None:
    h = Harness()
    h.clock.now = SATURDAY
    await handlers.record_entities(entity_event(), h.uow(), h.deps)
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()
    [task] = h.repo.tasks.values()
    await h.repo.qualifications.save_statuses(
        [
            ItemStatusRecord(
                item_id="FR01/invoice/F-1",
                customer_id="FR01/C1",
                status_code="dispute",
                since=SATURDAY.date(),
                comment="wrong quantity",
                owner="sales",
                set_by="anna",
                qualification_key="q1",
            )
        ]
    )

    h.clock.now = MONDAY_8_PARIS
    assert await handlers.send_scheduled(h.uow, h.deps) == 0
    assert h.repo.tasks[task.task_id].status == "cancelled"
    assert h.published(msg.SendMessage) == []


async def test_a_public_holiday_of_the_entitys_calendar_is_skipped() -> None:
    h = Harness()
    # Friday 25 December 2026, Christmas in France: the next open slot is Monday 28 December 08:00 Paris.
    h.clock.now = dt.datetime(2026, 12, 25, 9, 0, tzinfo=dt.UTC)
    await handlers.record_entities(entity_event(), h.uow(), h.deps)
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()
    [task] = h.repo.tasks.values()
    assert task.send_at == dt.datetime(2026, 12, 28, 7, 0, tzinfo=dt.UTC)


async def test_reminders_carry_the_late_payment_penalty_of_the_entitys_law() -> None:
    h = Harness()
    await handlers.record_entities(entity_event(time_zone="Europe/London", calendar="GB"), h.uow(), h.deps)
    # The UK law on record for FR01 in this test: interest at base rate + 8 points, GBP 70 for 1,000-9,999.99.
    h.repo.laws["FR01"] = "GB"
    await h.handle(customer_event())
    event = item_event("F-1", days_overdue=4, amount="2000.00")
    event.item.amount.currency = event.item.open_amount.currency = "GBP"
    await h.handle(event)
    h.clock.now = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
    await h.settle()
    [sent] = h.published(msg.SendMessage)
    assert [(m.amount, m.currency) for m in sent.recovery_cost] == [("70.00", "GBP")]
    [interest] = sent.late_penalty
    assert interest.currency == "GBP" and Decimal(interest.amount) > 0


async def test_an_unknown_late_payment_law_on_an_entity_is_refused() -> None:
    h = Harness()
    with pytest.raises(PermanentError, match="XX"):
        event = entity_event()
        event.changes[0].entity.late_payment_law = "XX"
        await handlers.record_entities(event, h.uow(), h.deps)
