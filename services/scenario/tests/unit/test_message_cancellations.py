"""A message whose items were paid in the meantime is cancelled, not sent: over the fakes."""

from __future__ import annotations

from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus.envelope import new_meta
from opendso_scenario import cancellations, handlers
from opendso_scenario.store import TaskRecord

from .test_handlers import Harness, customer_event, item_event


async def a_sent_reminder_on_two_items() -> tuple[Harness, TaskRecord]:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.handle(item_event("F-2", days_overdue=1))
    assert await h.settle() == 1
    (task,) = h.repo.tasks.values()
    assert task.status == "sent" and set(task.item_ids) == {"FR01/invoice/F-1", "FR01/invoice/F-2"}
    return h, task


def paid(number: str, days_overdue: int) -> rv.ItemChanged:
    event = rv.ItemChanged(meta=new_meta("receivables", entity="FR01"), item=item_event(number, days_overdue).item)
    event.item.open_amount.amount = "0"
    return event


async def test_a_payment_on_all_the_items_of_a_sent_task_asks_once_to_cancel_its_message() -> None:
    h, task = await a_sent_reminder_on_two_items()

    await h.handle(paid("F-1", 4))
    assert h.published(msg.CancelMessage) == []  # F-2 still open
    closed = rv.ItemClosed(meta=new_meta("receivables", entity="FR01"), item=paid("F-2", 1).item)
    await h.handle(closed)
    await h.handle(closed)  # a redelivery
    await h.handle(paid("F-1", 4))  # another change after all were paid

    (command,) = h.published(msg.CancelMessage)
    assert command.message_key == task.key
    assert command.reason == cancellations.PAID
    assert command.meta.event_id and command.meta.entity == "FR01"
    assert h.repo.tasks[task.task_id].status == "sent"  # until messaging says what happened


async def test_a_bulk_batch_paying_all_the_items_asks_once_too() -> None:
    h, task = await a_sent_reminder_on_two_items()
    batch = rv.ItemsChanged(
        meta=new_meta("importer", entity="FR01"),
        changes=[
            rv.ItemChange(type=rv.CHANGE_TYPE_CLOSED, item=item_event("F-1", 4).item),
            rv.ItemChange(type=rv.CHANGE_TYPE_CLOSED, item=item_event("F-2", 1).item),
        ],
    )
    await handlers.record_items(batch, h.uow(), h.deps)
    await handlers.record_items(batch, h.uow(), h.deps)

    (command,) = h.published(msg.CancelMessage)
    assert command.message_key == task.key


async def test_a_partial_payment_does_not_cancel() -> None:
    h, _ = await a_sent_reminder_on_two_items()
    partly = paid("F-1", 4)
    partly.item.open_amount.amount = "40.00"
    await h.handle(partly)
    await h.handle(paid("F-2", 1))

    assert h.published(msg.CancelMessage) == []


async def test_a_task_already_done_is_not_cancelled() -> None:
    h, task = await a_sent_reminder_on_two_items()
    await handlers.record_message_sent(msg.MessageSent(task_id=task.task_id), h.uow(), h.deps)
    await h.handle(paid("F-1", 4))
    await h.handle(paid("F-2", 1))

    assert h.published(msg.CancelMessage) == []


async def test_message_cancelled_cancels_the_task() -> None:
    h, task = await a_sent_reminder_on_two_items()
    event = msg.MessageCancelled(message_key=task.key, task_id=task.task_id, reason=cancellations.PAID)

    await cancellations.record_message_cancelled(event, h.uow())
    assert h.repo.tasks[task.task_id].status == "cancelled"
    await cancellations.record_message_cancelled(event, h.uow())  # a redelivery
    assert h.repo.tasks[task.task_id].status == "cancelled"
