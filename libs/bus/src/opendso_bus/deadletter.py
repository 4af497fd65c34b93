"""Operator access to the dead-letter stream: list what was parked, replay it."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from opendso_contracts.registry import DEADLETTER_STREAM

from opendso_bus.envelope import MSG_ID
from opendso_bus.runtime import DL_ATTEMPTS, DL_CONSUMER, DL_ERROR, DL_SUBJECT


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    subject: str
    consumer: str
    error: str
    attempts: int
    event_id: str


async def list_dead_letters(js: JetStreamContext, limit: int = 1000) -> list[DeadLetter]:
    info = await js.stream_info(DEADLETTER_STREAM)
    found: list[DeadLetter] = []
    seq = info.state.first_seq
    while seq and seq <= info.state.last_seq and len(found) < limit:
        try:
            raw = await js.get_msg(DEADLETTER_STREAM, seq)
        except NotFoundError:
            seq += 1
            continue
        h = raw.headers or {}
        found.append(
            DeadLetter(
                seq=seq,
                subject=h.get(DL_SUBJECT, ""),
                consumer=h.get(DL_CONSUMER, ""),
                error=h.get(DL_ERROR, ""),
                attempts=int(h.get(DL_ATTEMPTS, "0")),
                event_id=h.get(MSG_ID, "").rsplit(":", 1)[-1],
            )
        )
        seq += 1
    return found


async def replay_dead_letter(js: JetStreamContext, seq: int) -> str:
    """Publish a parked message again on its original subject and remove it from the stream.

    Every consumer of that subject sees it again; those that had processed it
    find its event id in their inbox and change nothing.
    """
    raw = await js.get_msg(DEADLETTER_STREAM, seq)
    h = {k: v for k, v in (raw.headers or {}).items() if not k.startswith("Nats-Expected")}
    subject = h.pop(DL_SUBJECT)
    for key in (DL_CONSUMER, DL_ERROR, DL_ATTEMPTS):
        h.pop(key, None)
    # A fresh message id, or the server would drop it as a duplicate of the original.
    h[MSG_ID] = f"replay:{seq}:{h.get(MSG_ID, '')}"
    await js.publish(subject, raw.data or b"", headers=h)
    await js.delete_msg(DEADLETTER_STREAM, seq)
    return str(subject)
