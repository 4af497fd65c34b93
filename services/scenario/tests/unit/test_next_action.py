"""The next best action query over fakes: the facts gathered from the store, and the answer built from them."""

from __future__ import annotations

import datetime as dt

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import NotFound
from opendso_bus.envelope import new_meta
from opendso_contracts.convert import date_to_proto
from opendso_scenario import handlers, next_action, qualifications
from opendso_scenario.domain.next_best_action import Outcome

from .test_handlers import TODAY, Harness, customer_event, item_event


def ask() -> col.GetNextBestAction:
    return col.GetNextBestAction(customer_id="FR01/C1")


async def test_after_the_first_reminder_the_suggestion_is_to_wait_for_the_second() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4, amount="120.00"))
    await h.settle()

    answer = await next_action.get_next_best_action(ask(), h.uow(), h.deps)
    assert (answer.action, answer.rule, answer.step_code, answer.channel) == ("wait", "step_later", "second", "email")
    # The standard scenario's second reminder comes on day 15 of the leader.
    assert answer.act_on == date_to_proto(TODAY + dt.timedelta(days=11))
    assert answer.today == date_to_proto(TODAY)
    assert [(m.amount, m.currency) for m in answer.overdue] == [("120.00", "EUR")]
    facts = {f.name: f.value for f in answer.facts}
    assert facts["last_action"] == "email (first) on 2026-11-24: sent"
    assert facts["leader"] == "F-1, 4 days overdue"
    assert "second" in answer.reason and "2026-12-05" in answer.reason


async def test_a_failed_reminder_asks_for_the_contact_data() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()
    [task] = h.repo.tasks.values()
    await handlers.record_message_failed(
        msg.MessageFailed(meta=new_meta("messaging"), task_id=task.task_id), h.uow(), h.deps
    )

    situation = await next_action.situation_of("FR01/C1", h.uow(), h.deps)
    assert [a.outcome for a in situation.history] == [Outcome.FAILED]
    answer = await next_action.get_next_best_action(ask(), h.uow(), h.deps)
    assert (answer.action, answer.rule) == ("fix_contact_data", "unreachable")
    assert list(answer.item_ids) == ["FR01/invoice/F-1"]


async def test_an_email_step_for_a_customer_without_an_address_asks_for_one() -> None:
    h = Harness()
    await h.handle(customer_event(email=""))
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()

    situation = await next_action.situation_of("FR01/C1", h.uow(), h.deps)
    # Never sent for want of an address: pending, not failed.
    assert [a.outcome for a in situation.history] == [Outcome.PENDING]
    assert situation.has_email is False and situation.has_phone is None
    answer = await next_action.get_next_best_action(ask(), h.uow(), h.deps)
    assert (answer.action, answer.step_code) == ("fix_contact_data", "first")


async def test_a_disputed_item_is_to_be_resolved_first() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=20, amount="300.00"))
    await h.handle(item_event("F-2", days_overdue=4))
    await h.settle()
    await qualifications.qualify_items(
        col.QualifyItems(
            customer_id="FR01/C1", item_ids=["FR01/invoice/F-1"], status_code="dispute", comment="damaged", user="a"
        ),
        h.uow(),
        h.deps,
    )
    answer = await next_action.get_next_best_action(ask(), h.uow(), h.deps)
    assert (answer.action, list(answer.item_ids)) == ("resolve_dispute", ["FR01/invoice/F-1"])


async def test_a_promise_to_pay_for_everything_overdue_is_waited_for() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=20, amount="300.00"))
    await h.settle()
    promised_on = TODAY + dt.timedelta(days=6)
    await qualifications.qualify_items(
        col.QualifyItems(
            customer_id="FR01/C1",
            item_ids=["FR01/invoice/F-1"],
            status_code="promise_to_pay",
            user="a",
            promised_amount={"amount": "300.00", "currency": "EUR"},
            promised_on=date_to_proto(promised_on),
        ),
        h.uow(),
        h.deps,
    )
    answer = await next_action.get_next_best_action(ask(), h.uow(), h.deps)
    assert (answer.action, answer.act_on) == ("wait_for_promise", date_to_proto(promised_on))


async def test_an_unknown_customer_is_not_found() -> None:
    h = Harness()
    with pytest.raises(NotFound, match="no customer 'FR01/C1'"):
        await next_action.get_next_best_action(ask(), h.uow(), h.deps)
