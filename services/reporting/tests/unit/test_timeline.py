"""What each event becomes on the timeline: kinds, ids, items, actors, wording and detail."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, EventMeta, Money
from opendso.matching.v1 import matching_pb2 as mt
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_reporting.domain import timeline as tl
from opendso_reporting.domain.timeline import ActorType, Kind

AT = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)


def meta(event_id: str = "ev-1", source: str = "importer", at: dt.datetime = AT) -> EventMeta:
    m = EventMeta(event_id=event_id, source=source, entity="FR01")
    m.occurred_at.FromDatetime(at)
    return m


def item(number: str = "F-1", open_amount: str = "100.00", customer: str = "FR01/C1") -> rv.OpenItem:
    return rv.OpenItem(
        item_id=f"FR01/invoice/{number}",
        customer_id=customer,
        entity="FR01",
        number=number,
        kind=rv.ITEM_KIND_INVOICE,
        issue_date=Date(year=2026, month=10, day=1),
        due_date=Date(year=2026, month=10, day=31),
        amount=Money(amount="100.00", currency="EUR"),
        open_amount=Money(amount=open_amount, currency="EUR"),
    )


def task(**fields: Any) -> col.Task:
    base: dict[str, Any] = {
        "task_id": "task-1",
        "customer_id": "FR01/C1",
        "entity": "FR01",
        "scenario_code": "standard",
        "step_code": "call",
        "channel": "phone_call",
        "automatic": False,
        "status": col.TASK_STATUS_OPEN,
        "due_on": Date(year=2026, month=11, day=25),
        "item_ids": ["FR01/invoice/F-1", "FR01/invoice/F-2"],
        "collector": "alice",
    }
    return col.Task(**(base | fields))


def test_an_opened_item_is_one_entry_named_after_its_event_with_amounts_as_strings() -> None:
    (entry,) = tl.item_opened(rv.ItemOpened(meta=meta(), item=item()))

    assert (entry.entry_id, entry.event_id, entry.kind) == ("ev-1", "ev-1", Kind.ITEM_OPENED)
    assert (entry.customer_id, entry.item_ids) == ("FR01/C1", ("FR01/invoice/F-1",))
    assert entry.occurred_at == AT and entry.occurred_at.tzinfo == dt.UTC
    assert (entry.actor, entry.actor_type) == ("importer", ActorType.SERVICE)
    assert entry.summary == "Invoice F-1 opened: 100.00 EUR open, due 2026-10-31"
    assert entry.detail["open_amount"] == {"amount": "100.00", "currency": "EUR"}
    assert (entry.detail["issue_date"], entry.detail["due_date"]) == ("2026-10-01", "2026-10-31")


def test_a_change_of_the_open_amount_is_on_the_timeline_but_a_change_of_reference_is_not() -> None:
    paid_part = rv.ItemChanged(meta=meta(), item=item(open_amount="40.50"), changed_fields=["open_amount"])
    relabelled = rv.ItemChanged(meta=meta("ev-2"), item=item(), changed_fields=["product_group", "reference"])

    (entry,) = tl.item_changed(paid_part)

    assert entry.kind == Kind.ITEM_AMOUNT_CHANGED
    assert entry.summary == "Invoice F-1: open amount now 40.50 EUR"
    assert entry.detail["changed_fields"] == ["open_amount"]
    assert tl.item_changed(relabelled) == []


def test_a_moved_due_date_is_its_own_kind_and_is_mentioned_with_an_amount_change() -> None:
    moved = rv.ItemChanged(meta=meta(), item=item(), changed_fields=["due_date"])
    both = rv.ItemChanged(meta=meta("ev-2"), item=item(open_amount="10"), changed_fields=["due_date", "open_amount"])

    assert [e.kind for e in tl.item_changed(moved)] == [Kind.ITEM_DUE_DATE_CHANGED]
    assert tl.item_changed(both)[0].summary == "Invoice F-1: open amount now 10 EUR, due 2026-10-31"


def test_a_closed_item_says_it_was_paid_and_when() -> None:
    event = rv.ItemClosed(meta=meta(), item=item(open_amount="0"), closed_on=Date(year=2026, month=11, day=20))

    (entry,) = tl.item_closed(event)

    assert entry.kind == Kind.ITEM_CLOSED
    assert entry.summary == "Invoice F-1 closed as paid on 2026-11-20"
    assert entry.detail["closed_on"] == "2026-11-20"


def test_a_batch_makes_one_entry_per_change_that_matters_each_id_the_event_and_its_position() -> None:
    batch = rv.ItemsChanged(meta=meta("batch-7"))
    batch.changes.add(type=rv.CHANGE_TYPE_CREATED, item=item("F-1"))
    batch.changes.add(type=rv.CHANGE_TYPE_CHANGED, item=item("F-2"), changed_fields=["priority"])
    batch.changes.add(type=rv.CHANGE_TYPE_CLOSED, item=item("F-3", "0"))
    batch.changes.add(type=rv.CHANGE_TYPE_CHANGED, item=item("F-4", "5"), changed_fields=["open_amount"])

    entries = tl.items_changed(batch)

    assert [(e.entry_id, e.kind, e.item_ids) for e in entries] == [
        ("batch-7/0", Kind.ITEM_OPENED, ("FR01/invoice/F-1",)),
        ("batch-7/2", Kind.ITEM_CLOSED, ("FR01/invoice/F-3",)),
        ("batch-7/3", Kind.ITEM_AMOUNT_CHANGED, ("FR01/invoice/F-4",)),
    ]
    assert {e.event_id for e in entries} == {"batch-7"}


def test_the_same_event_translated_twice_gives_the_same_entries() -> None:
    batch = rv.ItemsChanged(meta=meta("batch-8"))
    batch.changes.add(type=rv.CHANGE_TYPE_CREATED, item=item("F-1"))
    redelivered = rv.ItemsChanged.FromString(batch.SerializeToString())

    assert tl.items_changed(batch) == tl.items_changed(redelivered)


def test_a_created_task_concerns_its_items_and_names_its_step_channel_and_collector() -> None:
    (entry,) = tl.task_created(col.TaskCreated(meta=meta(source="scenario"), task=task()))

    assert (entry.kind, entry.task_id, entry.actor) == (Kind.TASK_CREATED, "task-1", "scenario")
    assert entry.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")
    assert entry.summary == "Collector's phone call step 'call' planned for 2026-11-25 (collector alice)"
    assert entry.detail["status"] == "open"


@pytest.mark.parametrize(
    ("action", "kind", "summary"),
    [
        (col.TASK_ACTION_PERFORM, Kind.TASK_PERFORMED, "Collector's phone call step 'call' performed by bob"),
        (
            col.TASK_ACTION_VALIDATE,
            Kind.TASK_VALIDATED,
            "Collector's phone call step 'call' validated by bob; its message goes out",
        ),
        (
            col.TASK_ACTION_POSTPONE,
            Kind.TASK_POSTPONED,
            "Collector's phone call step 'call' postponed to 2026-11-25 by bob",
        ),
        (
            col.TASK_ACTION_REASSIGN,
            Kind.TASK_REASSIGNED,
            "Collector's phone call step 'call' reassigned to alice by bob",
        ),
        (col.TASK_ACTION_CANCEL, Kind.TASK_CANCELLED, "Collector's phone call step 'call' cancelled by bob"),
    ],
)
def test_a_persons_action_on_a_task_says_what_and_who_with_the_comment(
    action: col.TaskAction.ValueType, kind: Kind, summary: str
) -> None:
    event = col.TaskChanged(meta=meta(source="scenario"), task=task(), action=action, user="bob", comment="called")

    (entry,) = tl.task_changed(event)

    assert (entry.kind, entry.actor, entry.actor_type) == (kind, "bob", ActorType.USER)
    assert entry.summary == summary + ': "called"'
    assert entry.detail["comment"] == "called"
    assert entry.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")


def test_a_long_comment_is_shortened_in_the_summary_and_whole_in_the_detail() -> None:
    comment = "word " * 100
    event = col.TaskChanged(meta=meta(), task=task(), action=col.TASK_ACTION_PERFORM, user="bob", comment=comment)

    (entry,) = tl.task_changed(event)

    assert len(entry.summary) < 200 and entry.summary.endswith('…"')
    assert entry.detail["comment"] == comment


def test_a_qualification_is_one_entry_found_from_each_of_its_items() -> None:
    event = col.ItemsQualified(meta=meta("q-1", "scenario"), customer_id="FR01/C1", promise_id="p-1")
    for number in ("F-1", "F-2"):
        event.statuses.add(
            item_id=f"FR01/invoice/{number}",
            status_code="dispute",
            since=Date(year=2026, month=11, day=24),
            comment="wrong price",
            owner="sales",
            set_by="alice",
        )

    (entry,) = tl.items_qualified(event)

    assert (entry.entry_id, entry.kind, entry.actor) == ("q-1/0", Kind.ITEM_QUALIFIED, "alice")
    assert entry.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")
    assert entry.summary == (
        'Items F-1, F-2 put in status dispute by alice from 2026-11-24, owner sales: "wrong price"'
    )
    assert entry.detail | {"item_ids": None} == {
        "status": "dispute",
        "since": "2026-11-24",
        "comment": "wrong price",
        "owner": "sales",
        "item_ids": None,
        "promise_id": "p-1",
    }


def test_items_qualified_with_different_comments_are_separate_entries_and_a_replay_is_none() -> None:
    event = col.ItemsQualified(meta=meta("q-2"), customer_id="FR01/C1")
    event.statuses.add(item_id="FR01/invoice/F-1", status_code="dispute", comment="price", set_by="alice")
    event.statuses.add(item_id="FR01/invoice/F-2", status_code="dispute", comment="quantity", set_by="alice")
    replayed = col.ItemsQualified(meta=meta("q-3"), customer_id="FR01/C1", statuses=event.statuses, replayed=True)

    assert [(e.entry_id, e.item_ids) for e in tl.items_qualified(event)] == [
        ("q-2/0", ("FR01/invoice/F-1",)),
        ("q-2/1", ("FR01/invoice/F-2",)),
    ]
    assert tl.items_qualified(replayed) == []


def test_a_broken_promise_says_what_is_missing() -> None:
    event = col.PromiseBroken(
        meta=meta(source="scenario"),
        promise_id="p-1",
        customer_id="FR01/C1",
        item_ids=["FR01/invoice/F-1"],
        promised_amount=Money(amount="500.00", currency="EUR"),
        paid=Money(amount="200.00", currency="EUR"),
        missing=Money(amount="300.00", currency="EUR"),
        promised_on=Date(year=2026, month=11, day=20),
        task_id="task-9",
    )

    (entry,) = tl.promise_broken(event)

    assert entry.kind == Kind.PROMISE_BROKEN
    assert entry.summary == "Promise to pay 500.00 EUR by 2026-11-20 broken: 300.00 EUR missing"
    assert entry.detail["paid"] == {"amount": "200.00", "currency": "EUR"}
    assert entry.item_ids == ("FR01/invoice/F-1",)


def plan(**fields: Any) -> col.PaymentPlan:
    base: dict[str, Any] = {
        "plan_id": "PP-1",
        "customer_id": "FR01/C1",
        "entity": "FR01",
        "state": col.PAYMENT_PLAN_STATE_ACTIVE,
        "item_ids": ["FR01/invoice/F-1", "FR01/invoice/F-2"],
        "total": Money(amount="300.00", currency="EUR"),
        "paid": Money(amount="0", currency="EUR"),
        "frequency": "monthly",
        "created_on": Date(year=2026, month=11, day=24),
        "created_by": "alice",
        "comment": "agreed on the phone",
        "instalments": [
            col.PaymentPlanInstalment(
                item_id=f"FR01/plan/PP-1/{seq:02d}",
                number=f"PP-1-{seq:02d}",
                sequence=seq,
                due_date=Date(year=2026, month=11 + seq, day=1) if seq < 2 else Date(year=2027, month=1, day=1),
                amount=Money(amount="100.00", currency="EUR"),
                open_amount=Money(amount="100.00", currency="EUR"),
            )
            for seq in (0, 1, 2)
        ],
    }
    return col.PaymentPlan(**(base | fields))


def test_a_created_payment_plan_is_found_from_each_covered_item_and_summarises_its_schedule() -> None:
    event = col.PaymentPlanCreated(meta=meta("pp-1", "scenario"), plan=plan())

    (entry,) = tl.payment_plan_created(event)

    assert (entry.entry_id, entry.event_id, entry.kind) == ("pp-1", "pp-1", Kind.PAYMENT_PLAN_CREATED)
    assert (entry.actor, entry.actor_type) == ("alice", ActorType.USER)
    assert entry.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")
    assert entry.summary == (
        "Payment plan PP-1 of 300.00 EUR for Items F-1, F-2 agreed by alice: down payment of 100.00 EUR on "
        '2026-11-01, then 2 monthly instalments from 2026-12-01 to 2027-01-01: "agreed on the phone"'
    )
    assert entry.detail["instalment_count"] == 3
    assert entry.detail["instalments"][2] == {
        "item_id": "FR01/plan/PP-1/02",
        "number": "PP-1-02",
        "sequence": 2,
        "due_date": "2027-01-01",
        "amount": {"amount": "100.00", "currency": "EUR"},
        "open_amount": {"amount": "100.00", "currency": "EUR"},
    }
    assert (entry.detail["state"], entry.detail["total"]) == ("active", {"amount": "300.00", "currency": "EUR"})


def test_a_plan_on_an_explicit_schedule_without_down_payment_says_how_many_instalments() -> None:
    one = col.PaymentPlanInstalment(
        number="PP-1-01",
        sequence=1,
        due_date=Date(year=2026, month=12, day=15),
        amount=Money(amount="300", currency="EUR"),
    )
    event = col.PaymentPlanCreated(meta=meta(), plan=plan(frequency="schedule", instalments=[one], comment=""))

    (entry,) = tl.payment_plan_created(event)

    assert entry.summary.endswith("agreed by alice: 1 instalment on 2026-12-15")


def test_a_cancelled_payment_plan_says_what_was_paid_and_why() -> None:
    ended = plan(
        state=col.PAYMENT_PLAN_STATE_CANCELLED,
        paid=Money(amount="100.00", currency="EUR"),
        ended_on=Date(year=2026, month=12, day=3),
    )
    event = col.PaymentPlanCancelled(meta=meta("pc-1", "scenario"), plan=ended, reason="customer disputes F-2")

    (entry,) = tl.payment_plan_cancelled(event)

    assert (entry.entry_id, entry.kind, entry.actor) == ("pc-1", Kind.PAYMENT_PLAN_CANCELLED, "scenario")
    assert entry.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")
    assert entry.summary == (
        "Payment plan PP-1 of 300.00 EUR for Items F-1, F-2 cancelled (100.00 EUR paid): customer disputes F-2"
    )
    assert (entry.detail["state"], entry.detail["ended_on"]) == ("cancelled", "2026-12-03")
    assert entry.detail["reason"] == "customer disputes F-2"
    assert len(entry.detail["instalments"]) == 3


def test_a_completed_payment_plan_names_its_items() -> None:
    event = col.PaymentPlanCompleted(
        meta=meta("pd-1", "scenario"),
        plan_id="PP-1",
        customer_id="FR01/C1",
        item_ids=["FR01/invoice/F-1", "FR01/invoice/F-2"],
        total=Money(amount="300.00", currency="EUR"),
    )

    (entry,) = tl.payment_plan_completed(event)

    assert (entry.entry_id, entry.kind, entry.actor_type) == ("pd-1", Kind.PAYMENT_PLAN_COMPLETED, ActorType.SERVICE)
    assert entry.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")
    assert entry.summary == "Payment plan PP-1 of 300.00 EUR completed: Items F-1, F-2 paid"
    assert entry.detail == {
        "plan_id": "PP-1",
        "state": "completed",
        "total": {"amount": "300.00", "currency": "EUR"},
    }


def test_a_broken_payment_plan_says_which_instalments_are_unpaid_and_what_is_missing() -> None:
    event = col.PaymentPlanBroken(
        meta=meta("pb-1", "scenario"),
        plan_id="PP-1",
        customer_id="FR01/C1",
        item_ids=["FR01/invoice/F-1", "FR01/invoice/F-2"],
        missed_instalments=["PP-1-01", "PP-1-02", "PP-1-03", "PP-1-04"],
        paid=Money(amount="100.00", currency="EUR"),
        missing=Money(amount="400.00", currency="EUR"),
        task_id="task-9",
    )

    (entry,) = tl.payment_plan_broken(event)

    assert (entry.entry_id, entry.kind) == ("pb-1", Kind.PAYMENT_PLAN_BROKEN)
    assert entry.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")
    assert entry.summary == (
        "Payment plan PP-1 broken: instalments PP-1-01, PP-1-02, PP-1-03 and 1 more unpaid, 400.00 EUR missing"
    )
    assert entry.detail["missed_instalments"] == ["PP-1-01", "PP-1-02", "PP-1-03", "PP-1-04"]
    assert (entry.detail["paid"], entry.detail["follow_up_task_id"]) == (
        {"amount": "100.00", "currency": "EUR"},
        "task-9",
    )
    assert entry.task_id == ""


def escalated(**fields: Any) -> col.CaseEscalated:
    base: dict[str, Any] = {
        "meta": meta("ce-1", "scenario"),
        "case_id": "case-1",
        "customer_id": "FR01/C1",
        "entity": "FR01",
        "items": [
            col.EscalatedItem(
                item_id="FR01/invoice/F/2026/1",
                number="F/2026/1",
                due_date=Date(year=2026, month=9, day=30),
                open_amount=Money(amount="100.00", currency="EUR"),
                days_overdue=55,
            ),
            col.EscalatedItem(
                item_id="FR01/invoice/F-2", number="F-2", open_amount=Money(amount="50.00", currency="USD")
            ),
        ],
        "totals": [Money(amount="100.00", currency="EUR"), Money(amount="50.00", currency="USD")],
        "partner_kind": col.PARTNER_KIND_LEGAL,
        "partner_id": "lex-1",
        "note": "no answer to three letters",
        "escalated_by": "alice",
        "escalated_on": Date(year=2026, month=11, day=24),
        "task_id": "task-3",
        "item_status": "litigation",
    }
    return col.CaseEscalated(**(base | fields))


def test_an_escalated_case_names_the_partner_the_amounts_per_currency_and_the_note_on_each_item() -> None:
    (entry,) = tl.case_escalated(escalated())

    assert (entry.entry_id, entry.kind, entry.actor, entry.actor_type) == (
        "ce-1",
        Kind.CASE_ESCALATED,
        "alice",
        ActorType.USER,
    )
    assert entry.item_ids == ("FR01/invoice/F/2026/1", "FR01/invoice/F-2")
    assert entry.summary == (
        "Items F/2026/1, F-2 escalated to a legal partner lex-1 by alice: 100.00 EUR, 50.00 USD open: "
        '"no answer to three letters"'
    )
    assert entry.detail["totals"] == [
        {"amount": "100.00", "currency": "EUR"},
        {"amount": "50.00", "currency": "USD"},
    ]
    assert (entry.detail["partner_kind"], entry.detail["partner_id"]) == ("legal", "lex-1")
    assert (entry.detail["note"], entry.detail["task_id"]) == ("no answer to three letters", "task-3")
    assert entry.detail["items"][0]["days_overdue"] == 55
    assert entry.task_id == ""


def test_a_case_escalated_by_the_scenario_to_an_unnamed_partner_is_the_services() -> None:
    event = escalated(partner_kind=col.PARTNER_KIND_CALL_CENTRE, partner_id="", escalated_by="", note="")

    (entry,) = tl.case_escalated(event)

    assert (entry.actor, entry.actor_type) == ("scenario", ActorType.SERVICE)
    assert entry.summary == "Items F/2026/1, F-2 escalated to the call centre by the system: 100.00 EUR, 50.00 USD open"
    assert entry.detail["partner_id"] is None


def test_a_withdrawn_case_names_the_partner_who_and_why_on_each_item() -> None:
    event = col.CaseWithdrawn(
        meta=meta("cw-1", "scenario"),
        case_id="case-1",
        customer_id="FR01/C1",
        partner_kind=col.PARTNER_KIND_DEBT_SALE,
        partner_id="buyer-7",
        item_ids=["FR01/invoice/F-1", "FR01/invoice/F-2"],
        reason="customer paid directly",
        withdrawn_by="bob",
        withdrawn_on=Date(year=2026, month=12, day=1),
    )

    (entry,) = tl.case_withdrawn(event)

    assert (entry.entry_id, entry.kind, entry.actor, entry.actor_type) == (
        "cw-1",
        Kind.CASE_WITHDRAWN,
        "bob",
        ActorType.USER,
    )
    assert entry.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")
    assert entry.summary == "Items F-1, F-2 taken back from a debt buyer buyer-7 by bob: customer paid directly"
    assert entry.detail == {
        "case_id": "case-1",
        "partner_kind": "debt_sale",
        "partner_id": "buyer-7",
        "reason": "customer paid directly",
        "withdrawn_on": "2026-12-01",
    }


def test_the_answer_to_a_retried_plan_or_case_request_is_not_news() -> None:
    assert tl.payment_plan_created(col.PaymentPlanCreated(meta=meta(), plan=plan(), replayed=True)) == []
    assert tl.payment_plan_cancelled(col.PaymentPlanCancelled(meta=meta(), plan=plan(), replayed=True)) == []
    assert tl.case_escalated(escalated(replayed=True)) == []
    assert tl.case_withdrawn(col.CaseWithdrawn(meta=meta(), customer_id="FR01/C1", replayed=True)) == []


@pytest.mark.parametrize(
    "event",
    [
        col.PaymentPlanCreated(meta=meta("x-1"), plan=plan()),
        col.PaymentPlanCancelled(meta=meta("x-2"), plan=plan(), reason="r"),
        col.PaymentPlanCompleted(
            meta=meta("x-3"), plan_id="PP-1", customer_id="FR01/C1", item_ids=["FR01/invoice/F-1"]
        ),
        col.PaymentPlanBroken(meta=meta("x-4"), plan_id="PP-1", customer_id="FR01/C1", missed_instalments=["PP-1-01"]),
        escalated(meta=meta("x-5")),
        col.CaseWithdrawn(meta=meta("x-6"), customer_id="FR01/C1", item_ids=["FR01/invoice/F-1"]),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_redelivered_plan_or_case_event_gives_the_same_entries_with_plain_json_detail(event: Any) -> None:
    translate = tl.TRANSLATORS[type(event)]
    redelivered = type(event).FromString(event.SerializeToString())

    first = translate(event)

    assert [e.entry_id for e in first] == [event.meta.event_id]
    assert first == translate(redelivered)
    assert json.loads(json.dumps(first[0].detail)) == first[0].detail


def test_plan_and_case_events_without_a_customer_make_no_entry() -> None:
    assert tl.payment_plan_created(col.PaymentPlanCreated(meta=meta(), plan=plan(customer_id=""))) == []
    assert tl.payment_plan_cancelled(col.PaymentPlanCancelled(meta=meta(), plan=plan(customer_id=""))) == []
    assert tl.payment_plan_completed(col.PaymentPlanCompleted(meta=meta(), plan_id="PP-1")) == []
    assert tl.payment_plan_broken(col.PaymentPlanBroken(meta=meta(), plan_id="PP-1")) == []
    assert tl.case_escalated(escalated(customer_id="")) == []
    assert tl.case_withdrawn(col.CaseWithdrawn(meta=meta(), case_id="case-1")) == []


def test_a_message_belongs_to_its_task_and_names_recipient_and_subject() -> None:
    sent = msg.MessageSent(
        meta=meta(source="messaging"),
        message_id="m-1",
        customer_id="FR01/C1",
        task_id="task-1",
        channel="email",
        recipient="ap@dupont.example",
        subject="Reminder: invoice F-1",
    )
    failed = msg.MessageFailed(
        meta=meta("ev-2", "messaging"), customer_id="FR01/C1", task_id="task-1", channel="sms", reason="no number"
    )

    (s,) = tl.message_sent(sent)
    (f,) = tl.message_failed(failed)

    assert (s.kind, s.task_id, s.item_ids) == (Kind.MESSAGE_SENT, "task-1", ())
    assert s.summary == 'E-mail sent to ap@dupont.example: "Reminder: invoice F-1"'
    assert (f.kind, f.summary) == (Kind.MESSAGE_FAILED, "SMS could not be sent: no number")


def test_a_reminder_cancelled_because_its_items_were_paid_is_on_the_timeline_of_its_task() -> None:
    event = msg.MessageCancelled(
        meta=meta("ev-3", "messaging"),
        message_key="FR01/C1:standard:first:F-1",
        customer_id="FR01/C1",
        task_id="task-1",
        channel="email",
        reason="items paid",
    )
    (entry,) = tl.message_cancelled(event)
    assert (entry.kind, entry.task_id, entry.entry_id) == (Kind.MESSAGE_CANCELLED, "task-1", "ev-3")
    assert entry.summary == "E-mail cancelled before it went out: items paid"
    assert tl.message_cancelled(msg.MessageCancelled(meta=meta("ev-4", "messaging"), task_id="t")) == []


def test_a_payment_applied_by_the_engine_lists_its_items_and_what_is_left() -> None:
    event = mt.PaymentAllocated(
        meta=meta(source="matching"),
        allocation_id="a-1",
        transaction_id="tx-1",
        customer_id="FR01/C1",
        allocations=[
            mt.Allocation(item_id="FR01/invoice/F-1", item_number="F-1", amount=Money(amount="100.00", currency="EUR"))
        ],
        unallocated=Money(amount="20.00", currency="EUR"),
        payment_amount=Money(amount="120.00", currency="EUR"),
        booking_date=Date(year=2026, month=11, day=23),
        automatic=True,
    )

    (entry,) = tl.payment_allocated(event)

    assert (entry.kind, entry.actor, entry.actor_type) == (Kind.PAYMENT_ALLOCATED, "matching", ActorType.SERVICE)
    assert entry.summary == (
        "Payment of 120.00 EUR booked 2026-11-23 applied automatically to F-1 (100.00 EUR); "
        "20.00 EUR left unallocated on the account"
    )
    assert entry.detail["allocations"][0]["amount"] == {"amount": "100.00", "currency": "EUR"}


def test_a_payment_confirmed_and_then_reversed_by_people_names_them() -> None:
    allocations = [
        mt.Allocation(item_id="FR01/invoice/F-1", amount=Money(amount="60.00", currency="EUR")),
        mt.Allocation(item_id="FR01/invoice/F-2", amount=Money(amount="40.00", currency="EUR")),
    ]
    confirmed = mt.PaymentAllocated(
        meta=meta(source="matching"),
        customer_id="FR01/C1",
        allocations=allocations,
        payment_amount=Money(amount="100.00", currency="EUR"),
        decided_by="carol",
    )
    reversed_ = mt.AllocationReversed(
        meta=meta("ev-2", "matching"),
        customer_id="FR01/C1",
        allocations=allocations,
        reason="wrong customer",
        reversed_by="dave",
    )

    (c,) = tl.payment_allocated(confirmed)
    (r,) = tl.allocation_reversed(reversed_)

    assert (c.actor, c.actor_type) == ("carol", ActorType.USER)
    assert c.summary == "Payment of 100.00 EUR applied by carol to F-1 (60.00 EUR), F-2 (40.00 EUR)"
    assert (r.kind, r.item_ids) == (Kind.PAYMENT_REVERSED, ("FR01/invoice/F-1", "FR01/invoice/F-2"))
    assert r.summary == "Payment allocation reversed by dave on F-1 (60.00 EUR), F-2 (40.00 EUR): wrong customer"


def test_events_without_a_customer_make_no_entry() -> None:
    assert tl.payment_allocated(mt.PaymentAllocated(meta=meta())) == []
    assert tl.message_sent(msg.MessageSent(meta=meta())) == []
    assert tl.item_opened(rv.ItemOpened(meta=meta(), item=item(customer=""))) == []


def test_every_kind_has_its_wording_and_every_translation_is_registered() -> None:
    assert set(tl.WORDING) == set(Kind)
    assert {f.__name__ for f in tl.TRANSLATORS.values()} >= {
        "item_opened",
        "items_changed",
        "task_changed",
        "items_qualified",
        "message_sent",
        "allocation_reversed",
        "payment_plan_created",
        "payment_plan_cancelled",
        "payment_plan_completed",
        "payment_plan_broken",
        "case_escalated",
        "case_withdrawn",
    }
    assert len(tl.TRANSLATORS) == 24


def test_every_detail_is_plain_json() -> None:
    event = col.TaskChanged(meta=meta(), task=task(), action=col.TASK_ACTION_POSTPONE, user="bob")

    (entry,) = tl.task_changed(event)

    assert json.loads(json.dumps(entry.detail)) == entry.detail


def test_a_cursor_comes_back_as_it_went_and_a_forged_one_is_refused() -> None:
    token = tl.encode_cursor(AT, "ev-1/3")

    assert tl.decode_cursor(token) == (AT, "ev-1/3")
    for forged in ("nonsense", "e30", tl.encode_cursor(AT, "x")[:-3]):
        with pytest.raises(ValueError, match="timeline cursor"):
            tl.decode_cursor(forged)
