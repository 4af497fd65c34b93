"""The timeline route over a fake bus: the query it sends and the JSON it promises."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.reporting.v1 import reporting_pb2 as rp
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


def _timeline() -> rp.Timeline:
    answer = rp.Timeline(next_page_token="next-1")
    entry = answer.entries.add(
        entry_id="ev-9",
        customer_id="FR01/C1",
        item_ids=["FR01/invoice/F-1"],
        kind="task.performed",
        actor="bob",
        actor_type="user",
        summary="Collector's phone call step 'call' performed by bob",
        detail_json=json.dumps({"comment": "called", "totals": [{"amount": "100.00", "currency": "EUR"}]}),
        event_id="ev-9",
    )
    entry.occurred_at.FromDatetime(dt.datetime(2026, 11, 24, 9, 30, 15, tzinfo=dt.UTC))
    return answer


def test_the_timeline_answers_entries_with_their_detail_and_the_next_page_token() -> None:
    http, _ = client({rp.GetTimeline: _timeline()})

    response = http.get("/api/v1/customers/FR01/C1/timeline")

    assert response.status_code == 200
    body = response.json()
    assert body["next_page_token"] == "next-1"
    assert body["entries"] == [
        {
            "id": "ev-9",
            "occurred_at": "2026-11-24T09:30:15Z",
            "kind": "task.performed",
            "actor": "bob",
            "actor_type": "user",
            "summary": "Collector's phone call step 'call' performed by bob",
            "item_ids": ["FR01/invoice/F-1"],
            "detail": {"comment": "called", "totals": [{"amount": "100.00", "currency": "EUR"}]},
            "event_id": "ev-9",
        }
    ]


def test_the_filters_reach_the_reporting_service_with_days_as_whole_utc_days() -> None:
    http, bus = client({rp.GetTimeline: rp.Timeline()})

    response = http.get(
        "/api/v1/customers/FR01/C1/timeline",
        params=[
            ("item", "FR01/invoice/F-1"),
            ("kind", "message.sent,message.failed"),
            ("kind", "task.performed"),
            ("from", "2026-11-01"),
            ("to", "2026-11-30"),
            ("page_size", "20"),
            ("page_token", "tok"),
        ],
    )

    assert response.status_code == 200
    assert response.json()["next_page_token"] is None
    (query,) = bus.asked
    assert isinstance(query, rp.GetTimeline)
    assert (query.customer_id, query.item_id) == ("FR01/C1", "FR01/invoice/F-1")
    assert list(query.kinds) == ["message.failed", "message.sent", "task.performed"]
    assert (query.page_size, query.page_token) == (20, "tok")
    assert query.occurred_from.ToDatetime(tzinfo=dt.UTC) == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert query.occurred_before.ToDatetime(tzinfo=dt.UTC) == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def test_an_instant_with_an_offset_is_converted_to_utc() -> None:
    http, bus = client({rp.GetTimeline: rp.Timeline()})

    http.get("/api/v1/customers/FR01/C1/timeline", params={"from": "2026-11-24T10:00:00+01:00"})

    (query,) = bus.asked
    assert isinstance(query, rp.GetTimeline)
    assert query.occurred_from.ToDatetime(tzinfo=dt.UTC) == dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    assert not query.HasField("occurred_before")


def test_an_instant_without_a_time_zone_is_a_problem_and_nothing_is_asked() -> None:
    http, bus = client({rp.GetTimeline: rp.Timeline()})

    response = http.get("/api/v1/customers/FR01/C1/timeline", params={"to": "2026-11-24T10:00:00"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "no time zone" in response.json()["detail"]
    assert bus.asked == []


def test_an_unknown_kind_refused_by_the_service_is_a_422_problem() -> None:
    refusal = RemoteError("opendso.rpc.reporting.v1.get_timeline", "invalid", "unknown kind 'item.exploded'")
    http, _ = client({rp.GetTimeline: refusal})

    response = http.get("/api/v1/customers/FR01/C1/timeline", params={"kind": "item.exploded"})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "item.exploded" in response.json()["detail"]


def test_the_page_size_is_capped_like_every_list() -> None:
    http, bus = client({rp.GetTimeline: rp.Timeline()})

    assert http.get("/api/v1/customers/FR01/C1/timeline", params={"page_size": 501}).status_code == 422
    assert bus.asked == []
