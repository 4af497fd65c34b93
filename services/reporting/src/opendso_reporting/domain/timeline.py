"""The customer and item timeline: what each integration event means for a person reading an account's history.

Every function here turns one event into timeline entries and nothing else: no database, no bus. Proto messages
are taken as they come (this is the edge of the read model); what comes out is plain data.

An entry's id is derived from its event's id (with the change's position for a batch), so a redelivered or
replayed event produces the same ids and the store inserts nothing new. The kinds are stable codes that clients
filter on: never rename one, add a new one instead. The English wording of every kind is in ``WORDING``.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final

from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1 import common_pb2 as common
from opendso.matching.v1 import matching_pb2 as mt
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv


class Kind(StrEnum):
    """What happened. The values are part of the API (the ``kind`` filter): stable, never reused."""

    ITEM_OPENED = "item.opened"
    ITEM_AMOUNT_CHANGED = "item.amount_changed"
    ITEM_DUE_DATE_CHANGED = "item.due_date_changed"
    ITEM_CLOSED = "item.closed"
    ITEM_QUALIFIED = "item.qualified"
    TASK_CREATED = "task.created"
    TASK_PERFORMED = "task.performed"
    TASK_VALIDATED = "task.validated"
    TASK_POSTPONED = "task.postponed"
    TASK_REASSIGNED = "task.reassigned"
    TASK_CANCELLED = "task.cancelled"
    PROMISE_BROKEN = "promise.broken"
    PAYMENT_PLAN_CREATED = "payment_plan.created"
    PAYMENT_PLAN_CANCELLED = "payment_plan.cancelled"
    PAYMENT_PLAN_COMPLETED = "payment_plan.completed"
    PAYMENT_PLAN_BROKEN = "payment_plan.broken"
    CASE_ESCALATED = "case.escalated"
    CASE_WITHDRAWN = "case.withdrawn"
    CASE_OUTCOME = "case.outcome"
    ITEM_COMMENTED = "item.commented"
    PAYMENT_DECLARED = "payment.declared"
    DISPUTE_ANSWERED = "dispute.answered"
    MESSAGE_SENT = "message.sent"
    MESSAGE_FAILED = "message.failed"
    MESSAGE_UNKNOWN = "message.unknown"
    MESSAGE_CANCELLED = "message.cancelled"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_READ = "message.read"
    MESSAGE_BOUNCED = "message.bounced"
    MESSAGE_UNDELIVERED = "message.undelivered"
    MESSAGE_COMPLAINED = "message.complained"
    PAYMENT_ALLOCATED = "payment.allocated"
    PAYMENT_REVERSED = "payment.reversed"


KINDS: Final = frozenset(k.value for k in Kind)


class ActorType(StrEnum):
    USER = "user"
    SERVICE = "service"


# The one place the timeline's English lives. Placeholders are filled by the translators below; a placeholder
# ending in "_part" is an optional phrase, already with its leading punctuation, or "".
WORDING: Final[Mapping[Kind, str]] = {
    Kind.ITEM_OPENED: "{item} opened: {open_amount} open, due {due_date}",
    Kind.ITEM_AMOUNT_CHANGED: "{item}: open amount now {open_amount}{due_part}",
    Kind.ITEM_DUE_DATE_CHANGED: "{item}: due date moved to {due_date}",
    Kind.ITEM_CLOSED: "{item} closed as paid{on_part}",
    Kind.ITEM_QUALIFIED: "{items} put in status {status} by {user}{since_part}{owner_part}{comment_part}",
    Kind.TASK_CREATED: "{task} planned for {due_on}{collector_part}",
    Kind.TASK_PERFORMED: "{task} performed by {user}{comment_part}",
    Kind.TASK_VALIDATED: "{task} validated by {user}; its message goes out{comment_part}",
    Kind.TASK_POSTPONED: "{task} postponed to {due_on} by {user}{comment_part}",
    Kind.TASK_REASSIGNED: "{task} reassigned to {collector} by {user}{comment_part}",
    Kind.TASK_CANCELLED: "{task} cancelled by {user}{comment_part}",
    Kind.PROMISE_BROKEN: "Promise to pay {promised} by {promised_on} broken: {missing} missing",
    Kind.PAYMENT_PLAN_CREATED: "Payment plan {plan} of {total} for {items} agreed by {user}: {schedule}{comment_part}",
    Kind.PAYMENT_PLAN_CANCELLED: "Payment plan {plan} of {total} for {items} cancelled ({paid} paid): {reason}",
    Kind.PAYMENT_PLAN_COMPLETED: "Payment plan {plan} of {total} completed: {items} paid",
    Kind.PAYMENT_PLAN_BROKEN: "Payment plan {plan} broken: {missed} unpaid, {missing} missing",
    Kind.CASE_ESCALATED: "{items} escalated to {partner} by {user}: {totals} open{note_part}",
    Kind.CASE_WITHDRAWN: "{items} taken back from {partner} by {user}{reason_part}",
    Kind.CASE_OUTCOME: "{partner} on case {case}: {outcome}{what_part}{comment_part}",
    # Free texts come last, as ': "text"': the gateway cuts them off the summary for roles that may not read them.
    Kind.ITEM_COMMENTED: "{item} commented by {user}{comment_part}",
    Kind.PAYMENT_DECLARED: "{user} declared a payment of {amount} made on {paid_on}{reference_part} for {items}; "
    "reminders paused until {paused_until}",
    Kind.DISPUTE_ANSWERED: "Dispute on {item} answered by {user}{owner_part}{comment_part}",
    Kind.MESSAGE_SENT: "{channel} sent to {recipient}{subject_part}",
    Kind.MESSAGE_FAILED: "{channel} could not be sent: {reason}",
    Kind.MESSAGE_UNKNOWN: "{channel} may have been delivered: its provider did not confirm it, so it was not sent "
    "again; check before sending it by hand ({reason})",
    Kind.MESSAGE_CANCELLED: "{channel} cancelled before it went out: {reason}",
    Kind.MESSAGE_DELIVERED: "{channel} to {recipient} delivered",
    Kind.MESSAGE_READ: "{channel} to {recipient} read",
    Kind.MESSAGE_BOUNCED: "{channel} to {recipient} bounced{detail_part}{fallback_part}{address_part}",
    Kind.MESSAGE_UNDELIVERED: "{channel} to {recipient} not delivered{detail_part}{fallback_part}{address_part}",
    Kind.MESSAGE_COMPLAINED: "{channel} to {recipient} reported as spam by its recipient{address_part}",
    Kind.PAYMENT_ALLOCATED: "Payment of {payment}{booked_part} applied {how}{items_part}{unallocated_part}",
    Kind.PAYMENT_REVERSED: "Payment allocation reversed by {user}{items_part}: {reason}",
}

_TASK_ACTION_KIND: Final[Mapping[int, Kind]] = {
    col.TASK_ACTION_PERFORM: Kind.TASK_PERFORMED,
    col.TASK_ACTION_VALIDATE: Kind.TASK_VALIDATED,
    col.TASK_ACTION_POSTPONE: Kind.TASK_POSTPONED,
    col.TASK_ACTION_REASSIGN: Kind.TASK_REASSIGNED,
    col.TASK_ACTION_CANCEL: Kind.TASK_CANCELLED,
}

_ITEM_KIND: Final[Mapping[int, tuple[str, str]]] = {
    rv.ITEM_KIND_INVOICE: ("invoice", "Invoice"),
    rv.ITEM_KIND_CREDIT_NOTE: ("credit_note", "Credit note"),
    rv.ITEM_KIND_UNALLOCATED_PAYMENT: ("unallocated_payment", "Unallocated payment"),
    rv.ITEM_KIND_INSTALMENT: ("instalment", "Instalment"),
}

_CHANNEL: Final[Mapping[str, str]] = {
    "email": "E-mail",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
    "letter": "Letter",
    "phone": "Phone call",
    "phone_call": "Phone call",
    "voice": "Voice call",
    "internal_task": "Internal task",
}

# Codes as the scenario service names the kinds (its escalation statuses are keyed on them), and the words.
_PARTNER_KIND: Final[Mapping[int, tuple[str, str]]] = {
    col.PARTNER_KIND_CALL_CENTRE: ("call_centre", "the call centre"),
    col.PARTNER_KIND_LEGAL: ("legal", "a legal partner"),
    col.PARTNER_KIND_DEBT_SALE: ("debt_sale", "a debt buyer"),
}

# A partner's outcome: the code for the detail (and clients), and the words.
_OUTCOME: Final[Mapping[int, tuple[str, str]]] = {
    col.PARTNER_OUTCOME_KIND_CALL_REACHED: ("call_reached", "call reached"),
    col.PARTNER_OUTCOME_KIND_CALL_NOT_REACHED: ("call_not_reached", "call not reached"),
    col.PARTNER_OUTCOME_KIND_WRONG_NUMBER: ("wrong_number", "wrong number"),
    col.PARTNER_OUTCOME_KIND_NEW_CONTACT: ("new_contact", "new contact data"),
    col.PARTNER_OUTCOME_KIND_LEGAL_STATUS: ("legal_status", "legal status"),
    col.PARTNER_OUTCOME_KIND_RECOVERED: ("recovered", "amount recovered"),
    col.PARTNER_OUTCOME_KIND_DOCUMENT: ("document", "document"),
    col.PARTNER_OUTCOME_KIND_OTHER: ("other", "other outcome"),
}

# MessageFailed carries the message's state since it has a field for it; events published before say only why:
# these are the messaging service's words for a send that may have gone out and is held as "unknown" (a provider's
# ambiguous answer such as an SMTP 421 after the content, and the reconciler's verdict on a send interrupted
# mid-call), read for those older events (a rebuild replays them).
_UNCONFIRMED_MARKERS: Final = ("did not accept the message (ambiguous,", "cannot say whether it went out")

_PLAN_STATE: Final[Mapping[int, str]] = {
    col.PAYMENT_PLAN_STATE_ACTIVE: "active",
    col.PAYMENT_PLAN_STATE_COMPLETED: "completed",
    col.PAYMENT_PLAN_STATE_BROKEN: "broken",
    col.PAYMENT_PLAN_STATE_CANCELLED: "cancelled",
}

_TASK_STATUS: Final[Mapping[int, str]] = {
    col.TASK_STATUS_OPEN: "open",
    col.TASK_STATUS_SENT: "sent",
    col.TASK_STATUS_DONE: "done",
    col.TASK_STATUS_CANCELLED: "cancelled",
    col.TASK_STATUS_SCHEDULED: "scheduled",
}

# An item change that touches none of these (a reference, a product group) is bookkeeping, not history: a
# full re-import would otherwise flood the timeline.
_AMOUNT_FIELDS: Final = frozenset({"amount", "open_amount"})
_DUE_FIELDS: Final = frozenset({"due_date"})

_SUMMARY_COMMENT_CHARS = 120
_ITEMS_NAMED = 3

Json = dict[str, Any]


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a customer's history.

    ``item_ids`` are every item it concerns (it is found from each). ``task_id`` names the collection task the
    entry belongs to; an entry about a task's message carries no items of its own and takes the task's, which
    the store knows from the task's events, whichever arrives first.
    """

    entry_id: str
    event_id: str
    customer_id: str
    item_ids: tuple[str, ...]
    occurred_at: dt.datetime
    kind: Kind
    actor: str
    actor_type: ActorType
    summary: str
    detail: Json = field(default_factory=dict)
    task_id: str = ""


# -- receivables -------------------------------------------------------------------------------------------


def item_opened(event: rv.ItemOpened) -> list[TimelineEntry]:
    return _item_entries(event.meta, [(event.meta.event_id, rv.CHANGE_TYPE_CREATED, event.item, (), None)])


def item_changed(event: rv.ItemChanged) -> list[TimelineEntry]:
    change = (event.meta.event_id, rv.CHANGE_TYPE_CHANGED, event.item, tuple(event.changed_fields), None)
    return _item_entries(event.meta, [change])


def item_closed(event: rv.ItemClosed) -> list[TimelineEntry]:
    closed_on = event.closed_on if event.closed_on.year else None
    return _item_entries(event.meta, [(event.meta.event_id, rv.CHANGE_TYPE_CLOSED, event.item, (), closed_on)])


def items_changed(event: rv.ItemsChanged) -> list[TimelineEntry]:
    """A bulk import's batch: one entry per change that matters, each id the event's id and the change's position."""
    event_id = event.meta.event_id
    return _item_entries(
        event.meta,
        (
            (
                f"{event_id}/{n}",
                c.type,
                c.item,
                tuple(c.changed_fields),
                c.closed_on if c.closed_on.year else None,
            )
            for n, c in enumerate(event.changes)
        ),
    )


_ItemChange = tuple[str, int, rv.OpenItem, tuple[str, ...], common.Date | None]


def _item_entries(meta: common.EventMeta, changes: Iterable[_ItemChange]) -> list[TimelineEntry]:
    # One meta for the whole batch: the instant and the actor are computed once, not per item.
    at = occurred_at(meta)
    actor = meta.source or "importer"
    entries = []
    for entry_id, change_type, item, changed_fields, closed_on in changes:
        kind = _item_kind(change_type, changed_fields)
        if kind is None or not item.customer_id:
            continue
        kind_code, label = _ITEM_KIND.get(item.kind, ("item", "Item"))
        open_amount = _money(item.open_amount)
        due_date = _date(item.due_date)
        detail: Json = {
            "item_id": item.item_id,
            "number": item.number,
            "item_kind": kind_code,
            "issue_date": _date(item.issue_date),
            "due_date": due_date,
            "amount": _money(item.amount),
            "open_amount": open_amount,
        }
        words: dict[str, str] = {
            "item": f"{label} {item.number or item.item_id}",
            "open_amount": _money_text(open_amount),
            "due_date": due_date or "?",
        }
        if kind is Kind.ITEM_AMOUNT_CHANGED:
            detail["changed_fields"] = list(changed_fields)
            words["due_part"] = f", due {due_date}" if "due_date" in changed_fields else ""
        elif kind is Kind.ITEM_DUE_DATE_CHANGED:
            detail["changed_fields"] = list(changed_fields)
        elif kind is Kind.ITEM_CLOSED:
            closed = _date(closed_on) if closed_on is not None else None
            detail["closed_on"] = closed
            words["on_part"] = f" on {closed}" if closed else ""
        entries.append(
            TimelineEntry(
                entry_id=entry_id,
                event_id=meta.event_id,
                customer_id=item.customer_id,
                item_ids=(item.item_id,),
                occurred_at=at,
                kind=kind,
                actor=actor,
                actor_type=ActorType.SERVICE,
                summary=WORDING[kind].format_map(words),
                detail=detail,
            )
        )
    return entries


def _item_kind(change_type: int, changed_fields: Sequence[str]) -> Kind | None:
    if change_type == rv.CHANGE_TYPE_CREATED:
        return Kind.ITEM_OPENED
    if change_type == rv.CHANGE_TYPE_CLOSED:
        return Kind.ITEM_CLOSED
    if change_type == rv.CHANGE_TYPE_CHANGED:
        if _AMOUNT_FIELDS.intersection(changed_fields):
            return Kind.ITEM_AMOUNT_CHANGED
        if _DUE_FIELDS.intersection(changed_fields):
            return Kind.ITEM_DUE_DATE_CHANGED
    return None


# -- collection --------------------------------------------------------------------------------------------


def task_created(event: col.TaskCreated) -> list[TimelineEntry]:
    task = event.task
    if not task.customer_id:
        return []
    words = {
        "task": _task_label(task),
        "due_on": _date(task.due_on) or "?",
        "collector_part": f" (collector {task.collector})" if task.collector and not task.automatic else "",
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=task.customer_id,
            item_ids=tuple(dict.fromkeys(task.item_ids)),
            occurred_at=occurred_at(event.meta),
            kind=Kind.TASK_CREATED,
            actor=event.meta.source or "scenario",
            actor_type=ActorType.SERVICE,
            summary=WORDING[Kind.TASK_CREATED].format_map(words),
            detail=_task_detail(task),
            task_id=task.task_id,
        )
    ]


def task_changed(event: col.TaskChanged) -> list[TimelineEntry]:
    task = event.task
    kind = _TASK_ACTION_KIND.get(event.action)
    if kind is None or not task.customer_id:
        return []
    user = event.user or task.updated_by or event.meta.source or "scenario"
    comment = event.comment or task.comment
    words = {
        "task": _task_label(task),
        "user": user,
        "due_on": _date(task.due_on) or "?",
        "collector": task.collector or "nobody",
        "comment_part": _comment_part(comment),
    }
    detail = _task_detail(task) | {"action": kind.value.removeprefix("task."), "comment": comment}
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=task.customer_id,
            item_ids=tuple(dict.fromkeys(task.item_ids)),
            occurred_at=occurred_at(event.meta),
            kind=kind,
            actor=user,
            actor_type=ActorType.USER if event.user else ActorType.SERVICE,
            summary=WORDING[kind].format_map(words),
            detail=detail,
            task_id=task.task_id,
        )
    ]


def items_qualified(event: col.ItemsQualified) -> list[TimelineEntry]:
    """One entry per distinct qualification in the event (usually one: the same status, date and comment on
    every item), found from each of its items; a replayed request is not news."""
    if event.replayed or not event.customer_id or not event.statuses:
        return []
    at = occurred_at(event.meta)

    def same(s: col.ItemStatus) -> tuple[str, str, str, str, str]:
        return (s.status_code, _date(s.since) or "", s.comment, s.owner, s.set_by)

    groups: dict[tuple[str, str, str, str, str], list[str]] = {}
    for status in event.statuses:
        groups.setdefault(same(status), []).append(status.item_id)
    entries = []
    for n, ((status_code, since, comment, owner, set_by), item_ids) in enumerate(groups.items()):
        user = set_by or event.meta.source or "scenario"
        words = {
            "items": _items_phrase(item_ids),
            "status": status_code,
            "user": user,
            "since_part": f" from {since}" if since else "",
            "owner_part": f", owner {owner}" if owner else "",
            "comment_part": _comment_part(comment),
        }
        detail: Json = {
            "status": status_code,
            "since": since or None,
            "comment": comment,
            "owner": owner or None,
            "item_ids": item_ids,
        }
        if event.promise_id:
            detail["promise_id"] = event.promise_id
        if event.HasField("follow_up") and event.follow_up.task_id:
            detail["follow_up_task_id"] = event.follow_up.task_id
            detail["follow_up_due_on"] = _date(event.follow_up.due_on)
        entries.append(
            TimelineEntry(
                entry_id=f"{event.meta.event_id}/{n}",
                event_id=event.meta.event_id,
                customer_id=event.customer_id,
                item_ids=tuple(dict.fromkeys(item_ids)),
                occurred_at=at,
                kind=Kind.ITEM_QUALIFIED,
                actor=user,
                actor_type=ActorType.USER if set_by else ActorType.SERVICE,
                summary=WORDING[Kind.ITEM_QUALIFIED].format_map(words),
                detail=detail,
            )
        )
    return entries


def promise_broken(event: col.PromiseBroken) -> list[TimelineEntry]:
    if not event.customer_id:
        return []
    promised, missing = _money(event.promised_amount), _money(event.missing)
    words = {
        "promised": _money_text(promised),
        "promised_on": _date(event.promised_on) or "?",
        "missing": _money_text(missing),
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=tuple(dict.fromkeys(event.item_ids)),
            occurred_at=occurred_at(event.meta),
            kind=Kind.PROMISE_BROKEN,
            actor=event.meta.source or "scenario",
            actor_type=ActorType.SERVICE,
            summary=WORDING[Kind.PROMISE_BROKEN].format_map(words),
            detail={
                "promise_id": event.promise_id,
                "promised_amount": promised,
                "promised_on": _date(event.promised_on),
                "paid": _money(event.paid),
                "missing": missing,
                "follow_up_task_id": event.task_id or None,
            },
        )
    ]


def payment_plan_created(event: col.PaymentPlanCreated) -> list[TimelineEntry]:
    """One entry found from each covered item (the instalments are in the detail); a retried request's answer
    is not news."""
    plan = event.plan
    if event.replayed or not plan.customer_id:
        return []
    user = plan.created_by
    words = {
        "plan": plan.plan_id or "?",
        "total": _money_text(_money(plan.total)),
        "items": _items_phrase(plan.item_ids),
        "user": user or "the system",
        "schedule": _schedule_phrase(plan),
        "comment_part": _comment_part(plan.comment),
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=plan.customer_id,
            item_ids=tuple(dict.fromkeys(plan.item_ids)),
            occurred_at=occurred_at(event.meta),
            kind=Kind.PAYMENT_PLAN_CREATED,
            actor=user or event.meta.source or "scenario",
            actor_type=ActorType.USER if user else ActorType.SERVICE,
            summary=WORDING[Kind.PAYMENT_PLAN_CREATED].format_map(words),
            detail=_plan_detail(plan),
        )
    ]


def payment_plan_cancelled(event: col.PaymentPlanCancelled) -> list[TimelineEntry]:
    plan = event.plan
    if event.replayed or not plan.customer_id:
        return []
    words = {
        "plan": plan.plan_id or "?",
        "total": _money_text(_money(plan.total)),
        "items": _items_phrase(plan.item_ids),
        "paid": _money_text(_money(plan.paid)),
        "reason": _shorten(event.reason) or "no reason given",
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=plan.customer_id,
            item_ids=tuple(dict.fromkeys(plan.item_ids)),
            occurred_at=occurred_at(event.meta),
            kind=Kind.PAYMENT_PLAN_CANCELLED,
            # The event does not say which collector cancelled (only the reason may): the service is the actor.
            actor=event.meta.source or "scenario",
            actor_type=ActorType.SERVICE,
            summary=WORDING[Kind.PAYMENT_PLAN_CANCELLED].format_map(words),
            detail=_plan_detail(plan) | {"reason": event.reason},
        )
    ]


def payment_plan_completed(event: col.PaymentPlanCompleted) -> list[TimelineEntry]:
    if not event.customer_id:
        return []
    total = _money(event.total)
    words = {
        "plan": event.plan_id or "?",
        "total": _money_text(total),
        "items": _items_phrase(event.item_ids),
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=tuple(dict.fromkeys(event.item_ids)),
            occurred_at=occurred_at(event.meta),
            kind=Kind.PAYMENT_PLAN_COMPLETED,
            actor=event.meta.source or "scenario",
            actor_type=ActorType.SERVICE,
            summary=WORDING[Kind.PAYMENT_PLAN_COMPLETED].format_map(words),
            detail={"plan_id": event.plan_id, "state": "completed", "total": total},
        )
    ]


def payment_plan_broken(event: col.PaymentPlanBroken) -> list[TimelineEntry]:
    if not event.customer_id:
        return []
    missing = _money(event.missing)
    words = {
        "plan": event.plan_id or "?",
        "missed": _instalments_phrase(event.missed_instalments),
        "missing": _money_text(missing),
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=tuple(dict.fromkeys(event.item_ids)),
            occurred_at=occurred_at(event.meta),
            kind=Kind.PAYMENT_PLAN_BROKEN,
            actor=event.meta.source or "scenario",
            actor_type=ActorType.SERVICE,
            summary=WORDING[Kind.PAYMENT_PLAN_BROKEN].format_map(words),
            detail={
                "plan_id": event.plan_id,
                "state": "broken",
                "missed_instalments": list(event.missed_instalments),
                "paid": _money(event.paid),
                "missing": missing,
                "follow_up_task_id": event.task_id or None,
            },
        )
    ]


def case_escalated(event: col.CaseEscalated) -> list[TimelineEntry]:
    """One entry found from each escalated item; the answer to a retried request is not news."""
    if event.replayed or not event.customer_id:
        return []
    kind_code, partner = _partner(event.partner_kind, event.partner_id)
    totals = [m for m in (_money(t) for t in event.totals) if m]
    user = event.escalated_by
    words = {
        # The event carries the numbers: an item id's own number may hold slashes.
        "items": _numbers_phrase([i.number or item_number(i.item_id) for i in event.items]),
        "partner": partner,
        "user": user or "the system",
        "totals": ", ".join(_money_text(t) for t in totals) or "?",
        "note_part": _comment_part(event.note),
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=tuple(dict.fromkeys(i.item_id for i in event.items if i.item_id)),
            occurred_at=occurred_at(event.meta),
            kind=Kind.CASE_ESCALATED,
            actor=user or event.meta.source or "scenario",
            actor_type=ActorType.USER if user else ActorType.SERVICE,
            summary=WORDING[Kind.CASE_ESCALATED].format_map(words),
            detail={
                "case_id": event.case_id,
                "partner_kind": kind_code,
                "partner_id": event.partner_id or None,
                "note": event.note,
                "totals": totals,
                "items": [
                    {
                        "item_id": i.item_id,
                        "number": i.number or item_number(i.item_id),
                        "due_date": _date(i.due_date),
                        "open_amount": _money(i.open_amount),
                        "days_overdue": i.days_overdue,
                    }
                    for i in event.items
                ],
                "item_status": event.item_status or None,
                "escalated_on": _date(event.escalated_on),
                # The scenario step's task that asked for it; not the entry's task_id, which would lend the task
                # these items in the store.
                "task_id": event.task_id or None,
            },
        )
    ]


def case_withdrawn(event: col.CaseWithdrawn) -> list[TimelineEntry]:
    if event.replayed or not event.customer_id:
        return []
    kind_code, partner = _partner(event.partner_kind, event.partner_id)
    user = event.withdrawn_by
    words = {
        "items": _items_phrase(event.item_ids),
        "partner": partner,
        "user": user or "the system",
        "reason_part": f": {_shorten(event.reason)}" if event.reason.strip() else "",
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=tuple(dict.fromkeys(event.item_ids)),
            occurred_at=occurred_at(event.meta),
            kind=Kind.CASE_WITHDRAWN,
            actor=user or event.meta.source or "scenario",
            actor_type=ActorType.USER if user else ActorType.SERVICE,
            summary=WORDING[Kind.CASE_WITHDRAWN].format_map(words),
            detail={
                "case_id": event.case_id,
                "partner_kind": kind_code,
                "partner_id": event.partner_id or None,
                "reason": event.reason,
                "withdrawn_on": _date(event.withdrawn_on),
            },
        )
    ]


# -- what debtors, colleagues and partners tell (portal, internal links, partner API) ------------------------


def _feedback_entry(
    event: col.ItemCommented | col.PaymentDeclared | col.DisputeQuestionAnswered | col.PartnerOutcomeRecorded,
    kind: Kind,
    item_ids: Iterable[str],
    actor: str,
    by_user: bool,
    words: Mapping[str, str],
    detail: dict[str, Any],
) -> list[TimelineEntry]:
    """The one entry of a note from outside the collector's own work (debtor, colleague, partner), with the task
    it gave the collector, if any."""
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=tuple(dict.fromkeys(i for i in item_ids if i)),
            occurred_at=occurred_at(event.meta),
            kind=kind,
            actor=actor or event.meta.source or "scenario",
            actor_type=ActorType.USER if by_user else ActorType.SERVICE,
            summary=WORDING[kind].format_map(words),
            detail={**detail, "follow_up_task_id": event.task.task_id or None},
        )
    ]


def item_commented(event: col.ItemCommented) -> list[TimelineEntry]:
    """A comment on an item from outside the team (the debtor through the portal)."""
    if event.replayed or not event.customer_id:
        return []
    user = event.user
    words = {
        "item": _items_phrase([event.item_id]),
        "user": _who(user),
        "comment_part": _comment_part(event.comment),
    }
    detail = {
        "comment_id": event.comment_id,
        "item_id": event.item_id,
        "number": item_number(event.item_id),
        "by": user,
        "comment": event.comment,
    }
    return _feedback_entry(event, Kind.ITEM_COMMENTED, [event.item_id], user, bool(user), words, detail)


def payment_declared(event: col.PaymentDeclared) -> list[TimelineEntry]:
    """A payment the debtor says they made: not money received yet, so never a payment entry of its own."""
    if event.replayed or not event.customer_id:
        return []
    user = event.user
    amount = _money(event.amount)
    paid_on, paused_until = _date(event.paid_on), _date(event.paused_until)
    words = {
        "user": _who(user, first=True),
        "amount": _money_text(amount),
        "paid_on": paid_on or "?",
        "reference_part": f" (reference {_shorten(event.reference)})" if event.reference.strip() else "",
        "items": _named([item_number(i) for i in event.item_ids], "item", "items"),
        "paused_until": paused_until or "?",
    }
    detail = {
        "declaration_id": event.declaration_id,
        "by": user,
        "amount": amount,
        "paid_on": paid_on,
        "reference": event.reference,
        "paused_until": paused_until,
    }
    return _feedback_entry(event, Kind.PAYMENT_DECLARED, event.item_ids, user, bool(user), words, detail)


def dispute_question_answered(event: col.DisputeQuestionAnswered) -> list[TimelineEntry]:
    """A colleague's answer on a disputed item, for the dispute's owner."""
    if event.replayed or not event.customer_id:
        return []
    user = event.user
    words = {
        "item": _named([item_number(event.item_id)], "item", "items"),
        "user": _who(user),
        "owner_part": f" for its owner {event.owner}" if event.owner else "",
        "comment_part": _comment_part(event.answer),
    }
    detail = {
        "answer_id": event.answer_id,
        "item_id": event.item_id,
        "number": item_number(event.item_id),
        "by": user,
        # Named "comment": an internal answer is hidden, like every internal comment, from who may not see it.
        "comment": event.answer,
        "owner": event.owner or None,
    }
    return _feedback_entry(event, Kind.DISPUTE_ANSWERED, [event.item_id], user, bool(user), words, detail)


def partner_outcome_recorded(event: col.PartnerOutcomeRecorded) -> list[TimelineEntry]:
    """What a partner achieved on its case (a call, contact data, a legal step, money recovered), on each of the
    case's items."""
    if event.replayed or not event.customer_id:
        return []
    code, outcome = _OUTCOME.get(event.kind, ("unspecified", "outcome"))
    recovered = _money(event.recovered)
    contact = {
        k: v
        for k, v in (
            ("name", event.contact.name),
            ("email", event.contact.email),
            ("phone", event.contact.phone),
            ("role", event.contact.role),
            ("address", event.contact.address),
        )
        if v
    }
    what = [
        f"number {event.phone}" if event.phone else "",
        event.legal_status,
        _money_text(recovered) if recovered else "",
        ", ".join(_shorten(v) for k, v in contact.items() if k != "role"),
        "document attached" if event.document_url else "",
    ]
    partner = f"partner {event.partner_id}" if event.partner_id else "a partner"
    words = {
        "partner": _capitalised(partner),
        "case": event.case_id or "?",
        "outcome": outcome,
        "what_part": "".join(f", {w}" for w in what if w),
        "comment_part": _comment_part(event.note),
    }
    detail = {
        "outcome_id": event.outcome_id,
        "case_id": event.case_id,
        "partner_id": event.partner_id or None,
        "outcome": code,
        # Named "comment": the partner's note is hidden, like internal comments, from who may not see it.
        "comment": event.note,
        "phone": event.phone or None,
        "contact": contact or None,
        "legal_status": event.legal_status or None,
        "recovered": recovered,
        "document_url": event.document_url or None,
    }
    # The event names the partner, not its key's user: the partner is who reported it.
    actor = f"partner:{event.partner_id}" if event.partner_id else ""
    return _feedback_entry(event, Kind.CASE_OUTCOME, event.item_ids, actor, bool(event.partner_id), words, detail)


# -- messaging -----------------------------------------------------------------------------------------------


def message_sent(event: msg.MessageSent) -> list[TimelineEntry]:
    if not event.customer_id:
        return []
    words = {
        "channel": _channel(event.channel),
        "recipient": event.recipient or "?",
        "subject_part": f': "{_shorten(event.subject)}"' if event.subject else "",
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=(),
            occurred_at=occurred_at(event.meta),
            kind=Kind.MESSAGE_SENT,
            actor=event.meta.source or "messaging",
            actor_type=ActorType.SERVICE,
            summary=WORDING[Kind.MESSAGE_SENT].format_map(words),
            detail={
                "message_id": event.message_id,
                "message_key": event.message_key,
                "task_id": event.task_id or None,
                "channel": event.channel,
                "recipient": event.recipient,
                "subject": event.subject,
                "provider": event.provider,
                "provider_ref": event.provider_ref,
            },
            task_id=event.task_id,
        )
    ]


def message_failed(event: msg.MessageFailed) -> list[TimelineEntry]:
    """A message refused for good, or one whose provider may have taken it without saying so (held as
    "unknown", never sent again): the latter must not read as "not sent", or someone resends it by hand."""
    if event.state:
        unconfirmed = event.state == "unknown"
    else:
        unconfirmed = any(marker in event.reason for marker in _UNCONFIRMED_MARKERS)
    return _not_sent(event, Kind.MESSAGE_UNKNOWN if unconfirmed else Kind.MESSAGE_FAILED)


def message_cancelled(event: msg.MessageCancelled) -> list[TimelineEntry]:
    return _not_sent(event, Kind.MESSAGE_CANCELLED)


# The messaging service's name for the message's state after each: what its outbox listing shows.
_MESSAGE_STATE: Final[Mapping[Kind, str]] = {
    Kind.MESSAGE_FAILED: "failed",
    Kind.MESSAGE_UNKNOWN: "unknown",
    Kind.MESSAGE_CANCELLED: "cancelled",
}


def _not_sent(event: msg.MessageFailed | msg.MessageCancelled, kind: Kind) -> list[TimelineEntry]:
    """A message that did not go out (refused by its provider, or cancelled because its items were paid), or
    may not have."""
    if not event.customer_id:
        return []
    words = {"channel": _channel(event.channel), "reason": _shorten(event.reason) or "no reason given"}
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=(),
            occurred_at=occurred_at(event.meta),
            kind=kind,
            actor=event.meta.source or "messaging",
            actor_type=ActorType.SERVICE,
            summary=WORDING[kind].format_map(words),
            detail={
                "message_key": event.message_key,
                "task_id": event.task_id or None,
                "channel": event.channel,
                "reason": event.reason,
                "state": _MESSAGE_STATE[kind],
            },
            task_id=event.task_id,
        )
    ]


# The provider's finer reading of a delivery report -> the entry; readings that are not news to a person
# (accepted, handed on, delayed) make none.
_DELIVERY_KIND: Final[Mapping[str, Kind]] = {
    "delivered": Kind.MESSAGE_DELIVERED,
    "read": Kind.MESSAGE_READ,
    "bounced": Kind.MESSAGE_BOUNCED,
    "complained": Kind.MESSAGE_COMPLAINED,
    "failed": Kind.MESSAGE_UNDELIVERED,
    "unanswered": Kind.MESSAGE_UNDELIVERED,
    "canceled": Kind.MESSAGE_UNDELIVERED,
}


def message_delivery_changed(event: msg.MessageDeliveryChanged) -> list[TimelineEntry]:
    kind = _DELIVERY_KIND.get(event.delivery_state or event.state)
    if not event.customer_id or kind is None:
        return []
    words = {
        "channel": _channel(event.channel),
        "recipient": event.recipient or "?",
        "detail_part": f": {_shorten(event.detail)}" if event.detail else "",
        "fallback_part": "; another channel takes over" if event.fallback else "",
        "address_part": "; the address is not used again" if event.suppress_address else "",
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=(),
            occurred_at=occurred_at(event.meta),
            kind=kind,
            actor=event.meta.source or "messaging",
            actor_type=ActorType.SERVICE,
            summary=WORDING[kind].format_map(words),
            detail={
                "message_id": event.message_id,
                "message_key": event.message_key,
                "task_id": event.task_id or None,
                "channel": event.channel,
                "recipient": event.recipient,
                "state": event.state,
                "delivery_state": event.delivery_state,
                "bounce": event.bounce or None,
                "detail": event.detail,
                "fallback": event.fallback,
                "suppress_address": event.suppress_address,
                "provider": event.provider,
            },
            task_id=event.task_id,
        )
    ]


# -- matching ------------------------------------------------------------------------------------------------


def payment_allocated(event: mt.PaymentAllocated) -> list[TimelineEntry]:
    if not event.customer_id:
        return []
    allocations = _allocations(event.allocations)
    unallocated = _money(event.unallocated)
    payment = _money(event.payment_amount)
    booked = _date(event.booking_date)
    user = event.decided_by
    words = {
        "payment": _money_text(payment) if payment else "?",
        "booked_part": f" booked {booked}" if booked else "",
        "how": "automatically" if event.automatic or not user else f"by {user}",
        "items_part": _allocations_part(event.allocations),
        "unallocated_part": _unallocated_part(unallocated),
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=tuple(dict.fromkeys(a.item_id for a in event.allocations if a.item_id)),
            occurred_at=occurred_at(event.meta),
            kind=Kind.PAYMENT_ALLOCATED,
            actor=user or event.meta.source or "matching",
            actor_type=ActorType.USER if user else ActorType.SERVICE,
            summary=WORDING[Kind.PAYMENT_ALLOCATED].format_map(words),
            detail={
                "allocation_id": event.allocation_id,
                "transaction_id": event.transaction_id,
                "booking_date": booked,
                "payment_amount": payment,
                "allocations": allocations,
                "unallocated": unallocated,
                "confidence": event.confidence or None,
                "reasons": list(event.reasons),
                "automatic": event.automatic,
            },
        )
    ]


def allocation_reversed(event: mt.AllocationReversed) -> list[TimelineEntry]:
    if not event.customer_id:
        return []
    user = event.reversed_by
    words = {
        "user": user or "the system",
        "items_part": _allocations_part(event.allocations, verb=" on"),
        "reason": _shorten(event.reason) or "no reason given",
    }
    return [
        TimelineEntry(
            entry_id=event.meta.event_id,
            event_id=event.meta.event_id,
            customer_id=event.customer_id,
            item_ids=tuple(dict.fromkeys(a.item_id for a in event.allocations if a.item_id)),
            occurred_at=occurred_at(event.meta),
            kind=Kind.PAYMENT_REVERSED,
            actor=user or event.meta.source or "matching",
            actor_type=ActorType.USER if user else ActorType.SERVICE,
            summary=WORDING[Kind.PAYMENT_REVERSED].format_map(words),
            detail={
                "allocation_id": event.allocation_id,
                "transaction_id": event.transaction_id,
                "allocations": _allocations(event.allocations),
                "unallocated": _money(event.unallocated),
                "reason": event.reason,
            },
        )
    ]


# -- wording helpers -----------------------------------------------------------------------------------------


def occurred_at(meta: common.EventMeta) -> dt.datetime:
    """When the event happened, in UTC."""
    return meta.occurred_at.ToDatetime(tzinfo=dt.UTC)


def _date(value: common.Date) -> str | None:
    return dt.date(value.year, value.month, value.day).isoformat() if value.year else None


def _money(value: common.Money) -> Json | None:
    """A proto amount as the detail's {"amount", "currency"}, the amount in one canonical decimal spelling."""
    if not value.currency:
        return None
    try:
        amount = Decimal(value.amount or "0")
    except InvalidOperation:
        # Kept as sent rather than lost: the timeline records, it does not validate.
        return {"amount": value.amount, "currency": value.currency}
    return {"amount": str(amount), "currency": value.currency}


def _money_text(value: Json | None) -> str:
    return f"{value['amount']} {value['currency']}" if value else "?"


def _shorten(text: str, limit: int = _SUMMARY_COMMENT_CHARS) -> str:
    # The summary is one line; the whole text stays in the detail.
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


def _comment_part(comment: str) -> str:
    return f': "{_shorten(comment)}"' if comment.strip() else ""


def _who(user: str, *, first: bool = False) -> str:
    """Who said it, in words; the users the gateway gives people without an account are named by what they are.
    ``first``: the words start a sentence (a user's own name is left as it is spelt)."""
    if user.startswith("portal:"):
        words = "the debtor"
    elif user.startswith(("internal link", "link:")):
        words = "a colleague through an internal link"
    elif user.startswith("partner:"):
        words = f"partner {user.removeprefix('partner:')}"
    elif user:
        return user
    else:
        words = "the system"
    return _capitalised(words) if first else words


def _capitalised(words: str) -> str:
    return words[:1].upper() + words[1:]


def _channel(code: str) -> str:
    return _CHANNEL.get(code, code.replace("_", " ").capitalize() or "Message")


def _task_label(task: col.Task) -> str:
    how = "Automatic" if task.automatic else "Collector's"
    return f"{how} {_channel(task.channel).lower()} step {task.step_code or '?'!r}"


def _task_detail(task: col.Task) -> Json:
    return {
        "task_id": task.task_id,
        "scenario_code": task.scenario_code,
        "step_code": task.step_code,
        "channel": task.channel,
        "automatic": task.automatic,
        "status": _TASK_STATUS.get(task.status, "unspecified"),
        "due_on": _date(task.due_on),
        "collector": task.collector or None,
        "leader_item_id": task.leader_item_id or None,
        "totals": [m for m in (_money(t) for t in task.totals) if m],
        "days_overdue": task.days_overdue,
    }


def item_number(item_id: str) -> str:
    """The number in a stable item id ("<entity>/<kind>/<number>"; the number may hold slashes itself)."""
    parts = item_id.split("/", 2)
    return parts[2] if len(parts) == 3 else item_id


def _items_phrase(item_ids: Sequence[str]) -> str:
    return _numbers_phrase([item_number(i) for i in item_ids])


def _numbers_phrase(numbers: Sequence[str]) -> str:
    return _named(numbers, "Item", "Items")


def _instalments_phrase(numbers: Sequence[str]) -> str:
    return _named(numbers, "instalment", "instalments")


def _named(names: Sequence[str], one: str, many: str) -> str:
    # The summary names the first few; the detail has them all.
    named = ", ".join(itertools.islice(names, _ITEMS_NAMED))
    more = f" and {len(names) - _ITEMS_NAMED} more" if len(names) > _ITEMS_NAMED else ""
    return f"{one if len(names) == 1 else many} {named or '?'}{more}"


def _partner(kind: int, partner_id: str) -> tuple[str, str]:
    """The partner kind's code for the detail, and the partner in words (named when the case names one)."""
    code, words = _PARTNER_KIND.get(kind, ("unspecified", "a partner"))
    return code, f"{words} {partner_id}" if partner_id else words


def _schedule_phrase(plan: col.PaymentPlan) -> str:
    """The schedule in a few words: the down payment, then how many instalments how often, from when to when."""
    in_order = sorted(plan.instalments, key=lambda i: i.sequence)
    down = [i for i in in_order if i.sequence == 0]
    rest = [i for i in in_order if i.sequence != 0]
    parts = [f"down payment of {_money_text(_money(i.amount))} on {_date(i.due_date) or '?'}" for i in down]
    if rest:
        how = {"monthly": "monthly ", "weekly": "weekly "}.get(plan.frequency, "")
        noun = "instalment" if len(rest) == 1 else "instalments"
        first, last = _date(rest[0].due_date) or "?", _date(rest[-1].due_date) or "?"
        when = f"on {first}" if len(rest) == 1 else f"from {first} to {last}"
        parts.append(f"{len(rest)} {how}{noun} {when}")
    return ", then ".join(parts) or "no instalments"


def _plan_detail(plan: col.PaymentPlan) -> Json:
    return {
        "plan_id": plan.plan_id,
        "state": _PLAN_STATE.get(plan.state, "unspecified"),
        "total": _money(plan.total),
        "paid": _money(plan.paid),
        "frequency": plan.frequency,
        "created_on": _date(plan.created_on),
        "created_by": plan.created_by or None,
        "ended_on": _date(plan.ended_on),
        "comment": plan.comment,
        "instalment_count": len(plan.instalments),
        "instalments": [
            {
                "item_id": i.item_id,
                "number": i.number,
                "sequence": i.sequence,
                "due_date": _date(i.due_date),
                "amount": _money(i.amount),
                "open_amount": _money(i.open_amount),
            }
            for i in plan.instalments
        ],
    }


def _allocations(allocations: Iterable[mt.Allocation]) -> list[Json]:
    return [
        {
            "item_id": a.item_id,
            "item_number": a.item_number or item_number(a.item_id),
            "amount": _money(a.amount),
            "write_off": _money(a.write_off),
        }
        for a in allocations
    ]


def _allocations_part(allocations: Sequence[mt.Allocation], verb: str = " to") -> str:
    if not allocations:
        return ""
    named = ", ".join(
        f"{a.item_number or item_number(a.item_id)} ({_money_text(_money(a.amount))})"
        for a in itertools.islice(allocations, _ITEMS_NAMED)
    )
    more = f" and {len(allocations) - _ITEMS_NAMED} more" if len(allocations) > _ITEMS_NAMED else ""
    return f"{verb} {named}{more}"


def _unallocated_part(unallocated: Json | None) -> str:
    if not unallocated or _is_zero(unallocated["amount"]):
        return ""
    return f"; {_money_text(unallocated)} left unallocated on the account"


def _is_zero(amount: str) -> bool:
    try:
        return Decimal(amount) == 0
    except InvalidOperation:
        return False


# -- paging --------------------------------------------------------------------------------------------------


def encode_cursor(at: dt.datetime, entry_id: str) -> str:
    """The keyset cursor after an entry: newest first, so the next page holds what is strictly older than
    (``at``, ``entry_id``). Opaque to clients, url-safe."""
    payload = json.dumps([at.astimezone(dt.UTC).isoformat(), entry_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[dt.datetime, str]:
    """Raise ValueError for a token ``encode_cursor`` did not make."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        at_text, entry_id = json.loads(raw)
        at = dt.datetime.fromisoformat(at_text)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a timeline cursor ({exc})") from None
    if at.tzinfo is None or not isinstance(entry_id, str) or not entry_id:
        raise ValueError("not a timeline cursor")
    return at.astimezone(dt.UTC), entry_id


# -- which event makes which entries -------------------------------------------------------------------------

# Every event the timeline is kept from, with its translation. Customer events are left out on purpose: the
# timeline is what happened to the account, not edits of its master data.
TRANSLATORS: Final[Mapping[type[Any], Callable[[Any], list[TimelineEntry]]]] = {
    rv.ItemOpened: item_opened,
    rv.ItemChanged: item_changed,
    rv.ItemClosed: item_closed,
    rv.ItemsChanged: items_changed,
    col.TaskCreated: task_created,
    col.TaskChanged: task_changed,
    col.ItemsQualified: items_qualified,
    col.PromiseBroken: promise_broken,
    col.PaymentPlanCreated: payment_plan_created,
    col.PaymentPlanCancelled: payment_plan_cancelled,
    col.PaymentPlanCompleted: payment_plan_completed,
    col.PaymentPlanBroken: payment_plan_broken,
    col.CaseEscalated: case_escalated,
    col.CaseWithdrawn: case_withdrawn,
    col.ItemCommented: item_commented,
    col.PaymentDeclared: payment_declared,
    col.DisputeQuestionAnswered: dispute_question_answered,
    col.PartnerOutcomeRecorded: partner_outcome_recorded,
    msg.MessageSent: message_sent,
    msg.MessageFailed: message_failed,
    msg.MessageCancelled: message_cancelled,
    msg.MessageDeliveryChanged: message_delivery_changed,
    mt.PaymentAllocated: payment_allocated,
    mt.AllocationReversed: allocation_reversed,
}
