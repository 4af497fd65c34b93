"""The report routes over a fake bus: the query each sends, the data scope, the JSON and the files."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_gateway.app import create_app
from opendso_gateway.domain.access import Role
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


# Copied from test_api.py: with --import-mode=importlib a sibling test module is not importable.
class FakeBus:
    def __init__(self, answers: dict[type, Any]) -> None:
        self.answers = answers
        self.asked: list[Message] = []

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        return self.answers[type(req)]


def client(answers: dict[type, Any], **who: Any) -> tuple[TestClient, FakeBus]:
    bus = FakeBus(answers)
    app = create_app(gateway_settings(), bus=bus, store=MemoryAccessStore())  # type: ignore[arg-type]
    return TestClient(app, headers=signed_in(app, **who)), bus


def _aging() -> rp.AgingBalance:
    report = rp.AgingBalance(
        header=rp.ReportHeader(
            as_of={"year": 2026, "month": 11, "day": 24},
            level=rp.REPORT_LEVEL_ENTITY,
            currency_mode=rp.CURRENCY_MODE_GROUP,
            group_currency="EUR",
            next_page_token="n1",
        )
    )
    report.rows.add(
        key="FR01",
        label="France",
        currency="EUR",
        buckets=[rp.BucketAmount(label="not due", amount={"amount": "10.00", "currency": "EUR"}, count=1)],
        total={"amount": "10.00", "currency": "EUR"},
        overdue={"amount": "0.00", "currency": "EUR"},
        percent_overdue="0.00",
        count=1,
    )
    return report


def test_the_aging_balance_sends_the_scope_and_answers_plain_json() -> None:
    http, bus = client({rp.GetAgingBalance: _aging()})
    response = http.get(
        "/api/v1/reports/aging-balance",
        params={"level": "entity", "currency": "group", "as_of": "2026-11-24", "buckets": "30,60", "entity": "FR01"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["header"]["as_of"] == "2026-11-24"
    assert (body["header"]["level"], body["header"]["currency_mode"]) == ("entity", "group")
    assert body["header"]["next_page_token"] == "n1"
    assert body["rows"][0]["total"] == {"amount": "10.00", "currency": "EUR"}
    (query,) = bus.asked
    assert isinstance(query, rp.GetAgingBalance)
    assert query.scope.level == rp.REPORT_LEVEL_ENTITY and list(query.scope.entities) == ["FR01"]
    assert query.scope.currency_mode == rp.CURRENCY_MODE_GROUP
    assert [b.label for b in query.buckets] == ["not due", "1-30", "31-60", ">60"]


def test_a_user_of_some_entities_is_limited_to_them_and_refused_others() -> None:
    http, bus = client({rp.GetAgingBalance: _aging()}, role=Role.COLLECTOR, entities=frozenset({"FR01", "DE01"}))
    assert http.get("/api/v1/reports/aging-balance").status_code == 200
    assert list(bus.asked[-1].scope.entities) == ["DE01", "FR01"]  # type: ignore[attr-defined]
    assert http.get("/api/v1/reports/aging-balance", params={"entity": "US01"}).status_code == 404


def test_a_portfolio_sees_only_its_collector() -> None:
    http, bus = client({rp.GetDso: rp.DsoReport()}, role=Role.COLLECTOR, portfolio="ann")
    assert http.get("/api/v1/reports/dso").status_code == 200
    assert bus.asked[-1].scope.collector == "ann"  # type: ignore[attr-defined]
    assert http.get("/api/v1/reports/dso", params={"collector": "bob"}).status_code == 404
    assert http.get("/api/v1/reports/dso", params={"level": "collector", "key": "bob"}).status_code == 404


def test_partners_may_not_read_reports() -> None:
    http, _ = client({rp.GetAgingBalance: _aging()}, role=Role.PARTNER)
    assert http.get("/api/v1/reports/aging-balance").status_code == 403


def test_a_report_downloads_as_a_file_with_the_next_page_in_a_header() -> None:
    file = rp.ReportFile(
        file_name="cash-receipts-2026-11-24.csv",
        content_type="text/csv; charset=utf-8",
        content=b"key\r\n",
        rows=0,
        next_page_token="n2",
    )
    http, bus = client({rp.ExportReport: file})
    response = http.get(
        "/api/v1/reports/cash-receipts", params={"format": "csv", "from": "2026-01-01", "period": "week"}
    )
    assert response.status_code == 200
    assert response.content == b"key\r\n"
    assert response.headers["content-type"].startswith("text/csv")
    assert "cash-receipts-2026-11-24.csv" in response.headers["content-disposition"]
    assert response.headers["x-next-page-token"] == "n2"
    (export,) = bus.asked
    assert isinstance(export, rp.ExportReport) and export.WhichOneof("report") == "receipts"
    assert getattr(export.receipts, "from").year == 2026 and export.receipts.period == rp.PERIOD_UNIT_WEEK


def test_every_report_has_its_route() -> None:
    answers = {
        rp.GetCashForecast: rp.CashForecast(),
        rp.GetDisputeReport: rp.DisputeReport(),
        rp.GetItemStatusReport: rp.ItemStatusReport(),
        rp.GetCollectorActivity: rp.CollectorActivity(),
        rp.ExportReport: rp.ReportFile(file_name="x.xlsx", content_type="application/octet-stream", content=b"PK"),
    }
    http, _ = client(answers)
    for path in ("cash-forecast", "disputes", "item-status", "collector-activity"):
        assert http.get(f"/api/v1/reports/{path}").status_code == 200, path
        assert http.get(f"/api/v1/reports/{path}", params={"format": "xlsx"}).status_code == 200, path
    assert http.get("/api/v1/reports/aging-balance", params={"buckets": "60,30"}).status_code == 422
    assert http.get("/api/v1/reports/aging-balance", params={"level": "planet"}).status_code == 422


def _dso_series() -> rp.DsoSeries:
    series = rp.DsoSeries()
    for month, day, days in ((9, 30, "41.5"), (10, 31, "44.0"), (11, 24, "46.2")):
        point = series.points.add()
        point.header.as_of.CopyFrom(rp.ReportHeader(as_of={"year": 2026, "month": month, "day": day}).as_of)
        point.rows.add(key="FR01", currency="EUR", countback_dso=days)
    return series


def test_the_dso_series_is_one_request_with_the_scope_and_the_points() -> None:
    http, bus = client({rp.GetDsoSeries: _dso_series()}, role=Role.COLLECTOR, entities=frozenset({"FR01"}))
    response = http.get("/api/v1/reports/dso/series", params={"points": 3, "as_of": "2026-11-24", "currency": "entity"})
    assert response.status_code == 200, response.text
    points = response.json()["points"]
    assert [p["header"]["as_of"] for p in points] == ["2026-09-30", "2026-10-31", "2026-11-24"]
    assert [p["rows"][0]["countback_dso"] for p in points] == ["41.5", "44.0", "46.2"]
    (query,) = bus.asked
    assert isinstance(query, rp.GetDsoSeries)
    assert query.points == 3
    assert list(query.dso.scope.entities) == ["FR01"]
    assert query.dso.scope.currency_mode == rp.CURRENCY_MODE_ENTITY
    assert (query.dso.scope.as_of.month, query.dso.scope.as_of.day) == (11, 24)


def test_the_dso_series_keeps_the_scope_and_bounds_the_points() -> None:
    http, bus = client(
        {rp.GetDsoSeries: _dso_series()}, role=Role.COLLECTOR, entities=frozenset({"FR01"}), portfolio="ann"
    )
    assert http.get("/api/v1/reports/dso/series", params={"entity": "US01"}).status_code == 404
    assert http.get("/api/v1/reports/dso/series", params={"collector": "bob"}).status_code == 404
    assert http.get("/api/v1/reports/dso/series", params={"points": 25}).status_code == 422
    assert http.get("/api/v1/reports/dso/series", params={"format": "csv"}).status_code == 422
    assert bus.asked == []
    assert http.get("/api/v1/reports/dso/series").status_code == 200
    assert bus.asked[-1].dso.scope.collector == "ann"  # type: ignore[attr-defined]


def test_the_dso_series_needs_a_token_and_the_reports_permission() -> None:
    http, bus = client({rp.GetDsoSeries: _dso_series()}, role=Role.PARTNER)
    assert http.get("/api/v1/reports/dso/series").status_code == 403
    assert http.get("/api/v1/reports/dso/series", headers={"Authorization": ""}).status_code == 401
    assert bus.asked == []
