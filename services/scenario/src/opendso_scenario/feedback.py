"""What people outside the collection team tell it: a debtor comments an item or declares a payment through the
portal, a colleague answers a dispute's question through an internal link, a partner reports an outcome on its
case. Each lands on the agenda as a task for whoever must act and is published as an event (the timeline's);
each is kept under its request's key, so a redelivered or repeated request answers what was recorded and does
nothing twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import InvalidRequest, NotFound, QueryError
from opendso_contracts.convert import date_from_proto, date_to_proto, money_from_proto, money_to_proto

from opendso_scenario.domain.notes import (
    NoteError,
    NoteKind,
    OpenItem,
    assignee,
    declared_items,
    note_id,
    note_key,
    pause_end,
)
from opendso_scenario.handlers import Deps, task_to_proto
from opendso_scenario.qualifications import DISPUTE_STATUS, follow_up_task
from opendso_scenario.store import CustomerRecord, DirtyCustomer, ItemRecord, NoteRecord, TaskRecord, UnitOfWork

MAX_TEXT = 4000
R = TypeVar("R", bound=Message)

_OUTCOME_NAMES: dict[col.PartnerOutcomeKind.ValueType, str] = {
    col.PARTNER_OUTCOME_KIND_CALL_REACHED: "call reached",
    col.PARTNER_OUTCOME_KIND_CALL_NOT_REACHED: "call not reached",
    col.PARTNER_OUTCOME_KIND_WRONG_NUMBER: "wrong number",
    col.PARTNER_OUTCOME_KIND_NEW_CONTACT: "new contact data",
    col.PARTNER_OUTCOME_KIND_LEGAL_STATUS: "legal status",
    col.PARTNER_OUTCOME_KIND_RECOVERED: "amount recovered",
    col.PARTNER_OUTCOME_KIND_DOCUMENT: "document",
    col.PARTNER_OUTCOME_KIND_OTHER: "other",
}
# Outcomes a collector must act on: fix the contact data, book the money. The others are only recorded.
_NEEDS_TASK = {
    col.PARTNER_OUTCOME_KIND_WRONG_NUMBER,
    col.PARTNER_OUTCOME_KIND_NEW_CONTACT,
    col.PARTNER_OUTCOME_KIND_RECOVERED,
}


def _text(name: str, value: str, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidRequest(f"{name} is required")
    if len(text) > MAX_TEXT:
        raise InvalidRequest(f"{name} has more than {MAX_TEXT} characters")
    return text


async def _customer(uow: UnitOfWork, customer_id: str) -> CustomerRecord:
    customer = await uow.repo.customer(customer_id)
    if customer is None:
        raise NotFound(f"no customer {customer_id!r}")
    return customer


async def _replay(uow: UnitOfWork, key: str, reply_type: type[R]) -> R | None:
    kept = await uow.notes.by_key(key)
    if kept is None:
        return None
    reply = reply_type.FromString(kept.reply)
    reply.replayed = True  # type: ignore[attr-defined]
    return reply


async def _task(uow: UnitOfWork, task: TaskRecord) -> col.Task:
    if not await uow.repo.task_exists(task.key):
        await uow.repo.add_task(task)
        await uow.publish(col.TaskCreated(meta=uow.meta(entity=task.entity), task=task_to_proto(task)))
    return task_to_proto(task)


async def _keep(
    uow: UnitOfWork,
    deps: Deps,
    key: str,
    kind: NoteKind,
    customer_id: str,
    item_ids: tuple[str, ...],
    text: str,
    user: str,
    reply: Message,
    **extra: object,
) -> None:
    await uow.notes.add(
        NoteRecord(
            note_id=note_id(key),
            key=key,
            kind=kind.value,
            customer_id=customer_id,
            item_ids=item_ids,
            text=text,
            by_user=user,
            reply=reply.SerializeToString(),
            created_at=deps.now(),
            **extra,  # type: ignore[arg-type]
        )
    )


async def comment_item(command: col.CommentItem, uow: UnitOfWork, deps: Deps) -> col.ItemCommented:
    """Record a comment on one of the customer's items; the collector gets a task to read it."""
    user = _text("user", command.user)
    comment = _text("comment", command.comment)
    customer = await _customer(uow, command.customer_id)
    today = deps.today()
    key = note_key(
        NoteKind.COMMENT, customer.customer_id, command.idempotency_key, [command.item_id, comment, user, str(today)]
    )
    if (replayed := await _replay(uow, key, col.ItemCommented)) is not None:
        return replayed
    item = next((i for i in await uow.repo.items_of(customer.customer_id) if i.item_id == command.item_id), None)
    if item is None:
        raise NotFound(f"no item {command.item_id!r} on customer {customer.customer_id!r}")
    uow.caused_by(None, correlation_id=command.correlation_id)
    task = follow_up_task(
        f"{key}:task", customer, "internal_task", "comment", today, [item], f"{user} commented {item.number}: {comment}"
    )
    reply = col.ItemCommented(
        meta=uow.meta(entity=customer.entity),
        comment_id=note_id(key),
        customer_id=customer.customer_id,
        item_id=item.item_id,
        comment=comment,
        user=user,
        task=await _task(uow, task),
    )
    await _keep(
        uow,
        deps,
        key,
        NoteKind.COMMENT,
        customer.customer_id,
        (item.item_id,),
        comment,
        user,
        reply,
        task_id=task.task_id,
    )
    await uow.publish(reply)
    await uow.commit()
    return reply


async def declare_payment(command: col.DeclarePayment, uow: UnitOfWork, deps: Deps) -> col.PaymentDeclared:
    """Record a payment the debtor says they made: the collector gets a task to find it in the bank statements,
    and its items are not chased for the configured number of days."""
    user = _text("user", command.user)
    reference = _text("reference", command.reference, required=False)
    if not command.amount.currency or command.paid_on.year == 0:
        raise InvalidRequest("amount and paid_on are required")
    try:
        amount = money_from_proto(command.amount)
        paid_on = date_from_proto(command.paid_on)
    except ValueError as exc:
        raise InvalidRequest(f"amount or paid_on: {exc}") from None
    if amount.amount <= 0:
        raise InvalidRequest("amount must be more than zero")
    today = deps.today()
    if paid_on > today:
        raise InvalidRequest("paid_on is a later day: declare a payment once it is made")
    customer = await _customer(uow, command.customer_id)
    key = note_key(
        NoteKind.DECLARED_PAYMENT,
        customer.customer_id,
        command.idempotency_key,
        [*sorted(command.item_ids), str(amount.amount), amount.currency, str(paid_on), reference, user],
    )
    if (replayed := await _replay(uow, key, col.PaymentDeclared)) is not None:
        return replayed
    items = {i.item_id: i for i in await uow.repo.items_of(customer.customer_id)}
    try:
        covered = declared_items(
            (OpenItem(i.item_id, i.currency, i.open_amount) for i in items.values()),
            command.item_ids,
            amount.currency,
        )
        until = pause_end(today, deps.declared_payment_pause_days)
    except NoteError as exc:
        raise InvalidRequest(str(exc)) from None
    uow.caused_by(None, correlation_id=command.correlation_id)
    what = f"{user} declared a payment of {amount.amount} {amount.currency} made on {paid_on.isoformat()}"
    if reference:
        what += f" (reference {reference})"
    task = follow_up_task(
        f"{key}:task",
        customer,
        "internal_task",
        "declared_payment",
        today,
        [items[i] for i in covered],
        f"{what}: find it in the bank statements; reminders paused until {until.isoformat()}",
    )
    reply = col.PaymentDeclared(
        meta=uow.meta(entity=customer.entity),
        declaration_id=note_id(key),
        customer_id=customer.customer_id,
        item_ids=list(covered),
        amount=money_to_proto(amount),
        paid_on=date_to_proto(paid_on),
        reference=reference,
        user=user,
        paused_until=date_to_proto(until),
        task=await _task(uow, task),
    )
    await _keep(
        uow,
        deps,
        key,
        NoteKind.DECLARED_PAYMENT,
        customer.customer_id,
        covered,
        what,
        user,
        reply,
        paused_until=until,
        task_id=task.task_id,
    )
    await uow.publish(reply)
    # Evaluated again at once: the paused items stop leading, and the pause's end is the next review.
    await uow.repo.mark_dirty(DirtyCustomer(customer.customer_id, deps.now(), "", command.correlation_id, ""))
    await uow.commit()
    return reply


async def answer_dispute_question(
    command: col.AnswerDisputeQuestion, uow: UnitOfWork, deps: Deps
) -> col.DisputeQuestionAnswered:
    """Record a colleague's answer on a disputed item; the dispute's owner (or the collector, when a role owns
    it) gets a task with the answer."""
    user = _text("user", command.user)
    answer = _text("answer", command.answer)
    customer = await _customer(uow, command.customer_id)
    today = deps.today()
    key = note_key(
        NoteKind.DISPUTE_ANSWER,
        customer.customer_id,
        command.idempotency_key,
        [command.item_id, answer, user, str(today)],
    )
    if (replayed := await _replay(uow, key, col.DisputeQuestionAnswered)) is not None:
        return replayed
    status = (await uow.qualifications.statuses_of(customer.customer_id)).get(command.item_id)
    item = next((i for i in await uow.repo.items_of(customer.customer_id) if i.item_id == command.item_id), None)
    if item is None:
        raise NotFound(f"no item {command.item_id!r} on customer {customer.customer_id!r}")
    if status is None or status.status_code != DISPUTE_STATUS:
        raise QueryError("conflict", f"item {item.number!r} is not in dispute any more: the answer is not needed")
    uow.caused_by(None, correlation_id=command.correlation_id)
    task = dataclasses.replace(
        follow_up_task(
            f"{key}:task",
            customer,
            "internal_task",
            "dispute_answer",
            today,
            [item],
            f"Answer on the dispute of {item.number} from {user}: {answer}",
        ),
        collector=assignee(status.owner, customer.collector),
    )
    reply = col.DisputeQuestionAnswered(
        meta=uow.meta(entity=customer.entity),
        answer_id=note_id(key),
        customer_id=customer.customer_id,
        item_id=item.item_id,
        answer=answer,
        user=user,
        owner=status.owner,
        task=await _task(uow, task),
    )
    await _keep(
        uow,
        deps,
        key,
        NoteKind.DISPUTE_ANSWER,
        customer.customer_id,
        (item.item_id,),
        answer,
        user,
        reply,
        task_id=task.task_id,
    )
    await uow.publish(reply)
    await uow.commit()
    return reply


def _outcome_text(command: col.RecordPartnerOutcome) -> str:
    parts = [_OUTCOME_NAMES[command.kind]]
    if command.legal_status:
        parts.append(command.legal_status)
    if command.recovered.currency:
        parts.append(f"{command.recovered.amount} {command.recovered.currency}")
    contact = command.contact
    details = [v for v in (contact.name, contact.email, contact.phone or command.phone, contact.address) if v]
    if details:
        parts.append(", ".join(details))
    if command.note.strip():
        parts.append(command.note.strip())
    return ": ".join(parts)


async def record_partner_outcome(
    command: col.RecordPartnerOutcome, uow: UnitOfWork, deps: Deps
) -> col.PartnerOutcomeRecorded:
    """Record what a partner achieved on its case; contact changes and recovered money give the collector a task."""
    user = _text("user", command.user)
    _text("note", command.note, required=False)
    if command.kind not in _OUTCOME_NAMES:
        raise InvalidRequest("kind is required")
    case = await uow.escalations.case(command.case_id)
    # Another partner's case answers as a missing one: nothing tells a partner which ids exist.
    if case is None or not command.partner_id or case.partner_id != command.partner_id:
        raise NotFound(f"no case {command.case_id!r} for this partner")
    if command.kind == col.PARTNER_OUTCOME_KIND_RECOVERED:
        try:
            recovered = money_from_proto(command.recovered)
        except ValueError as exc:
            raise InvalidRequest(f"recovered: {exc}") from None
        if recovered.amount <= 0:
            raise InvalidRequest("recovered must be more than zero")
    if command.kind == col.PARTNER_OUTCOME_KIND_LEGAL_STATUS and not command.legal_status.strip():
        raise InvalidRequest("legal_status is required for a legal status outcome")
    customer = await _customer(uow, case.customer_id)
    key = note_key(
        NoteKind.PARTNER_OUTCOME,
        customer.customer_id,
        command.idempotency_key,
        [case.case_id, command.partner_id, command.SerializeToString(deterministic=True).hex()],
    )
    if (replayed := await _replay(uow, key, col.PartnerOutcomeRecorded)) is not None:
        return replayed
    if case.state != "open":
        raise QueryError("conflict", f"case {case.case_id!r} was withdrawn: outcomes are no longer taken")
    uow.caused_by(None, correlation_id=command.correlation_id)
    item_ids = tuple(i.item_id for i in case.items)
    text = _outcome_text(command)
    reply = col.PartnerOutcomeRecorded(
        meta=uow.meta(entity=customer.entity),
        outcome_id=note_id(key),
        case_id=case.case_id,
        customer_id=customer.customer_id,
        partner_id=case.partner_id,
        kind=command.kind,
        note=command.note.strip(),
        phone=command.phone,
        contact=command.contact,
        legal_status=command.legal_status,
        recovered=command.recovered,
        document_url=command.document_url,
        item_ids=list(item_ids),
    )
    task_id = ""
    if command.kind in _NEEDS_TASK:
        items: dict[str, ItemRecord] = {i.item_id: i for i in await uow.repo.items_of(customer.customer_id)}
        task = follow_up_task(
            f"{key}:task",
            customer,
            "internal_task",
            "partner_outcome",
            deps.today(),
            [items[i] for i in item_ids if i in items],
            f"partner {case.partner_id} on case {case.case_id}: {text}",
        )
        reply.task.CopyFrom(await _task(uow, task))
        task_id = task.task_id
    await _keep(
        uow,
        deps,
        key,
        NoteKind.PARTNER_OUTCOME,
        customer.customer_id,
        item_ids,
        text,
        user,
        reply,
        case_id=case.case_id,
        task_id=task_id,
    )
    await uow.publish(reply)
    await uow.commit()
    return reply


def subscribe(on_query: Callable[..., None], uow: Callable[[], UnitOfWork], deps: Deps) -> None:
    """Answer the commands of this module on the bus, each in its own unit of work."""

    async def comment(command: col.CommentItem) -> col.ItemCommented:
        async with uow() as u:
            return await comment_item(command, u, deps)

    async def declare(command: col.DeclarePayment) -> col.PaymentDeclared:
        async with uow() as u:
            return await declare_payment(command, u, deps)

    async def answer(command: col.AnswerDisputeQuestion) -> col.DisputeQuestionAnswered:
        async with uow() as u:
            return await answer_dispute_question(command, u, deps)

    async def outcome(command: col.RecordPartnerOutcome) -> col.PartnerOutcomeRecorded:
        async with uow() as u:
            return await record_partner_outcome(command, u, deps)

    on_query(col.CommentItem, comment)
    on_query(col.DeclarePayment, declare)
    on_query(col.AnswerDisputeQuestion, answer)
    on_query(col.RecordPartnerOutcome, outcome)
