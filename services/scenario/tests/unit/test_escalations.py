"""Escalations to partners in the scenario service, over fakes: cases opened, replayed, refused and withdrawn,
and the scenario step that escalates when its task is performed."""

from __future__ import annotations

import dataclasses

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest, NotFound, QueryError
from opendso_scenario import agenda, escalations, qualifications
from opendso_scenario.store import TaskRecord

from .test_handlers import NOW, TODAY, Harness, customer_event, item_event


async def imported(h: Harness) -> None:
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=40, amount="300.00"))
    await h.handle(item_event("F-2", days_overdue=4, amount="100.50"))
    await h.handle(item_event("F-3", days_overdue=-10, amount="50.00"))


async def chased(h: Harness) -> None:
    await imported(h)
    await h.settle()


def escalate(
    *numbers: str, kind: col.PartnerKind.ValueType = col.PARTNER_KIND_LEGAL, **extra: object
) -> col.EscalateCase:
    return col.EscalateCase(
        customer_id="FR01/C1",
        item_ids=[f"FR01/invoice/{n}" for n in numbers],
        partner_kind=kind,
        partner_id="cabinet-martin",
        note="no answer to the formal notice",
        user="anna",
        correlation_id="req-1",
        **extra,  # type: ignore[arg-type]
    )


async def test_escalating_every_overdue_item_publishes_the_case_and_takes_the_items_out_of_the_scenario() -> None:
    h = Harness()
    await imported(h)
    uow = h.uow()
    reply = await escalations.escalate_case(escalate(), uow, h.deps)

    assert [i.number for i in reply.items] == ["F-1", "F-2"]  # F-3 is not due yet
    assert [(m.amount, m.currency) for m in reply.totals] == [("400.50", "EUR")]
    assert [i.days_overdue for i in reply.items] == [40, 4]
    assert (reply.partner_kind, reply.partner_id, reply.item_status) == (
        col.PARTNER_KIND_LEGAL,
        "cabinet-martin",
        "litigation",
    )
    assert (reply.account_number, reply.customer_name, reply.escalated_by) == ("C1", "Dupont SARL", "anna")
    assert not reply.replayed
    [event] = h.published(col.CaseEscalated)
    assert event.case_id == reply.case_id and event.meta.correlation_id == "req-1"
    assert uow.committed == 1  # type: ignore[attr-defined]
    statuses = h.repo.qualifications.statuses
    assert {k: (s.status_code, s.owner, s.set_by) for k, s in statuses.items()} == {
        "FR01/invoice/F-1": ("litigation", "cabinet-martin", "anna"),
        "FR01/invoice/F-2": ("litigation", "cabinet-martin", "anna"),
    }

    # Evaluated: F-1 (40 days, the standard scenario's call) no longer leads; only F-3, not yet due, is chased.
    await h.settle()
    assert h.repo.tasks == {} and h.published(msg.SendMessage) == []


async def test_the_same_escalation_again_answers_the_open_case_and_publishes_nothing() -> None:
    h = Harness()
    await chased(h)
    first = await escalations.escalate_case(escalate("F-1", "F-2"), h.uow(), h.deps)
    uow = h.uow()
    again = await escalations.escalate_case(escalate("F-2", "F-1"), uow, h.deps)
    assert again.case_id == first.case_id and again.replayed
    assert len(h.published(col.CaseEscalated)) == 1
    assert uow.committed == 0  # type: ignore[attr-defined]
    # "Every overdue item" is the same two items: the same case too.
    assert (await escalations.escalate_case(escalate(), h.uow(), h.deps)).case_id == first.case_id


async def test_an_item_already_in_an_open_case_cannot_be_escalated_elsewhere() -> None:
    h = Harness()
    await chased(h)
    first = await escalations.escalate_case(escalate("F-1"), h.uow(), h.deps)
    with pytest.raises(QueryError) as caught:
        await escalations.escalate_case(escalate("F-1", "F-2", kind=col.PARTNER_KIND_CALL_CENTRE), h.uow(), h.deps)
    assert caught.value.code == "conflict"
    assert f"F-1 already escalated to legal in case {first.case_id}" in caught.value.detail
    assert h.repo.qualifications.statuses["FR01/invoice/F-1"].status_code == "litigation"
    assert "FR01/invoice/F-2" not in h.repo.qualifications.statuses


async def test_bad_escalations_are_refused_naming_what_is_wrong() -> None:
    h = Harness()
    await chased(h)
    with pytest.raises(InvalidRequest, match="user is required"):
        await escalations.escalate_case(with_fields(escalate(), user=" "), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="partner_kind is required"):
        await escalations.escalate_case(escalate(kind=col.PARTNER_KIND_UNSPECIFIED), h.uow(), h.deps)
    with pytest.raises(NotFound, match="no customer 'FR01/C9'"):
        await escalations.escalate_case(with_fields(escalate(), customer_id="FR01/C9"), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match=r"item_ids\[1\]: 'FR01/invoice/F-9' is not an item of customer"):
        await escalations.escalate_case(escalate("F-1", "F-9"), h.uow(), h.deps)
    h.repo.items["FR01/invoice/F-2"] = dataclasses.replace(h.repo.items["FR01/invoice/F-2"], open_amount=0)
    with pytest.raises(InvalidRequest, match=r"item_ids\[0\]: F-2 is paid"):
        await escalations.escalate_case(escalate("F-2"), h.uow(), h.deps)
    h.repo.items["FR01/invoice/F-1"] = dataclasses.replace(h.repo.items["FR01/invoice/F-1"], open_amount=0)
    with pytest.raises(InvalidRequest, match="has no overdue item to escalate"):
        await escalations.escalate_case(escalate(), h.uow(), h.deps)
    assert h.published(col.CaseEscalated) == [] and h.repo.escalations.cases == {}


def with_fields(message: col.EscalateCase, **changes: str) -> col.EscalateCase:
    copy = col.EscalateCase()
    copy.CopyFrom(message)
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


async def test_withdrawing_gives_the_items_back_their_earlier_status_once() -> None:
    h = Harness()
    await chased(h)
    await qualifications.qualify_items(
        col.QualifyItems(
            customer_id="FR01/C1",
            item_ids=["FR01/invoice/F-2"],
            status_code="dispute",
            comment="wrong quantity",
            user="anna",
        ),
        h.uow(),
        h.deps,
    )
    case = await escalations.escalate_case(escalate("F-1", "F-2", kind=col.PARTNER_KIND_DEBT_SALE), h.uow(), h.deps)
    assert {s.status_code for s in h.repo.qualifications.statuses.values()} == {"debt_sold"}

    withdraw = col.WithdrawEscalation(case_id=case.case_id, customer_id="FR01/C1", reason="paid in part", user="ben")
    reply = await escalations.withdraw_escalation(withdraw, h.uow(), h.deps)
    assert (reply.item_ids, reply.reason, reply.withdrawn_by, reply.replayed) == (
        ["FR01/invoice/F-1", "FR01/invoice/F-2"],
        "paid in part",
        "ben",
        False,
    )
    assert reply.partner_kind == col.PARTNER_KIND_DEBT_SALE
    statuses = h.repo.qualifications.statuses
    assert {k: s.status_code for k, s in statuses.items()} == {"FR01/invoice/F-2": "dispute"}
    assert [e.case_id for e in h.published(col.CaseWithdrawn)] == [case.case_id]
    assert "FR01/C1" in h.repo.dirty

    again = await escalations.withdraw_escalation(withdraw, h.uow(), h.deps)
    assert again.replayed and len(h.published(col.CaseWithdrawn)) == 1

    # Escalated again after the withdrawal: a new case.
    reopened = await escalations.escalate_case(escalate("F-1", "F-2", kind=col.PARTNER_KIND_DEBT_SALE), h.uow(), h.deps)
    assert reopened.case_id != case.case_id and not reopened.replayed


async def test_withdrawing_an_unknown_case_or_another_customers_case_is_not_found() -> None:
    h = Harness()
    await chased(h)
    case = await escalations.escalate_case(escalate("F-1"), h.uow(), h.deps)
    with pytest.raises(NotFound, match="no escalated case 'nope'"):
        await escalations.withdraw_escalation(col.WithdrawEscalation(case_id="nope", user="ben"), h.uow(), h.deps)
    with pytest.raises(NotFound, match="for customer 'FR01/C2'"):
        await escalations.withdraw_escalation(
            col.WithdrawEscalation(case_id=case.case_id, customer_id="FR01/C2", user="ben"), h.uow(), h.deps
        )
    with pytest.raises(InvalidRequest, match="user is required"):
        await escalations.withdraw_escalation(col.WithdrawEscalation(case_id=case.case_id), h.uow(), h.deps)
    assert h.repo.escalations.cases[case.case_id].state == "open"


async def test_a_status_changed_since_the_escalation_survives_the_withdrawal() -> None:
    h = Harness()
    await chased(h)
    case = await escalations.escalate_case(escalate("F-1"), h.uow(), h.deps)
    changed = dataclasses.replace(h.repo.qualifications.statuses["FR01/invoice/F-1"], qualification_key="q-later")
    h.repo.qualifications.statuses["FR01/invoice/F-1"] = changed
    await escalations.withdraw_escalation(
        col.WithdrawEscalation(case_id=case.case_id, user="ben", reason="x"), h.uow(), h.deps
    )
    assert h.repo.qualifications.statuses["FR01/invoice/F-1"] == changed


def hand_over_task(
    channel: str, item_ids: tuple[str, ...], *, status: str = "open", automatic: bool = False
) -> TaskRecord:
    return TaskRecord(
        task_id=f"t-{channel}-{status}",
        key=f"FR01/C1:firm:{channel}:{status}",
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        customer_name="Dupont SARL",
        scenario_code="firm",
        step_code=channel,
        channel=channel,
        automatic=automatic,
        status=status,
        due_on=TODAY,
        leader_item_id=item_ids[0],
        item_ids=item_ids,
        totals=(("300.00", "EUR"),),
        days_overdue=40,
        created_at=NOW,
    )


async def test_performing_a_legal_escalation_step_escalates_its_items_and_cancels_waiting_reminders() -> None:
    h = Harness()
    await chased(h)
    step = hand_over_task("legal_escalation", ("FR01/invoice/F-1",))
    waiting = hand_over_task("email", ("FR01/invoice/F-1",), status="scheduled", automatic=True)
    h.repo.tasks[step.task_id] = step
    h.repo.tasks[waiting.task_id] = waiting

    result = await agenda.update_tasks(
        col.UpdateTasks(task_ids=[step.task_id], action=col.TASK_ACTION_PERFORM, user="anna", comment="go"),
        h.uow(),
        h.deps,
    )
    assert [r.updated for r in result.results] == [True]
    [event] = h.published(col.CaseEscalated)
    assert (event.task_id, event.partner_kind, event.note) == (step.task_id, col.PARTNER_KIND_LEGAL, "go")
    assert [i.item_id for i in event.items] == ["FR01/invoice/F-1"]
    assert h.repo.tasks[step.task_id].status == "done"
    assert h.repo.tasks[waiting.task_id].status == "cancelled"
    cancelled = [c for c in h.published(col.TaskChanged) if c.action == col.TASK_ACTION_CANCEL]
    assert [c.task.task_id for c in cancelled] == [waiting.task_id]


async def test_validating_a_call_centre_step_escalates_and_a_paid_one_is_reported() -> None:
    h = Harness()
    await chased(h)
    step = hand_over_task("call_centre_task", ("FR01/invoice/F-2",))
    h.repo.tasks[step.task_id] = step
    result = await agenda.update_tasks(
        col.UpdateTasks(task_ids=[step.task_id], action=col.TASK_ACTION_VALIDATE, user="anna"), h.uow(), h.deps
    )
    assert result.results[0].updated
    [event] = h.published(col.CaseEscalated)
    assert (event.partner_kind, event.item_status) == (col.PARTNER_KIND_CALL_CENTRE, "with_call_centre")
    assert event.note == "scenario firm, step call_centre_task"

    paid = hand_over_task("debt_sale", ("FR01/invoice/F-3",))
    h.repo.tasks[paid.task_id] = paid
    h.repo.items["FR01/invoice/F-3"] = dataclasses.replace(h.repo.items["FR01/invoice/F-3"], open_amount=0)
    result = await agenda.update_tasks(
        col.UpdateTasks(task_ids=[paid.task_id], action=col.TASK_ACTION_PERFORM, user="anna"), h.uow(), h.deps
    )
    assert result.results[0].error == "its items are paid: nothing to escalate"
    assert h.repo.tasks[paid.task_id].status == "open"
    assert len(h.published(col.CaseEscalated)) == 1


async def test_performing_an_ordinary_task_escalates_nothing() -> None:
    h = Harness()
    await chased(h)
    task = hand_over_task("phone_call", ("FR01/invoice/F-1",))
    h.repo.tasks[task.task_id] = task
    await agenda.update_tasks(
        col.UpdateTasks(task_ids=[task.task_id], action=col.TASK_ACTION_PERFORM, user="anna"), h.uow(), h.deps
    )
    assert h.published(col.CaseEscalated) == [] and h.repo.escalations.cases == {}
