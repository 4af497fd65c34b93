"""What debtors, colleagues and partners tell on the timeline (a comment, a declared payment, a dispute answer, a
partner's outcome), and a message whose provider may have taken it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, EventMeta, Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_contracts.registry import subject_for
from opendso_reporting.domain import timeline as tl
from opendso_reporting.domain.timeline import KINDS, TRANSLATORS, WORDING, ActorType, Kind

AT = dt.datetime(2026, 11, 25, 8, 15, tzinfo=dt.UTC)
F1, F2 = "FR01/invoice/F-1", "FR01/invoice/F-2"


def meta(event_id: str = "ev-1", source: str = "scenario") -> EventMeta:
    m = EventMeta(event_id=event_id, source=source, entity="FR01")
    m.occurred_at.FromDatetime(AT)
    return m


def commented(**fields: Any) -> col.ItemCommented:
    values: dict[str, Any] = {
        "comment_id": "note-1",
        "customer_id": "FR01/C1",
        "item_id": F1,
        "comment": "The price on line 2\nis not the one agreed",
        "user": "portal:FR01/C1",
        "task": col.Task(task_id="task-9", item_ids=[F1]),
        **fields,
    }
    return col.ItemCommented(meta=meta(), **values)


def declared(**fields: Any) -> col.PaymentDeclared:
    values: dict[str, Any] = {
        "declaration_id": "note-2",
        "customer_id": "FR01/C1",
        "item_ids": [F1, F2],
        "amount": Money(amount="1500.5", currency="EUR"),
        "paid_on": Date(year=2026, month=11, day=20),
        "reference": "VIR 2026-1120",
        "user": "portal:FR01/C1",
        "paused_until": Date(year=2026, month=12, day=5),
        "task": col.Task(task_id="task-10"),
        **fields,
    }
    return col.PaymentDeclared(meta=meta(), **values)


def answered(**fields: Any) -> col.DisputeQuestionAnswered:
    values: dict[str, Any] = {
        "answer_id": "note-3",
        "customer_id": "FR01/C1",
        "item_id": F1,
        "answer": "A credit note for line 2 is on its way",
        "user": f"internal link (FR01/C1, {F1})",
        "owner": "sales",
        "task": col.Task(task_id="task-11"),
        **fields,
    }
    return col.DisputeQuestionAnswered(meta=meta(), **values)


def outcome(**fields: Any) -> col.PartnerOutcomeRecorded:
    values: dict[str, Any] = {
        "outcome_id": "note-4",
        "case_id": "case-1",
        "customer_id": "FR01/C1",
        "partner_id": "callco",
        "kind": col.PARTNER_OUTCOME_KIND_CALL_REACHED,
        "item_ids": [F1, F2],
        **fields,
    }
    return col.PartnerOutcomeRecorded(meta=meta(), **values)


def test_a_debtors_comment_from_the_portal_is_on_its_item_with_the_whole_text_in_the_detail() -> None:
    (entry,) = tl.item_commented(commented())

    assert (entry.entry_id, entry.event_id, entry.kind) == ("ev-1", "ev-1", Kind.ITEM_COMMENTED)
    assert (entry.customer_id, entry.item_ids, entry.occurred_at) == ("FR01/C1", (F1,), AT)
    assert (entry.actor, entry.actor_type) == ("portal:FR01/C1", ActorType.USER)
    assert entry.summary == 'Item F-1 commented by the debtor: "The price on line 2 is not the one agreed"'
    assert entry.detail["comment"] == "The price on line 2\nis not the one agreed"
    assert (entry.detail["comment_id"], entry.detail["number"]) == ("note-1", "F-1")
    # The collector's task to read it is its own entry (TaskCreated); this one only points at it.
    assert (entry.detail["follow_up_task_id"], entry.task_id) == ("task-9", "")


def test_a_declared_payment_says_who_how_much_when_which_items_and_until_when_reminders_wait() -> None:
    (entry,) = tl.payment_declared(declared())

    assert (entry.kind, entry.item_ids) == (Kind.PAYMENT_DECLARED, (F1, F2))
    assert entry.summary == (
        "The debtor declared a payment of 1500.5 EUR made on 2026-11-20 (reference VIR 2026-1120) for items F-1, "
        "F-2; reminders paused until 2026-12-05"
    )
    assert entry.detail == {
        "declaration_id": "note-2",
        "by": "portal:FR01/C1",
        "amount": {"amount": "1500.5", "currency": "EUR"},
        "paid_on": "2026-11-20",
        "reference": "VIR 2026-1120",
        "paused_until": "2026-12-05",
        "follow_up_task_id": "task-10",
    }


def test_a_payment_declared_by_a_collector_for_the_debtor_keeps_the_collectors_name_as_spelt() -> None:
    (entry,) = tl.payment_declared(declared(user="alice", reference="", item_ids=[F1]))

    assert entry.summary.startswith("alice declared a payment of 1500.5 EUR made on 2026-11-20 for item F-1;")
    assert (entry.actor, entry.actor_type) == ("alice", ActorType.USER)


def test_a_dispute_answer_from_an_internal_link_names_the_dispute_owner_and_ends_with_the_answer() -> None:
    (entry,) = tl.dispute_question_answered(answered())

    assert (entry.kind, entry.item_ids) == (Kind.DISPUTE_ANSWERED, (F1,))
    assert entry.summary == (
        'Dispute on item F-1 answered by a colleague through an internal link for its owner sales: "A credit note '
        'for line 2 is on its way"'
    )
    assert (entry.detail["comment"], entry.detail["owner"]) == ("A credit note for line 2 is on its way", "sales")
    assert entry.detail["follow_up_task_id"] == "task-11"


@pytest.mark.parametrize(
    ("fields", "summary", "detail"),
    [
        (
            {"note": "will pay on Friday"},
            'Partner callco on case case-1: call reached: "will pay on Friday"',
            {"outcome": "call_reached", "comment": "will pay on Friday"},
        ),
        (
            {"kind": col.PARTNER_OUTCOME_KIND_WRONG_NUMBER, "phone": "+33 1 23 45 67 89"},
            "Partner callco on case case-1: wrong number, number +33 1 23 45 67 89",
            {"outcome": "wrong_number", "phone": "+33 1 23 45 67 89"},
        ),
        (
            {
                "kind": col.PARTNER_OUTCOME_KIND_NEW_CONTACT,
                "contact": col.PartnerContact(name="Jean Martin", email="jm@dupont.example", role="accounting"),
            },
            "Partner callco on case case-1: new contact data, Jean Martin, jm@dupont.example",
            {"contact": {"name": "Jean Martin", "email": "jm@dupont.example", "role": "accounting"}},
        ),
        (
            {"kind": col.PARTNER_OUTCOME_KIND_LEGAL_STATUS, "legal_status": "summons_served"},
            "Partner callco on case case-1: legal status, summons_served",
            {"outcome": "legal_status", "legal_status": "summons_served"},
        ),
        (
            {"kind": col.PARTNER_OUTCOME_KIND_RECOVERED, "recovered": Money(amount="250.00", currency="EUR")},
            "Partner callco on case case-1: amount recovered, 250.00 EUR",
            {"outcome": "recovered", "recovered": {"amount": "250.00", "currency": "EUR"}},
        ),
    ],
)
def test_a_partners_outcome_says_what_it_achieved_on_each_of_the_cases_items(
    fields: dict[str, Any], summary: str, detail: dict[str, Any]
) -> None:
    (entry,) = tl.partner_outcome_recorded(outcome(**fields))

    assert (entry.kind, entry.item_ids) == (Kind.CASE_OUTCOME, (F1, F2))
    assert (entry.actor, entry.actor_type) == ("partner:callco", ActorType.USER)
    assert entry.summary == summary
    assert entry.detail.items() >= (detail | {"case_id": "case-1", "partner_id": "callco"}).items()


def test_a_message_whose_provider_may_have_taken_it_is_not_called_failed() -> None:
    ambiguous = msg.MessageFailed(
        meta=meta("ev-5", "messaging"),
        customer_id="FR01/C1",
        task_id="task-1",
        channel="email",
        reason="email-smtp did not accept the message (ambiguous, 421): 421 4.4.2 closing after the message was "
        "handed over: the server may have accepted it; not sent again",
    )
    interrupted = msg.MessageFailed(
        meta=meta("ev-6", "messaging"),
        customer_id="FR01/C1",
        channel="email",
        reason="the service stopped while handing this message to its provider and the provider cannot say whether "
        "it went out: not sent again",
    )
    refused = msg.MessageFailed(
        meta=meta("ev-7", "messaging"),
        customer_id="FR01/C1",
        channel="email",
        reason="email-smtp did not accept the message (final, 550): mailbox unknown",
    )

    (a,) = tl.message_failed(ambiguous)
    (i,) = tl.message_failed(interrupted)
    (r,) = tl.message_failed(refused)

    assert (a.kind, i.kind, r.kind) == (Kind.MESSAGE_UNKNOWN, Kind.MESSAGE_UNKNOWN, Kind.MESSAGE_FAILED)
    assert a.summary.startswith("E-mail may have been delivered: its provider did not confirm it, so it was not sent")
    assert "could not be sent" not in a.summary
    assert (a.detail["state"], r.detail["state"]) == ("unknown", "failed")
    assert (a.task_id, a.entry_id) == ("task-1", "ev-5")


def test_the_state_the_event_carries_wins_over_the_wording_of_its_reason() -> None:
    unknown = msg.MessageFailed(
        meta=meta("ev-8", "messaging"),
        customer_id="FR01/C1",
        channel="sms",
        reason="provider timed out",
        state="unknown",
    )
    failed = msg.MessageFailed(
        meta=meta("ev-9", "messaging"),
        customer_id="FR01/C1",
        channel="email",
        reason="did not accept the message (ambiguous, quoted by an operator)",
        state="failed",
    )
    assert [e.kind for e in (*tl.message_failed(unknown), *tl.message_failed(failed))] == [
        Kind.MESSAGE_UNKNOWN,
        Kind.MESSAGE_FAILED,
    ]


def test_the_answer_to_a_retried_request_and_an_event_without_a_customer_make_no_entry() -> None:
    for event in (commented(replayed=True), declared(replayed=True), answered(replayed=True), outcome(replayed=True)):
        assert TRANSLATORS[type(event)](event) == []
    for event in (
        commented(customer_id=""),
        declared(customer_id=""),
        answered(customer_id=""),
        outcome(customer_id=""),
    ):
        assert TRANSLATORS[type(event)](event) == []


@pytest.mark.parametrize("event", [commented(), declared(), answered(), outcome(note="x")], ids=type)
def test_a_redelivered_event_gives_the_same_entries_with_plain_json_detail(event: Message) -> None:
    translate = TRANSLATORS[type(event)]

    assert translate(event) == translate(type(event).FromString(event.SerializeToString()))
    (entry,) = translate(event)
    assert json.loads(json.dumps(entry.detail)) == entry.detail


def test_the_new_kinds_are_worded_filterable_and_read_from_durable_subjects() -> None:
    new = {Kind.ITEM_COMMENTED, Kind.PAYMENT_DECLARED, Kind.DISPUTE_ANSWERED, Kind.CASE_OUTCOME, Kind.MESSAGE_UNKNOWN}

    assert {k.value for k in new} <= KINDS
    assert new <= set(WORDING)
    for event_type in (col.ItemCommented, col.PaymentDeclared, col.DisputeQuestionAnswered, col.PartnerOutcomeRecorded):
        assert event_type in TRANSLATORS
        assert subject_for(event_type).startswith("opendso.collection.v1.")
