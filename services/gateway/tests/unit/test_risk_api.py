"""The risk routes over a fake bus: the JSON they promise, the queries they send, who may call them, and the data
scope they keep (entities, a collector's portfolio)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.common.v1.common_pb2 import Date, Money
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.risk.v1 import risk_pb2 as rk
from opendso_bus import RemoteError
from opendso_gateway.app import create_app
from opendso_gateway.domain.access import Role

from .fakes import MemoryAccessStore, gateway_settings, signed_in


# The same pattern as the other route tests (with --import-mode=importlib a sibling test module is not importable).
class FakeBus:
    """Answers queries from a table of canned replies and records what was asked."""

    def __init__(self, answers: dict[type, Any]) -> None:
        self.answers = answers
        self.asked: list[Message] = []

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        answer = self.answers[type(req)]
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass(frozen=True)
class Scope:
    entities: frozenset[str] | None = None
    portfolio: str = ""


@dataclass(frozen=True)
class User:
    """What the authentication layer leaves on the request."""

    email: str = "carla@example.com"
    role: str = "credit_manager"
    scope: Scope = field(default_factory=Scope)


def client(answers: dict[type, Any], user: User | None = User()) -> tuple[TestClient, FakeBus]:
    """The whole gateway over a fake bus, with ``user`` signed in (None: no token)."""
    bus = FakeBus(answers)
    app = create_app(gateway_settings(), bus=bus, store=MemoryAccessStore())  # type: ignore[arg-type]
    http = TestClient(app, headers={"X-Request-Id": "req-1"})
    if user is not None:
        http.headers.update(
            signed_in(
                app,
                Role(user.role),
                email=user.email,
                entities=user.scope.entities,
                portfolio=user.scope.portfolio,
            )
        )
    return http, bus


D = Date(year=2026, month=6, day=30)
EUR = Money(amount="1250.00", currency="EUR")
PROFILE = rk.RiskProfile(
    customer_id="FR01/C1",
    entity="FR01",
    account_number="C1",
    name="Dupont SA",
    collector="anna",
    parent_account="",
    group_id="FR01/C1",
    group_size=2,
    as_of=D,
    score=rk.Score(
        rated=True,
        value=42,
        grade="D",
        points="38.24",
        rated_weight="90",
        parts=[
            rk.ScorePart(
                name="behaviour",
                value="19.6",
                measure="average days late, amount-weighted, invoices paid in the last 12 months",
                weight="35",
                quality="0.6733",
                points="23.57",
                rated=True,
                explanation="19.6 days late over 3 paid invoices: all points at 0, none from 60 days",
            ),
            rk.ScorePart(name="external_rating", weight="10", quality="0.0000", points="0.00", rated=False),
        ],
    ),
    behaviour=rk.Behaviour(
        windows=[rk.BehaviourWindow(months=12, paid_invoices=3, weighted_days_late="19.6", share_paid_late="0.6667")],
        trend="unknown",
        open_disputes=1,
    ),
    open_balance=[EUR],
    limits=[
        rk.CreditLimit(
            limit_id="customer:FR01/C1",
            holder_kind=rk.HOLDER_KIND_CUSTOMER,
            holder_id="FR01/C1",
            entity="FR01",
            amount=Money(amount="1000.00", currency="EUR"),
            source="risk",
            use=rk.LimitUse(known=True, balance=EUR, use="1.2500", computed_on=D, customers=1),
        )
    ],
)
ALERT = rk.Alert(
    alert_id="a-1",
    key="promise_broken:p-1",
    rule="promise_broken",
    customer_id="FR01/C1",
    entity="FR01",
    collector="anna",
    severity="high",
    summary="promise to pay broken",
    facts=[rk.Fact(name="items", value="1")],
    raised_on=D,
    status=rk.ALERT_STATUS_OPEN,
)


def test_a_profile_shows_the_score_parts_behaviour_and_limits() -> None:
    api, bus = client({rk.GetRiskProfile: PROFILE})
    response = api.get("/api/v1/risk/customers/FR01/C1")
    assert response.status_code == 200
    body = response.json()
    assert bus.asked == [rk.GetRiskProfile(customer_id="FR01/C1")]
    assert body["score"]["value"] == 42 and body["score"]["grade"] == "D"
    assert body["score"]["parts"][0] == {
        "name": "behaviour",
        "value": "19.6",
        "measure": "average days late, amount-weighted, invoices paid in the last 12 months",
        "weight": "35",
        "quality": "0.6733",
        "points": "23.57",
        "rated": True,
        "explanation": "19.6 days late over 3 paid invoices: all points at 0, none from 60 days",
    }
    assert body["score"]["parts"][1]["value"] is None
    assert body["group"] == {"group_id": "FR01/C1", "size": 2}
    assert body["behaviour"]["windows"][0]["weighted_days_late"] == "19.6"
    (limit,) = body["limits"]
    assert (limit["holder_kind"], limit["amount"], limit["use"]["use"]) == (
        "customer",
        {"amount": "1000.00", "currency": "EUR"},
        "1.2500",
    )
    assert body["external_rating"] is None


def test_without_a_signed_in_user_nothing_reaches_the_service() -> None:
    api, bus = client({rk.GetRiskProfile: PROFILE}, user=None)
    response = api.get("/api/v1/risk/customers/FR01/C1")
    assert response.status_code == 401
    assert bus.asked == []


def test_sales_and_read_only_users_may_not_see_limits_and_collectors_may_not_set_them() -> None:
    for role in ("sales", "read_only"):
        api, bus = client({rk.GetRiskProfile: PROFILE}, User(role=role))
        response = api.get("/api/v1/risk/customers/FR01/C1")
        assert response.status_code == 403
        assert response.json()["detail"] == f"role {role} may not read risk"
    api, bus = client({}, User(role="collector"))
    body = {"amount": {"amount": "5000.00", "currency": "EUR"}}
    assert api.put("/api/v1/risk/customers/FR01/C1/credit-limit", json=body).status_code == 403
    assert api.put("/api/v1/risk/config", json={"config": {}, "expected_version": 0}).status_code == 403
    assert bus.asked == []


def test_a_customer_out_of_the_scope_is_not_found() -> None:
    api, bus = client({rk.GetRiskProfile: PROFILE}, User(scope=Scope(entities=frozenset({"DE01"}))))
    response = api.get("/api/v1/risk/customers/FR01/C1")
    assert response.status_code == 404
    assert bus.asked == []
    account = rv.CustomerAccount(found=True, customer=rv.Customer(entity="FR01", account_number="C1", collector="anna"))
    answers = {rk.GetRiskProfile: PROFILE, rv.GetCustomerAccount: account}
    mine, bob_bus = client(answers, User(role="collector", scope=Scope(portfolio="bob")))
    assert mine.get("/api/v1/risk/customers/FR01/C1").status_code == 404
    assert [type(q) for q in bob_bus.asked] == [rv.GetCustomerAccount]  # the profile is never fetched
    anna, _ = client(answers, User(role="collector", scope=Scope(portfolio="Anna")))
    assert anna.get("/api/v1/risk/customers/FR01/C1").status_code == 200


def test_a_portfolio_asks_the_importer_whose_customer_it_is_before_the_predicted_dates() -> None:
    account = rv.CustomerAccount(found=True, customer=rv.Customer(entity="FR01", account_number="C1", collector="bob"))
    dates = rk.PredictedDates(
        customer_id="FR01/C1",
        as_of=D,
        rule="no paid invoice of the customer or its segment: the due date",
        expected_days="0.0",
        items=[
            rk.PredictedItem(
                item_id="FR01/invoice/F-5",
                number="F-5",
                due_date=D,
                open_amount=EUR,
                predicted_on=D,
                days_after_due=0,
            )
        ],
    )
    api, bus = client(
        {rv.GetCustomerAccount: account, rk.GetPredictedDates: dates},
        User(role="collector", scope=Scope(portfolio="anna")),
    )
    assert api.get("/api/v1/risk/customers/FR01/C1/predicted-dates").status_code == 404
    assert bus.asked == [rv.GetCustomerAccount(entity="FR01", account_number="C1")]
    api, bus = client({rk.GetPredictedDates: dates})
    body = api.get("/api/v1/risk/customers/FR01/C1/predicted-dates").json()
    assert body["items"] == [
        {
            "item_id": "FR01/invoice/F-5",
            "number": "F-5",
            "due_date": "2026-06-30",
            "open_amount": {"amount": "1250.00", "currency": "EUR"},
            "predicted_on": "2026-06-30",
            "days_after_due": 0,
            "later_than_usual": False,
        }
    ]
    assert (body["customer_days"], body["segment"], body["expected_days"]) == (None, None, "0.0")


def test_a_limit_is_set_for_a_customer_or_a_group_by_the_signed_in_user() -> None:
    answer = rk.CreditLimitSet(limit=PROFILE.limits[0])
    api, bus = client({rk.SetCreditLimit: answer})
    body = {"amount": {"amount": "5000.00", "currency": "EUR"}, "review_on": "2026-12-31", "comment": "annual"}
    response = api.put("/api/v1/risk/customers/FR01/C1/credit-limit", json=body)
    assert response.status_code == 200
    assert response.json()["limit"]["limit_id"] == "customer:FR01/C1"
    assert bus.asked == [
        rk.SetCreditLimit(
            holder_kind=rk.HOLDER_KIND_CUSTOMER,
            holder_id="FR01/C1",
            amount=Money(amount="5000.00", currency="EUR"),
            review_on=Date(year=2026, month=12, day=31),
            comment="annual",
            user="carla@example.com",
            correlation_id="req-1",
        )
    ]
    api.put("/api/v1/risk/groups/FR01/P1/credit-limit", json=body)
    assert (bus.asked[-1].holder_kind, bus.asked[-1].holder_id) == (rk.HOLDER_KIND_GROUP, "FR01/P1")


def test_amounts_must_be_decimal_strings() -> None:
    api, bus = client({})
    response = api.put(
        "/api/v1/risk/customers/FR01/C1/credit-limit", json={"amount": {"amount": 5000.1, "currency": "EUR"}}
    )
    assert response.status_code == 422
    assert "not a JSON number" in response.text
    assert bus.asked == []


def test_removing_a_limit_names_its_holder() -> None:
    api, bus = client({rk.RemoveCreditLimit: rk.CreditLimitRemoved(limit_id="group:FR01/P1", removed=True)})
    response = api.delete("/api/v1/risk/groups/FR01/P1/credit-limit")
    assert response.json() == {"limit_id": "group:FR01/P1", "removed": True}
    assert bus.asked[0] == rk.RemoveCreditLimit(
        limit_id="group:FR01/P1", user="carla@example.com", correlation_id="req-1"
    )


def test_a_collector_lists_the_alerts_of_their_customers_within_their_entities() -> None:
    answer = rk.Alerts(alerts=[ALERT], next_page_token="t2", total=3)
    user = User(role="collector", scope=Scope(entities=frozenset({"FR01", "DE01"}), portfolio="anna"))
    api, bus = client({rk.ListAlerts: answer}, user)
    response = api.get(
        "/api/v1/risk/alerts",
        params={"collector": "bob", "status": "open", "rule": "promise_broken", "raised_from": "2026-06-01"},
    )
    assert response.status_code == 200
    assert bus.asked == [
        rk.ListAlerts(
            entities=["DE01", "FR01"],
            collector="anna",
            rule="promise_broken",
            status=rk.ALERT_STATUS_OPEN,
            raised_from=Date(year=2026, month=6, day=1),
            page_size=50,
        )
    ]
    body = response.json()
    assert (body["total"], body["next_page_token"]) == (3, "t2")
    assert body["alerts"][0]["facts"] == {"items": "1"}
    assert body["alerts"][0]["status"] == "open"
    assert api.get("/api/v1/risk/alerts", params={"rule": "nope"}).status_code == 422


def test_a_credit_manager_filters_alerts_by_collector_and_an_empty_scope_lists_nothing() -> None:
    api, bus = client({rk.ListAlerts: rk.Alerts()})
    api.get("/api/v1/risk/alerts", params={"collector": "bob", "entity": "FR01"})
    assert (list(bus.asked[0].entities), bus.asked[0].collector) == (["FR01"], "bob")
    nobody, bus = client({rk.ListAlerts: rk.Alerts()}, User(scope=Scope(entities=frozenset())))
    assert nobody.get("/api/v1/risk/alerts").json() == {"alerts": [], "next_page_token": None, "total": 0}
    assert nobody.get("/api/v1/risk/alerts", params={"entity": "FR01"}).status_code == 404
    assert bus.asked == []


def test_acknowledging_passes_the_callers_scope_and_a_refusal_is_a_problem() -> None:
    done = rk.AlertAcknowledged(alert=ALERT)
    user = User(role="collector", scope=Scope(portfolio="anna"))
    api, bus = client({rk.AcknowledgeAlert: done}, user)
    response = api.post("/api/v1/risk/alerts/a-1/acknowledge", json={"comment": "called them"})
    assert response.status_code == 200
    assert bus.asked == [
        rk.AcknowledgeAlert(
            alert_id="a-1", user="carla@example.com", comment="called them", correlation_id="req-1", collector="anna"
        )
    ]
    missing = RemoteError("opendso.rpc.risk.v1.acknowledge_alert", "not_found", "no alert 'a-2'")
    api, _ = client({rk.AcknowledgeAlert: missing}, user)
    response = api.post("/api/v1/risk/alerts/a-2/acknowledge", json={})
    assert (response.status_code, response.json()["detail"]) == (404, "no alert 'a-2'")


def test_the_configuration_is_sent_as_json_and_its_problems_come_back_by_path() -> None:
    saved = rk.RiskConfig(json='{"trend": {"days": 7}}', version=2, updated_by="carla@example.com", default_json="{}")
    api, bus = client({rk.SetRiskConfig: saved})
    response = api.put("/api/v1/risk/config", json={"config": {"trend": {"days": 7}}, "expected_version": 1})
    assert response.status_code == 200
    assert response.json()["config"] == {"trend": {"days": 7}}
    assert bus.asked[0] == rk.SetRiskConfig(
        json='{"trend": {"days": 7}}', expected_version=1, user="carla@example.com", correlation_id="req-1"
    )
    wrong = RemoteError("opendso.rpc.risk.v1.set_risk_config", "invalid", "trend.days: must be a whole number")
    api, _ = client({rk.SetRiskConfig: wrong})
    response = api.put("/api/v1/risk/config", json={"config": {"trend": {"days": -1}}, "expected_version": 0})
    assert (response.status_code, response.json()["detail"]) == (422, "trend.days: must be a whole number")


def test_covers_are_created_once_per_idempotency_key_and_removed_only_within_scope() -> None:
    cover = rk.InsuranceCover(
        cover_id="c-1",
        holder_kind=rk.HOLDER_KIND_ENTITY,
        holder_id="FR01",
        entity="FR01",
        insurer="Allianz Trade",
        amount=Money(amount="250000.00", currency="EUR"),
        kind=rk.COVER_KIND_TEMPORARY,
        expires_on=Date(year=2026, month=7, day=20),
    )
    api, bus = client(
        {
            rk.SetInsuranceCover: rk.InsuranceCoverSet(cover=cover, created=True),
            rk.ListInsuranceCovers: rk.InsuranceCovers(covers=[cover], total=1),
            rk.RemoveInsuranceCover: rk.InsuranceCoverRemoved(cover_id="c-1", removed=True),
        }
    )
    body = {
        "holder_kind": "entity",
        "holder_id": "FR01",
        "insurer": "Allianz Trade",
        "amount": {"amount": "250000.00", "currency": "EUR"},
        "kind": "temporary",
        "expires_on": "2026-07-20",
    }
    response = api.post("/api/v1/risk/insurance-covers", json=body, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 201
    assert response.json()["cover"]["expires_on"] == "2026-07-20"
    sent = bus.asked[0]
    assert isinstance(sent, rk.SetInsuranceCover)
    assert (sent.idempotency_key, sent.cover.kind, sent.cover.holder_kind) == (
        "k-1",
        rk.COVER_KIND_TEMPORARY,
        rk.HOLDER_KIND_ENTITY,
    )
    assert api.delete("/api/v1/risk/insurance-covers/c-1").json() == {"cover_id": "c-1", "removed": True}
    assert bus.asked[1] == rk.ListInsuranceCovers(cover_id="c-1")

    other, bus = client({rk.ListInsuranceCovers: rk.InsuranceCovers()}, User(scope=Scope(entities=frozenset({"DE01"}))))
    assert other.delete("/api/v1/risk/insurance-covers/c-1").status_code == 404
    assert [type(m) for m in bus.asked] == [rk.ListInsuranceCovers]
    assert other.post("/api/v1/risk/insurance-covers", json=body).status_code == 404


def test_the_agenda_passes_the_scope_and_shows_each_entry() -> None:
    entry = rk.RiskAgendaEntry(
        reason="limit_exceeded",
        holder_kind=rk.HOLDER_KIND_CUSTOMER,
        holder_id="FR01/C1",
        entity="FR01",
        due_on=D,
        summary="1250.00 EUR open against a limit of 1000.00 EUR (125.0 %)",
        limit=PROFILE.limits[0],
    )
    api, bus = client({rk.GetRiskAgenda: rk.RiskAgenda(as_of=D, entries=[entry], total=1)})
    body = api.get("/api/v1/risk/agenda", params={"horizon_days": 60}).json()
    assert bus.asked == [rk.GetRiskAgenda(horizon_days=60, page_size=50)]
    (shown,) = body["entries"]
    assert (shown["reason"], shown["limit"]["use"]["use"], shown["cover"]) == ("limit_exceeded", "1.2500", None)
