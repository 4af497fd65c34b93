"""What debtors, colleagues and partners tell the collection engine, over fakes: comments, declared payments,
answers on disputes and partner outcomes land on the agenda, are published once, and a redelivered command
changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest, NotFound, QueryError
from opendso_contracts.convert import date_to_proto
from opendso_scenario import escalations, feedback, qualifications
from opendso_scenario.domain.disputes import assigned_to
from opendso_scenario.domain.notes import NoteError, NoteKind, OpenItem, assignee, declared_items, note_key, pause_end

from .test_handlers import TODAY, Harness, customer_event, item_event

F1, F2 = "FR01/invoice/F-1", "FR01/invoice/F-2"


async def chased(h: Harness) -> None:
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=20, amount="300.00"))
    await h.handle(item_event("F-2", days_overdue=4, amount="100.00"))
    await h.settle()


def comment(text: str = "the delivery was late", item_id: str = F1, **extra: object) -> col.CommentItem:
    return col.CommentItem(
        customer_id="FR01/C1",
        item_id=item_id,
        comment=text,
        user="portal:FR01/C1",
        **extra,  # type: ignore[arg-type]
    )


def declaration(
    *item_ids: str, amount: str = "300.00", paid_on: dt.date = TODAY, **extra: object
) -> col.DeclarePayment:
    return col.DeclarePayment(
        customer_id="FR01/C1",
        item_ids=list(item_ids),
        amount={"amount": amount, "currency": "EUR"},
        paid_on=date_to_proto(paid_on),
        reference="TRF-991",
        user="portal:FR01/C1",
        **extra,  # type: ignore[arg-type]
    )


# -- the pure rules ----------------------------------------------------------------------------------------------


def test_a_note_key_follows_the_callers_key_else_the_content() -> None:
    a = note_key(NoteKind.COMMENT, "FR01/C1", "", ["x"])
    assert a == note_key(NoteKind.COMMENT, "FR01/C1", "", ["x"])
    assert a != note_key(NoteKind.COMMENT, "FR01/C1", "", ["y"])
    assert note_key(NoteKind.COMMENT, "FR01/C1", "k1", ["x"]) == note_key(NoteKind.COMMENT, "FR01/C1", "k1", ["y"])
    assert note_key(NoteKind.COMMENT, "FR01/C1", "k1", []) != note_key(NoteKind.COMMENT, "FR01/C2", "k1", [])


def test_a_declared_payment_covers_the_named_items_or_every_open_item_in_its_currency() -> None:
    items = [
        OpenItem("a", "EUR", Decimal("10")),
        OpenItem("b", "USD", Decimal("5")),
        OpenItem("c", "EUR", Decimal("0")),
    ]
    assert declared_items(items, [], "EUR") == ("a",)
    assert declared_items(items, ["b"], "USD") == ("b",)
    with pytest.raises(NoteError, match="in USD"):
        declared_items(items, ["b"], "EUR")
    with pytest.raises(NoteError, match="not open"):
        declared_items(items, ["c"], "EUR")
    with pytest.raises(NoteError, match="covers nothing"):
        declared_items(items, [], "GBP")


def test_a_pause_is_capped_and_a_role_owner_falls_back_to_the_collector() -> None:
    assert pause_end(TODAY, 10) == TODAY + dt.timedelta(days=10)
    assert pause_end(TODAY, 1000) == TODAY + dt.timedelta(days=90)
    assert assignee("sales", "anna") == "anna"
    assert assignee("bob", "anna") == "bob"
    assert assignee("", "anna") == "anna"


# -- comments ----------------------------------------------------------------------------------------------------


async def test_a_comment_gives_the_collector_a_task_and_is_published_once() -> None:
    h = Harness()
    await chased(h)
    reply = await feedback.comment_item(comment(), h.uow(), h.deps)
    assert (reply.item_id, reply.comment, reply.user, reply.replayed) == (
        F1,
        "the delivery was late",
        "portal:FR01/C1",
        False,
    )
    assert reply.task.channel == "internal_task" and "the delivery was late" in reply.task.comment
    assert reply.task.due_on == date_to_proto(TODAY)
    assert [e.comment_id for e in h.published(col.ItemCommented)] == [reply.comment_id]
    tasks = [t for t in h.published(col.TaskCreated) if t.task.step_code == "comment"]
    assert len(tasks) == 1

    again = await feedback.comment_item(comment(), h.uow(), h.deps)
    assert again.replayed and again.comment_id == reply.comment_id
    assert len(h.published(col.ItemCommented)) == 1
    assert len([t for t in h.repo.tasks.values() if t.step_code == "comment"]) == 1


async def test_a_comment_on_another_customers_item_or_an_unknown_customer_is_not_found() -> None:
    h = Harness()
    await chased(h)
    with pytest.raises(NotFound):
        await feedback.comment_item(comment(item_id="FR01/invoice/other"), h.uow(), h.deps)
    with pytest.raises(NotFound):
        unknown = comment()
        unknown.customer_id = "FR01/C9"
        await feedback.comment_item(unknown, h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="comment"):
        await feedback.comment_item(comment(text="  "), h.uow(), h.deps)
    assert h.published(col.ItemCommented) == []


# -- declared payments -------------------------------------------------------------------------------------------


async def test_a_declared_payment_pauses_its_items_creates_a_check_and_resumes_after_the_pause() -> None:
    h = Harness()
    await chased(h)
    reply = await feedback.declare_payment(declaration(F1), h.uow(), h.deps)
    assert list(reply.item_ids) == [F1]
    assert reply.paused_until == date_to_proto(TODAY + dt.timedelta(days=10))
    assert reply.task.step_code == "declared_payment" and "TRF-991" in reply.task.comment
    assert [e.declaration_id for e in h.published(col.PaymentDeclared)] == [reply.declaration_id]

    # Evaluated again: F-1 is paused, so F-2 leads.
    before = len(h.published(msg.SendMessage))
    await h.settle()
    [later] = h.published(msg.SendMessage)[before:]
    assert [i.item_id for i in later.items] == [F2]
    # The daily pass looks at the customer again on the day the pause ends.
    assert h.repo.next_reviews["FR01/C1"] <= TODAY + dt.timedelta(days=10)

    again = await feedback.declare_payment(declaration(F1), h.uow(), h.deps)
    assert again.replayed and again.declaration_id == reply.declaration_id
    assert len(h.published(col.PaymentDeclared)) == 1


async def test_a_pause_ends_on_its_day() -> None:
    h = Harness()
    await chased(h)
    await feedback.declare_payment(declaration(F1), h.uow(), h.deps)
    paused = await h.repo.notes.pauses_of(["FR01/C1"], TODAY)
    assert paused == {"FR01/C1": {F1: TODAY + dt.timedelta(days=10)}}
    assert await h.repo.notes.pauses_of(["FR01/C1"], TODAY + dt.timedelta(days=10)) == {}


async def test_the_pause_is_the_configured_number_of_days() -> None:
    h = Harness()
    h.deps = dataclasses.replace(h.deps, declared_payment_pause_days=3)
    await chased(h)
    reply = await feedback.declare_payment(declaration(), h.uow(), h.deps)
    assert sorted(reply.item_ids) == [F1, F2]
    assert reply.paused_until == date_to_proto(TODAY + dt.timedelta(days=3))


async def test_bad_declarations_are_refused_and_record_nothing() -> None:
    h = Harness()
    await chased(h)
    for bad, match in [
        (declaration(F1, amount="0"), "more than zero"),
        (declaration(F1, paid_on=TODAY + dt.timedelta(days=1)), "later day"),
        (declaration("FR01/invoice/nope"), "not open"),
        (col.DeclarePayment(customer_id="FR01/C1", user="u"), "required"),
    ]:
        with pytest.raises(InvalidRequest, match=match):
            await feedback.declare_payment(bad, h.uow(), h.deps)
    assert h.repo.notes.rows == {}


# -- answers on disputes -----------------------------------------------------------------------------------------


async def test_an_answer_on_a_dispute_reaches_its_owner_once() -> None:
    h = Harness()
    await chased(h)
    await qualifications.qualify_items(
        col.QualifyItems(
            customer_id="FR01/C1", item_ids=[F1], status_code="dispute", comment="price", owner="bob", user="anna"
        ),
        h.uow(),
        h.deps,
    )
    command = col.AnswerDisputeQuestion(
        customer_id="FR01/C1", item_id=F1, answer="the price was agreed in May", user="link:dispute_answer"
    )
    reply = await feedback.answer_dispute_question(command, h.uow(), h.deps)
    assert (reply.owner, reply.task.collector, reply.task.step_code) == ("bob", "bob", "dispute_answer")
    assert "agreed in May" in reply.task.comment
    again = await feedback.answer_dispute_question(command, h.uow(), h.deps)
    assert again.replayed
    assert len(h.published(col.DisputeQuestionAnswered)) == 1


async def test_an_answer_on_an_item_not_in_dispute_is_a_conflict() -> None:
    h = Harness()
    await chased(h)
    command = col.AnswerDisputeQuestion(customer_id="FR01/C1", item_id=F2, answer="ok", user="link")
    with pytest.raises(QueryError) as refused:
        await feedback.answer_dispute_question(command, h.uow(), h.deps)
    assert refused.value.code == "conflict"
    with pytest.raises(NotFound):
        await feedback.answer_dispute_question(
            col.AnswerDisputeQuestion(customer_id="FR01/C1", item_id="x", answer="ok", user="link"), h.uow(), h.deps
        )


# -- partners ----------------------------------------------------------------------------------------------------


async def escalated(h: Harness, partner_id: str = "callco") -> col.CaseEscalated:
    await chased(h)
    return await escalations.escalate_case(
        col.EscalateCase(
            customer_id="FR01/C1",
            item_ids=[F1],
            partner_kind=col.PARTNER_KIND_CALL_CENTRE,
            partner_id=partner_id,
            user="anna",
        ),
        h.uow(),
        h.deps,
    )


async def test_a_partner_lists_only_its_own_cases() -> None:
    h = Harness()
    case = await escalated(h)
    mine = await escalations.list_partner_cases(col.ListPartnerCases(partner_id="callco"), h.uow(), h.deps)
    assert [(c.escalation.case_id, c.state) for c in mine.cases] == [(case.case_id, "open")]
    theirs = await escalations.list_partner_cases(col.ListPartnerCases(partner_id="other"), h.uow(), h.deps)
    assert list(theirs.cases) == []
    with pytest.raises(InvalidRequest):
        await escalations.list_partner_cases(col.ListPartnerCases(), h.uow(), h.deps)


async def test_partner_outcomes_become_events_and_contact_changes_a_task() -> None:
    h = Harness()
    case = await escalated(h)
    reached = col.RecordPartnerOutcome(
        case_id=case.case_id, partner_id="callco", kind=col.PARTNER_OUTCOME_KIND_CALL_REACHED, note="will pay", user="k"
    )
    first = await feedback.record_partner_outcome(reached, h.uow(), h.deps)
    assert not first.HasField("task") and list(first.item_ids) == [F1]
    wrong = col.RecordPartnerOutcome(
        case_id=case.case_id,
        partner_id="callco",
        kind=col.PARTNER_OUTCOME_KIND_WRONG_NUMBER,
        phone="+33 1 00 00 00 00",
        user="k",
    )
    second = await feedback.record_partner_outcome(wrong, h.uow(), h.deps)
    assert second.task.step_code == "partner_outcome" and "wrong number" in second.task.comment
    again = await feedback.record_partner_outcome(wrong, h.uow(), h.deps)
    assert again.replayed
    assert [e.kind for e in h.published(col.PartnerOutcomeRecorded)] == [
        col.PARTNER_OUTCOME_KIND_CALL_REACHED,
        col.PARTNER_OUTCOME_KIND_WRONG_NUMBER,
    ]


async def test_another_partners_case_is_not_found_and_bad_outcomes_are_refused() -> None:
    h = Harness()
    case = await escalated(h)
    with pytest.raises(NotFound):
        await feedback.record_partner_outcome(
            col.RecordPartnerOutcome(
                case_id=case.case_id, partner_id="other", kind=col.PARTNER_OUTCOME_KIND_CALL_REACHED, user="k"
            ),
            h.uow(),
            h.deps,
        )
    with pytest.raises(InvalidRequest, match="recovered"):
        await feedback.record_partner_outcome(
            col.RecordPartnerOutcome(
                case_id=case.case_id,
                partner_id="callco",
                kind=col.PARTNER_OUTCOME_KIND_RECOVERED,
                recovered={"amount": "0", "currency": "EUR"},
                user="k",
            ),
            h.uow(),
            h.deps,
        )
    with pytest.raises(InvalidRequest, match="legal_status"):
        await feedback.record_partner_outcome(
            col.RecordPartnerOutcome(
                case_id=case.case_id, partner_id="callco", kind=col.PARTNER_OUTCOME_KIND_LEGAL_STATUS, user="k"
            ),
            h.uow(),
            h.deps,
        )
    assert h.published(col.PartnerOutcomeRecorded) == []


# -- disputes for a sales rep ------------------------------------------------------------------------------------


async def disputed(h: Harness, owner: str = "") -> None:
    customer = customer_event()
    customer.customer.sales_rep = "Rita"
    customer.customer.collector = "anna"
    await h.handle(customer)
    await h.handle(item_event("F-1", days_overdue=20, amount="300.00"))
    await h.handle(item_event("F-2", days_overdue=4, amount="100.00"))
    await qualifications.qualify_items(
        col.QualifyItems(
            customer_id="FR01/C1", item_ids=[F1], status_code="dispute", comment="price", owner=owner, user="anna"
        ),
        h.uow(),
        h.deps,
    )


async def test_a_dispute_owned_by_sales_is_assigned_to_the_accounts_sales_rep() -> None:
    h = Harness()
    await disputed(h)
    await feedback.answer_dispute_question(
        col.AnswerDisputeQuestion(customer_id="FR01/C1", item_id=F1, answer="agreed price", user="link"),
        h.uow(),
        h.deps,
    )
    mine = await qualifications.list_disputes(col.ListDisputes(assignees=["rita"]), h.uow())
    assert [(d.item_id, d.owner, d.sales_rep, d.item_number) for d in mine.disputes] == [(F1, "sales", "Rita", "F-1")]
    assert list(mine.disputes[0].answers) == ["agreed price"]
    assert mine.disputes[0].open_amount.amount == "300.00"
    assert list((await qualifications.list_disputes(col.ListDisputes(assignees=["bob"]), h.uow())).disputes) == []
    assert len((await qualifications.list_disputes(col.ListDisputes(entity="FR01"), h.uow())).disputes) == 1
    assert list((await qualifications.list_disputes(col.ListDisputes(entity="DE01"), h.uow())).disputes) == []


async def test_a_dispute_owned_by_a_person_is_theirs_only() -> None:
    h = Harness()
    await disputed(h, owner="bob")
    assert len((await qualifications.list_disputes(col.ListDisputes(assignees=["bob"]), h.uow())).disputes) == 1
    assert list((await qualifications.list_disputes(col.ListDisputes(assignees=["Rita"]), h.uow())).disputes) == []


def test_assignment_follows_the_owner_or_the_role_holder() -> None:
    assert assigned_to("sales", "anna", "Rita", ["rita"])
    assert assigned_to("collector", "anna", "Rita", ["ANNA"])
    assert assigned_to("bob", "anna", "Rita", ["bob"])
    assert not assigned_to("sales", "anna", "", ["", " "])
    assert not assigned_to("credit_manager", "anna", "Rita", ["rita", "anna"])
