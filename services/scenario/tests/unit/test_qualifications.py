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
from opendso_scenario.domain.qualification import qualification_key

from .test_handlers import TODAY, Harness, customer_event, item_event


async def chased(h: Harness, email: str = "ap@acme.example") -> None:
    await h.handle(customer_event(email=email))
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
    # The event carries the promise itself: the cash forecast reads it without asking.
    [event] = h.published(col.ItemsQualified)
    assert (event.promise_id, event.promised_amount.amount, event.promised_amount.currency) == (
        reply.promise_id,
        "300.00",
        "EUR",
    )
    assert event.promised_on == date_to_proto(TODAY + dt.timedelta(days=3))
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


def sent_since(h: Harness, before: int) -> list[msg.SendMessage]:
    return h.published(msg.SendMessage)[before:]


async def test_a_dispute_with_a_confirmation_sends_the_acknowledgement_to_the_customer_once() -> None:
    h = Harness()
    await chased(h)
    before = len(h.published(msg.SendMessage))

    reply = await qualifications.qualify_items(
        qualify("dispute", "F-1", "F-2", send_confirmation=True), h.uow(), h.deps
    )

    [message] = sent_since(h, before)
    assert reply.confirmation_skipped_reason == ""
    assert message.template_code == "dispute_acknowledgement"
    assert (message.recipient, message.contact_name, message.language, message.channel) == (
        "ap@acme.example",
        "Marie",
        "fr",
        "email",
    )
    assert [(i.item_id, i.open_amount.amount, i.days_overdue) for i in message.items] == [
        ("FR01/invoice/F-1", "300.00", 20),
        ("FR01/invoice/F-2", "100.00", 4),
    ]
    # Keyed by the qualification, so messaging sends it once however often it is published.
    key = qualification_key("FR01/C1", "dispute", TODAY, ["FR01/invoice/F-1", "FR01/invoice/F-2"])
    assert message.message_key == f"{key}:confirmation:customer"
    assert (message.customer_id, message.account_number, message.today) == ("FR01/C1", "C1", date_to_proto(TODAY))

    again = await qualifications.qualify_items(
        qualify("dispute", "F-1", "F-2", send_confirmation=True), h.uow(), h.deps
    )
    assert again.replayed
    assert len(sent_since(h, before)) == 1


async def test_a_promise_confirmation_goes_to_the_collection_contact() -> None:
    h = Harness()
    await chased(h)
    await h.repo.upsert_contacts(
        [
            {
                "contact_id": "FR01/C1/collection/ar@dupont.example",
                "customer_id": "FR01/C1",
                "name": "Alice",
                "email": "ar@dupont.example",
                "role": "collection",
            }
        ],
        h.clock.now,
    )
    before = len(h.published(msg.SendMessage))

    await qualifications.qualify_items(
        qualify(
            "promise_to_pay",
            "F-1",
            promised_amount={"amount": "300.00", "currency": "EUR"},
            promised_on=date_to_proto(TODAY + dt.timedelta(days=3)),
            send_confirmation=True,
        ),
        h.uow(),
        h.deps,
    )

    [message] = sent_since(h, before)
    assert (message.template_code, message.recipient, message.contact_name) == (
        "promise_to_pay_confirmation",
        "ar@dupont.example",
        "Alice",
    )


async def test_a_qualification_sends_no_confirmation_unless_asked() -> None:
    h = Harness()
    await chased(h)
    before = len(h.published(msg.SendMessage))

    reply = await qualifications.qualify_items(qualify("dispute", "F-1"), h.uow(), h.deps)

    assert sent_since(h, before) == []
    assert reply.confirmation_skipped_reason == ""


async def test_without_an_email_address_the_items_are_qualified_and_the_reply_says_no_confirmation_went() -> None:
    h = Harness()
    await chased(h, email="")
    before = len(h.published(msg.SendMessage))

    reply = await qualifications.qualify_items(qualify("dispute", "F-1", send_confirmation=True), h.uow(), h.deps)

    assert sent_since(h, before) == []
    assert "no e-mail address" in reply.confirmation_skipped_reason
    assert h.repo.qualifications.statuses["FR01/invoice/F-1"].status_code == "dispute"


async def test_a_status_without_a_confirmation_template_says_so_when_one_is_asked_for() -> None:
    h = Harness()
    await chased(h)
    before = len(h.published(msg.SendMessage))

    reply = await qualifications.qualify_items(qualify("litigation", "F-1", send_confirmation=True), h.uow(), h.deps)

    assert sent_since(h, before) == []
    assert reply.confirmation_skipped_reason == "status 'litigation' sends no confirmation message"


async def test_a_customers_promises_are_listed_latest_day_first_with_their_state() -> None:
    h = Harness()
    await chased(h)
    for number, amount, days in (("F-1", "300.00", 3), ("F-2", "100.00", 10)):
        await qualifications.qualify_items(
            qualify(
                "promise_to_pay",
                number,
                promised_amount={"amount": amount, "currency": "EUR"},
                promised_on=date_to_proto(TODAY + dt.timedelta(days=days)),
            ),
            h.uow(),
            h.deps,
        )
    # F-1 unpaid six days later: its promise is broken; F-2's is still open.
    h.deps = dataclasses.replace(h.deps, today=lambda: TODAY + dt.timedelta(days=6))
    assert await qualifications.check_promises(h.uow, h.deps) == 1

    listed = await qualifications.list_promises(col.ListPromises(customer_id="FR01/C1"), h.uow())
    assert [(list(p.item_ids), p.promised_amount.amount, p.state) for p in listed.promises] == [
        (["FR01/invoice/F-2"], "100.00", "open"),
        (["FR01/invoice/F-1"], "300.00", "broken"),
    ]
    assert listed.promises[0].promised_on == date_to_proto(TODAY + dt.timedelta(days=10))
    assert (listed.promises[0].by_user, listed.promises[0].created_on) == ("anna", date_to_proto(TODAY))
    assert not listed.truncated

    first = await qualifications.list_promises(col.ListPromises(customer_id="FR01/C1", limit=1), h.uow())
    assert [p.promised_amount.amount for p in first.promises] == ["100.00"]
    assert first.truncated
    assert (await qualifications.list_promises(col.ListPromises(customer_id="FR01/C9"), h.uow())).promises == []
    with pytest.raises(InvalidRequest):
        await qualifications.list_promises(col.ListPromises(), h.uow())
