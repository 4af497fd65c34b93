"""CancelMessage: a message still queued (its items were paid while it waited for its provider) is not sent.

Only a ``queued`` message moves: the update expects that state, so a dispatcher that claimed it first (now
``sending``) wins and the message goes; ``sent``, ``failed`` or already ``cancelled`` ones stay as they are.
A redelivered command therefore changes nothing and publishes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from opendso.messaging.v1 import messaging_pb2 as msg

from opendso_messaging.store import UnitOfWork

CANCELLED = "cancelled"


class MessageNotQueuedYet(Exception):
    """The SendMessage this cancels has not been handled yet (the two travel on separate consumers):
    raised so the bus retries the command later."""


async def cancel_message(
    command: msg.CancelMessage,
    uow: UnitOfWork,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> None:
    record = await uow.messages.get(command.message_key)
    if record is None:
        raise MessageNotQueuedYet(f"no message {command.message_key!r} yet")
    reason = command.reason or "cancelled"
    moved = await uow.messages.set_state(
        command.message_key,
        CANCELLED,
        expect="queued",
        last_error=reason,
        next_attempt_at=None,
        updated_at=now(),
    )
    if not moved:
        return
    await uow.publish(
        msg.MessageCancelled(
            meta=uow.meta(entity=record.entity),
            message_key=record.message_key,
            customer_id=record.customer_id,
            task_id=record.task_id,
            channel=record.channel,
            reason=reason,
        )
    )
