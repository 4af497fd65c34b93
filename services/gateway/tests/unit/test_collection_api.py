"""The next-action and escalation routes over a fake bus: the JSON they promise and the commands they send."""

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

from .fakes import SIGNED_IN, MemoryAccessStore, gateway_settings, signed_in


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


BASE = "/api/v1/customers/FR01/C1"


def _escalated(replayed: bool = False) -> col.CaseEscalated:
    return col.CaseEscalated(
        case_id="case-1",
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        customer_name="Dupont SARL",
        items=[
            col.EscalatedItem(
                item_id="FR01/invoice/F-1",
                number="F-1",
                due_date=Date(year=2026, month=8, day=21),
                open_amount=Money(amount="1200.00", currency="EUR"),
                days_overdue=95,
            )
        ],
        totals=[Money(amount="1200.00", currency="EUR")],
        partner_kind=col.PARTNER_KIND_LEGAL,
        partner_id="cabinet-martin",
        note="formal notice ignored",
        escalated_by="anna",
        escalated_on=Date(year=2026, month=11, day=24),
        item_status="litigation",
        replayed=replayed,
    )


def test_next_action_answers_the_suggestion_with_its_facts() -> None:
    answer = col.NextBestAction(
        customer_id="FR01/C1",
        action="call_now",
        rule="reminders_ignored",
        reason="2 reminders sent since F-1 fell due ...",
        facts=[
            col.NextBestActionFact(name="leader", value="F-1, 30 days overdue"),
            col.NextBestActionFact(name="contact", value="e-mail on record, phone unknown"),
        ],
        item_ids=["FR01/invoice/F-1"],
        act_on=Date(year=2026, month=11, day=24),
        overdue=[Money(amount="300.00", currency="EUR")],
        today=Date(year=2026, month=11, day=24),
    )
    http, bus = client({col.GetNextBestAction: answer})
    response = http.get(f"{BASE}/next-action")
    assert response.status_code == 200
    assert response.json() == {
        "customer_id": "FR01/C1",
        "action": "call_now",
        "reason": "2 reminders sent since F-1 fell due ...",
        "rule": "reminders_ignored",
        "facts": {"leader": "F-1, 30 days overdue", "contact": "e-mail on record, phone unknown"},
        "item_ids": ["FR01/invoice/F-1"],
        "act_on": "2026-11-24",
        "step_code": None,
        "channel": None,
        "overdue": [{"amount": "300.00", "currency": "EUR"}],
        "today": "2026-11-24",
    }
    assert bus.asked == [col.GetNextBestAction(customer_id="FR01/C1")]


def test_next_action_for_an_unknown_customer_is_a_404_problem() -> None:
    http, _ = client({col.GetNextBestAction: RemoteError("s", "not_found", "no customer 'FR01/C9'")})
    response = http.get("/api/v1/customers/FR01/C9/next-action")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "no customer 'FR01/C9'"


def test_escalating_sends_the_command_and_answers_201_then_200_when_replayed() -> None:
    http, bus = client({col.EscalateCase: _escalated()})
    body = {"partner_kind": "legal", "item_ids": ["FR01/invoice/F-1"], "partner_id": "cabinet-martin", "note": "n"}
    response = http.post(f"{BASE}/escalations", json=body, headers=signed_in(http.app, email="anna@example.com"))
    assert response.status_code == 201
    got = response.json()
    assert (got["case_id"], got["partner_kind"], got["item_status"], got["replayed"]) == (
        "case-1",
        "legal",
        "litigation",
        False,
    )
    assert got["items"] == [
        {
            "item_id": "FR01/invoice/F-1",
            "number": "F-1",
            "due_date": "2026-08-21",
            "open_amount": {"amount": "1200.00", "currency": "EUR"},
            "days_overdue": 95,
        }
    ]
    assert got["totals"] == [{"amount": "1200.00", "currency": "EUR"}]
    [command] = bus.asked
    assert isinstance(command, col.EscalateCase)
    assert (command.customer_id, list(command.item_ids), command.partner_kind, command.user) == (
        "FR01/C1",
        ["FR01/invoice/F-1"],
        col.PARTNER_KIND_LEGAL,
        "anna@example.com",
    )
    assert command.correlation_id == response.headers["X-Request-Id"]

    http, _ = client({col.EscalateCase: _escalated(replayed=True)})
    again = http.post(f"{BASE}/escalations", json=body, headers=signed_in(http.app, email="anna@example.com"))
    assert again.status_code == 200 and again.json()["replayed"] is True


def test_escalating_every_overdue_item_sends_no_item_ids() -> None:
    http, bus = client({col.EscalateCase: _escalated()})
    response = http.post(f"{BASE}/escalations", json={"partner_kind": "call_centre"})
    assert response.status_code == 201
    [command] = bus.asked
    assert isinstance(command, col.EscalateCase)
    assert (list(command.item_ids), command.partner_kind, command.user) == ([], col.PARTNER_KIND_CALL_CENTRE, SIGNED_IN)


def test_a_bad_escalation_body_is_refused_before_the_bus() -> None:
    http, bus = client({col.EscalateCase: _escalated()})
    for body in ({"partner_kind": "bailiff"}, {"partner_kind": "legal", "items": ["x"]}, {}):
        response = http.post(f"{BASE}/escalations", json=body)
        assert response.status_code == 422, body
    assert bus.asked == []


def test_a_conflicting_escalation_is_a_409_problem_naming_the_item() -> None:
    detail = "item_ids: F-1 already escalated to legal in case case-0; withdraw that case first"
    http, _ = client({col.EscalateCase: RemoteError("s", "conflict", detail)})
    response = http.post(f"{BASE}/escalations", json={"partner_kind": "debt_sale", "item_ids": ["FR01/invoice/F-1"]})
    assert response.status_code == 409
    assert response.json()["detail"] == detail


def test_withdrawing_names_the_case_and_the_customer() -> None:
    answer = col.CaseWithdrawn(
        case_id="case-1",
        customer_id="FR01/C1",
        partner_kind=col.PARTNER_KIND_LEGAL,
        item_ids=["FR01/invoice/F-1"],
        reason="paid in part",
        withdrawn_by="ben",
        withdrawn_on=Date(year=2026, month=11, day=25),
    )
    http, bus = client({col.WithdrawEscalation: answer})
    response = http.post(
        f"{BASE}/escalations/case-1/withdraw",
        json={"reason": "paid in part"},
        headers=signed_in(http.app, email="ben@example.com"),
    )
    assert response.status_code == 200
    assert response.json() == {
        "case_id": "case-1",
        "customer_id": "FR01/C1",
        "partner_kind": "legal",
        "partner_id": None,
        "item_ids": ["FR01/invoice/F-1"],
        "reason": "paid in part",
        "withdrawn_by": "ben",
        "withdrawn_on": "2026-11-25",
        "replayed": False,
    }
    [command] = bus.asked
    assert isinstance(command, col.WithdrawEscalation)
    assert (command.case_id, command.customer_id, command.user) == ("case-1", "FR01/C1", "ben@example.com")
    assert http.post(f"{BASE}/escalations/case-1/withdraw", json={}).status_code == 422
