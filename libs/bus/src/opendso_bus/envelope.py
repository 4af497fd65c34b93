"""Building the envelope (EventMeta) and the NATS headers of an outgoing message."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Mapping

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from opendso.common.v1.common_pb2 import EventMeta
from opendso_telemetry import inject_headers

MSG_ID = "Nats-Msg-Id"
TYPE_HEADER = "opendso-type"


def new_event_id() -> str:
    return str(uuid.uuid4())


def new_meta(
    source: str,
    *,
    entity: str = "",
    correlation_id: str = "",
    causation_id: str = "",
    occurred_at: dt.datetime | None = None,
    event_id: str | None = None,
    trace: Mapping[str, str] | None = None,
) -> EventMeta:
    """A fresh envelope stamped with the current trace context (or ``trace``, already extracted)."""
    if occurred_at is None:
        # Now, from the clock's nanoseconds: converting a datetime cost more than the rest of the envelope.
        now = time.time_ns()
        ts = Timestamp(seconds=now // 1_000_000_000, nanos=now % 1_000_000_000)
    else:
        ts = Timestamp()
        ts.FromDatetime(occurred_at)
    if trace is None:
        trace = current_trace()
    eid = event_id or new_event_id()
    return EventMeta(
        event_id=eid,
        occurred_at=ts,
        source=source,
        entity=entity,
        correlation_id=correlation_id or eid,
        causation_id=causation_id,
        traceparent=trace.get("traceparent", ""),
        tracestate=trace.get("tracestate", ""),
    )


def current_trace() -> dict[str, str]:
    """The current trace context as W3C headers."""
    headers: dict[str, str] = {}
    inject_headers(headers)
    return headers


def meta_of(message: Message) -> EventMeta:
    """The envelope of a message that has a ``meta`` field."""
    meta = getattr(message, "meta", None)
    if not isinstance(meta, EventMeta):
        raise TypeError(f"{message.DESCRIPTOR.full_name} has no EventMeta 'meta' field")
    return meta


def headers_for(message: Message) -> dict[str, str]:
    meta = meta_of(message)
    headers = {MSG_ID: meta.event_id, TYPE_HEADER: message.DESCRIPTOR.full_name}
    if meta.traceparent:
        headers["traceparent"] = meta.traceparent
    if meta.tracestate:
        headers["tracestate"] = meta.tracestate
    return headers
