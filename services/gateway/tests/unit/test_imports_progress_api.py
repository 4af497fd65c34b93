"""GET /api/v1/imports/progress: how far the caller's own running import is, by the key of its upload."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.imports.v1 import imports_pb2 as im
from opendso_gateway.app import create_app
from opendso_gateway.domain.access import Role
from opendso_gateway.imports_progress_api import IMPORT_PROGRESS, import_progress_view, progress_key
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


class ProgressBus:
    """Answers an upload with a report, and keeps progress values by key as the bucket does."""

    def __init__(self) -> None:
        self.asked: list[Message] = []
        self.progress: dict[str, bytes] = {}

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        if isinstance(req, im.ImportReceivablesFile):
            return im.ImportReport(file_name=req.file_name, rows_read=2)
        raise AssertionError(f"{type(req).__name__} reached a service")

    async def put_upload(self, name: str, data: Any) -> None:
        raise AssertionError("small files travel inline")

    async def import_progress(self, key: str) -> bytes | None:
        return self.progress.get(key)

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {}


def new_app() -> tuple[FastAPI, ProgressBus]:
    bus = ProgressBus()
    return create_app(gateway_settings(), bus=bus, store=MemoryAccessStore()), bus  # type: ignore[arg-type]


def running(
    rows: int, estimated: int = 0, phase: im.ImportPhase.ValueType = im.IMPORT_PHASE_READING
) -> im.ImportProgress:
    value = im.ImportProgress(
        file_name="ar.csv",
        phase=phase,
        rows_read=rows,
        rows_estimated=estimated,
        file_bytes=4_000_000,
    )
    value.started_at.FromDatetime(dt.datetime(2026, 11, 25, 9, 0, 2, tzinfo=dt.UTC))
    value.updated_at.FromDatetime(dt.datetime(2026, 11, 25, 9, 0, 7, tzinfo=dt.UTC))
    return value


def upload(http: TestClient, bus: ProgressBus, headers: dict[str, str], key: str | None) -> im.ImportReceivablesFile:
    extra = {"Idempotency-Key": key} if key else {}
    answer = http.post(
        "/api/v1/imports/receivables", files={"file": ("ar.csv", b"a;b\n1;2\n")}, headers={**headers, **extra}
    )
    assert answer.status_code == 200, answer.text
    command = bus.asked[-1]
    assert isinstance(command, im.ImportReceivablesFile)
    return command


def test_an_upload_carries_a_progress_key_of_its_user_and_idempotency_key_that_shows_neither() -> None:
    app, bus = new_app()
    http = TestClient(app)
    anna, bob = signed_in(app, email="anna@example.com"), signed_in(app, email="bob@example.com")

    first = upload(http, bus, anna, "k-1")
    again = upload(http, bus, anna, "k-1")
    other_key = upload(http, bus, anna, "k-2")
    other_user = upload(http, bus, bob, "k-1")
    without = upload(http, bus, anna, None)

    assert first.progress_key and first.progress_key == again.progress_key
    assert len({first.progress_key, other_key.progress_key, other_user.progress_key}) == 3
    assert without.progress_key == ""
    assert "k-1" not in first.progress_key
    users = app.state.accounts.store.by_id.values()
    assert all(u.user_id not in first.progress_key for u in users)
    # Hex: a valid key of the key-value bucket.
    assert set(first.progress_key) <= set("0123456789abcdef")


def test_the_uploader_reads_the_progress_of_their_import_by_its_idempotency_key() -> None:
    app, bus = new_app()
    http = TestClient(app)
    anna = signed_in(app, role=Role.CREDIT_MANAGER, email="anna@example.com")
    command = upload(http, bus, anna, "k-1")
    bus.progress[command.progress_key] = running(260_000, 1_000_000).SerializeToString()
    asked = len(bus.asked)

    answer = http.get("/api/v1/imports/progress", params={"key": "k-1"}, headers=anna)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "file_name": "ar.csv",
        "phase": "reading",
        "rows_read": 260000,
        "rows_estimated": 1000000,
        "file_bytes": 4000000,
        "percent": 26,
        "started_at": "2026-11-25T09:00:02Z",
        "updated_at": "2026-11-25T09:00:07Z",
    }
    # Read from the bucket: no service asked, nor taken for the report of an import named "progress".
    assert len(bus.asked) == asked


def test_another_users_key_or_an_unknown_key_is_not_found() -> None:
    app, bus = new_app()
    http = TestClient(app)
    anna, bob = signed_in(app, email="anna@example.com"), signed_in(app, email="bob@example.com")
    command = upload(http, bus, anna, "k-1")
    bus.progress[command.progress_key] = running(10).SerializeToString()

    assert http.get("/api/v1/imports/progress", params={"key": "k-1"}, headers=anna).status_code == 200
    for headers, key in ((bob, "k-1"), (anna, "k-2")):
        answer = http.get("/api/v1/imports/progress", params={"key": key}, headers=headers)
        assert answer.status_code == 404, answer.text
        assert answer.json()["detail"] == "no import under way with that key"
    assert http.get("/api/v1/imports/progress", headers=anna).status_code == 422
    assert http.get("/api/v1/imports/progress", params={"key": "x" * 201}, headers=anna).status_code == 422


def test_a_role_that_may_not_upload_may_not_ask_how_far_an_upload_is() -> None:
    app, _ = new_app()
    http = TestClient(app)
    answer = http.get("/api/v1/imports/progress", params={"key": "k-1"}, headers=signed_in(app, Role.READ_ONLY))
    assert answer.status_code == 403


def test_the_share_of_rows_read_is_capped_while_reading_full_after_and_unknown_without_an_estimate() -> None:
    assert import_progress_view(running(999, 1000))["percent"] == 99
    assert import_progress_view(running(1500, 1000))["percent"] == 99
    assert import_progress_view(running(10))["percent"] is None
    assert import_progress_view(running(10))["rows_estimated"] is None
    done = import_progress_view(running(1000, 1000, im.IMPORT_PHASE_COMMITTING))
    assert (done["phase"], done["percent"]) == ("committing", 100)
    snapshot = import_progress_view(running(5, 0, im.IMPORT_PHASE_CLOSING_SNAPSHOT))
    assert snapshot["phase"] == "closing_snapshot"


def test_the_documented_example_has_the_keys_of_the_answer() -> None:
    app, _ = new_app()
    documented = app.openapi()["paths"]["/api/v1/imports/progress"]["get"]
    assert documented["responses"]["200"]["content"]["application/json"]["example"] == IMPORT_PROGRESS
    assert set(IMPORT_PROGRESS) == set(import_progress_view(running(1, 2)))
    assert documented["parameters"][0]["name"] == "key"
    assert "Idempotency-Key" in documented["parameters"][0]["description"]


def test_the_key_is_the_same_for_the_same_user_and_key_only() -> None:
    assert progress_key("u1", "k") == progress_key("u1", "k")
    # Parts are length-prefixed: moving a character from one to the other changes the key.
    assert progress_key("u1", "k") != progress_key("u", "1k")
    assert progress_key("u1", "k") != progress_key("u2", "k")
