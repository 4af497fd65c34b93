"""Every route, walked from the app itself: public by a reasoned list, or guarded by a permission; and for each
guarded one, nothing reaches a service without a valid token of a permitted role within scope."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_gateway.access import PUBLIC_PATHS, Allow
from opendso_gateway.accounts import Accounts
from opendso_gateway.app import create_app
from opendso_gateway.domain.access import Role, permitted, roles_without
from opendso_gateway.partner_api import PartnerKeyGuard
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, make_user, signed_in


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


class GuardedBus:
    """Records every question; knows one customer, of entity x1, whose collector is yan."""

    def __init__(self) -> None:
        self.asked: list[Message] = []

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        if isinstance(req, rv.GetCustomerAccount):
            customer = rv.Customer(entity=req.entity, account_number=req.account_number, collector="yan")
            return rv.CustomerAccount(found=True, customer=customer)
        raise AssertionError(f"{type(req).__name__} reached a service")

    async def put_upload(self, name: str, data: Any) -> None:
        raise AssertionError("an upload reached the object store")

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {}


def new_app() -> tuple[FastAPI, GuardedBus]:
    bus = GuardedBus()
    return create_app(gateway_settings(), bus=bus, store=MemoryAccessStore()), bus  # type: ignore[arg-type]


def guards(dependant: Dependant) -> list[Allow]:
    found = [dependant.call] if isinstance(dependant.call, Allow) else []
    return found + [g for sub in dependant.dependencies for g in guards(sub)]


def key_guards(dependant: Dependant) -> list[PartnerKeyGuard]:
    # The partner API's routes take an API key, not a user token: test_partner_api.py checks them.
    found = [dependant.call] if isinstance(dependant.call, PartnerKeyGuard) else []
    return found + [g for sub in dependant.dependencies for g in key_guards(sub)]


APP, _ = new_app()
# Every route as served: the included routers' with their prefixes and router-level dependencies.
CONTEXTS = list(iter_route_contexts(APP.routes))
ROUTES = [c for c in CONTEXTS if isinstance(c.original_route, APIRoute)]
GUARDED = [(r, method, guards(r.dependant)[0]) for r in ROUTES if guards(r.dependant) for method in sorted(r.methods)]
# Bodies that pass validation, for the routes whose scope is checked after it.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/mobile/customers/{entity}/{account_number}/dispute-answers"): {
        "item_id": "x1/invoice/1",
        "answer": "credit note follows",
    },
    ("POST", "/api/v1/customers/{entity}/{account_number}/qualifications"): {
        "item_ids": ["x1/invoice/1"],
        "status": "dispute",
    },
    ("POST", "/api/v1/customers/{entity}/{account_number}/escalations"): {"partner_kind": "legal"},
    ("POST", "/api/v1/customers/{entity}/{account_number}/escalations/{case_id}/withdraw"): {"reason": "paid"},
    ("PUT", "/api/v1/entities/{entity}/penalty-settings"): {},
    ("PUT", "/api/v1/entities/{entity}/sending-hours"): {
        "version": 0,
        "weekdays": ["mon"],
        "slots": [{"start": "08:00", "end": "18:00"}],
    },
    ("PUT", "/api/v1/customers/{entity}/{account_number}/penalty-settings"): {},
    ("POST", "/api/v1/customers/{entity}/{account_number}/payment-plans"): {
        "item_ids": ["x1/invoice/1"],
        "instalment_count": 2,
        "first_date": "2026-12-01",
    },
    ("POST", "/api/v1/customers/{entity}/{account_number}/payment-plans/{plan_id}/cancel"): {},
    ("PUT", "/api/v1/risk/customers/{entity}/{account_number}/external-rating"): {"rating": "72"},
    ("PUT", "/api/v1/risk/customers/{entity}/{account_number}/credit-limit"): {
        "amount": {"amount": "50000.00", "currency": "EUR"}
    },
    ("PUT", "/api/v1/risk/groups/{entity}/{parent_account}/credit-limit"): {
        "amount": {"amount": "50000.00", "currency": "EUR"}
    },
}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: "fr" if m.group(1) == "language" else "x1", path)


def ids(value: Any) -> str:
    if isinstance(value, RouteContext):
        return str(value.path)
    if isinstance(value, Allow):
        return f"{value.feature}:{value.action}"
    return str(value)


def test_every_route_is_public_or_guarded_and_never_both() -> None:
    paths = {c.path for c in CONTEXTS}
    for route in CONTEXTS:
        guarded = isinstance(route.original_route, APIRoute) and (
            bool(guards(route.dependant)) != bool(key_guards(route.dependant))
        )
        public = route.path in PUBLIC_PATHS
        assert guarded != public, f"{route.path}: guarded={guarded}, public={public}"
    assert paths >= PUBLIC_PATHS, f"public paths without a route: {PUBLIC_PATHS - paths}"


def test_routes_are_found_by_the_walk() -> None:
    # A walk finding nothing would pass every test below.
    assert len(GUARDED) > 50
    assert {"/api/v1/agenda", "/api/v1/users", "/api/v1/audit", "/outbox"} <= {r.path for r, _, _ in GUARDED}


@pytest.mark.parametrize(("route", "method", "guard"), GUARDED, ids=ids)
def test_without_a_valid_token_the_answer_is_401_and_no_service_is_asked(
    route: RouteContext, method: str, guard: Allow
) -> None:
    app, bus = new_app()
    accounts: Accounts = app.state.accounts
    store = accounts.store
    assert isinstance(store, MemoryAccessStore)
    user = make_user(Role.ADMIN)
    store.put(user)
    now = accounts.now()
    valid = accounts.tokens.issue(user, now)
    header, payload, signature = valid.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged_payload = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "someone-else"}).encode()).rstrip(b"=")
    flipped = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    other_secret = jwt.encode({**claims}, "another-secret-of-at-least-thirty-two-chars!", algorithm="HS256")
    unsigned = jwt.encode({**claims}, None, algorithm="none")
    tokens = {
        "none": None,
        "expired": accounts.tokens.issue(user, now - dt.timedelta(minutes=16)),
        "tampered payload": f"{header}.{forged_payload.decode()}.{signature}",
        "tampered signature": f"{header}.{payload}.{flipped}",
        "other secret": other_secret,
        "alg none": unsigned,
        "garbage": "not-a-token",
    }
    http = TestClient(app)
    url = concrete(route.path)
    for name, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        answer = http.request(method, url, headers=headers)
        assert answer.status_code == 401, f"{method} {url} with {name} token: {answer.status_code} {answer.text}"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert set(answer.json()) == {"type", "title", "status", "detail", "instance"}
    assert bus.asked == []
    # The tokens refused were made from one that works.
    assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {valid}"}).status_code == 200


@pytest.mark.parametrize(("route", "method", "guard"), GUARDED, ids=ids)
def test_a_role_without_the_permission_gets_403_and_no_service_is_asked(
    route: RouteContext, method: str, guard: Allow
) -> None:
    refused = roles_without(guard.feature, guard.action)
    if not refused:
        assert all(permitted(role, guard.feature, guard.action) for role in Role)
        return
    app, bus = new_app()
    http = TestClient(app)
    for role in refused:
        answer = http.request(method, concrete(route.path), headers=signed_in(app, role, email=f"{role}@example.com"))
        assert answer.status_code == 403, f"{method} {route.path} as {role}: {answer.status_code}"
        assert answer.json()["detail"].startswith(f"role {role.value} may not")
    assert bus.asked == []


SCOPED = [(r, m, g) for r, m, g in GUARDED if "{entity}" in r.path]


# Uploads: a valid multipart body (fields, files).
UPLOADS: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {
    ("POST", "/api/v1/customers/{entity}/{account_number}/documents"): (
        {"item_ids": "x1/invoice/1"},
        {"file": ("F-1.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
    ),
}


def send(http: TestClient, method: str, route: RouteContext, headers: dict[str, str]) -> Any:
    upload = UPLOADS.get((method, str(route.path)))
    if upload is not None:
        fields, files = upload
        return http.request(method, concrete(route.path), headers=headers, data=fields, files=files)
    return http.request(method, concrete(route.path), headers=headers, json=BODIES.get((method, route.path)))


def test_every_route_of_an_entity_has_a_sample_body_when_it_needs_one() -> None:
    for route, method, _ in SCOPED:
        if route.body_field is not None:
            assert (method, route.path) in BODIES or (method, route.path) in UPLOADS, (
                f"{method} {route.path}: add a valid body to BODIES (or UPLOADS)"
            )


def _permitted_role(guard: Allow) -> Role:
    return next(
        r for r in (Role.COLLECTOR, Role.CREDIT_MANAGER, Role.ADMIN) if permitted(r, guard.feature, guard.action)
    )


@pytest.mark.parametrize(("route", "method", "guard"), SCOPED, ids=ids)
def test_another_entitys_data_is_not_found_without_asking_a_service(
    route: RouteContext, method: str, guard: Allow
) -> None:
    app, bus = new_app()
    http = TestClient(app)
    headers = signed_in(app, _permitted_role(guard), entities=frozenset({"OTHER"}))
    answer = send(http, method, route, headers)
    assert answer.status_code == 404, f"{method} {route.path}: {answer.status_code} {answer.text}"
    assert "x1" in answer.json()["detail"]
    assert bus.asked == []


PORTFOLIO_SCOPED = [(r, m, g) for r, m, g in SCOPED if "{account_number}" in r.path]


@pytest.mark.parametrize(("route", "method", "guard"), PORTFOLIO_SCOPED, ids=ids)
def test_another_collectors_customer_is_not_found_after_asking_only_whose_it_is(
    route: RouteContext, method: str, guard: Allow
) -> None:
    app, bus = new_app()
    http = TestClient(app)
    headers = signed_in(app, _permitted_role(guard), portfolio="zoe")
    answer = send(http, method, route, headers)
    assert answer.status_code == 404, f"{method} {route.path}: {answer.status_code} {answer.text}"
    assert answer.json()["detail"] == "no customer 'x1' in entity 'x1'"
    assert [type(q) for q in bus.asked] == [rv.GetCustomerAccount]


def test_a_disabled_user_or_an_outdated_token_is_refused() -> None:
    app, bus = new_app()
    accounts: Accounts = app.state.accounts
    store = accounts.store
    assert isinstance(store, MemoryAccessStore)
    user = make_user(Role.ADMIN)
    store.put(user)
    token = accounts.tokens.issue(user, accounts.now())
    http = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert http.get("/api/v1/me").status_code == 200
    store.put(dataclasses.replace(user, token_version=2))
    assert http.get("/api/v1/me").status_code == 401
    store.put(dataclasses.replace(user, disabled=True))
    fresh = accounts.tokens.issue(dataclasses.replace(user, disabled=True), accounts.now())
    assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 401
    assert bus.asked == []


def test_the_api_description_marks_guarded_routes_with_the_sign_in_scheme() -> None:
    app, _ = new_app()
    schema = TestClient(app).get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == (
        "/api/v1/auth/token"
    )
    assert schema["paths"]["/api/v1/agenda"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    assert "security" not in schema["paths"]["/api/v1/auth/token"]["post"]
