"""Partner webhooks: signed with HMAC-SHA256 over "timestamp.body", retried with exponential backoff on a server
error, every attempt logged, and never sent to a private address the partner was not allowed; plus the keys and
URL checks they rest on."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opendso_gateway.domain.partners import (
    SIGNATURE_HEADER,
    Backoff,
    DeliveryStatus,
    Partner,
    PartnerKind,
    UnsafeUrl,
    check_addresses,
    hash_key,
    key_prefix,
    new_key,
    parse_webhook_url,
    private_reason,
    sign,
    verify,
    worth_retrying,
)
from opendso_gateway.partner_webhooks import WebhookSender

from .partner_fakes import MemoryPartnerStore

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
SECRET = "whsec_test-only"


class Receiver:
    """A partner's endpoint on 127.0.0.1: answers the statuses it is given in turn (then 200), checks each
    signature as a partner would."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes, bool]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = verify(SECRET, self.headers[SIGNATURE_HEADER], body, int(NOW.timestamp()))
                receiver.received.append((dict(self.headers), body, signed))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def partner(url: str, allow_private: bool = True) -> Partner:
    return Partner(
        partner_id="p-1",
        name="Calltech",
        kind=PartnerKind.CALL_CENTRE,
        webhook_url=url,
        webhook_secret=SECRET,
        allow_private=allow_private,
        created_at=NOW,
        created_by="root@example.com",
    )


@pytest.fixture
def waits() -> Iterator[list[float]]:
    yield []


def sender(store: MemoryPartnerStore, waits: list[float], attempts: int = 4) -> WebhookSender:
    async def wait(seconds: float) -> None:
        waits.append(seconds)

    return WebhookSender(
        store, backoff=Backoff(attempts=attempts, first=1.0, ceiling=3.0), sleep=wait, clock=lambda: NOW
    )


def test_a_webhook_is_retried_on_server_errors_until_delivered_with_a_signature_the_partner_verifies(
    waits: list[float],
) -> None:
    store = MemoryPartnerStore()
    with Receiver([500, 503]) as receiver:
        status = asyncio.run(sender(store, waits).deliver(partner(receiver.url), "case.assigned", "case-1", {"a": 1}))
    assert status is DeliveryStatus.DELIVERED
    assert [signed for _, _, signed in receiver.received] == [True, True, True]
    headers, body, _ = receiver.received[0]
    assert headers["OpenDSO-Event"] == "case.assigned"
    assert json.loads(body)["data"] == {"a": 1} and json.loads(body)["case_id"] == "case-1"
    assert waits == [1.0, 2.0]
    log = [(a.attempt, a.status, a.http_status) for a in store.attempt_log]
    assert log == [
        (1, DeliveryStatus.FAILED, 500),
        (2, DeliveryStatus.FAILED, 503),
        (3, DeliveryStatus.DELIVERED, 200),
    ]
    assert len({a.delivery_id for a in store.attempt_log}) == 1


def test_a_webhook_gives_up_after_the_last_attempt_and_the_log_says_so(waits: list[float]) -> None:
    store = MemoryPartnerStore()
    with Receiver([500] * 10) as receiver:
        status = asyncio.run(sender(store, waits).deliver(partner(receiver.url), "case.updated", "case-1", {}))
    assert status is DeliveryStatus.GAVE_UP
    assert len(receiver.received) == 4
    assert waits == [1.0, 2.0, 3.0]
    assert [a.status for a in store.attempt_log][-1] is DeliveryStatus.GAVE_UP


def test_a_client_error_is_not_retried(waits: list[float]) -> None:
    store = MemoryPartnerStore()
    with Receiver([410]) as receiver:
        status = asyncio.run(sender(store, waits).deliver(partner(receiver.url), "case.updated", "case-1", {}))
    assert status is DeliveryStatus.GAVE_UP
    assert len(receiver.received) == 1 and waits == []


def test_a_webhook_to_loopback_is_never_sent_unless_the_partner_is_allowed(waits: list[float]) -> None:
    store = MemoryPartnerStore()
    with Receiver([]) as receiver:
        status = asyncio.run(
            sender(store, waits).deliver(partner(receiver.url, allow_private=False), "case.assigned", "case-1", {})
        )
    assert status is DeliveryStatus.REFUSED
    assert receiver.received == []
    assert "loopback" in store.attempt_log[0].error


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def queued_sender(store: MemoryPartnerStore, clock: Clock) -> WebhookSender:
    return WebhookSender(store, backoff=Backoff(attempts=3, first=30.0, ceiling=60.0), clock=clock)


def test_a_queued_webhook_survives_a_restart_and_goes_out_once() -> None:
    store = MemoryPartnerStore()
    clock = Clock()

    async def scenario(url: str) -> tuple[int, int]:
        await store.add_partner(partner(url))
        # The gateway queues the webhook, then stops before its worker ran.
        await queued_sender(store, clock).enqueue(partner(url), "case.assigned", "case-1", {"a": 1})
        # Another gateway (or the same one restarted) finds it in the store.
        restarted = queued_sender(store, clock)
        return await restarted.run_due(), await restarted.run_due()

    with Receiver([]) as receiver:
        first, second = asyncio.run(scenario(receiver.url))
    assert (first, second) == (1, 0)
    assert [json.loads(body)["type"] for _, body, _ in receiver.received] == ["case.assigned"]
    assert [a.status for a in store.attempt_log] == [DeliveryStatus.DELIVERED]
    assert store.queue == {}


def test_a_failed_delivery_waits_for_its_backoff_in_the_store_then_is_retried() -> None:
    store = MemoryPartnerStore()
    clock = Clock()

    async def scenario(url: str) -> list[int]:
        await store.add_partner(partner(url))
        sender = queued_sender(store, clock)
        pending = await sender.enqueue(partner(url), "case.updated", "case-1", {})
        done = [await sender.run_due()]
        assert store.queue[pending.delivery_id].attempts == 1
        assert store.queue[pending.delivery_id].next_attempt_at == NOW + dt.timedelta(seconds=30)
        done.append(await sender.run_due())  # not due yet
        clock.now += dt.timedelta(seconds=30)
        done.append(await queued_sender(store, clock).run_due())
        return done

    with Receiver([503]) as receiver:
        done = asyncio.run(scenario(receiver.url))
    assert done == [1, 0, 1]
    assert len(receiver.received) == 2
    # The same delivery id both times: a partner drops a repeat by it.
    assert len({headers["OpenDSO-Delivery"] for headers, _, _ in receiver.received}) == 1
    assert [(a.attempt, a.status) for a in store.attempt_log] == [
        (1, DeliveryStatus.FAILED),
        (2, DeliveryStatus.DELIVERED),
    ]
    assert store.queue == {}


def test_a_delivery_claimed_by_one_instance_is_not_attempted_by_another_within_its_lease() -> None:
    store = MemoryPartnerStore()

    async def scenario() -> tuple[int, int]:
        sender = queued_sender(store, Clock())
        await sender.enqueue(partner("https://93.184.216.34/hook"), "case.assigned", "case-1", {})
        mine = await store.claim_deliveries(NOW, NOW + dt.timedelta(seconds=60), 10)
        theirs = await store.claim_deliveries(NOW, NOW + dt.timedelta(seconds=60), 10)
        return len(mine), len(theirs)

    assert asyncio.run(scenario()) == (1, 0)


def test_a_webhook_for_a_removed_partner_is_given_up_and_logged() -> None:
    store = MemoryPartnerStore()

    async def scenario() -> int:
        sender = queued_sender(store, Clock())
        await sender.enqueue(partner("https://93.184.216.34/hook"), "case.assigned", "case-1", {})
        return await sender.run_due()

    assert asyncio.run(scenario()) == 1
    assert [(a.status, a.error) for a in store.attempt_log] == [
        (DeliveryStatus.GAVE_UP, "the partner was removed or disabled")
    ]
    assert store.queue == {}


def test_a_signature_fails_on_another_body_secret_or_an_old_timestamp() -> None:
    body = b'{"type":"case.assigned"}'
    header = sign(SECRET, 1_000, body)
    assert header.startswith("t=1000,v1=")
    assert verify(SECRET, header, body, now=1_100)
    assert not verify(SECRET, header, body + b" ", now=1_100)
    assert not verify("whsec_other", header, body, now=1_100)
    assert not verify(SECRET, header, body, now=1_000 + 301)
    assert not verify(SECRET, "v1=abc", body, now=1_000)


def test_backoff_doubles_up_to_its_ceiling_and_only_transient_failures_are_retried() -> None:
    assert Backoff(attempts=6, first=2.0, ceiling=20.0).delays() == [2.0, 4.0, 8.0, 16.0, 20.0]
    assert [worth_retrying(s) for s in (None, 500, 502, 429, 408, 400, 404, 410)] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.8", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not globally reachable"),
        ("93.184.216.34", ""),
    ],
)
def test_private_addresses_are_named(address: str, reason: str) -> None:
    assert private_reason(address) == reason


def test_one_private_answer_among_public_ones_refuses_the_host() -> None:
    with pytest.raises(UnsafeUrl, match="private"):
        check_addresses("rebind.example", ["93.184.216.34", "10.0.0.1"], allow_private=False)
    with pytest.raises(UnsafeUrl, match="does not resolve"):
        check_addresses("nowhere.example", [], allow_private=True)
    check_addresses("intranet.example", ["10.0.0.1"], allow_private=True)


@pytest.mark.parametrize("url", ["ftp://partner.example/x", "https://user:pw@partner.example/", "https:///nohost"])
def test_only_plain_http_urls_with_a_host_are_webhook_urls(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        parse_webhook_url(url)


def test_a_key_is_found_by_its_prefix_and_matched_by_its_hash_only() -> None:
    issued = new_key()
    assert issued.secret.startswith("odp_") and issued.prefix == key_prefix(issued.secret)
    assert issued.key_hash == hash_key(issued.secret) and issued.secret not in issued.key_hash
    assert new_key().secret != issued.secret
