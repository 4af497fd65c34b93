"""Idempotency-Key on every POST: the same request again gets the first answer and does nothing again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Money
from opendso_bus import RemoteError
from opendso_gateway.app import create_app
from opendso_gateway.domain.idempotency import KEPT_FOR, KeptAnswer, MemoryIdempotencyStore
from opendso_gateway.idempotency import EXEMPT_PREFIXES, idempotency_store_of

from .fakes import MemoryAccessStore, gateway_settings, signed_in

ESCALATIONS = "/api/v1/customers/FR01/C1/escalations"
BODY = {"partner_kind": "legal", "partner_id": "cabinet-martin", "note": "formal notice ignored"}


class CountingBus:
    """Answers every escalation with a new case, as the engine would without a key of its own."""

    def __init__(self) -> None:
        self.asked: list[Message] = []
        self.fail_next = False

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        if self.fail_next:
            self.fail_next = False
            raise RemoteError("collection.escalate", "internal", "the collection engine failed")
        return col.CaseEscalated(
            case_id=f"case-{len(self.asked)}",
            customer_id="FR01/C1",
            entity="FR01",
            account_number="C1",
            partner_kind=col.PARTNER_KIND_LEGAL,
            totals=[Money(amount="100.00", currency="EUR")],
        )


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def gateway() -> Iterator[tuple[FastAPI, TestClient, CountingBus, Clock]]:
    bus, clock = CountingBus(), Clock()
    app = create_app(gateway_settings(), bus=bus, store=MemoryAccessStore(), clock=clock)  # type: ignore[arg-type]
    yield app, TestClient(app), bus, clock


def key(value: str, headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": value}


def test_a_repeated_post_answers_the_first_answer_and_asks_the_engine_once(gateway: Any) -> None:
    app, http, bus, _ = gateway
    anna = signed_in(app, email="anna@example.com")
    first = http.post(ESCALATIONS, json=BODY, headers=key("esc-1", anna))
    again = http.post(ESCALATIONS, json=BODY, headers=key("esc-1", anna))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and first.json()["case_id"] == "case-1"
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert len(bus.asked) == 1
    # Without a key, or with another one, it is a new request.
    assert http.post(ESCALATIONS, json=BODY, headers=anna).json()["case_id"] == "case-2"
    assert http.post(ESCALATIONS, json=BODY, headers=key("esc-2", anna)).json()["case_id"] == "case-3"


def test_a_key_used_again_for_another_request_is_refused(gateway: Any) -> None:
    app, http, bus, _ = gateway
    anna = signed_in(app, email="anna@example.com")
    http.post(ESCALATIONS, json=BODY, headers=key("esc-1", anna))
    other = http.post(ESCALATIONS, json={**BODY, "note": "another"}, headers=key("esc-1", anna))
    assert other.status_code == 422 and "another request" in other.json()["detail"]
    assert len(bus.asked) == 1


def test_keys_are_each_callers_own(gateway: Any) -> None:
    app, http, bus, _ = gateway
    anna = signed_in(app, email="anna@example.com")
    bruno = signed_in(app, email="bruno@example.com")
    assert http.post(ESCALATIONS, json=BODY, headers=key("k", anna)).json()["case_id"] == "case-1"
    assert http.post(ESCALATIONS, json=BODY, headers=key("k", bruno)).json()["case_id"] == "case-2"
    # A forged token owns nothing: it is refused as usual, not answered from anyone's keys.
    forged = http.post(ESCALATIONS, json=BODY, headers={"Authorization": "Bearer a.b.c", "Idempotency-Key": "k"})
    assert forged.status_code == 401 and len(bus.asked) == 2


def test_a_failure_is_not_kept_and_the_retry_runs(gateway: Any) -> None:
    app, http, bus, _ = gateway
    anna = signed_in(app, email="anna@example.com")
    bus.fail_next = True
    failed = http.post(ESCALATIONS, json=BODY, headers=key("esc-1", anna))
    assert failed.status_code >= 500
    retried = http.post(ESCALATIONS, json=BODY, headers=key("esc-1", anna))
    assert retried.status_code == 201 and len(bus.asked) == 2


def test_a_request_still_running_under_the_key_answers_409(gateway: Any) -> None:
    app, http, bus, clock = gateway
    anna = signed_in(app, email="anna@example.com")
    http.post(ESCALATIONS, json=BODY, headers=key("esc-1", anna))
    store = idempotency_store_of(app.state)
    assert isinstance(store, MemoryIdempotencyStore)
    [(owner, _)] = list(store.kept)
    # As if a first request with this key were still running when a second came.
    store.kept[(owner, "esc-2")] = KeptAnswer(store.kept[(owner, "esc-1")].fingerprint, 0, "", b"", clock.now)
    running = http.post(ESCALATIONS, json=BODY, headers=key("esc-2", anna))
    assert running.status_code == 409 and len(bus.asked) == 1


def test_a_key_is_kept_a_day(gateway: Any) -> None:
    app, http, _, clock = gateway
    anna = signed_in(app, email="anna@example.com")
    http.post(ESCALATIONS, json=BODY, headers=key("esc-1", anna))
    accounts = app.state.accounts
    [user] = [u for u in accounts.store.by_id.values() if u.email == "anna@example.com"]

    def fresh_token() -> dict[str, str]:
        # Signed in again later: another token, the same user, so the same keys.
        return {"Authorization": f"Bearer {accounts.tokens.issue(user, clock.now)}"}

    clock.now += KEPT_FOR - dt.timedelta(minutes=1)
    assert http.post(ESCALATIONS, json=BODY, headers=key("esc-1", fresh_token())).json()["case_id"] == "case-1"
    clock.now += dt.timedelta(minutes=2)
    assert http.post(ESCALATIONS, json=BODY, headers=key("esc-1", fresh_token())).json()["case_id"] == "case-2"


def test_an_overlong_key_is_refused(gateway: Any) -> None:
    app, http, bus, _ = gateway
    answer = http.post(ESCALATIONS, json=BODY, headers=key("k" * 201, signed_in(app)))
    assert answer.status_code == 422 and bus.asked == []


def test_every_post_is_covered_and_uploads_pass_the_key_to_their_service(gateway: Any) -> None:
    # The middleware covers every POST but signing in and providers' delivery reports; uploads are not
    # buffered by it, so each upload that creates something must take the key itself and hand it on.
    app = gateway[0]
    # Multipart POSTs a repeat cannot double: a mapping proposal reads a file and answers; rates imported
    # again are the rates already held (the FX service publishes nothing for them).
    queries = {"/api/v1/imports/mapping-proposals", "/api/v1/fx/rates/import"}

    def headers_of(dependant: Any) -> list[str]:
        return [p.alias for p in dependant.header_params] + [h for d in dependant.dependencies for h in headers_of(d)]

    posts = [
        r
        for r in iter_route_contexts(app.routes)
        if isinstance(r.original_route, APIRoute) and "POST" in (r.methods or set())
    ]
    exempt = sorted(str(r.path) for r in posts if str(r.path).startswith(EXEMPT_PREFIXES))
    assert exempt and all(p.startswith(("/api/v1/auth/", "/webhooks/")) for p in exempt)
    uploads = [
        r.path
        for r in posts
        if r.body_field is not None and "multipart" in str(getattr(r.body_field.field_info, "media_type", ""))
    ]
    assert "/api/v1/imports/receivables" in uploads
    for route in posts:
        if route.path in uploads and route.path not in queries:
            assert "Idempotency-Key" in headers_of(route.dependant), route.path
