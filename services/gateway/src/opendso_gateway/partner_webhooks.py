"""Webhooks to partners: a signed JSON POST when a case is assigned to them or changes, queued in the partner store
(so a restart loses none), retried with exponential backoff, every attempt written to the delivery log.

The URL is checked again before every attempt (the host's addresses are resolved each time), so a name that
resolved to a public address when the partner was created cannot be turned into a loopback one later.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
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
    PendingDelivery,
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
    """Delivers partner webhooks through a queue in the partner store: ``enqueue`` keeps the delivery, ``run`` (the
    gateway's background worker) attempts what is due and reschedules failures with backoff, so a delivery
    survives a restart. Every attempt goes to the delivery log. The waits, the clock and the resolver are
    replaceable so tests run at once."""

    store: PartnerStore
    backoff: Backoff = field(default_factory=Backoff)
    timeout_seconds: float = 10.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], dt.datetime] = _utc_now
    resolver: Resolver = resolve
    # How long a claimed delivery stays with the instance that claimed it before another may try it.
    lease_seconds: float = 60.0
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def body(self, event_type: str, case_id: str, data: Mapping[str, Any], delivery_id: str) -> bytes:
        envelope = {
            "id": delivery_id,
            "type": event_type,
            "created_at": self.clock().isoformat(),
            "case_id": case_id,
            "data": dict(data),
        }
        return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()

    async def enqueue(
        self, partner: Partner, event_type: str, case_id: str, data: Mapping[str, Any]
    ) -> PendingDelivery:
        """Keep a delivery for the worker, due at once: the partner's answer never delays the caller's."""
        delivery_id = str(uuid.uuid4())
        now = self.clock()
        pending = PendingDelivery(
            delivery_id=delivery_id,
            partner_id=partner.partner_id,
            event_type=event_type,
            case_id=case_id,
            body=self.body(event_type, case_id, data, delivery_id).decode(),
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        await self.store.enqueue_delivery(pending)
        self.wake.set()
        return pending

    async def deliver(self, partner: Partner, event_type: str, case_id: str, data: Mapping[str, Any]) -> DeliveryStatus:
        """Enqueue one delivery and work it until it is settled, waiting out its backoff with ``sleep``; returns
        the last attempt's status (the worker's path, in one call)."""
        pending = await self.enqueue(partner, event_type, case_id, data)
        while True:
            status, wait = await self.attempt(pending, partner)
            if wait is None:
                return status
            await self.sleep(wait)
            pending = dataclasses.replace(pending, attempts=pending.attempts + 1)

    async def run_due(self, limit: int = 50) -> int:
        """Attempt every delivery due now that this instance can claim; answers how many it attempted."""
        now = self.clock()
        claimed = await self.store.claim_deliveries(now, now + dt.timedelta(seconds=self.lease_seconds), limit)
        for pending in claimed:
            await self.attempt(pending, await self.store.partner(pending.partner_id))
        return len(claimed)

    async def run(self, poll_seconds: float = 5.0) -> None:
        """The background worker: deliveries as soon as they are queued, retries when their time comes, and at
        start whatever an earlier run left."""
        # An event belongs to the loop that waits on it: a gateway started again (tests do) gets a fresh one.
        self.wake = asyncio.Event()
        while True:
            self.wake.clear()
            try:
                while await self.run_due():
                    pass
            except Exception:
                log.exception("partner webhook deliveries failed; retrying in %.0fs", poll_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), poll_seconds)

    async def attempt(self, pending: PendingDelivery, partner: Partner | None) -> tuple[DeliveryStatus, float | None]:
        """One attempt, logged; the delivery is then settled (the wait is None) or rescheduled after the wait."""
        number = pending.attempts + 1
        http_status: int | None = None
        if partner is None or partner.disabled:
            error, status = "the partner was removed or disabled", DeliveryStatus.GAVE_UP
        else:
            async with httpx.AsyncClient(timeout=self.timeout_seconds, follow_redirects=False) as client:
                http_status, error, status = await self._attempt(
                    client, partner, pending.body.encode(), pending.event_type, pending.delivery_id
                )
        last = number >= self.backoff.attempts or not (status is DeliveryStatus.FAILED and worth_retrying(http_status))
        if status is DeliveryStatus.FAILED and last:
            status = DeliveryStatus.GAVE_UP
        await self.store.add_attempt(
            DeliveryAttempt(
                delivery_id=pending.delivery_id,
                partner_id=pending.partner_id,
                event_type=pending.event_type,
                case_id=pending.case_id,
                attempt=number,
                at=self.clock(),
                status=status,
                http_status=http_status,
                error=error,
            )
        )
        if last:
            await self.store.finish_delivery(pending.delivery_id)
            if status is not DeliveryStatus.DELIVERED:
                log.warning("webhook %s to partner %s: %s (%s)", pending.event_type, pending.partner_id, status, error)
            return status, None
        wait = self.backoff.delays()[number - 1]
        await self.store.reschedule_delivery(pending.delivery_id, number, self.clock() + dt.timedelta(seconds=wait))
        return status, wait

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
