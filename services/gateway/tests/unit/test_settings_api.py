"""The collection settings routes over a fake bus: item statuses and sending hours, the commands they send, the JSON
they promise, and who may change them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import RemoteError
from opendso_gateway.app import create_app
from opendso_gateway.domain.access import Role
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


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


def app_of(http: TestClient) -> FastAPI:
    app = http.app
    assert isinstance(app, FastAPI)
    return app


def catalogue(version: int = 3) -> col.StatusCatalogue:
    answer = col.StatusCatalogue(version=version, updated_by="ada@example.com")
    answer.updated_at.FromDatetime(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC))
    dispute = answer.statuses.add(
        code="dispute",
        labels={"fr": "Litige", "en": "Dispute"},
        excludes_from_scenario=True,
        resolution_owner="sales",
        is_dispute=True,
        built_in=True,
    )
    dispute.follow_up.action = "internal_task"
    dispute.follow_up.delay_days = 7
    answer.statuses.add(code="do_not_chase", labels={"en": "Do not chase"}, requires_comment=True)
    return answer


def test_the_item_statuses_are_read_with_their_version() -> None:
    http, bus = client({col.GetStatusCatalogue: catalogue()})
    answer = http.get("/api/v1/item-statuses", headers=signed_in(app_of(http), Role.SALES, email="s@example.com"))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["version"], body["updated_by"], body["updated_at"]) == (
        3,
        "ada@example.com",
        "2026-11-25T10:00:00+00:00",
    )
    assert body["statuses"][0] == {
        "code": "dispute",
        "labels": {"en": "Dispute", "fr": "Litige"},
        "excludes_from_scenario": True,
        "follow_up": {"action": "internal_task", "delay_days": 7},
        "resolution_owner": "sales",
        "sends_confirmation": None,
        "is_dispute": True,
        "closes_on_payment": False,
        "requires_comment": False,
        "built_in": True,
    }
    assert body["statuses"][1]["follow_up"] is None
    assert bus.asked == [col.GetStatusCatalogue()]


def test_replacing_the_statuses_sends_the_whole_catalogue_with_the_version_read() -> None:
    http, bus = client({col.ReplaceStatusCatalogue: col.StatusCatalogueReplaced(catalogue=catalogue(4))})
    body = {
        "version": 3,
        "statuses": [
            {
                "code": "call_back",
                "labels": {"en": "Call back"},
                "excludes_from_scenario": True,
                "follow_up": {"action": "phone_call", "delay_days": 2},
            }
        ],
    }
    answer = http.put("/api/v1/item-statuses", json=body)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["version"], answer.json()["replayed"]) == (4, False)
    (sent,) = bus.asked
    assert isinstance(sent, col.ReplaceStatusCatalogue)
    assert (sent.expected_version, sent.user) == (3, "anna@example.com")
    (status,) = sent.statuses
    assert (status.code, dict(status.labels), status.follow_up.action, status.follow_up.delay_days) == (
        "call_back",
        {"en": "Call back"},
        "phone_call",
        2,
    )
    assert status.excludes_from_scenario and not status.requires_comment


def test_a_stale_version_answers_409_and_a_refused_catalogue_422_with_the_services_words() -> None:
    stale = RemoteError("rpc", "conflict", "the item statuses are at version 5, not 3: someone saved them meanwhile")
    http, _ = client({col.ReplaceStatusCatalogue: stale})
    body = {"version": 3, "statuses": [{"code": "dispute", "labels": {"en": "Dispute"}}]}
    answer = http.put("/api/v1/item-statuses", json=body)
    assert answer.status_code == 409
    assert "version 5" in answer.json()["detail"]
    refused = RemoteError("rpc", "invalid", "status 'do_not_chase': code: 2 items still hold this status")
    http, _ = client({col.ReplaceStatusCatalogue: refused})
    answer = http.put("/api/v1/item-statuses", json=body)
    assert answer.status_code == 422
    assert "do_not_chase" in answer.json()["detail"]


def test_a_malformed_status_is_refused_before_the_service_is_asked() -> None:
    http, bus = client({})
    for status in (
        {"code": "Bad Code", "labels": {"en": "x"}},
        {"code": "x", "labels": {}},
        {"code": "x", "labels": {"en": "x"}, "resolution_owner": "boss"},
        {"code": "x", "labels": {"en": "x"}, "follow_up": {"action": "email", "delay_days": -1}},
        {"code": "x", "labels": {"en": "x"}, "colour": "red"},
    ):
        answer = http.put("/api/v1/item-statuses", json={"version": 0, "statuses": [status]})
        assert answer.status_code == 422, status
    assert bus.asked == []


def test_only_an_admin_of_every_entity_changes_the_statuses() -> None:
    http, bus = client({})
    body = {"version": 0, "statuses": [{"code": "x", "labels": {"en": "x"}}]}
    manager = signed_in(app_of(http), Role.CREDIT_MANAGER, email="cm@example.com")
    assert http.put("/api/v1/item-statuses", json=body, headers=manager).status_code == 403
    one_entity = signed_in(app_of(http), Role.ADMIN, email="a1@example.com", entities=frozenset({"FR01"}))
    answer = http.put("/api/v1/item-statuses", json=body, headers=one_entity)
    assert answer.status_code == 403
    assert "scope is every entity" in answer.json()["detail"]
    assert bus.asked == []


def hours(version: int = 2) -> col.SendingHours:
    answer = col.SendingHours(
        entity="FR01",
        weekdays=["mon", "tue"],
        slots=[col.TimeSlot(start="08:30", end="12:00"), col.TimeSlot(start="14:00", end="18:00")],
        version=version,
        updated_by="ada@example.com",
        time_zone="Europe/Paris",
    )
    answer.updated_at.FromDatetime(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC))
    return answer


def test_an_entitys_sending_hours_are_read_within_scope() -> None:
    http, bus = client({col.GetSendingHours: hours()})
    answer = http.get("/api/v1/entities/FR01/sending-hours")
    assert answer.status_code == 200
    assert answer.json() == {
        "entity": "FR01",
        "time_zone": "Europe/Paris",
        "weekdays": ["mon", "tue"],
        "slots": [{"start": "08:30", "end": "12:00"}, {"start": "14:00", "end": "18:00"}],
        "version": 2,
        "updated_by": "ada@example.com",
        "updated_at": "2026-11-25T10:00:00+00:00",
    }
    assert bus.asked == [col.GetSendingHours(entity="FR01")]
    other = signed_in(app_of(http), Role.ADMIN, email="de@example.com", entities=frozenset({"DE01"}))
    assert http.get("/api/v1/entities/FR01/sending-hours", headers=other).status_code == 404
    assert len(bus.asked) == 1


def test_sending_hours_are_replaced_with_the_version_read() -> None:
    http, bus = client({col.SetSendingHours: col.SendingHoursSet(hours=hours(3))})
    body = {"version": 2, "weekdays": ["mon", "tue"], "slots": [{"start": "14:00", "end": "18:00"}]}
    answer = http.put("/api/v1/entities/FR01/sending-hours", json=body)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["version"], answer.json()["replayed"]) == (3, False)
    (sent,) = bus.asked
    assert isinstance(sent, col.SetSendingHours)
    assert (sent.entity, list(sent.weekdays), sent.expected_version, sent.user) == (
        "FR01",
        ["mon", "tue"],
        2,
        "anna@example.com",
    )
    assert [(s.start, s.end) for s in sent.slots] == [("14:00", "18:00")]


def test_malformed_hours_are_refused_naming_the_field_before_the_service_is_asked() -> None:
    http, bus = client({})
    good = {"version": 0, "weekdays": ["mon"], "slots": [{"start": "08:00", "end": "12:00"}]}
    for change, field in (
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": ["monday"]}, "weekdays"),
        ({"slots": [{"start": "8:00", "end": "12:00"}]}, "start"),
        ({"slots": [{"start": "08:00", "end": "24:00"}]}, "end"),
        ({"slots": []}, "slots"),
    ):
        answer = http.put("/api/v1/entities/FR01/sending-hours", json={**good, **change})
        assert answer.status_code == 422, change
        assert field in answer.text
    assert bus.asked == []
    manager = signed_in(app_of(http), Role.CREDIT_MANAGER, email="cm@example.com")
    assert http.put("/api/v1/entities/FR01/sending-hours", json=good, headers=manager).status_code == 403
