"""The payment plan routes over a fake bus: the commands they send and the JSON they promise."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, Money
from opendso_bus import RemoteError
from opendso_gateway.app import create_app
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in

URL = "/api/v1/customers/FR01/C1/payment-plans"


def setup_module() -> None:
    # main() installs the provider in a real process; a test installs one if nobody has.
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


# Copied from test_api.py: with --import-mode=importlib a sibling test module is not importable.
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


def client(answers: dict[type, Any]) -> tuple[TestClient, FakeBus]:
    bus = FakeBus(answers)
    app = create_app(gateway_settings(), bus=bus, store=MemoryAccessStore())  # type: ignore[arg-type]
    return TestClient(app, headers=signed_in(app)), bus


PLAN = col.PaymentPlan(
    plan_id="PP-ABC",
    customer_id="FR01/C1",
    entity="FR01",
    state=col.PAYMENT_PLAN_STATE_ACTIVE,
    item_ids=["FR01/invoice/F-1"],
    total=Money(amount="300.00", currency="EUR"),
    paid=Money(amount="0", currency="EUR"),
    frequency="monthly",
    created_on=Date(year=2026, month=11, day=24),
    created_by="anna",
    instalments=[
        col.PaymentPlanInstalment(
            item_id="FR01/plan/PP-ABC/01",
            number="PP-ABC-01",
            sequence=1,
            due_date=Date(year=2026, month=12, day=4),
            amount=Money(amount="150.00", currency="EUR"),
            open_amount=Money(amount="150.00", currency="EUR"),
        )
    ],
)


def test_creating_a_plan_sends_the_command_and_answers_201_then_200_when_replayed() -> None:
    http, bus = client({col.CreatePaymentPlan: col.PaymentPlanCreated(plan=PLAN)})
    body = {
        "item_ids": ["FR01/invoice/F-1"],
        "instalment_count": 2,
        "first_date": "2026-12-04",
        "down_payment": {"amount": "10.00", "currency": "EUR"},
    }
    response = http.post(
        URL, json=body, headers={"Idempotency-Key": "k-1", **signed_in(http.app, email="anna@example.com")}
    )
    assert response.status_code == 201
    answer = response.json()
    assert answer["replayed"] is False
    assert answer["plan"]["state"] == "active"
    assert answer["plan"]["instalments"] == [
        {
            "item_id": "FR01/plan/PP-ABC/01",
            "number": "PP-ABC-01",
            "sequence": 1,
            "due_date": "2026-12-04",
            "amount": {"amount": "150.00", "currency": "EUR"},
            "open_amount": {"amount": "150.00", "currency": "EUR"},
        }
    ]
    [sent] = bus.asked
    assert isinstance(sent, col.CreatePaymentPlan)
    assert (sent.customer_id, sent.instalment_count, sent.user, sent.idempotency_key) == (
        "FR01/C1",
        2,
        "anna@example.com",
        "k-1",
    )
    assert (sent.first_date.year, sent.first_date.month, sent.first_date.day) == (2026, 12, 4)
    assert (sent.down_payment.amount, sent.down_payment.currency) == ("10.00", "EUR")

    bus.answers[col.CreatePaymentPlan] = col.PaymentPlanCreated(plan=PLAN, replayed=True)
    again = http.post(URL, json=body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["replayed"] is True


def test_an_explicit_schedule_is_sent_line_by_line() -> None:
    http, bus = client({col.CreatePaymentPlan: col.PaymentPlanCreated(plan=PLAN)})
    schedule = [
        {"due_date": "2026-12-04", "amount": "100.00", "currency": "EUR"},
        {"due_date": "2027-01-15", "amount": "200.00", "currency": "EUR"},
    ]
    assert http.post(URL, json={"item_ids": ["FR01/invoice/F-1"], "schedule": schedule}).status_code == 201
    [sent] = bus.asked
    assert isinstance(sent, col.CreatePaymentPlan)
    assert [(s.due_date.month, s.amount.amount) for s in sent.schedule] == [(12, "100.00"), (1, "200.00")]


def test_a_plan_without_count_or_schedule_or_with_a_float_amount_is_refused_before_the_bus() -> None:
    http, bus = client({})
    response = http.post(URL, json={"item_ids": ["FR01/invoice/F-1"], "instalment_count": 3})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "first_date: required without a schedule"
    floats = http.post(
        URL,
        json={"item_ids": ["x"], "schedule": [{"due_date": "2026-12-04", "amount": 100.5, "currency": "EUR"}]},
    )
    assert floats.status_code == 422 and "not a JSON number" in floats.text
    assert bus.asked == []


def test_the_services_refusal_comes_back_as_a_problem_naming_the_field() -> None:
    detail = "item_ids[FR01/invoice/F-1]: already in payment plan PP-ABC"
    http, _ = client(
        {col.CreatePaymentPlan: RemoteError("opendso.rpc.collection.v1.create_payment_plan", "invalid", detail)}
    )
    response = http.post(
        URL, json={"item_ids": ["FR01/invoice/F-1"], "instalment_count": 2, "first_date": "2026-12-04"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == detail


def test_listing_and_cancelling() -> None:
    cancelled = col.PaymentPlan()
    cancelled.CopyFrom(PLAN)
    cancelled.state = col.PAYMENT_PLAN_STATE_CANCELLED
    cancelled.ended_on.CopyFrom(Date(year=2026, month=11, day=30))
    http, bus = client(
        {
            col.ListPaymentPlans: col.PaymentPlans(customer_id="FR01/C1", plans=[PLAN]),
            col.CancelPaymentPlan: col.PaymentPlanCancelled(plan=cancelled, reason="customer asked"),
        }
    )
    listed = http.get(URL, params={"include_ended": "true"}).json()
    assert [p["plan_id"] for p in listed["plans"]] == ["PP-ABC"]
    response = http.post(
        f"{URL}/PP-ABC/cancel", json={"reason": "customer asked"}, headers=signed_in(http.app, email="ben@example.com")
    )
    assert response.status_code == 200
    assert (response.json()["plan"]["state"], response.json()["plan"]["ended_on"]) == ("cancelled", "2026-11-30")
    query, cancel = bus.asked
    assert isinstance(query, col.ListPaymentPlans) and query.include_ended
    assert isinstance(cancel, col.CancelPaymentPlan)
    assert (cancel.plan_id, cancel.user, cancel.reason) == ("PP-ABC", "ben@example.com", "customer asked")
