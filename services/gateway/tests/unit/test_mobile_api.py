"""The sales reps' mobile read API: an account summed up in one request, the disputes assigned to the rep in one
request, both cut to the rep's entities and portfolio, nothing confidential for a sales role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, Money
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_gateway.app import create_app
from opendso_gateway.domain.access import Principal, Role, Scope
from opendso_gateway.domain.mobile import OpenAmount, balances, in_rep_portfolio, is_assignee, oldest_days_overdue
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


def _item(customer: str, number: str, due: dt.date, amount: str, currency: str = "EUR") -> rv.OpenItem:
    entity = customer.split("/")[0]
    return rv.OpenItem(
        item_id=f"{entity}/invoice/{number}",
        customer_id=customer,
        number=number,
        due_date=Date(year=due.year, month=due.month, day=due.day),
        amount=Money(amount=amount, currency=currency),
        open_amount=Money(amount=amount, currency=currency),
    )


def _dispute(customer: str, number: str, sales_rep: str, collector: str = "anna") -> col.Dispute:
    entity, account = customer.split("/")
    return col.Dispute(
        customer_id=customer,
        entity=entity,
        account_number=account,
        customer_name=f"Customer {account}",
        item_id=f"{entity}/invoice/{number}",
        item_number=number,
        open_amount=Money(amount="10.00", currency="EUR"),
        since=Date(year=2026, month=11, day=20),
        owner="sales",
        comment="internal: customer is difficult",
        collector=collector,
        sales_rep=sales_rep,
        answers=["credit note on its way"],
    )


class MobileBus:
    """Customers FR01/C1 (rep rita, collector anna), FR01/C2 (rep sam) and DE01/C3 (rep rita)."""

    def __init__(self) -> None:
        self.asked: list[Message] = []
        self.customers = {
            ("FR01", "C1"): ("rita", "anna"),
            ("FR01", "C2"): ("sam", "anna"),
            ("DE01", "C3"): ("rita", "otto"),
        }
        self.disputes = [
            _dispute("FR01/C1", "F-1", "rita"),
            _dispute("FR01/C2", "F-7", "sam"),
            _dispute("DE01/C3", "D-1", "rita", collector="otto"),
        ]
        self.answers: dict[str, col.AnswerDisputeQuestion] = {}

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        if isinstance(req, rv.GetCustomerAccount):
            owners = self.customers.get((req.entity, req.account_number))
            if owners is None:
                return rv.CustomerAccount(found=False)
            customer_id = f"{req.entity}/{req.account_number}"
            return rv.CustomerAccount(
                found=True,
                customer=rv.Customer(
                    customer_id=customer_id,
                    entity=req.entity,
                    account_number=req.account_number,
                    name="Dupont SA",
                    sales_rep=owners[0],
                    collector=owners[1],
                    credit_limit="50000",
                ),
                items=[
                    _item(customer_id, "F-1", TODAY - dt.timedelta(days=40), "100.00"),
                    _item(customer_id, "F-2", TODAY + dt.timedelta(days=5), "50.50"),
                    _item(customer_id, "F-3", TODAY - dt.timedelta(days=3), "20.00", "USD"),
                ],
                contacts=[rv.Contact(name="Marie", phone="+33 1 23 45 67 89", role="billing")],
            )
        if isinstance(req, col.ListDisputes):
            # Like the engine: filtered by what is asked, nothing more (the gateway cuts by scope).
            names = {n.casefold() for n in req.assignees}
            found = [
                d
                for d in self.disputes
                if (not req.entity or d.entity == req.entity)
                and (not req.customer_id or d.customer_id == req.customer_id)
                and (not names or d.sales_rep.casefold() in names)
            ]
            return col.Disputes(disputes=found)
        if isinstance(req, col.AnswerDisputeQuestion):
            # Like the engine: an answer repeated with the same key is the first one again.
            key = req.idempotency_key or f"{req.item_id}:{req.answer}:{req.user}"
            replayed = key in self.answers
            self.answers.setdefault(key, req)
            return col.DisputeQuestionAnswered(
                answer_id=f"ans-{len(self.answers)}",
                customer_id=req.customer_id,
                item_id=req.item_id,
                answer=req.answer,
                user=req.user,
                owner="sales",
                replayed=replayed,
            )
        raise AssertionError(f"{type(req).__name__} reached a service")

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {}


def new_app() -> tuple[FastAPI, TestClient, MobileBus]:
    bus = MobileBus()
    app = create_app(gateway_settings(), bus=bus, store=MemoryAccessStore(), clock=lambda: NOW)  # type: ignore[arg-type]
    return app, TestClient(app), bus


def rep(app: FastAPI, name: str = "rita", entities: frozenset[str] | None = frozenset({"FR01"})) -> dict[str, str]:
    return signed_in(app, Role.SALES, email=f"{name}@example.com", entities=entities, portfolio=name)


# -- the pure rules ----------------------------------------------------------------------------------------------


def test_a_sales_reps_portfolio_is_the_accounts_they_sell_to() -> None:
    scope = Scope(portfolio="Rita")
    assert in_rep_portfolio(scope, Role.SALES, "anna", "rita")
    assert not in_rep_portfolio(scope, Role.SALES, "rita", "sam")
    assert in_rep_portfolio(scope, Role.COLLECTOR, "rita", "sam")
    assert in_rep_portfolio(Scope(), Role.SALES, "anna", "sam")


def test_a_credit_note_lowers_the_balance_as_in_the_aging_report() -> None:
    items = [
        OpenAmount(TODAY - dt.timedelta(days=30), Decimal("15000.00"), "EUR"),
        OpenAmount(TODAY - dt.timedelta(days=5), Decimal("-500.00"), "EUR"),
    ]
    [eur] = balances(items, TODAY)
    assert (eur.open, eur.overdue, eur.open_items, eur.overdue_items) == (
        Decimal("14500.00"),
        Decimal("14500.00"),
        1,
        1,
    )
    assert oldest_days_overdue(items, TODAY) == 30


def test_a_dispute_s_question_shows_to_the_colleague_asked_and_no_other_sales_rep() -> None:
    rita = Principal("u1", "rita@example.com", Role.SALES, Scope(portfolio="Rita"))
    assert is_assignee(rita, "sales", "rita")  # the role "sales" on an account Rita sells to
    assert is_assignee(rita, "RITA@example.com", "sam")
    assert not is_assignee(rita, "sales", "sam")
    assert not is_assignee(rita, "", "rita")


def test_balances_are_per_currency_and_count_what_is_overdue() -> None:
    items = [
        OpenAmount(TODAY - dt.timedelta(days=10), Decimal("100"), "EUR"),
        OpenAmount(TODAY, Decimal("5"), "EUR"),
        OpenAmount(None, Decimal("7"), "USD"),
        OpenAmount(TODAY - dt.timedelta(days=99), Decimal("0"), "EUR"),
    ]
    [eur, usd] = balances(items, TODAY)
    assert (eur.currency, eur.open, eur.overdue, eur.open_items, eur.overdue_items) == ("EUR", 105, 100, 2, 1)
    assert (usd.open, usd.overdue) == (7, 0)
    assert oldest_days_overdue(items, TODAY) == 10
    assert oldest_days_overdue([], TODAY) == 0


# -- the account summary -----------------------------------------------------------------------------------------


def test_the_summary_is_one_request_with_balances_items_disputes_and_contacts() -> None:
    app, http, bus = new_app()
    answer = http.get("/api/v1/mobile/customers/FR01/C1", headers=rep(app))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["balances"] == [
        {"currency": "EUR", "open": "150.50", "overdue": "100.00", "open_items": 2, "overdue_items": 1},
        {"currency": "USD", "open": "20.00", "overdue": "20.00", "open_items": 1, "overdue_items": 1},
    ]
    assert body["oldest_days_overdue"] == 40
    assert [(i["number"], i["disputed"]) for i in body["items"]] == [("F-1", True), ("F-3", False), ("F-2", False)]
    assert body["contacts"][0]["phone"] == "+33 1 23 45 67 89"
    # Nothing confidential for sales (no credit limit), but the question of a dispute the rep is asked about.
    assert "credit_limit" not in body["customer"]
    assert body["disputes"][0]["comment"] == "internal: customer is difficult"
    assert body["disputes"][0]["answers"] == ["credit note on its way"]
    assert [type(q).__name__ for q in bus.asked] == ["GetCustomerAccount", "ListDisputes"]


def test_a_collector_sees_the_confidential_fields() -> None:
    app, http, _ = new_app()
    headers = signed_in(app, Role.COLLECTOR, email="anna@example.com", portfolio="anna")
    body = http.get("/api/v1/mobile/customers/FR01/C1", headers=headers).json()
    assert body["customer"]["credit_limit"] == "50000"
    assert body["disputes"][0]["comment"] == "internal: customer is difficult"


def test_another_reps_customer_or_another_entitys_is_not_found() -> None:
    app, http, bus = new_app()
    headers = rep(app)
    theirs = http.get("/api/v1/mobile/customers/FR01/C2", headers=headers)
    assert theirs.status_code == 404
    assert "Dupont" not in theirs.text and "sam" not in theirs.text
    assert not any(isinstance(q, col.ListDisputes) for q in bus.asked)
    # DE01/C3 is rita's account, but DE01 is not one of her entities: nobody is even asked.
    asked = len(bus.asked)
    assert http.get("/api/v1/mobile/customers/DE01/C3", headers=headers).status_code == 404
    assert len(bus.asked) == asked
    assert http.get("/api/v1/mobile/customers/FR01/C9", headers=headers).status_code == 404


def test_without_or_with_a_bad_token_the_summary_is_401() -> None:
    _, http, bus = new_app()
    assert http.get("/api/v1/mobile/customers/FR01/C1").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert http.get("/api/v1/mobile/customers/FR01/C1", headers=bad).status_code == 401
    assert http.get("/api/v1/mobile/disputes", headers=bad).status_code == 401
    assert bus.asked == []


def test_a_partner_key_holder_role_cannot_read_the_mobile_api() -> None:
    app, http, bus = new_app()
    headers = signed_in(app, Role.PARTNER, email="callco@example.com")
    assert http.get("/api/v1/mobile/customers/FR01/C1", headers=headers).status_code == 403
    assert http.get("/api/v1/mobile/disputes", headers=headers).status_code == 403
    assert bus.asked == []


# -- my disputes -------------------------------------------------------------------------------------------------


def test_my_disputes_are_mine_in_my_entities_in_one_request() -> None:
    app, http, bus = new_app()
    answer = http.get("/api/v1/mobile/disputes", headers=rep(app))
    assert answer.status_code == 200, answer.text
    assert [d["item_number"] for d in answer.json()["disputes"]] == ["F-1"]
    [query] = bus.asked
    assert isinstance(query, col.ListDisputes)
    assert query.entity == "FR01" and sorted(query.assignees) == ["rita", "rita@example.com"]


def test_disputes_out_of_scope_never_show_even_when_the_engine_answers_them() -> None:
    app, http, bus = new_app()
    # An engine that answers every dispute whatever is asked: the gateway still cuts by entity and portfolio.
    every = bus.disputes

    async def careless(req: Message, reply_type: type, timeout: float | None = None) -> Any:
        bus.asked.append(req)
        return col.Disputes(disputes=every)

    bus.ask = careless  # type: ignore[method-assign]
    body = http.get("/api/v1/mobile/disputes", headers=rep(app)).json()
    assert [d["item_number"] for d in body["disputes"]] == ["F-1"]
    other = http.get("/api/v1/mobile/disputes", params={"entity": "DE01"}, headers=rep(app)).json()
    assert other == {"disputes": [], "truncated": False}


def test_a_rep_of_several_entities_gets_them_all_in_one_request() -> None:
    app, http, bus = new_app()
    headers = rep(app, entities=frozenset({"FR01", "DE01"}))
    body = http.get("/api/v1/mobile/disputes", headers=headers).json()
    assert sorted(d["item_number"] for d in body["disputes"]) == ["D-1", "F-1"]
    assert sorted(q.entity for q in bus.asked if isinstance(q, col.ListDisputes)) == ["DE01", "FR01"]


def test_a_collectors_portfolio_is_the_accounts_they_collect() -> None:
    app, http, _ = new_app()
    otto = signed_in(app, Role.COLLECTOR, email="otto@example.com", portfolio="otto")
    assert http.get("/api/v1/mobile/customers/FR01/C1", headers=otto).status_code == 404
    assert http.get("/api/v1/mobile/customers/DE01/C3", headers=otto).status_code == 200
    # The disputes on his accounts are owned by sales: the sales rep's to answer, not his.
    body = http.get("/api/v1/mobile/disputes", headers=otto).json()
    assert [d["item_number"] for d in body["disputes"]] == []


# -- answering a dispute -----------------------------------------------------------------------------------------

ANSWER = {"item_id": "FR01/invoice/F-1", "answer": "Credit note of 10.00 on its way"}


def test_a_rep_answers_a_dispute_assigned_to_them_as_the_internal_link_does() -> None:
    app, http, bus = new_app()
    headers = {**rep(app), "Idempotency-Key": "k-1"}
    answer = http.post("/api/v1/mobile/customers/FR01/C1/dispute-answers", json=ANSWER, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "recorded": "dispute_answer",
        "answer_id": "ans-1",
        "item_id": "FR01/invoice/F-1",
        "answer": "Credit note of 10.00 on its way",
        "replayed": False,
    }
    command = bus.asked[-1]
    assert isinstance(command, col.AnswerDisputeQuestion)
    assert (command.customer_id, command.item_id, command.user) == ("FR01/C1", "FR01/invoice/F-1", "rita@example.com")
    assert command.idempotency_key.startswith("user:") and command.idempotency_key.endswith(":k-1")


def test_an_answer_sent_again_is_not_recorded_twice() -> None:
    app, http, bus = new_app()
    headers = rep(app)
    first = http.post("/api/v1/mobile/customers/FR01/C1/dispute-answers", json=ANSWER, headers=headers)
    again = http.post("/api/v1/mobile/customers/FR01/C1/dispute-answers", json=ANSWER, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["replayed"] is True
    assert len(bus.answers) == 1


def test_another_reps_dispute_is_not_found_and_nothing_is_answered() -> None:
    app, http, bus = new_app()
    # FR01/C2 is sam's: not rita's portfolio.
    other = {"item_id": "FR01/invoice/F-7", "answer": "ok"}
    answer = http.post("/api/v1/mobile/customers/FR01/C2/dispute-answers", json=other, headers=rep(app))
    assert answer.status_code == 404
    # Sam's customer, but an item of rita's customer named in the body: still not rita's dispute there.
    answer = http.post("/api/v1/mobile/customers/FR01/C2/dispute-answers", json=ANSWER, headers=rep(app, "sam"))
    assert answer.status_code == 404
    assert not any(isinstance(q, col.AnswerDisputeQuestion) for q in bus.asked)


def test_a_dispute_not_assigned_to_the_rep_on_their_own_customer_is_not_found() -> None:
    app, http, bus = new_app()
    bus.disputes[0].sales_rep = "sam"
    bus.customers[("FR01", "C1")] = ("rita", "anna")
    answer = http.post("/api/v1/mobile/customers/FR01/C1/dispute-answers", json=ANSWER, headers=rep(app))
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no dispute on 'FR01/invoice/F-1' assigned to you"
    assert bus.answers == {}


def test_an_answer_in_another_entity_or_without_a_token_asks_nothing() -> None:
    app, http, bus = new_app()
    de = {"item_id": "DE01/invoice/D-1", "answer": "ok"}
    assert http.post("/api/v1/mobile/customers/DE01/C3/dispute-answers", json=de, headers=rep(app)).status_code == 404
    assert http.post("/api/v1/mobile/customers/FR01/C1/dispute-answers", json=ANSWER).status_code == 401
    assert bus.asked == []


def test_a_read_only_user_may_not_answer_and_an_empty_answer_is_refused() -> None:
    app, http, bus = new_app()
    read_only = signed_in(app, Role.READ_ONLY, email="ro@example.com")
    assert (
        http.post("/api/v1/mobile/customers/FR01/C1/dispute-answers", json=ANSWER, headers=read_only).status_code == 403
    )
    empty = {**ANSWER, "answer": ""}
    assert (
        http.post("/api/v1/mobile/customers/FR01/C1/dispute-answers", json=empty, headers=rep(app)).status_code == 422
    )
    assert bus.asked == []
