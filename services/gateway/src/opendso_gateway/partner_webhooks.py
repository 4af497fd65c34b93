"""Webhooks to partners: a signed JSON POST when a case is assigned to them or changes, retried with exponential
backoff, every attempt written to the delivery log.

The URL is checked again before every attempt (the host's addresses are resolved each time), so a name that
resolved to a public address when the partner was created cannot be turned into a loopback one later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from opendso_gateway.domain.partners import (
    SIGNATURE_HEADER,
    Backoff,
    DeliveryAttempt,
    DeliveryStatus,
    Partner,
    PartnerStore,
    UnsafeUrl,
    check_addresses,
    parse_webhook_url,
    sign,
    worth_retrying,
)

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({str(info[4][0]) for info in infos})


async def check_url(url: str, allow_private: bool, resolver: Resolver = resolve) -> None:
    """``UnsafeUrl`` unless ``url`` is http(s) to a host whose every address is public (or private ones allowed)."""
    target = parse_webhook_url(url)
    check_addresses(target.host, await resolver(target.host, target.port), allow_private)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class WebhookSender:
    """Delivers partner webhooks; the waits, the clock and the resolver are replaceable so tests run at once."""

    store: PartnerStore
    backoff: Backoff = field(default_factory=Backoff)
    timeout_seconds: float = 10.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], dt.datetime] = _utc_now
    resolver: Resolver = resolve
    # Tasks running in the background, kept so they are not collected mid-flight and can be awaited at shutdown.
    pending: set[asyncio.Task[DeliveryStatus]] = field(default_factory=set)

    def body(self, event_type: str, case_id: str, data: Mapping[str, Any], delivery_id: str) -> bytes:
        envelope = {
            "id": delivery_id,
            "type": event_type,
            "created_at": self.clock().isoformat(),
            "case_id": case_id,
            "data": dict(data),
        }
        return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()

    def send_later(self, partner: Partner, event_type: str, case_id: str, data: Mapping[str, Any]) -> None:
        """Deliver in the background: the partner's answer never delays the caller's."""
        task = asyncio.get_running_loop().create_task(self.deliver(partner, event_type, case_id, data))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def drain(self) -> None:
        """Wait for the deliveries under way (at shutdown, and in tests)."""
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)

    async def deliver(self, partner: Partner, event_type: str, case_id: str, data: Mapping[str, Any]) -> DeliveryStatus:
        """POST the event to the partner until it answers 2xx, a 4xx that will not change, or the attempts run
        out; returns the last attempt's status."""
        delivery_id = str(uuid.uuid4())
        body = self.body(event_type, case_id, data, delivery_id)
        delays = self.backoff.delays()
        async with httpx.AsyncClient(timeout=self.timeout_seconds, follow_redirects=False) as client:
            for attempt in range(1, self.backoff.attempts + 1):
                http_status, error, status = await self._attempt(client, partner, body, event_type, delivery_id)
                last = attempt == self.backoff.attempts or not (
                    status is DeliveryStatus.FAILED and worth_retrying(http_status)
                )
                if status is DeliveryStatus.FAILED and last:
                    status = DeliveryStatus.GAVE_UP
                await self.store.add_attempt(
                    DeliveryAttempt(
                        delivery_id=delivery_id,
                        partner_id=partner.partner_id,
                        event_type=event_type,
                        case_id=case_id,
                        attempt=attempt,
                        at=self.clock(),
                        status=status,
                        http_status=http_status,
                        error=error,
                    )
                )
                if last:
                    if status is not DeliveryStatus.DELIVERED:
                        log.warning("webhook %s to partner %s: %s (%s)", event_type, partner.partner_id, status, error)
                    return status
                await self.sleep(delays[attempt - 1])
        return DeliveryStatus.GAVE_UP  # pragma: no cover - the loop returns on its last attempt

    async def _attempt(
        self, client: httpx.AsyncClient, partner: Partner, body: bytes, event_type: str, delivery_id: str
    ) -> tuple[int | None, str, DeliveryStatus]:
        try:
            await check_url(partner.webhook_url, partner.allow_private, self.resolver)
        except UnsafeUrl as exc:
            return None, str(exc), DeliveryStatus.REFUSED
        timestamp = int(self.clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(partner.webhook_secret, timestamp, body),
            "OpenDSO-Event": event_type,
            "OpenDSO-Delivery": delivery_id,
        }
        try:
            answer = await client.post(partner.webhook_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}", DeliveryStatus.FAILED
        if 200 <= answer.status_code < 300:
            return answer.status_code, "", DeliveryStatus.DELIVERED
        return answer.status_code, f"HTTP {answer.status_code}", DeliveryStatus.FAILED
