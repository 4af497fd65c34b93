"""Request/reply over core NATS with protobuf bodies, for the gateway, the CLI and tests."""

from __future__ import annotations

from typing import TypeVar

from google.protobuf.message import Message
from nats.aio.client import Client
from opendso_contracts.registry import query_for
from opendso_telemetry import inject_headers

from opendso_bus.errors import CODE_HEADER, DETAIL_HEADER, STATUS_HEADER, RemoteError

R = TypeVar("R", bound=Message)


async def request(
    nc: Client, req: Message, reply_type: type[R], *, timeout: float = 5.0, headers: dict[str, str] | None = None
) -> R:
    """Send a registered query and parse its answer; ``RemoteError`` when the service refused it."""
    query = query_for(type(req))
    if query.reply is not reply_type:
        raise TypeError(
            f"{query.subject} answers {query.reply.DESCRIPTOR.full_name}, not {reply_type.DESCRIPTOR.full_name}"
        )
    sent_headers = inject_headers(dict(headers or {}))
    msg = await nc.request(query.subject, req.SerializeToString(), timeout=timeout, headers=dict(sent_headers))
    answer = msg.headers or {}
    if answer.get(STATUS_HEADER) != "ok":
        raise RemoteError(query.subject, answer.get(CODE_HEADER, "unknown"), answer.get(DETAIL_HEADER, "no detail"))
    return reply_type.FromString(msg.data)
