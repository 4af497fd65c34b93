"""The late-payment penalty routes over a fake bus: the commands they send and the JSON they promise."""

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


TERMS = col.PenaltyTerms(law="FR", issue_items=True, charge_interest=False, charge_compensation=True)


def test_setting_a_customers_penalty_settings_sends_only_what_was_given() -> None:
    answer = col.PenaltySettingsSet(
        entity="FR01",
        account_number="C1",
        settings=col.PenaltySettings(exempt_interest=True, law="GB", updated_by="anna"),
        terms=TERMS,
    )
    http, bus = client({col.SetPenaltySettings: answer})
    response = http.put(
        "/api/v1/customers/FR01/C1/penalty-settings",
        json={"exempt_interest": True, "law": "GB", "minimum_interest": {"amount": "5.00", "currency": "EUR"}},
        headers=signed_in(http.app, email="anna@example.com"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["settings"] == {
        "issue_items": None,
        "exempt_interest": True,
        "exempt_compensation": None,
        "law": "GB",
        "minimum_interest": None,
        "updated_by": "anna",
    }
    assert body["terms"] == {
        "law": "FR",
        "issue_items": True,
        "charge_interest": False,
        "charge_compensation": True,
        "minimum_interest": None,
    }
    [sent] = bus.asked
    assert isinstance(sent, col.SetPenaltySettings)
    assert (sent.entity, sent.account_number, sent.user, sent.settings.law) == ("FR01", "C1", "anna@example.com", "GB")
    assert sent.settings.HasField("exempt_interest") and not sent.settings.HasField("issue_items")
    assert (sent.settings.minimum_interest.amount, sent.settings.minimum_interest.currency) == ("5.00", "EUR")


def test_an_entitys_settings_take_no_law_and_refuse_unknown_fields() -> None:
    http, bus = client({col.SetPenaltySettings: col.PenaltySettingsSet(entity="FR01", terms=TERMS)})
    response = http.put("/api/v1/entities/FR01/penalty-settings", json={"issue_items": True})
    assert response.status_code == 200 and response.json()["account_number"] is None
    [sent] = bus.asked
    assert (sent.entity, sent.account_number, sent.settings.issue_items) == ("FR01", "", True)

    refused = http.put("/api/v1/entities/FR01/penalty-settings", json={"law": "DE"})
    assert refused.status_code == 422 and len(bus.asked) == 1
    typo = http.put("/api/v1/entities/FR01/penalty-settings", json={"exempt_intrest": True})
    assert typo.status_code == 422


def test_a_refusal_of_the_scenario_service_comes_back_as_a_problem() -> None:
    http, _ = client({col.SetPenaltySettings: RemoteError("rpc", "invalid", "settings.law: no late-payment law 'XX'")})
    response = http.put("/api/v1/customers/FR01/C1/penalty-settings", json={"law": "XX"})
    assert response.status_code == 422
    assert response.json()["detail"] == "settings.law: no late-payment law 'XX'"


def test_a_customers_penalties_show_what_is_due_and_what_was_issued() -> None:
    answer = col.Penalties(
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        terms=TERMS,
        as_of=Date(year=2026, month=3, day=5),
        invoices=[
            col.InvoicePenalties(
                item_id="FR01/invoice/F-1",
                number="F-1",
                due_date=Date(year=2026, month=1, day=31),
                open_amount=Money(amount="1000.00", currency="EUR"),
                days_late=33,
                interest_to_date=Money(amount="10.98", currency="EUR"),
                interest_not_issued=Money(amount="1.66", currency="EUR"),
                compensation=Money(amount="40.00", currency="EUR"),
                compensation_issued=True,
                interest_issued_to=Date(year=2026, month=2, day=28),
            )
        ],
        issued=[
            col.IssuedPenalty(
                penalty_id="p-1",
                item_id="FR01/invoice/F-1",
                number="F-1",
                kind=col.PENALTY_KIND_INTEREST,
                amount=Money(amount="9.32", currency="EUR"),
                period_from=Date(year=2026, month=2, day=1),
                period_to=Date(year=2026, month=2, day=28),
                rates=[col.PenaltyRate(period="2026-H1", rate="12.15", points="10", reference_rate="2.15")],
                law="FR",
                issued_on=Date(year=2026, month=3, day=5),
            )
        ],
    )
    http, bus = client({col.GetPenalties: answer})
    response = http.get("/api/v1/customers/FR01/C1/penalties")
    assert response.status_code == 200
    body = response.json()
    [line] = body["invoices"]
    assert line["interest_not_issued"] == {"amount": "1.66", "currency": "EUR"}
    assert (line["interest_issued_to"], line["compensation_issued"], line["problem"]) == ("2026-02-28", True, None)
    [issued] = body["issued"]
    assert (issued["kind"], issued["period_from"], issued["period_to"]) == ("interest", "2026-02-01", "2026-02-28")
    assert issued["rates"][0]["rate"] == "12.15"
    assert body["customer_settings"]["exempt_interest"] is None
    [sent] = bus.asked
    assert isinstance(sent, col.GetPenalties) and sent.customer_id == "FR01/C1"


def test_penalties_of_an_unknown_customer_are_a_404() -> None:
    http, _ = client({col.GetPenalties: RemoteError("rpc", "not_found", "no customer 'FR01/C9'")})
    response = http.get("/api/v1/customers/FR01/C9/penalties")
    assert response.status_code == 404 and response.json()["detail"] == "no customer 'FR01/C9'"


def test_an_entitys_penalty_settings_are_read_with_the_terms_they_give() -> None:
    answer = col.PenaltySettingsSet(
        entity="FR01",
        settings=col.PenaltySettings(issue_items=True, minimum_interest=Money(amount="5.00", currency="EUR")),
        terms=TERMS,
    )
    answer.settings.updated_by = "anna"
    http, bus = client({col.GetPenaltySettings: answer})
    response = http.get("/api/v1/entities/FR01/penalty-settings")
    assert response.status_code == 200
    assert response.json() == {
        "entity": "FR01",
        "account_number": None,
        "settings": {
            "issue_items": True,
            "exempt_interest": None,
            "exempt_compensation": None,
            "law": None,
            "minimum_interest": {"amount": "5.00", "currency": "EUR"},
            "updated_by": "anna",
        },
        "terms": {
            "law": "FR",
            "issue_items": True,
            "charge_interest": False,
            "charge_compensation": True,
            "minimum_interest": None,
        },
    }
    assert bus.asked == [col.GetPenaltySettings(entity="FR01")]
    out_of_scope = http.get(
        "/api/v1/entities/FR01/penalty-settings", headers=signed_in(http.app, entities=frozenset({"DE01"}))
    )
    assert out_of_scope.status_code == 404
    assert len(bus.asked) == 1
