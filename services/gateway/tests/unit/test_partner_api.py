"""The partner API: admins create partners and keys and hand cases over; a partner's key reaches only its own
cases, with the scopes it was given, within its rate limit; outcomes reach the collection engine and the partner
is told by webhook."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import RemoteError
from opendso_gateway.app import create_app
from opendso_gateway.domain.access import Role
from opendso_gateway.domain.partners import Partner, PendingDelivery
from opendso_gateway.partner_webhooks import WebhookSender
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in
from .partner_fakes import MemoryPartnerStore

PUBLIC_HOOK = "https://93.184.216.34/hooks/opendso"


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


class CaseBus:
    """The scenario service as far as the partner API asks it: each customer escalated gets case ``case-<n>``,
    listed to its partner until withdrawn; outcomes are recorded once per idempotency key."""

    def __init__(self) -> None:
        self.asked: list[Message] = []
        self.cases: dict[str, col.PartnerCase] = {}
        self.outcomes: dict[str, col.PartnerOutcomeRecorded] = {}

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {}

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        if isinstance(req, col.EscalateCase):
            entity, account = req.customer_id.split("/", 1)
            answer = col.CaseEscalated(
                case_id=f"case-{len(self.asked)}",
                customer_id=req.customer_id,
                entity=entity,
                account_number=account,
                customer_name="Bistro Lune",
                partner_kind=req.partner_kind,
                partner_id=req.partner_id,
                note=req.note,
                escalated_by=req.user,
                item_status="call_centre",
            )
            item = answer.items.add(item_id=f"{entity}/invoice/F-1", number="F-1", days_overdue=40)
            item.open_amount.amount, item.open_amount.currency = "120.00", "EUR"
            self.cases[answer.case_id] = col.PartnerCase(escalation=answer, state="open")
            return answer
        if isinstance(req, col.ListPartnerCases):
            listed = [
                c
                for c in self.cases.values()
                if c.escalation.partner_id == req.partner_id and (req.include_withdrawn or c.state == "open")
            ]
            return col.PartnerCases(cases=listed)
        if isinstance(req, col.RecordPartnerOutcome):
            case = self.cases.get(req.case_id)
            if case is None or case.escalation.partner_id != req.partner_id:
                raise RemoteError("rpc", "not_found", "no case")
            if req.idempotency_key in self.outcomes:
                kept = self.outcomes[req.idempotency_key]
                return col.PartnerOutcomeRecorded(outcome_id=kept.outcome_id, replayed=True)
            recorded = col.PartnerOutcomeRecorded(
                outcome_id=f"event-{len(self.outcomes) + 1}", case_id=req.case_id, kind=req.kind
            )
            self.outcomes[req.idempotency_key] = recorded
            return recorded
        if isinstance(req, col.QualifyItems):
            return col.ItemsQualified(customer_id=req.customer_id, promise_id="promise-1")
        if isinstance(req, col.WithdrawEscalation):
            self.cases[req.case_id].state = "withdrawn"
            return col.CaseWithdrawn(case_id=req.case_id, customer_id=req.customer_id)
        raise AssertionError(f"unexpected {type(req).__name__}")


class RecordingSender(WebhookSender):
    """Records what would be sent: delivery itself is tested against a real HTTP server elsewhere."""

    def __init__(self, store: MemoryPartnerStore) -> None:
        super().__init__(store)
        self.sent: list[tuple[str, str, str, Mapping[str, Any]]] = []

    async def enqueue(
        self, partner: Partner, event_type: str, case_id: str, data: Mapping[str, Any]
    ) -> PendingDelivery:
        self.sent.append((partner.partner_id, event_type, case_id, data))
        return await super().enqueue(partner, event_type, case_id, data)


class World:
    def __init__(self, **settings: Any) -> None:
        self.bus = CaseBus()
        self.access = MemoryAccessStore()
        self.app: FastAPI = create_app(gateway_settings(**settings), bus=self.bus, store=self.access)  # type: ignore[arg-type]
        self.partners = MemoryPartnerStore()
        self.sender = RecordingSender(self.partners)
        self.app.state.partners = self.partners
        self.app.state.partner_webhooks = self.sender
        self.http = TestClient(self.app)
        self.admin = signed_in(self.app, Role.ADMIN)

    def partner(self, name: str = "Calltech", kind: str = "call_centre") -> str:
        answer = self.http.post(
            "/api/v1/partners", headers=self.admin, json={"name": name, "kind": kind, "webhook_url": PUBLIC_HOOK}
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["partner_id"])

    def key(self, partner_id: str, scopes: list[str] | None = None) -> str:
        answer = self.http.post(
            f"/api/v1/partners/{partner_id}/keys",
            headers=self.admin,
            json={"scopes": scopes or ["cases:read", "cases:write"]},
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["key"])

    def assign(self, partner_id: str, account: str = "C001") -> str:
        answer = self.http.post(
            f"/api/v1/partners/{partner_id}/cases",
            headers=self.admin,
            json={"entity": "FR01", "account_number": account, "note": "call after 10am"},
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["case_id"])


def key_header(key: str) -> dict[str, str]:
    return {"Authorization": f"ApiKey {key}"}


PROMISE = {"kind": "promise", "promised_amount": "120.00", "currency": "EUR", "promised_on": "2026-12-15"}


def test_a_partner_is_created_with_a_signing_secret_shown_once_and_keys_stored_hashed() -> None:
    world = World()
    created = world.http.post(
        "/api/v1/partners",
        headers=world.admin,
        json={"name": "Calltech", "kind": "call_centre", "webhook_url": PUBLIC_HOOK},
    ).json()
    assert created["webhook_secret"].startswith("whsec_")
    key = world.key(created["partner_id"])
    shown = world.http.get(f"/api/v1/partners/{created['partner_id']}", headers=world.admin).json()
    assert "webhook_secret" not in shown
    assert [k["prefix"] for k in shown["keys"]] == [key[:16]]
    assert key not in str(shown)
    stored = next(iter(world.partners.keys_by_id.values()))
    assert stored.key_hash != key and key not in stored.key_hash


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest", "http://[::1]/"]
)
def test_a_webhook_url_to_a_private_address_is_refused_unless_an_admin_allows_it(url: str) -> None:
    world = World()
    body = {"name": "Internal", "kind": "legal", "webhook_url": url}
    refused = world.http.post("/api/v1/partners", headers=world.admin, json=body)
    assert refused.status_code == 422
    assert "address" in refused.json()["detail"]
    assert world.partners.by_id == {}
    allowed = world.http.post("/api/v1/partners", headers=world.admin, json={**body, "allow_private": True})
    assert allowed.status_code == 201
    assert allowed.json()["allow_private"] is True


def test_a_case_assigned_to_a_partner_is_escalated_listed_to_it_and_announced_by_webhook() -> None:
    world = World()
    partner_id = world.partner()
    key = world.key(partner_id)
    case_id = world.assign(partner_id)
    escalation = world.bus.asked[-1]
    assert isinstance(escalation, col.EscalateCase)
    assert (escalation.partner_id, escalation.partner_kind) == (partner_id, col.PARTNER_KIND_CALL_CENTRE)
    assert [(p, e, c) for p, e, c, _ in world.sender.sent] == [(partner_id, "case.assigned", case_id)]
    cases = world.http.get("/api/v1/partner/cases", headers=key_header(key)).json()
    assert [c["case_id"] for c in cases] == [case_id]
    assert cases[0]["items"][0]["open_amount"] == {"amount": "120.00", "currency": "EUR"}
    # Who escalated inside the company is not the partner's business.
    assert "escalated_by" not in cases[0]


def test_another_partners_case_reads_as_a_missing_one() -> None:
    world = World()
    mine, theirs = world.partner("Calltech"), world.partner("Lex & Co", "legal")
    their_case = world.assign(theirs)
    key = world.key(mine)
    asked = len(world.bus.asked)
    other = world.http.get(f"/api/v1/partner/cases/{their_case}", headers=key_header(key))
    missing = world.http.get("/api/v1/partner/cases/case-999", headers=key_header(key))
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"] == f"no case {their_case!r}"
    assert "Bistro" not in other.text and theirs not in other.text
    posted = world.http.post(f"/api/v1/partner/cases/{their_case}/outcomes", headers=key_header(key), json=PROMISE)
    assert posted.status_code == 404
    assert world.http.get("/api/v1/partner/cases", headers=key_header(key)).json() == []
    # The engine is only ever asked for the caller's own cases, and nothing reached it for the other's.
    later = world.bus.asked[asked:]
    assert later and all(isinstance(q, col.ListPartnerCases) and q.partner_id == mine for q in later)


def test_without_a_valid_key_the_answer_is_401_and_nothing_is_asked_or_recorded() -> None:
    world = World()
    partner_id = world.partner()
    case_id = world.assign(partner_id)
    key = world.key(partner_id)
    key_id = next(iter(world.partners.keys_by_id))
    revoked = world.http.post(f"/api/v1/partners/{partner_id}/keys/{key_id}/revoke", headers=world.admin)
    assert revoked.status_code == 200
    asked = len(world.bus.asked)
    attempts: dict[str, dict[str, str]] = {
        "none": {},
        "revoked": key_header(key),
        "revoked in X-API-Key": {"X-API-Key": key},
        "wrong secret, right prefix": key_header(key[:-4] + "AAAA"),
        "garbage": key_header("not-a-key"),
        "a user token": world.admin,
    }
    for name, headers in attempts.items():
        for method, path in (
            ("GET", "/api/v1/partner/cases"),
            ("GET", f"/api/v1/partner/cases/{case_id}"),
            ("POST", f"/api/v1/partner/cases/{case_id}/outcomes"),
        ):
            answer = world.http.request(method, path, headers=headers, json=PROMISE)
            assert answer.status_code == 401, f"{name} {method} {path}: {answer.status_code}"
            assert answer.headers["WWW-Authenticate"] == "ApiKey"
            assert "Bistro" not in answer.text
    assert len(world.bus.asked) == asked
    assert world.partners.outcome_log == []


def test_a_key_without_the_write_scope_reads_but_may_not_report() -> None:
    world = World()
    partner_id = world.partner()
    case_id = world.assign(partner_id)
    key = world.key(partner_id, ["cases:read"])
    assert world.http.get(f"/api/v1/partner/cases/{case_id}", headers=key_header(key)).status_code == 200
    answer = world.http.post(f"/api/v1/partner/cases/{case_id}/outcomes", headers={"X-API-Key": key}, json=PROMISE)
    assert answer.status_code == 403
    assert answer.json()["detail"] == "this API key lacks the scope cases:write"
    assert not any(isinstance(q, col.QualifyItems) for q in world.bus.asked)


def test_a_partner_key_reaches_no_staff_route_and_a_partner_route_takes_no_user_token() -> None:
    world = World()
    key = world.key(world.partner())
    assert world.http.get("/api/v1/partners", headers=key_header(key)).status_code == 401
    assert world.http.get("/api/v1/agenda", headers={"X-API-Key": key}).status_code == 401
    assert world.http.get("/api/v1/partner/cases", headers=world.admin).status_code == 401


def test_a_promise_becomes_a_qualification_is_recorded_and_sent_to_the_partner() -> None:
    world = World()
    partner_id = world.partner()
    case_id = world.assign(partner_id)
    key = world.key(partner_id)
    answer = world.http.post(
        f"/api/v1/partner/cases/{case_id}/outcomes", headers=key_header(key), json={**PROMISE, "comment": "pays 15th"}
    )
    assert answer.status_code == 201, answer.text
    command = world.bus.asked[-1]
    assert isinstance(command, col.QualifyItems)
    assert (command.customer_id, list(command.item_ids), command.status_code) == (
        "FR01/C001",
        ["FR01/invoice/F-1"],
        "promise_to_pay",
    )
    assert (command.promised_amount.amount, command.promised_amount.currency) == ("120.00", "EUR")
    assert (command.promised_on.year, command.promised_on.month, command.promised_on.day) == (2026, 12, 15)
    assert command.owner == "Calltech"
    assert answer.json()["promise_id"] == "promise-1"
    case = world.http.get(f"/api/v1/partner/cases/{case_id}", headers=key_header(key)).json()
    assert [(o["kind"], o["comment"]) for o in case["outcomes"]] == [("promise", "pays 15th")]
    assert [e for _, e, _, _ in world.sender.sent] == ["case.assigned", "case.updated"]
    audited = [e for e in world.access.entries if e.path.endswith("/outcomes")]
    assert [(e.role, e.status) for e in audited] == [("partner", 201)]


def test_a_wrong_number_or_new_contact_becomes_the_engines_outcome_event() -> None:
    world = World()
    partner_id = world.partner()
    case_id = world.assign(partner_id)
    key = world.key(partner_id)
    url = f"/api/v1/partner/cases/{case_id}/outcomes"
    assert world.http.post(url, headers=key_header(key), json={"kind": "wrong_number"}).status_code == 201
    contact = {"kind": "new_contact", "contact": {"phone": "+33 1 23 45 67 89", "address": "1 rue X"}}
    assert world.http.post(url, headers=key_header(key), json=contact).status_code == 201
    commands = [q for q in world.bus.asked if isinstance(q, col.RecordPartnerOutcome)]
    assert [(c.case_id, c.partner_id, c.kind) for c in commands] == [
        (case_id, partner_id, col.PARTNER_OUTCOME_KIND_WRONG_NUMBER),
        (case_id, partner_id, col.PARTNER_OUTCOME_KIND_NEW_CONTACT),
    ]
    assert (commands[1].contact.phone, commands[1].contact.address) == ("+33 1 23 45 67 89", "1 rue X")
    assert [o.kind.value for o in world.partners.outcome_log] == ["wrong_number", "new_contact"]
    assert world.partners.outcome_log[1].detail["contact"]["phone"] == "+33 1 23 45 67 89"
    assert world.partners.outcome_log[1].detail["event_id"] == "event-2"


def test_a_repeated_idempotency_key_is_one_event_in_the_engine() -> None:
    world = World()
    partner_id = world.partner("Lex & Co", "legal")
    case_id = world.assign(partner_id)
    key = world.key(partner_id)
    url = f"/api/v1/partner/cases/{case_id}/outcomes"
    body = {"kind": "recovered", "recovered_amount": "80.50", "currency": "EUR"}
    headers = {**key_header(key), "Idempotency-Key": "settlement-7"}
    first = world.http.post(url, headers=headers, json=body).json()
    again = world.http.post(url, headers=headers, json=body).json()
    assert first["event_id"] == again["event_id"] == "event-1"
    [command, *_] = [q for q in world.bus.asked if isinstance(q, col.RecordPartnerOutcome)]
    assert command.idempotency_key == f"partner:{partner_id}:settlement-7"
    assert (command.recovered.amount, command.recovered.currency) == ("80.50", "EUR")
    assert len(world.bus.outcomes) == 1


def test_a_case_escalated_to_the_partner_elsewhere_is_listed_from_the_engine_and_takes_outcomes() -> None:
    world = World()
    partner_id, other = world.partner("Calltech"), world.partner("Dialco")
    key = world.key(partner_id)
    # Escalated from the agenda, not through the partner API: the gateway never saw it.
    for target, case_id in ((partner_id, "case-agenda"), (other, "case-theirs")):
        escalation = col.CaseEscalated(
            case_id=case_id,
            customer_id="FR01/C002",
            entity="FR01",
            account_number="C002",
            customer_name="Café Soleil",
            partner_id=target,
            partner_kind=col.PARTNER_KIND_CALL_CENTRE,
            escalated_by="anna@example.com",
        )
        escalation.escalated_on.year, escalation.escalated_on.month, escalation.escalated_on.day = 2026, 11, 20
        world.bus.cases[case_id] = col.PartnerCase(escalation=escalation, state="open")
    listed = world.http.get("/api/v1/partner/cases", headers=key_header(key))
    assert listed.status_code == 200, listed.text
    assert [c["case_id"] for c in listed.json()] == ["case-agenda"]
    assert "anna" not in listed.text and "case-theirs" not in listed.text
    assert world.http.get("/api/v1/partner/cases/case-agenda", headers=key_header(key)).status_code == 200
    assert world.http.get("/api/v1/partner/cases/case-theirs", headers=key_header(key)).status_code == 404
    posted = world.http.post(
        "/api/v1/partner/cases/case-agenda/outcomes", headers=key_header(key), json={"kind": "call_reached"}
    )
    assert posted.status_code == 201, posted.text
    refused = world.http.post(
        "/api/v1/partner/cases/case-theirs/outcomes", headers=key_header(key), json={"kind": "call_reached"}
    )
    assert refused.status_code == 404
    assert [q.case_id for q in world.bus.asked if isinstance(q, col.RecordPartnerOutcome)] == ["case-agenda"]


def test_partner_management_is_its_own_permission() -> None:
    world = World()
    partner_id = world.partner()
    manager = signed_in(world.app, Role.CREDIT_MANAGER, email="cm@example.com")
    collector = signed_in(world.app, Role.COLLECTOR, email="colin@example.com")
    assert world.http.get("/api/v1/partners", headers=manager).status_code == 200
    body = {"name": "X", "kind": "legal", "webhook_url": PUBLIC_HOOK}
    assert world.http.post("/api/v1/partners", headers=manager, json=body).status_code == 403
    assert (
        world.http.post(
            f"/api/v1/partners/{partner_id}/keys", headers=manager, json={"scopes": ["cases:read"]}
        ).status_code
        == 403
    )
    assert world.http.get("/api/v1/partners", headers=collector).status_code == 403
    assert world.http.get(f"/api/v1/partners/{partner_id}/deliveries/pending", headers=collector).status_code == 403


def test_queued_webhooks_are_listed_until_delivered() -> None:
    world = World()
    partner_id = world.partner()
    case_id = world.assign(partner_id)
    pending = world.http.get(f"/api/v1/partners/{partner_id}/deliveries/pending", headers=world.admin)
    assert pending.status_code == 200
    assert [(p["event_type"], p["case_id"], p["attempts"]) for p in pending.json()] == [("case.assigned", case_id, 0)]
    assert world.http.get("/api/v1/partners/nobody/deliveries/pending", headers=world.admin).status_code == 404


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"kind": "promise", "promised_amount": "50.00", "currency": "EUR"}, "a promise outcome needs promised_on"),
        ({"kind": "new_contact", "contact": {}}, "a new_contact outcome needs contact"),
        ({"kind": "legal_status", "legal_status": "filed"}, "a call_centre partner reports no legal_status"),
        ({"kind": "dispute", "item_ids": ["FR01/invoice/OTHER"]}, "item 'FR01/invoice/OTHER' is not in case"),
    ],
)
def test_an_incomplete_or_foreign_outcome_is_refused_before_anything_is_asked(
    body: dict[str, Any], detail: str
) -> None:
    world = World()
    partner_id = world.partner()
    case_id = world.assign(partner_id)
    key = world.key(partner_id)
    asked = len(world.bus.asked)
    answer = world.http.post(f"/api/v1/partner/cases/{case_id}/outcomes", headers=key_header(key), json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(detail)
    assert len(world.bus.asked) == asked
    assert world.partners.outcome_log == []


def test_a_legal_partner_reports_recovered_amounts_and_documents() -> None:
    world = World()
    partner_id = world.partner("Lex & Co", "legal")
    case_id = world.assign(partner_id)
    key = world.key(partner_id)
    url = f"/api/v1/partner/cases/{case_id}/outcomes"
    recovered = {"kind": "recovered", "recovered_amount": "80.50", "currency": "EUR"}
    document = {"kind": "document", "document": {"name": "judgment.pdf", "url": "https://lex.example/d/1"}}
    for body in (recovered, document, {"kind": "legal_status", "legal_status": "judgment_obtained"}):
        assert world.http.post(url, headers=key_header(key), json=body).status_code == 201
    log = world.partners.outcome_log
    assert log[0].detail["recovered_amount"] == "80.50"
    assert log[1].detail["document"]["name"] == "judgment.pdf"
    assert log[2].detail["legal_status"] == "judgment_obtained"


def test_a_withdrawn_case_takes_no_more_outcomes_and_the_partner_is_told() -> None:
    world = World()
    partner_id = world.partner()
    case_id = world.assign(partner_id)
    key = world.key(partner_id)
    withdrawn = world.http.post(
        f"/api/v1/partners/{partner_id}/cases/{case_id}/withdraw", headers=world.admin, json={"reason": "paid"}
    )
    assert withdrawn.json()["status"] == "withdrawn"
    answer = world.http.post(f"/api/v1/partner/cases/{case_id}/outcomes", headers=key_header(key), json=PROMISE)
    assert answer.status_code == 409
    assert [e for _, e, _, _ in world.sender.sent] == ["case.assigned", "case.withdrawn"]
    assert world.http.get("/api/v1/partner/cases", headers=key_header(key)).json() == []
    listed = world.http.get("/api/v1/partner/cases?status=withdrawn", headers=key_header(key)).json()
    assert [c["case_id"] for c in listed] == [case_id]


def test_each_key_has_its_own_rate_limit() -> None:
    world = World(rate_limit_burst=3, rate_limit_per_minute=1)
    partner_id = world.partner()
    first, second = world.key(partner_id), world.key(partner_id)
    codes = [world.http.get("/api/v1/partner/cases", headers=key_header(first)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert world.http.get("/api/v1/partner/cases", headers=key_header(second)).status_code == 200


def test_the_delivery_log_is_for_admins_and_lists_attempts_newest_first() -> None:
    world = World()
    partner_id = world.partner()
    collector = signed_in(world.app, Role.COLLECTOR, email="colin@example.com")
    assert world.http.get(f"/api/v1/partners/{partner_id}/deliveries", headers=collector).status_code == 403
    assert world.http.get(f"/api/v1/partners/{partner_id}/deliveries", headers=world.admin).json() == []
    assert world.http.get("/api/v1/partners/nobody/deliveries", headers=world.admin).status_code == 404


def test_a_disabled_partner_is_refused_its_keys_gets_no_webhook_nor_case_until_enabled_again() -> None:
    world = World()
    partner_id = world.partner()
    case_id = world.assign(partner_id)
    key = world.key(partner_id)
    assert world.http.get("/api/v1/partner/cases", headers=key_header(key)).status_code == 200

    disabled = world.http.post(f"/api/v1/partners/{partner_id}/disable", headers=world.admin)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled"] is True
    assert world.http.get(f"/api/v1/partners/{partner_id}", headers=world.admin).json()["disabled"] is True
    assert world.http.get("/api/v1/partner/cases", headers=key_header(key)).status_code == 401
    refused = world.http.post(
        f"/api/v1/partners/{partner_id}/cases",
        headers=world.admin,
        json={"entity": "FR01", "account_number": "C002"},
    )
    assert refused.status_code == 409
    assert "disabled" in refused.json()["detail"]
    # The webhook queued before it was disabled is given up without being sent.
    assert asyncio.run(world.sender.run_due()) == 1
    attempts = world.http.get(f"/api/v1/partners/{partner_id}/deliveries", headers=world.admin).json()
    assert [(a["case_id"], a["status"], a["http_status"]) for a in attempts] == [(case_id, "gave_up", None)]

    enabled = world.http.post(f"/api/v1/partners/{partner_id}/enable", headers=world.admin)
    assert enabled.status_code == 200
    assert enabled.json()["disabled"] is False
    assert world.http.get("/api/v1/partner/cases", headers=key_header(key)).status_code == 200


def test_only_an_admin_disables_a_partner_and_an_unknown_one_is_not_found() -> None:
    world = World()
    partner_id = world.partner()
    manager = signed_in(world.app, Role.CREDIT_MANAGER, email="cm@example.com")
    assert world.http.post(f"/api/v1/partners/{partner_id}/disable", headers=manager).status_code == 403
    assert world.partners.by_id[partner_id].disabled is False
    assert world.http.post("/api/v1/partners/nobody/disable", headers=world.admin).status_code == 404
