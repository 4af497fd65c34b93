"""Signing in, refreshing and out, users' administration, the audit log and rate limits, over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso_gateway.app import create_app
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings

ADMIN = "root@example.com"
ADMIN_PASSWORD = "plum-orbit-47-lantern"
COLLECTOR_PASSWORD = "quiet-harbour-19-maple"


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class FakeBus:
    def __init__(self) -> None:
        self.asked: list[Message] = []

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        return reply_type()

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {}


class Gateway:
    def __init__(self, **settings: Any) -> None:
        self.store = MemoryAccessStore()
        self.clock = Clock()
        self.bus = FakeBus()
        values = {"admin_email": ADMIN, "admin_password": ADMIN_PASSWORD, **settings}
        app = create_app(gateway_settings(**values), bus=self.bus, store=self.store, clock=self.clock)  # type: ignore[arg-type]
        self.http = TestClient(app)

    def sign_in(self, email: str = ADMIN, password: str = ADMIN_PASSWORD) -> dict[str, Any]:
        answer = self.http.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def headers(self, email: str = ADMIN, password: str = ADMIN_PASSWORD) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.sign_in(email, password)['access_token']}"}

    def add_collector(self, email: str = "claire@example.com", **fields: Any) -> dict[str, Any]:
        body = {"email": email, "role": "collector", "password": COLLECTOR_PASSWORD, "entities": "all", **fields}
        answer = self.http.post("/api/v1/users", json=body, headers=self.headers())
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway()
    with gw.http:
        yield gw


def test_the_first_admin_is_created_at_start_and_signs_in(gateway: Gateway) -> None:
    answer = gateway.http.post("/api/v1/auth/token", json={"email": " Root@Example.com ", "password": ADMIN_PASSWORD})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    tokens = answer.json()
    assert (tokens["token_type"], tokens["expires_in"]) == ("bearer", 900)
    me = gateway.http.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert (me["email"], me["role"], me["entities"]) == (ADMIN, "admin", "all")
    assert me["permissions"]["users"] == ["read", "write"]


def test_no_second_admin_is_created_when_users_exist() -> None:
    gw = Gateway()
    with gw.http:
        pass
    second = TestClient(
        create_app(
            gateway_settings(admin_email="other@example.com", admin_password=ADMIN_PASSWORD),
            bus=gw.bus,  # type: ignore[arg-type]
            store=gw.store,
        )
    )
    with second:
        pass
    assert [u.email for u in gw.store.by_id.values()] == [ADMIN]


def test_the_docs_authorize_button_signs_in_with_a_form(gateway: Gateway) -> None:
    answer = gateway.http.post("/api/v1/auth/token", data={"username": ADMIN, "password": ADMIN_PASSWORD})
    assert answer.status_code == 200 and answer.json()["access_token"]


def test_a_wrong_password_an_unknown_address_and_a_disabled_user_read_the_same(gateway: Gateway) -> None:
    user = gateway.add_collector()
    gateway.http.patch(f"/api/v1/users/{user['user_id']}", json={"disabled": True}, headers=gateway.headers())
    answers = [
        gateway.http.post("/api/v1/auth/token", json={"email": ADMIN, "password": "wrong-password-123"}),
        gateway.http.post("/api/v1/auth/token", json={"email": "nobody@example.com", "password": ADMIN_PASSWORD}),
        gateway.http.post("/api/v1/auth/token", json={"email": user["email"], "password": COLLECTOR_PASSWORD}),
    ]
    assert {a.status_code for a in answers} == {401}
    assert len({a.json()["detail"] for a in answers}) == 1
    assert all(ADMIN_PASSWORD not in a.text and "wrong-password" not in a.text for a in answers)


def test_a_sign_in_without_a_password_says_which_field_but_never_echoes_it(gateway: Gateway) -> None:
    answer = gateway.http.post("/api/v1/auth/token", json={"email": ADMIN, "password": ""})
    assert answer.status_code == 422
    assert "password" in answer.json()["detail"] and ADMIN not in answer.text


def test_after_too_many_failures_even_the_right_password_waits() -> None:
    gw = Gateway(sign_in_failures_per_account=2, sign_in_failures_per_client=3)
    with gw.http:
        for _ in range(2):
            assert (
                gw.http.post("/api/v1/auth/token", json={"email": ADMIN, "password": "nope-nope-nope"}).status_code
                == 401
            )
        locked = gw.http.post("/api/v1/auth/token", json={"email": ADMIN, "password": ADMIN_PASSWORD})
        assert locked.status_code == 429
        assert 1 <= int(locked.headers["Retry-After"]) <= 60
        # Another account from the same client: one failure left before the client is blocked too.
        other = {"email": "x@example.com", "password": "nope-nope-nope"}
        assert gw.http.post("/api/v1/auth/token", json=other).status_code == 401
        assert gw.http.post("/api/v1/auth/token", json=other).status_code == 429


def test_a_refresh_token_is_rotated_and_its_reuse_revokes_the_family(gateway: Gateway) -> None:
    first = gateway.sign_in()
    second = gateway.http.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    # The old one again, as a thief would: refused, and the newer one dies with it.
    replay = gateway.http.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    after = gateway.http.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401
    # Stored hashed: the token itself is nowhere in the store.
    assert first["refresh_token"] not in gateway.store.tokens


def test_an_access_token_expires_after_15_minutes_and_a_refresh_gives_a_new_one(gateway: Gateway) -> None:
    tokens = gateway.sign_in()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    gateway.clock.now += dt.timedelta(minutes=14)
    assert gateway.http.get("/api/v1/me", headers=bearer).status_code == 200
    gateway.clock.now += dt.timedelta(minutes=1)
    assert gateway.http.get("/api/v1/me", headers=bearer).status_code == 401
    renewed = gateway.http.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
    assert (
        gateway.http.get("/api/v1/me", headers={"Authorization": f"Bearer {renewed['access_token']}"}).status_code
        == 200
    )


def test_a_refresh_token_expires(gateway: Gateway) -> None:
    tokens = gateway.sign_in()
    gateway.clock.now += dt.timedelta(days=15)
    assert gateway.http.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_signing_out_ends_the_refresh_token(gateway: Gateway) -> None:
    tokens = gateway.sign_in()
    assert gateway.http.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert gateway.http.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    # Unknown tokens sign out just the same: nothing to learn from the answer.
    assert gateway.http.post("/api/v1/auth/logout", json={"refresh_token": "made-up"}).status_code == 204


def test_an_admin_creates_a_user_who_signs_in_with_their_scope(gateway: Gateway) -> None:
    created = gateway.add_collector(entities=["FR01", "BE01"], portfolio="Claire", name="Claire Martin")
    assert created["entities"] == ["BE01", "FR01"] and created["portfolio"] == "Claire"
    assert created["created_by"] == ADMIN and "password" not in str(created)
    me = gateway.http.get("/api/v1/me", headers=gateway.headers(created["email"], COLLECTOR_PASSWORD)).json()
    assert (me["role"], me["entities"], me["portfolio"]) == ("collector", ["BE01", "FR01"], "Claire")
    assert "users" not in me["permissions"] and me["permissions"]["agenda"] == ["read", "write"]
    listed = gateway.http.get("/api/v1/users", headers=gateway.headers()).json()["users"]
    assert [u["email"] for u in listed] == ["claire@example.com", ADMIN]


def test_a_duplicate_address_a_weak_password_and_an_unknown_field_are_refused(gateway: Gateway) -> None:
    gateway.add_collector()
    admin = gateway.headers()
    base = {"email": "CLAIRE@example.com", "role": "collector", "password": COLLECTOR_PASSWORD, "entities": "all"}
    assert gateway.http.post("/api/v1/users", json=base, headers=admin).status_code == 409
    weak = {**base, "email": "new@example.com", "password": "password1234"}
    assert gateway.http.post("/api/v1/users", json=weak, headers=admin).status_code == 422
    assert (
        gateway.http.post(
            "/api/v1/users", json={**base, "email": "n@example.com", "admin": True}, headers=admin
        ).status_code
        == 422
    )
    no_scope = {k: v for k, v in base.items() if k != "entities"} | {"email": "s@example.com"}
    assert gateway.http.post("/api/v1/users", json=no_scope, headers=admin).status_code == 422


def test_disabling_a_user_stops_their_tokens_at_once(gateway: Gateway) -> None:
    user = gateway.add_collector()
    tokens = gateway.sign_in(user["email"], COLLECTOR_PASSWORD)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert gateway.http.get("/api/v1/me", headers=bearer).status_code == 200
    changed = gateway.http.patch(f"/api/v1/users/{user['user_id']}", json={"disabled": True}, headers=gateway.headers())
    assert changed.status_code == 200 and changed.json()["disabled"] is True
    assert gateway.http.get("/api/v1/me", headers=bearer).status_code == 401
    assert gateway.http.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_a_role_change_applies_to_the_next_request(gateway: Gateway) -> None:
    user = gateway.add_collector()
    bearer = gateway.headers(user["email"], COLLECTOR_PASSWORD)
    body = {"task_ids": ["t1"], "action": "perform"}
    assert gateway.http.post("/api/v1/agenda/bulk", json=body, headers=bearer).status_code == 200
    gateway.http.patch(f"/api/v1/users/{user['user_id']}", json={"role": "read_only"}, headers=gateway.headers())
    assert gateway.http.post("/api/v1/agenda/bulk", json=body, headers=bearer).status_code == 403


def test_a_new_password_replaces_the_old_one_and_ends_its_sessions(gateway: Gateway) -> None:
    user = gateway.add_collector()
    old = gateway.headers(user["email"], COLLECTOR_PASSWORD)
    new_password = "violet-canyon-88-ember"
    answer = gateway.http.patch(
        f"/api/v1/users/{user['user_id']}", json={"password": new_password}, headers=gateway.headers()
    )
    assert answer.status_code == 200
    assert gateway.http.get("/api/v1/me", headers=old).status_code == 401
    refused = gateway.http.post("/api/v1/auth/token", json={"email": user["email"], "password": COLLECTOR_PASSWORD})
    assert refused.status_code == 401
    assert gateway.sign_in(user["email"], new_password)["access_token"]


def test_the_last_admin_cannot_be_disabled_or_demoted(gateway: Gateway) -> None:
    admin = gateway.headers()
    [me] = gateway.http.get("/api/v1/users", headers=admin).json()["users"]
    for change in ({"disabled": True}, {"role": "credit_manager"}):
        answer = gateway.http.patch(f"/api/v1/users/{me['user_id']}", json=change, headers=admin)
        assert answer.status_code == 409, change
    gateway.add_collector("second@example.com", role="admin")
    assert (
        gateway.http.patch(f"/api/v1/users/{me['user_id']}", json={"disabled": True}, headers=admin).status_code == 200
    )


def test_an_unknown_user_is_404(gateway: Gateway) -> None:
    assert gateway.http.get("/api/v1/users/nope", headers=gateway.headers()).status_code == 404
    assert gateway.http.patch("/api/v1/users/nope", json={"name": "x"}, headers=gateway.headers()).status_code == 404


def test_every_change_is_audited_done_or_refused_with_who_what_and_where(gateway: Gateway) -> None:
    admin = gateway.headers()
    collector = gateway.add_collector()
    reader = gateway.add_collector("reader@example.com", role="read_only")
    bulk = {"task_ids": ["t1", "t2"], "action": "perform"}
    done = gateway.http.post(
        "/api/v1/agenda/bulk", json=bulk, headers=gateway.headers(collector["email"], COLLECTOR_PASSWORD)
    )
    assert done.status_code == 200
    refused = gateway.http.post(
        "/api/v1/agenda/bulk",
        json=bulk,
        headers={**gateway.headers(reader["email"], COLLECTOR_PASSWORD), "X-Forwarded-For": "203.0.113.9"},
    )
    assert refused.status_code == 403
    gateway.http.post("/api/v1/auth/token", json={"email": "mallory@example.com", "password": "guess-guess-guess"})
    assert gateway.http.get("/api/v1/agenda", headers=admin).status_code == 200  # reads are not audited

    entries = gateway.http.get("/api/v1/audit", headers=admin).json()["entries"]
    failed, refused_entry, done_entry = entries[0], entries[1], entries[3]
    assert (failed["path"], failed["status"], failed["email"], failed["user_id"]) == (
        "/api/v1/auth/token",
        401,
        "mallory@example.com",
        None,
    )
    assert (refused_entry["email"], refused_entry["role"], refused_entry["status"]) == (
        "reader@example.com",
        "read_only",
        403,
    )
    # Without OPENDSO_GATEWAY_TRUST_PROXY the header is the client's word, not its address.
    assert refused_entry["client_ip"] == "testclient"
    assert (done_entry["method"], done_entry["email"], done_entry["status"]) == ("POST", "claire@example.com", 200)
    assert done_entry["resource_ids"] == {"task_ids": "t1,t2"}
    assert done_entry["at"] == "2026-11-24T09:00:00Z" and done_entry["request_id"]
    created = [e["resource_ids"] for e in entries if e["path"] == "/api/v1/users" and e["status"] == 201]
    assert created == [{"user_id": reader["user_id"]}, {"user_id": collector["user_id"]}]
    assert "guess-guess-guess" not in str(entries) and COLLECTOR_PASSWORD not in str(entries)
    assert all(e["path"] != "/api/v1/agenda" for e in entries)


def test_behind_a_trusted_proxy_the_client_is_the_address_it_added() -> None:
    gw = Gateway(trust_proxy=True)
    with gw.http:
        headers = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Request-Id": "req-1"}
        gw.http.post(
            "/api/v1/auth/token", json={"email": "m@example.com", "password": "guess-guess-guess"}, headers=headers
        )
        [entry] = gw.http.get("/api/v1/audit", params={"path": "/api/v1/auth/"}, headers=gw.headers()).json()[
            "entries"
        ][1:]
    assert (entry["client_ip"], entry["request_id"]) == ("203.0.113.9", "req-1")


def test_the_audit_log_filters_and_pages(gateway: Gateway) -> None:
    admin = gateway.headers()
    for n in range(3):
        gateway.http.post("/api/v1/auth/token", json={"email": f"u{n}@example.com", "password": "guess-guess-guess"})
    first = gateway.http.get("/api/v1/audit", params={"refused": "true", "page_size": 2}, headers=admin).json()
    assert [e["email"] for e in first["entries"]] == ["u2@example.com", "u1@example.com"]
    rest = gateway.http.get(
        "/api/v1/audit",
        params={"refused": "true", "page_size": 2, "page_token": first["next_page_token"]},
        headers=admin,
    ).json()
    assert [e["email"] for e in rest["entries"]] == ["u0@example.com"] and rest["next_page_token"] is None
    mine = gateway.http.get("/api/v1/audit", params={"user": "U1@example.com"}, headers=admin).json()["entries"]
    assert [e["email"] for e in mine] == ["u1@example.com"]
    later = gateway.http.get("/api/v1/audit", params={"from": "2026-11-24T10:00:00Z"}, headers=admin).json()
    assert later["entries"] == []
    naive = gateway.http.get("/api/v1/audit", params={"from": "2026-11-24T10:00:00"}, headers=admin)
    assert naive.status_code == 422


def test_a_user_over_the_rate_limit_waits_and_others_do_not() -> None:
    gw = Gateway(rate_limit_burst=2, rate_limit_per_minute=1)
    with gw.http:
        admin = gw.headers()
        collector = gw.add_collector()  # the admin's first request
        assert gw.http.get("/api/v1/me", headers=admin).status_code == 200
        limited = gw.http.get("/api/v1/me", headers=admin)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        other = gw.headers(collector["email"], COLLECTOR_PASSWORD)
        assert gw.http.get("/api/v1/me", headers=other).status_code == 200


def test_bulk_task_results_outside_the_scope_are_not_shown(gateway: Gateway) -> None:
    user = gateway.add_collector(entities=["FR01"])
    inside = col.Task(task_id="t1", entity="FR01", customer_id="FR01/C1")
    outside = col.Task(task_id="t2", entity="DE01", customer_id="DE01/C9", customer_name="Secret GmbH")

    async def ask(req: Message, reply_type: type, timeout: float | None = None) -> Any:
        return col.TasksUpdated(
            results=[
                col.TaskUpdateResult(task_id="t1", updated=True, task=inside),
                col.TaskUpdateResult(task_id="t2", updated=True, task=outside),
            ]
        )

    gateway.bus.ask = ask  # type: ignore[method-assign]
    answer = gateway.http.post(
        "/api/v1/agenda/bulk",
        json={"task_ids": ["t1", "t2"], "action": "perform"},
        headers=gateway.headers(user["email"], COLLECTOR_PASSWORD),
    ).json()
    assert answer["results"][0]["task"]["task_id"] == "t1"
    assert answer["results"][1]["task"] is None and "Secret" not in str(answer)
