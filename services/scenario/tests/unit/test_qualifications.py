"""Collectors' qualifications and promises to pay in the scenario service, over fakes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest, NotFound
from opendso_contracts.convert import date_to_proto
from opendso_scenario import qualifications

from .test_handlers import TODAY, Harness, customer_event, item_event


async def chased(h: Harness) -> None:
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=20, amount="300.00"))
    await h.handle(item_event("F-2", days_overdue=4, amount="100.00"))
    await h.settle()


def qualify(status: str, *items: str, **extra: object) -> col.QualifyItems:
    return col.QualifyItems(
        customer_id="FR01/C1",
        item_ids=[f"FR01/invoice/{n}" for n in items],
        status_code=status,
        comment="wrong quantity delivered",
        user="anna",
        **extra,  # type: ignore[arg-type]
    )


async def test_a_dispute_takes_its_item_out_of_the_scenario_and_creates_its_follow_up_once() -> None:
    h = Harness()
    await chased(h)
    reply = await qualifications.qualify_items(qualify("dispute", "F-1"), h.uow(), h.deps)
    assert [(s.item_id, s.status_code, s.set_by) for s in reply.statuses] == [("FR01/invoice/F-1", "dispute", "anna")]
    # The shipped dispute status: an internal task for sales a week later.
    assert (reply.follow_up.channel, reply.follow_up.due_on) == (
        "internal_task",
        date_to_proto(TODAY + dt.timedelta(7)),
    )
    assert [e.customer_id for e in h.published(col.ItemsQualified)] == ["FR01/C1"]

    # Evaluated again: F-1 is no longer chased, so F-2 leads (first reminder, 4 days overdue).
    before = len(h.published(msg.SendMessage))
    h.clock.now += dt.timedelta(seconds=2)
    await h.settle()
    [later] = h.published(msg.SendMessage)[before:]
    assert [i.item_id for i in later.items] == ["FR01/invoice/F-2"]

    again = await qualifications.qualify_items(qualify("dispute", "F-1"), h.uow(), h.deps)
    assert again.replayed
    assert len([t for t in h.repo.tasks.values() if t.step_code == "status:dispute"]) == 1


async def test_a_qualification_that_does_not_fit_is_refused_whole() -> None:
    h = Harness()
    await chased(h)
    with pytest.raises(InvalidRequest, match="F-9"):
        await qualifications.qualify_items(qualify("dispute", "F-1", "F-9"), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="status_code"):
        await qualifications.qualify_items(qualify("nonsense", "F-1"), h.uow(), h.deps)
    with pytest.raises(NotFound):
        await qualifications.qualify_items(
            col.QualifyItems(customer_id="X", user="a"),
            h.uow(),
            h.deps,
        )
    assert h.repo.qualifications.statuses == {}


async def test_a_broken_promise_raises_an_event_a_call_and_gives_the_items_back_to_the_scenario() -> None:
    h = Harness()
    await chased(h)
    promised = qualify(
        "promise_to_pay",
        "F-1",
        promised_amount={"amount": "300.00", "currency": "EUR"},
        promised_on=date_to_proto(TODAY + dt.timedelta(days=3)),
    )
    reply = await qualifications.qualify_items(promised, h.uow(), h.deps)
    assert reply.promise_id
    # Not due yet: nothing happens.
    assert await qualifications.check_promises(h.uow, h.deps) == 0

    # Six days later (3 + 2 days of grace passed), 100.00 of the 300.00 paid.
    h.deps = dataclasses.replace(h.deps, today=lambda: TODAY + dt.timedelta(days=6))
    item = h.repo.items["FR01/invoice/F-1"]
    h.repo.items[item.item_id] = dataclasses.replace(item, open_amount=Decimal("200.00"))
    assert await qualifications.check_promises(h.uow, h.deps) == 1
    [event] = h.published(col.PromiseBroken)
    assert (event.paid.amount, event.missing.amount) == ("100.00", "200.00")
    call = h.repo.tasks[event.task_id]
    assert (call.channel, call.step_code) == ("phone_call", "promise_broken")
    assert "FR01/invoice/F-1" not in h.repo.qualifications.statuses
    # Checked again: already settled, nothing new.
    assert await qualifications.check_promises(h.uow, h.deps) == 0


async def test_a_kept_promise_is_closed_quietly() -> None:
    h = Harness()
    await chased(h)
    await qualifications.qualify_items(
        qualify(
            "promise_to_pay",
            "F-2",
            promised_amount={"amount": "100.00", "currency": "EUR"},
            promised_on=date_to_proto(TODAY + dt.timedelta(days=1)),
        ),
        h.uow(),
        h.deps,
    )
    item = h.repo.items["FR01/invoice/F-2"]
    h.repo.items[item.item_id] = dataclasses.replace(item, open_amount=Decimal("0"))
    h.deps = dataclasses.replace(h.deps, today=lambda: TODAY + dt.timedelta(days=5))
    assert await qualifications.check_promises(h.uow, h.deps) == 0
    assert [p.state for p in h.repo.qualifications.promises.values()] == ["kept"]
    assert h.published(col.PromiseBroken) == []


async def test_a_promise_needs_its_amount_and_day() -> None:
    h = Harness()
    await chased(h)
    with pytest.raises(InvalidRequest, match="promised_amount and promised_on are required"):
        await qualifications.qualify_items(qualify("promise_to_pay", "F-1"), h.uow(), h.deps)
