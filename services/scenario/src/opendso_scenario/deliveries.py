"""What the collection engine does with delivery reports (``MessageDeliveryChanged`` from the messaging service).

- ``fallback``: the debtor was not reached by the task's message (a bounce, an undelivered SMS, an unanswered
  call). The task is closed with the failure in its comment, and a new open task for a collector takes its
  place on another channel: a letter when an e-mail failed, a phone call otherwise. The new task's key is the
  original's plus ``:fallback``, so a redelivered or repeated report finds it and creates nothing more. Items
  paid or excluded meanwhile are not chased: with none left, there is no fallback.
- ``suppress_address``: the address (or number) is flagged; evaluations then send no automatic e-mail to it
  (``without_bounced_addresses``), and the step falls to a collector, until the customer's contact data brings
  another address.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg

from opendso_scenario import handlers
from opendso_scenario.store import BouncedAddress, CustomerRecord, ItemRecord, TaskRecord, UnitOfWork

log = logging.getLogger(__name__)
FALLBACK_SUFFIX = ":fallback"
_FALLBACK_NAMESPACE = uuid.UUID("0c6e5a1f-7d2b-4f4e-9b1a-3e8d5c2f6a70")
# The task the failed message leaves behind, while MessageSent (consumed separately, maybe later) may still
# mark it done: either way it ends "done", with the failure in its comment.
_ENDED_BY_THE_FAILURE = frozenset({"sent", "done"})
_WHAT_HAPPENED = {
    "bounced": "bounced",
    "failed": "could not be delivered",
    "cancelled": "was cancelled before delivery",
}


def fallback_channel(failed_channel: str) -> str:
    """The channel a collector uses when a message did not reach the debtor."""
    return "letter" if failed_channel == "email" else "phone_call"


def fallback_key(task_key: str) -> str:
    return task_key + FALLBACK_SUFFIX


async def record_delivery_changed(event: msg.MessageDeliveryChanged, uow: UnitOfWork, deps: handlers.Deps) -> None:
    """Flag a bounced address and fall back to another channel, as the report asks; once per report and per task."""
    if event.suppress_address and event.recipient:
        await uow.bounces.flag(
            BouncedAddress(
                address=event.recipient,
                channel=event.channel,
                customer_id=event.customer_id,
                reason=event.detail or event.delivery_state,
                message_key=event.message_key,
                bounced_at=event.meta.occurred_at.ToDatetime(tzinfo=dt.UTC),
            )
        )
    if event.fallback and event.task_id:
        await _fall_back(event, uow, deps)


async def _fall_back(event: msg.MessageDeliveryChanged, uow: UnitOfWork, deps: handlers.Deps) -> None:
    original = await uow.repo.task(event.task_id)
    if original is None:
        log.warning("delivery report on message %s names unknown task %s", event.message_key, event.task_id)
        return
    key = fallback_key(original.key)
    if original.key.endswith(FALLBACK_SUFFIX) or await uow.repo.task_exists(key):
        return
    channel = fallback_channel(event.channel)
    items = {i.item_id: i for i in await uow.repo.items_of(original.customer_id)}
    still_open = await handlers.still_chased(original, items, uow, deps.today())
    reason = f"{event.channel or 'message'} to {event.recipient or '?'} {_WHAT_HAPPENED.get(event.state, event.state)}"
    if event.detail:
        reason = f"{reason} ({event.detail})"
    outcome = f"; {channel.replace('_', ' ')} task created" if still_open else "; nothing left to chase"
    status = "done" if original.status in _ENDED_BY_THE_FAILURE else original.status
    await uow.repo.update_task(original.task_id, status=status, comment=reason + outcome)
    if not still_open:
        return
    task = fallback_task(original, channel, still_open, deps.today(), deps.now(), reason)
    await uow.repo.add_task(task)
    await uow.publish(col.TaskCreated(meta=uow.meta(entity=task.entity), task=handlers.task_to_proto(task)))


def fallback_task(
    original: TaskRecord, channel: str, items: list[ItemRecord], today: dt.date, now: dt.datetime, reason: str
) -> TaskRecord:
    """An open task for a collector, on ``channel``, for what ``original`` still chases, due today."""
    key = fallback_key(original.key)
    totals: dict[str, Decimal] = {}
    for item in items:
        totals[item.currency] = totals.get(item.currency, Decimal(0)) + item.open_amount
    return replace(
        original,
        task_id=str(uuid.uuid5(_FALLBACK_NAMESPACE, key)),
        key=key,
        channel=channel,
        automatic=False,
        status="open",
        due_on=today,
        item_ids=tuple(i.item_id for i in items),
        totals=tuple((str(amount), currency) for currency, amount in sorted(totals.items())),
        amount=max(totals.values(), default=None),
        created_at=now,
        send_at=None,
        updated_by="",
        comment=reason,
    )


async def without_bounced_addresses(
    records: Mapping[str, CustomerRecord], contacts: Mapping[str, tuple[str, str]], uow: UnitOfWork
) -> tuple[dict[str, CustomerRecord], dict[str, tuple[str, str]]]:
    """The customers and their collection contacts with every bounced e-mail address blanked: an automatic
    e-mail step with no address falls to a collector, which is what a bounced address needs."""
    addresses = [r.email for r in records.values()] + [email for _, email in contacts.values()]
    bounced = await uow.bounces.bounced_among(addresses)
    if not bounced:
        return dict(records), dict(contacts)
    return (
        {k: replace(r, email="") if r.email in bounced else r for k, r in records.items()},
        {k: (name, "" if email in bounced else email) for k, (name, email) in contacts.items()},
    )
