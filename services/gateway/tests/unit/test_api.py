"""The gateway's HTTP behaviour over a fake bus: status codes, problem details, limits."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import RemoteError
from opendso_gateway.app import create_app
from opendso_gateway.problems import Problem
from opendso_gateway.settings import Settings
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in


def setup_module() -> None:
    # main() installs the provider in a real process; a test installs one if nobody has.
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


class FakeBus:
    """Answers queries from a table of canned replies and records what was asked."""

    def __init__(self, answers: dict[type, Any]) -> None:
        self.answers = answers
        self.asked: list[Message] = []
        self.uploads: dict[str, bytes] = {}

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

    async def put_upload(self, name: str, data: Any) -> None:
        self.uploads[name] = data.read()

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {s: {"status": "ok" if s != "fx" else "unreachable"} for s in services}


def client(answers: dict[type, Any], **settings: Any) -> tuple[TestClient, FakeBus]:
    bus = FakeBus(answers)
    app = create_app(gateway_settings(**settings), bus=bus, store=MemoryAccessStore())  # type: ignore[arg-type]
    return TestClient(app, headers=signed_in(app)), bus


def test_an_upload_answers_with_the_report_and_passes_the_idempotency_key() -> None:
    report = im.ImportReport(
        file_name="ar.csv",
        rows_read=3,
        items_opened=2,
        rows_rejected=1,
        errors=[im.RowError(file="ar.csv", row=3, column="due_date", reason="invalid date")],
    )
    http, bus = client({im.ImportReceivablesFile: report})
    with http:
        answer = http.post(
            "/api/v1/imports/receivables", files={"file": ("ar.csv", b"a;b\n1;2\n")}, headers={"Idempotency-Key": "k-7"}
        )
    assert answer.status_code == 200
    assert answer.json()["errors"] == [
        {"file": "ar.csv", "row": 3, "column": "due_date", "header": None, "value": None, "reason": "invalid date"}
    ]
    sent = bus.asked[0]
    assert isinstance(sent, im.ImportReceivablesFile)
    assert sent.idempotency_key == "k-7" and sent.content == b"a;b\n1;2\n"
    assert answer.headers["traceparent"].startswith("00-")


def test_a_contacts_snapshot_is_passed_with_its_entities_and_answers_the_removals() -> None:
    report = im.ImportReport(file_name="contacts.csv", rows_read=2, contacts_removed=3, contacts_changed=1)
    http, bus = client({im.ImportReceivablesFile: report})
    with http:
        answer = http.post(
            "/api/v1/imports/contacts?mode=full_snapshot&entities=FR01,%20DE01",
            files={"file": ("contacts.csv", b"entity;account_number;email\n")},
        )
        wrong = http.post("/api/v1/imports/contacts?mode=everything", files={"file": ("c.csv", b"x\n")})
    assert answer.status_code == 200
    assert (answer.json()["contacts_removed"], answer.json()["contacts_changed"]) == (3, 1)
    sent = bus.asked[0]
    assert isinstance(sent, im.ImportReceivablesFile)
    assert sent.content_kind == "contacts" and sent.mode == im.SYNC_MODE_FULL_SNAPSHOT
    assert list(sent.snapshot_entities) == ["FR01", "DE01"]
    assert wrong.status_code == 422 and len(bus.asked) == 1


def test_a_rejected_file_is_a_422_problem_listing_its_errors() -> None:
    report = im.ImportReport(file_rejected=True, errors=[im.RowError(file="x.csv", reason="missing column entity")])
    http, _ = client({im.ImportReceivablesFile: report})
    with http:
        answer = http.post("/api/v1/imports/receivables", files={"file": ("x.csv", b"foo\n")})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["reason"] == "missing column entity"


def test_an_upload_over_the_limit_is_refused_before_reaching_the_importer() -> None:
    http, bus = client({}, max_upload_bytes=10)
    with http:
        answer = http.post("/api/v1/imports/receivables", files={"file": ("big.csv", b"x" * 11)})
    assert answer.status_code == 413
    assert "10 bytes" in answer.json()["detail"]
    assert bus.asked == []


def test_a_service_refusal_becomes_the_matching_status() -> None:
    http, _ = client({rv.GetCustomerAccount: RemoteError("s", "not_found", "no customer 'C9' in entity 'FR01'")})
    with http:
        answer = http.get("/api/v1/customers/FR01/C9")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no customer 'C9' in entity 'FR01'"


def test_a_silent_service_is_a_503() -> None:
    http, _ = client({col.GetAgenda: Problem(503, "Service unavailable", "no answer to GetAgenda")})
    with http:
        answer = http.get("/api/v1/agenda")
    assert answer.status_code == 503


def test_agenda_page_size_is_capped() -> None:
    http, bus = client({col.GetAgenda: col.Agenda()})
    with http:
        assert http.get("/api/v1/agenda", params={"page_size": 501}).status_code == 422
        assert http.get("/api/v1/agenda", params={"page_size": 500, "status": "open"}).status_code == 200
    asked = bus.asked[0]
    assert isinstance(asked, col.GetAgenda)
    assert asked.page_size == 500 and asked.status == col.TASK_STATUS_OPEN


def test_health_is_503_while_a_service_is_unreachable() -> None:
    http, _ = client({})
    with http:
        answer = http.get("/health")
    assert answer.status_code == 503
    assert answer.json()["services"]["fx"]["status"] == "unreachable"


def test_a_full_snapshot_upload_names_its_entities() -> None:
    http, bus = client({im.ImportReceivablesFile: im.ImportReport(mode=im.SYNC_MODE_FULL_SNAPSHOT)})
    with http:
        answer = http.post(
            "/api/v1/imports/receivables",
            params={"mode": "full_snapshot", "entities": "FR01, DE01"},
            files={"file": ("ar.csv", b"x")},
        )
    assert answer.json()["mode"] == "full_snapshot"
    sent = bus.asked[0]
    assert isinstance(sent, im.ImportReceivablesFile)
    assert sent.mode == im.SYNC_MODE_FULL_SNAPSHOT and list(sent.snapshot_entities) == ["FR01", "DE01"]


def test_rejected_rows_download_as_csv_with_row_column_value_and_reason() -> None:
    report = im.ImportReport(
        import_id="i-1",
        errors=[
            im.RowError(
                file="ar.csv",
                row=7,
                column="due_date",
                header="Échéance",
                value="31.02.2026",
                reason="invalid due_date '31.02.2026'",
            ),
        ],
    )
    http, _ = client({im.GetImportReport: report})
    with http:
        answer = http.get("/api/v1/imports/i-1/rejected.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.splitlines()
    assert lines[0] == "file,row,column,header,value,reason"
    assert lines[1] == "ar.csv,7,due_date,Échéance,31.02.2026,invalid due_date '31.02.2026'"


def test_a_large_upload_goes_through_the_object_store_and_the_command_names_it() -> None:
    http, bus = client({im.ImportReceivablesFile: im.ImportReport()}, inline_upload_bytes=10)
    with http:
        answer = http.post("/api/v1/imports/receivables", files={"file": ("big.csv", b"x" * 25)})
    assert answer.status_code == 200
    sent = bus.asked[0]
    assert isinstance(sent, im.ImportReceivablesFile)
    assert sent.content == b"" and sent.object_name.endswith("/big.csv")
    assert bus.uploads[sent.object_name] == b"x" * 25


def test_a_statement_upload_names_its_entity_and_answers_the_summary() -> None:
    from opendso.banking.v1 import banking_pb2 as bk

    report = bk.StatementReport(
        format="camt.053.001.08",
        transactions_published=3,
        statements=[
            bk.StatementSummary(
                statement_id="S-1",
                currency="EUR",
                transactions=3,
                closing_balance=bk.Balance(amount={"amount": "10.00", "currency": "EUR"}),
            )
        ],
    )
    http, bus = client({bk.ImportBankStatement: report})
    with http:
        missing_entity = http.post("/api/v1/imports/statements", files={"file": ("s.xml", b"<x/>")})
        answer = http.post("/api/v1/imports/statements", params={"entity": "FR01"}, files={"file": ("s.xml", b"<x/>")})
    assert missing_entity.status_code == 422
    assert answer.status_code == 200
    body = answer.json()
    assert body["statements"][0]["closing_balance"]["amount"] == {"amount": "10.00", "currency": "EUR"}
    assert body["statements"][0]["opening_balance"] is None
    sent = bus.asked[0]
    assert isinstance(sent, bk.ImportBankStatement) and sent.entity == "FR01" and sent.format == "auto"
    with http:
        export = http.post(
            "/api/v1/imports/statements",
            params={"entity": "FR01", "format": "xlsx"},
            files={"file": ("export.xlsx", b"PK")},
        )
    assert export.status_code == 200 and bus.asked[-1].format == "xlsx"  # type: ignore[attr-defined]


def test_a_mapping_profile_is_saved_under_its_name_for_its_layout() -> None:
    http, bus = client(
        {
            im.SaveMappingProfile: im.MappingProfile(
                name="ERP France", layout_signature="abc", columns={"account_number": "N° client"}
            )
        }
    )
    with http:
        answer = http.put(
            "/api/v1/imports/mapping-profiles/ERP France",
            json={
                "layout_signature": "abc",
                "columns": {"account_number": "N° client"},
                "constants": {"entity": "FR01"},
            },
        )
        bad = http.put("/api/v1/imports/mapping-profiles/x", json={"columns": {}})
    assert answer.status_code == 200 and answer.json()["name"] == "ERP France"
    sent = bus.asked[0]
    assert isinstance(sent, im.SaveMappingProfile)
    assert sent.profile.name == "ERP France" and dict(sent.profile.constants) == {"entity": "FR01"}
    assert bad.status_code == 422


def test_a_json_batch_reaches_the_importer_byte_for_byte_with_its_key() -> None:
    http, bus = client({im.ImportReceivablesFile: im.ImportReport(items_opened=1)}, inline_upload_bytes=200)
    body = b'{"records": [{"entity": "FR01", "amount": 0.1}]}'
    with http:
        answer = http.post(
            "/api/v1/imports/receivables/batch",
            content=body,
            headers={"Idempotency-Key": "erp-42", "Content-Type": "application/json"},
        )
        too_big = http.post("/api/v1/imports/receivables/batch", content=b"[" + b"1," * 200 + b"1]")
    assert answer.status_code == 200 and answer.json()["items_opened"] == 1
    sent = bus.asked[0]
    assert isinstance(sent, im.ImportReceivablesFile)
    assert sent.content == body and sent.file_name == "batch.json" and sent.idempotency_key == "erp-42"
    assert too_big.status_code == 413


def test_the_wait_for_an_import_grows_with_the_file() -> None:
    from types import SimpleNamespace

    from opendso_gateway.api import _import_timeout

    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(settings=Settings(request_timeout_seconds=10))))
    small = _import_timeout(request, SimpleNamespace(size=1_000))  # type: ignore[arg-type]
    large = _import_timeout(request, SimpleNamespace(size=130_000_000))  # type: ignore[arg-type]
    assert small == 60.02
    assert large == 60 + 2600  # a million-row CSV: well beyond the minute and a half it takes


def test_an_entities_upload_is_an_entities_import_and_the_report_counts_them() -> None:
    http, bus = client({im.ImportReceivablesFile: im.ImportReport(entities_created=2, entities_changed=1)})
    with http:
        answer = http.post(
            "/api/v1/imports/entities",
            params={"dry_run": "true"},
            files={"file": ("entities.xlsx", b"PK\x03\x04")},
            headers={"Idempotency-Key": "ent-1"},
        )
    assert answer.status_code == 200
    assert (answer.json()["entities_created"], answer.json()["entities_changed"]) == (2, 1)
    sent = bus.asked[0]
    assert isinstance(sent, im.ImportReceivablesFile)
    assert (sent.content_kind, sent.file_name, sent.idempotency_key, sent.dry_run) == (
        "entities",
        "entities.xlsx",
        "ent-1",
        True,
    )


def test_a_rejected_entities_file_is_a_422_problem_listing_its_errors() -> None:
    report = im.ImportReport(
        file_rejected=True,
        errors=[im.RowError(file="e.csv", row=1, column="time_zone", reason="required column 'time_zone' not found")],
    )
    http, _ = client({im.ImportReceivablesFile: report})
    with http:
        answer = http.post("/api/v1/imports/entities", files={"file": ("e.csv", b"code\nFR01\n")})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["column"] == "time_zone"


def test_entities_are_listed_with_no_group_currency_as_null() -> None:
    listing = rv.EntityList(
        entities=[
            rv.Entity(
                code="FR01",
                name="OpenDSO France SAS",
                country="FR",
                currency="EUR",
                time_zone="Europe/Paris",
                holiday_calendar="FR",
                late_payment_law="FR",
                group_currency="EUR",
            ),
            rv.Entity(code="TR01", name="OpenDSO Türkiye", country="TR", currency="TRY", late_payment_law="EU"),
        ]
    )
    http, bus = client({rv.ListEntities: listing})
    with http:
        answer = http.get("/api/v1/entities")
    assert answer.status_code == 200
    first, second = answer.json()["items"]
    assert first == {
        "code": "FR01",
        "name": "OpenDSO France SAS",
        "country": "FR",
        "currency": "EUR",
        "time_zone": "Europe/Paris",
        "holiday_calendar": "FR",
        "late_payment_law": "FR",
        "group_currency": "EUR",
    }
    assert (second["code"], second["group_currency"]) == ("TR01", None)
    assert isinstance(bus.asked[0], rv.ListEntities)


def test_a_customers_scenario_comes_with_the_reasons_for_it() -> None:
    answer = col.CustomerScenario(
        customer_id="FR01/C1",
        scenario_code="firm",
        rule_name="big debts",
        explanation=["rule 'big debts' matched: open balance 60,000.00 EUR >= 50,000.00 EUR"],
    )
    http, bus = client({col.GetCustomerScenario: answer})
    with http:
        body = http.get("/api/v1/customers/FR01/C1/scenario").json()
    assert body == {
        "customer_id": "FR01/C1",
        "scenario": "firm",
        "rule": "big debts",
        "explanation": ["rule 'big debts' matched: open balance 60,000.00 EUR >= 50,000.00 EUR"],
    }
    assert bus.asked == [col.GetCustomerScenario(customer_id="FR01/C1")]


def test_the_agenda_passes_its_filters_and_bulk_actions_say_who_did_them() -> None:
    import datetime as dt

    from opendso_contracts.convert import date_to_proto

    done = col.Task(task_id="t1", status=col.TASK_STATUS_DONE, collector="anna", amount="1200.00")
    http, bus = client(
        {
            col.GetAgenda: col.Agenda(tasks=[done], total=1),
            col.UpdateTasks: col.TasksUpdated(
                results=[
                    col.TaskUpdateResult(task_id="t1", updated=True, task=done),
                    col.TaskUpdateResult(task_id="t2", error="a done task cannot be performed"),
                ]
            ),
        }
    )
    with http:
        page = http.get(
            "/api/v1/agenda",
            params={"collector": "anna", "min_amount": "1000", "sort": "amount", "due_to": "2026-11-30"},
        ).json()
        bad = http.get("/api/v1/agenda", params={"min_amount": "1,000"})
        bulk = http.post(
            "/api/v1/agenda/bulk",
            json={"task_ids": ["t1", "t2"], "action": "perform", "comment": "called"},
            headers=signed_in(http.app, email="anna@example.com"),
        ).json()
        unknown = http.post("/api/v1/agenda/bulk", json={"task_ids": ["t1"], "action": "delete"})
    asked = bus.asked[0]
    assert isinstance(asked, col.GetAgenda)
    assert (asked.collector, asked.min_amount, asked.sort) == ("anna", "1000", "amount")
    assert asked.due_to == date_to_proto(dt.date(2026, 11, 30))
    assert page["items"][0]["amount"] == "1200.00" and page["items"][0]["collector"] == "anna"
    assert bad.status_code == 422
    update = bus.asked[1]
    assert isinstance(update, col.UpdateTasks)
    assert (list(update.task_ids), update.action, update.user, update.comment) == (
        ["t1", "t2"],
        col.TASK_ACTION_PERFORM,
        "anna@example.com",
        "called",
    )
    assert [(r["task_id"], r["updated"], r["error"]) for r in bulk["results"]] == [
        ("t1", True, None),
        ("t2", False, "a done task cannot be performed"),
    ]
    assert unknown.status_code == 422


def test_a_promise_to_pay_is_passed_on_with_its_amount_as_a_decimal_string() -> None:
    answer = col.ItemsQualified(
        customer_id="FR01/C1",
        statuses=[col.ItemStatus(item_id="FR01/invoice/F-1", status_code="promise_to_pay", set_by="anna")],
        promise_id="p-1",
    )
    http, bus = client({col.QualifyItems: answer})
    with http:
        ok = http.post(
            "/api/v1/customers/FR01/C1/qualifications",
            json={
                "item_ids": ["FR01/invoice/F-1"],
                "status": "promise_to_pay",
                "promised_amount": "300.00",
                "promised_currency": "EUR",
                "promised_on": "2026-12-01",
            },
            headers=signed_in(http.app, email="anna@example.com"),
        )
        half = http.post(
            "/api/v1/customers/FR01/C1/qualifications",
            json={"item_ids": ["x"], "status": "promise_to_pay", "promised_amount": "300.00"},
        )
    assert ok.status_code == 200, ok.text
    assert ok.json()["promise_id"] == "p-1"
    [sent] = bus.asked
    assert isinstance(sent, col.QualifyItems)
    assert (sent.customer_id, sent.user, sent.promised_amount.amount, sent.promised_amount.currency) == (
        "FR01/C1",
        "anna@example.com",
        "300.00",
        "EUR",
    )
    assert not sent.send_confirmation
    assert half.status_code == 422


def test_a_requested_confirmation_reaches_the_bus_and_why_none_went_comes_back() -> None:
    answer = col.ItemsQualified(
        customer_id="FR01/C1",
        statuses=[col.ItemStatus(item_id="FR01/invoice/F-1", status_code="dispute", set_by="anna")],
        confirmation_skipped_reason="the customer has no e-mail address: no confirmation sent",
    )
    http, bus = client({col.QualifyItems: answer})
    with http:
        response = http.post(
            "/api/v1/customers/FR01/C1/qualifications",
            json={
                "item_ids": ["FR01/invoice/F-1"],
                "status": "dispute",
                "comment": "wrong quantity",
                "send_confirmation": True,
            },
        )
    assert response.status_code == 200, response.text
    [sent] = bus.asked
    assert isinstance(sent, col.QualifyItems)
    assert sent.send_confirmation
    assert response.json()["confirmation_skipped_reason"] == "the customer has no e-mail address: no confirmation sent"
