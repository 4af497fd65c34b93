"""The exchange rate routes over a fake bus: the JSON they promise, the queries they send, and the problems
a refusal becomes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.common.v1.common_pb2 import Date, Money
from opendso.fx.v1 import fx_pb2 as fx
from opendso_bus import RemoteError
from opendso_gateway.app import create_app
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in


def setup_module() -> None:
    # main() installs the provider in a real process; a test installs one if nobody has.
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


# Copied from test_matching_api.py: with --import-mode=importlib a sibling test module is not importable.
class FakeBus:
    """Answers queries from a table of canned replies and records what was asked (and uploaded)."""

    def __init__(self, answers: dict[type, Any]) -> None:
        self.answers = answers
        self.asked: list[Message] = []
        self.timeouts: list[float | None] = []
        self.uploads: dict[str, bytes] = {}

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        self.timeouts.append(timeout)
        answer = self.answers[type(req)]
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def put_upload(self, name: str, data: bytes) -> None:
        self.uploads[name] = data


def client(answers: dict[type, Any], **settings: Any) -> tuple[TestClient, FakeBus]:
    bus = FakeBus(answers)
    app = create_app(gateway_settings(**settings), bus=bus, store=MemoryAccessStore())  # type: ignore[arg-type]
    return TestClient(app, headers=signed_in(app)), bus


FRI = Date(year=2024, month=1, day=5)
SAT = Date(year=2024, month=1, day=6)
RATE = fx.Rate(rate="144.748649391", from_currency="USD", to_currency="JPY", on=SAT, published_on=FRI, source="ecb")
RATE_JSON = {
    "from": "USD",
    "to": "JPY",
    "on": "2024-01-06",
    "rate": "144.748649391",
    "published_on": "2024-01-05",
    "source": "ecb",
}
MISSING = RemoteError(
    "opendso.rpc.fx.v1.get_rate",
    "not_found",
    "no USD->PLN rate on 2024-01-06: no EUR->PLN rate published between 2023-12-27 and 2024-01-06",
)


def test_a_rate_is_answered_with_its_publication_day_and_source() -> None:
    api, bus = client({fx.GetRate: RATE})
    response = api.get("/api/v1/fx/rates", params={"from": "USD", "to": "JPY", "on": "2024-01-06"})
    assert response.status_code == 200
    assert response.json() == RATE_JSON
    assert bus.asked == [fx.GetRate(from_currency="USD", to_currency="JPY", on=SAT)]


def test_a_rate_without_a_date_is_asked_for_today() -> None:
    api, bus = client({fx.GetRate: RATE})
    before = dt.datetime.now(dt.UTC).date()
    assert api.get("/api/v1/fx/rates", params={"from": "USD", "to": "JPY"}).status_code == 200
    asked = bus.asked[0]
    assert isinstance(asked, fx.GetRate)
    assert before <= dt.date(asked.on.year, asked.on.month, asked.on.day) <= dt.datetime.now(dt.UTC).date()


def test_a_missing_rate_is_a_404_problem_naming_the_pair_and_the_date() -> None:
    api, _ = client({fx.GetRate: MISSING})
    response = api.get("/api/v1/fx/rates", params={"from": "USD", "to": "PLN", "on": "2024-01-06"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["title"], body["code"]) == ("Not found", "not_found")
    assert body["detail"].startswith("no USD->PLN rate on 2024-01-06")


def test_a_malformed_question_never_reaches_the_bus() -> None:
    api, bus = client({fx.GetRate: RATE})
    assert api.get("/api/v1/fx/rates", params={"from": "usd", "to": "JPY", "on": "2024-01-06"}).status_code == 422
    assert api.get("/api/v1/fx/rates", params={"from": "USD", "to": "JPY", "on": "2024-02-30"}).status_code == 422
    assert api.get("/api/v1/fx/rates", params={"to": "JPY"}).status_code == 422
    assert bus.asked == []


def test_a_conversion_sends_the_amount_as_a_string_and_answers_both_amounts() -> None:
    conversion = fx.Conversion(
        amount=Money(amount="1000.00", currency="USD"), converted=Money(amount="144749", currency="JPY"), rate=RATE
    )
    api, bus = client({fx.Convert: conversion})
    response = api.get(
        "/api/v1/fx/convert", params={"amount": "1000.00", "currency": "USD", "to": "JPY", "on": "2024-01-06"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "amount": {"amount": "1000.00", "currency": "USD"},
        "converted": {"amount": "144749", "currency": "JPY"},
        "rate": RATE_JSON,
    }
    assert bus.asked == [fx.Convert(amount=Money(amount="1000.00", currency="USD"), to_currency="JPY", on=SAT)]


def test_an_amount_that_is_not_a_plain_decimal_is_refused() -> None:
    api, bus = client({fx.Convert: MISSING})
    for amount in ("1e3", "1,000.00", "12.5 ", ""):
        response = api.get("/api/v1/fx/convert", params={"amount": amount, "currency": "USD", "to": "JPY"})
        assert response.status_code == 422, amount
    assert bus.asked == []


def test_a_conversion_without_a_rate_is_a_404_and_no_amount() -> None:
    api, _ = client({fx.Convert: MISSING})
    response = api.get(
        "/api/v1/fx/convert", params={"amount": "10", "currency": "USD", "to": "PLN", "on": "2024-01-06"}
    )
    assert response.status_code == 404
    assert "converted" not in response.json()


IMPORTED = fx.RatesImported(count=25, first_day=Date(year=2023, month=12, day=29), last_day=FRI, days=5, changed=0)
FILE = b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"/>'


def test_an_uploaded_ecb_file_travels_in_the_command_and_its_report_comes_back() -> None:
    api, bus = client({fx.ImportRates: IMPORTED})
    response = api.post(
        "/api/v1/fx/rates/import",
        files={"file": ("eurofxref-hist-90d.xml", FILE, "text/xml")},
        headers={"X-Request-Id": "req-7"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "count": 25,
        "days": 5,
        "changed": 0,
        "first_day": "2023-12-29",
        "last_day": "2024-01-05",
    }
    assert bus.asked == [fx.ImportRates(file_name="eurofxref-hist-90d.xml", content=FILE, correlation_id="req-7")]
    # Importing the whole history takes longer than an ordinary question.
    assert bus.timeouts == [300.0]


def test_a_file_too_large_for_a_message_goes_through_the_object_store() -> None:
    api, bus = client({fx.ImportRates: IMPORTED}, inline_upload_bytes=16)
    response = api.post(
        "/api/v1/fx/rates/import", files={"file": ("eurofxref-hist.xml", FILE)}, headers={"X-Request-Id": "req-8"}
    )
    assert response.status_code == 200
    assert bus.uploads == {"fx/req-8/eurofxref-hist.xml": FILE}
    assert bus.asked == [
        fx.ImportRates(
            file_name="eurofxref-hist.xml", object_name="fx/req-8/eurofxref-hist.xml", correlation_id="req-8"
        )
    ]


def test_a_file_over_the_limit_is_a_413_and_never_sent() -> None:
    api, bus = client({fx.ImportRates: IMPORTED}, max_upload_bytes=32)
    response = api.post("/api/v1/fx/rates/import", files={"file": ("big.xml", FILE + FILE)})
    assert response.status_code == 413
    assert "big.xml: over the limit of 32 bytes" in response.json()["detail"]
    assert bus.asked == [] and bus.uploads == {}


def test_a_malformed_file_is_a_422_problem_with_the_services_words() -> None:
    refusal = RemoteError(
        "opendso.rpc.fx.v1.import_rates", "invalid", "rates.xml, line 7: USD appears twice on 2024-01-05"
    )
    api, _ = client({fx.ImportRates: refusal})
    response = api.post("/api/v1/fx/rates/import", files={"file": ("rates.xml", FILE)})
    assert response.status_code == 422
    assert response.json()["detail"] == "rates.xml, line 7: USD appears twice on 2024-01-05"


def test_a_manual_rate_is_sent_as_entered_with_who_entered_it() -> None:
    answer = fx.Rate(rate="1.1000", from_currency="EUR", to_currency="USD", on=FRI, published_on=FRI, source="manual")
    api, bus = client({fx.SetManualRate: answer})
    response = api.put(
        "/api/v1/fx/rates/manual",
        json={"currency": "USD", "on": "2024-01-05", "rate": "1.1000"},
        headers={**signed_in(api.app, email="anna@example.com"), "X-Request-Id": "req-9"},
    )
    assert response.status_code == 200
    assert response.json()["rate"] == "1.1000" and response.json()["source"] == "manual"
    assert bus.asked == [
        fx.SetManualRate(currency="USD", on=FRI, rate="1.1000", user="anna@example.com", correlation_id="req-9")
    ]


def test_a_manual_rate_as_a_json_number_is_refused_saying_why() -> None:
    api, bus = client({})
    response = api.put("/api/v1/fx/rates/manual", json={"currency": "USD", "on": "2024-01-05", "rate": 1.1})
    assert response.status_code == 422
    assert "not a JSON number" in response.text
    assert bus.asked == []


def test_a_manual_rate_with_an_unknown_field_or_a_bad_rate_is_refused() -> None:
    api, bus = client({})
    body = {"currency": "USD", "on": "2024-01-05", "rate": "1.1", "source": "ecb"}
    assert api.put("/api/v1/fx/rates/manual", json=body).status_code == 422
    body = {"currency": "USD", "on": "2024-01-05", "rate": "1,1"}
    response = api.put("/api/v1/fx/rates/manual", json=body)
    assert response.status_code == 422
    assert "is not a rate such as" in response.text
    assert bus.asked == []


def test_a_manual_rate_the_service_refuses_is_a_422_naming_the_field() -> None:
    refusal = RemoteError("opendso.rpc.fx.v1.set_manual_rate", "invalid", "on: 2030-01-01 is after today (2024-01-08)")
    api, _ = client({fx.SetManualRate: refusal})
    response = api.put("/api/v1/fx/rates/manual", json={"currency": "USD", "on": "2030-01-01", "rate": "1.1"})
    assert response.status_code == 422
    assert response.json()["detail"] == "on: 2030-01-01 is after today (2024-01-08)"
