"""A message whose items were paid in the meantime is cancelled, not sent.

A task handed to messaging ("sent") waits for MessageSent ("done"); while its provider is down the message
may wait hours in messaging's queue. When receivables events show that every item the task chases is paid,
CancelMessage asks messaging not to send it, once per task (sc_cancel_requests keeps who was asked). Messaging
cancels it only if it is still queued: MessageCancelled then cancels the task here; a message already on its
way ends with MessageSent as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from opendso.messaging.v1 import messaging_pb2 as msg

from opendso_scenario.store import ItemRecord, TaskRecord, UnitOfWork

if TYPE_CHECKING:
    from opendso_scenario.handlers import Deps

PAID = "items paid"


def _all_paid(task: TaskRecord, items: dict[str, ItemRecord]) -> bool:
    # An item not (yet) known here is not known to be paid.
    return bool(task.item_ids) and all(i in items and items[i].open_amount <= 0 for i in task.item_ids)


async def cancel_paid_messages(records: Iterable[ItemRecord], uow: UnitOfWork, deps: Deps) -> int:
    """Ask messaging to cancel the messages of sent tasks whose items the changed ``records`` show all paid;
    answers how many CancelMessage were published."""
    # Only a paid (or closed) item can complete a task's payment: other changes need no look at the tasks.
    customers = list(dict.fromkeys(r.customer_id for r in records if r.open_amount <= 0))
    if not customers:
        return 0
    # A bulk import closes thousands of items at once: a few statements for all of them, not a few per customer.
    waiting = await uow.repo.tasks_in_status(customers, "sent")
    if not waiting:
        return 0
    asked = await uow.cancel_requests.requested_among([t.task_id for t in waiting])
    waiting = [t for t in waiting if t.task_id not in asked]
    if not waiting:
        return 0
    items_of = await uow.repo.items_of_many(sorted({t.customer_id for t in waiting}))
    published = 0
    for task in waiting:
        if not _all_paid(task, {i.item_id: i for i in items_of[task.customer_id]}):
            continue
        await uow.cancel_requests.add(task.task_id, task.key, PAID, deps.now())
        await uow.publish(msg.CancelMessage(meta=uow.meta(entity=task.entity), message_key=task.key, reason=PAID))
        published += 1
    return published


async def record_message_cancelled(event: msg.MessageCancelled, uow: UnitOfWork) -> None:
    """The message never went out: its task is cancelled (unless something else settled it meanwhile)."""
    if not event.task_id:
        return
    task = await uow.repo.task(event.task_id)
    if task is not None and task.status == "sent":
        await uow.repo.set_task_status(task.task_id, "cancelled")
