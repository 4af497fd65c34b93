"""Data scope and confidential fields over HTTP: lists cut to the user's entities and portfolio, other
entities' records not found, confidential fields left out for roles that may not see them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from opendso.banking.v1 import banking_pb2 as bk
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Money
from opendso.matching.v1 import matching_pb2 as mt
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_gateway.app import create_app
from opendso_gateway.domain.access import Role
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in

FR = frozenset({"FR01"})


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


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

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {}


def gateway(answers: dict[type, Any], **settings: Any) -> tuple[FastAPI, TestClient, FakeBus]:
    bus = FakeBus(answers)
    app = create_app(gateway_settings(**settings), bus=bus, store=MemoryAccessStore())  # type: ignore[arg-type]
    return app, TestClient(app), bus


def as_user(app: FastAPI, role: Role = Role.COLLECTOR, **scope: Any) -> dict[str, str]:
    return signed_in(app, role, email=f"{role}@example.com", **scope)


def test_a_user_of_one_entity_gets_its_agenda_without_asking_for_it() -> None:
    app, http, bus = gateway({col.GetAgenda: col.Agenda()})
    assert http.get("/api/v1/agenda", headers=as_user(app, entities=FR)).status_code == 200
    [query] = bus.asked
    assert isinstance(query, col.GetAgenda) and query.entity == "FR01"


def test_another_entitys_agenda_is_empty_and_nobody_is_asked() -> None:
    app, http, bus = gateway({col.GetAgenda: col.Agenda()})
    headers = as_user(app, entities=FR)
    for params in ({"entity": "DE01"}, {"customer_id": "DE01/C1"}):
        answer = http.get("/api/v1/agenda", params=params, headers=headers)
        assert answer.status_code == 200
        assert answer.json() == {"items": [], "total": 0, "next_page_token": None}
    assert bus.asked == []


def test_a_user_of_several_entities_chooses_one_for_a_list() -> None:
    app, http, bus = gateway({col.GetAgenda: col.Agenda(), rp.GetAging: rp.AgingReport()})
    headers = as_user(app, entities=frozenset({"FR01", "BE01"}))
    for url in ("/api/v1/agenda", "/api/v1/reports/aging", "/api/v1/matching/review"):
        answer = http.get(url, headers=headers)
        assert answer.status_code == 422 and "BE01, FR01" in answer.json()["detail"], url
    assert http.get("/api/v1/agenda", params={"entity": "BE01"}, headers=headers).status_code == 200
    assert [q.entity for q in bus.asked] == ["BE01"]  # type: ignore[attr-defined]


def test_a_collector_with_a_portfolio_sees_only_their_tasks() -> None:
    app, http, bus = gateway({col.GetAgenda: col.Agenda()})
    headers = as_user(app, portfolio="claire")
    assert http.get("/api/v1/agenda", headers=headers).status_code == 200
    assert http.get("/api/v1/agenda", params={"collector": "Claire"}, headers=headers).status_code == 200
    other = http.get("/api/v1/agenda", params={"collector": "zoe"}, headers=headers)
    assert other.json()["items"] == []
    assert [q.collector for q in bus.asked] == ["claire", "claire"]  # type: ignore[attr-defined]


def test_aging_and_the_review_queue_are_cut_to_the_entity() -> None:
    app, http, bus = gateway({rp.GetAging: rp.AgingReport(), mt.ListReviewQueue: mt.ReviewQueue()})
    headers = as_user(app, Role.READ_ONLY, entities=FR)
    assert http.get("/api/v1/reports/aging", headers=headers).status_code == 200
    assert http.get("/api/v1/matching/suspense", headers=headers).status_code == 200
    aging = http.get("/api/v1/reports/aging", params={"entity": "DE01"}, headers=headers).json()
    assert aging["currencies"] == []
    assert [q.entity for q in bus.asked] == ["FR01", "FR01"]  # type: ignore[attr-defined]


def test_the_entities_listed_are_those_in_scope() -> None:
    listing = rv.EntityList(entities=[rv.Entity(code="FR01"), rv.Entity(code="DE01")])
    app, http, _ = gateway({rv.ListEntities: listing})
    answer = http.get("/api/v1/entities", headers=as_user(app, Role.SALES, entities=FR)).json()
    assert [e["code"] for e in answer["items"]] == ["FR01"]
    everything = http.get("/api/v1/entities", headers=as_user(app, Role.ADMIN)).json()
    assert [e["code"] for e in everything["items"]] == ["FR01", "DE01"]


def _account(collector: str = "claire") -> rv.CustomerAccount:
    customer = rv.Customer(
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        name="Dupont",
        collector=collector,
        credit_limit="50000",
    )
    return rv.CustomerAccount(found=True, customer=customer)


def test_the_credit_limit_is_shown_to_collectors_and_hidden_from_sales() -> None:
    app, http, _ = gateway({rv.GetCustomerAccount: _account()})
    seen = http.get("/api/v1/customers/FR01/C1", headers=as_user(app, Role.COLLECTOR)).json()
    assert seen["customer"]["credit_limit"] == "50000"
    hidden = http.get("/api/v1/customers/FR01/C1", headers=as_user(app, Role.SALES)).json()
    assert "credit_limit" not in hidden["customer"] and hidden["customer"]["name"] == "Dupont"
    assert "50000" not in json.dumps(hidden)


def test_a_collector_reads_their_own_customer_and_not_anothers() -> None:
    app, http, bus = gateway({rv.GetCustomerAccount: _account("Claire")})
    assert http.get("/api/v1/customers/FR01/C1", headers=as_user(app, portfolio="claire")).status_code == 200
    refused = http.get("/api/v1/customers/FR01/C1", headers=as_user(app, portfolio="zoe"))
    assert refused.status_code == 404 and "Dupont" not in refused.text
    assert len(bus.asked) == 2


def test_task_comments_are_hidden_from_read_only_users() -> None:
    task = col.Task(task_id="t1", entity="FR01", comment="customer was rude", collector="claire")
    app, http, _ = gateway({col.GetAgenda: col.Agenda(tasks=[task], total=1)})
    shown = http.get("/api/v1/agenda", headers=as_user(app, Role.CREDIT_MANAGER)).json()
    assert shown["items"][0]["comment"] == "customer was rude"
    hidden = http.get("/api/v1/agenda", headers=as_user(app, Role.READ_ONLY)).json()
    assert "comment" not in hidden["items"][0] and hidden["items"][0]["collector"] == "claire"


def test_timeline_comments_are_hidden_from_sales() -> None:
    at = Timestamp(seconds=1_764_000_000)
    entry = rp.TimelineEntry(
        entry_id="e1",
        occurred_at=at,
        kind="item.qualified",
        actor="anna",
        summary='F-1 put in status dispute by anna: "insurer declined cover"',
        detail_json=json.dumps({"status": "dispute", "comment": "insurer declined cover"}),
    )
    app, http, _ = gateway({rp.GetTimeline: rp.Timeline(entries=[entry])})
    hidden = http.get("/api/v1/customers/FR01/C1/timeline", headers=as_user(app, Role.SALES)).json()
    assert "insurer" not in json.dumps(hidden)
    assert hidden["entries"][0]["summary"] == "F-1 put in status dispute by anna"
    shown = http.get("/api/v1/customers/FR01/C1/timeline", headers=as_user(app, Role.COLLECTOR)).json()
    assert shown["entries"][0]["detail"]["comment"] == "insurer declined cover"


def test_payment_plan_comments_are_hidden_from_read_only_users() -> None:
    plan = col.PaymentPlan(plan_id="PP-1", customer_id="FR01/C1", comment="agreed after insurer call")
    app, http, _ = gateway({col.ListPaymentPlans: col.PaymentPlans(customer_id="FR01/C1", plans=[plan])})
    hidden = http.get("/api/v1/customers/FR01/C1/payment-plans", headers=as_user(app, Role.READ_ONLY)).json()
    assert hidden["plans"][0]["plan_id"] == "PP-1" and "comment" not in hidden["plans"][0]


def test_a_qualification_comment_comes_back_only_to_who_may_see_it() -> None:
    qualified = col.ItemsQualified(
        customer_id="FR01/C1",
        statuses=[col.ItemStatus(item_id="FR01/invoice/F-1", status_code="dispute", comment="wrong price")],
    )
    app, http, _ = gateway({col.QualifyItems: qualified})
    body = {"item_ids": ["FR01/invoice/F-1"], "status": "dispute", "comment": "wrong price"}
    answer = http.post("/api/v1/customers/FR01/C1/qualifications", json=body, headers=as_user(app, Role.SALES))
    assert answer.status_code == 200 and "comment" not in answer.json()["statuses"][0]


def test_an_item_of_another_entity_is_not_found_in_a_qualification() -> None:
    app, http, bus = gateway({})
    body = {"item_ids": ["DE01/invoice/X"], "status": "dispute"}
    answer = http.post("/api/v1/customers/FR01/C1/qualifications", json=body, headers=as_user(app, entities=FR))
    assert answer.status_code == 404 and bus.asked == []


def test_imports_need_a_user_of_every_entity_and_a_statement_an_entity_in_scope() -> None:
    app, http, bus = gateway({})
    scoped = as_user(app, Role.CREDIT_MANAGER, entities=FR)
    upload = http.post("/api/v1/imports/receivables", files={"file": ("a.csv", b"x")}, headers=scoped)
    assert upload.status_code == 403 and "every entity" in upload.json()["detail"]
    assert http.get("/api/v1/imports/imp-1", headers=scoped).status_code == 403
    statement = http.post(
        "/api/v1/imports/statements", params={"entity": "DE01"}, files={"file": ("s.csv", b"x")}, headers=scoped
    )
    assert statement.status_code == 404
    assert bus.asked == []


def _entry(entity: str) -> mt.ReviewEntry:
    return mt.ReviewEntry(
        transaction=bk.BankTransaction(
            transaction_id="tx1", entity=entity, amount=Money(amount="10.00", currency="EUR")
        )
    )


def test_another_entitys_bank_line_is_not_found_and_not_confirmed() -> None:
    app, http, bus = gateway({mt.GetTransactionMatch: _entry("DE01")})
    headers = as_user(app, entities=FR)
    assert http.get("/api/v1/matching/transactions/tx1", headers=headers).status_code == 404
    confirm = http.post("/api/v1/matching/transactions/tx1/confirm", json={"accept_proposal": True}, headers=headers)
    assert confirm.status_code == 404
    assert {type(q) for q in bus.asked} == {mt.GetTransactionMatch}


def test_a_scoped_confirmation_may_not_allocate_to_another_entitys_items() -> None:
    app, http, bus = gateway({mt.GetTransactionMatch: _entry("FR01")})
    body = {"customer_id": "FR01/C1", "allocations": [{"item_id": "DE01/invoice/9", "amount": "10.00"}]}
    answer = http.post("/api/v1/matching/transactions/tx1/confirm", json=body, headers=as_user(app, entities=FR))
    assert answer.status_code == 404
    assert {type(q) for q in bus.asked} == {mt.GetTransactionMatch}


def test_a_template_preview_for_a_customer_out_of_scope_is_not_found() -> None:
    app, http, bus = gateway({})
    body = {"code": "reminder", "customer": {"entity": "DE01", "account_number": "C1"}}
    answer = http.post("/api/v1/templates/preview", json=body, headers=as_user(app, entities=FR))
    assert answer.status_code == 404 and bus.asked == []


def _outbox() -> msg.OutboxListing:
    sent = Timestamp(seconds=1_764_000_000)
    return msg.OutboxListing(
        entries=[
            msg.OutboxEntry(message_id="m1", customer_id="FR01/C1", subject="Rappel", sent_at=sent),
            msg.OutboxEntry(message_id="m2", customer_id="DE01/C9", subject="Mahnung", sent_at=sent),
            msg.OutboxEntry(
                message_id="m3",
                customer_id="FR01/C2",
                subject="Relance",
                state="unknown",
                last_error="421 after the message content: the server may have accepted it",
            ),
        ]
    )


def test_the_outbox_lists_the_messages_of_the_scope() -> None:
    app, http, _ = gateway({msg.ListOutbox: _outbox()})
    answer = http.get("/api/v1/outbox", headers=as_user(app, entities=FR)).json()
    assert [e["message_id"] for e in answer["items"]] == ["m1", "m3"]
    # A message whose fate the provider left open says so, and was never sent as far as we know.
    unknown = answer["items"][1]
    assert (unknown["state"], unknown["sent_at"]) == ("unknown", None)
    assert unknown["last_error"].startswith("421")
    portfolio = http.get("/api/v1/outbox", headers=as_user(app, portfolio="claire"))
    assert portfolio.status_code == 422


def test_the_outbox_page_needs_a_token_unless_development_opens_it() -> None:
    app, http, _ = gateway({msg.ListOutbox: _outbox()})
    assert http.get("/outbox").status_code == 401
    page = http.get("/outbox", headers=as_user(app, Role.READ_ONLY, entities=FR))
    assert page.status_code == 200 and "Rappel" in page.text and "Mahnung" not in page.text
    open_app, open_http, _ = gateway({msg.ListOutbox: _outbox()}, dev_open_outbox_page=True)
    assert open_http.get("/outbox").status_code == 200
    # A token sent anyway is checked as everywhere else.
    assert open_http.get("/outbox", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert open_http.get("/outbox", headers=as_user(open_app, Role.PARTNER)).status_code == 403
