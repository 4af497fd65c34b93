"""Finding a customer and reading its promises to pay: the importer and the engine asked with the user's scope,
every answer checked against it again, nothing confidential for a sales role."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, Money
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_gateway.app import create_app
from opendso_gateway.customers_api import search_query
from opendso_gateway.domain.access import Principal, Role, Scope
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


def _customer(entity: str, account: str, name: str, sales_rep: str, collector: str) -> rv.Customer:
    return rv.Customer(
        customer_id=f"{entity}/{account}",
        entity=entity,
        account_number=account,
        name=name,
        sales_rep=sales_rep,
        collector=collector,
        credit_limit="50000",
    )


CUSTOMERS = [
    _customer("FR01", "C1", "Dupont SA", "rita", "anna"),
    _customer("FR01", "C2", "Dupont Frères", "sam", "anna"),
    _customer("DE01", "C3", "Düpont GmbH", "rita", "otto"),
]


def _day(d: dt.date) -> Date:
    return Date(year=d.year, month=d.month, day=d.day)


class CustomersBus:
    """An importer that answers every customer it holds whatever it is asked (the gateway must cut), and an
    engine holding two promises of FR01/C1."""

    def __init__(self, more: bool = False) -> None:
        self.asked: list[Message] = []
        self.more = more

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        if isinstance(req, rv.SearchCustomers):
            return rv.CustomerSearchResults(customers=CUSTOMERS, more=self.more)
        if isinstance(req, rv.GetCustomerAccount):
            found = next(
                (c for c in CUSTOMERS if (c.entity, c.account_number) == (req.entity, req.account_number)), None
            )
            return rv.CustomerAccount(found=found is not None, customer=found)
        if isinstance(req, col.ListPromises):
            return col.Promises(
                promises=[
                    col.PromiseToPay(
                        promise_id="p-2",
                        customer_id=req.customer_id,
                        item_ids=["FR01/invoice/F-2"],
                        promised_amount=Money(amount="50.00", currency="EUR"),
                        promised_on=_day(dt.date(2026, 12, 1)),
                        created_on=_day(dt.date(2026, 11, 20)),
                        by_user="portal:FR01/C1",
                        state="pending",
                    ),
                    col.PromiseToPay(
                        promise_id="p-1",
                        customer_id=req.customer_id,
                        item_ids=["FR01/invoice/F-1"],
                        promised_amount=Money(amount="100.00", currency="EUR"),
                        promised_on=_day(dt.date(2026, 11, 10)),
                        created_on=_day(dt.date(2026, 11, 1)),
                        by_user="anna@example.com",
                        state="broken",
                    ),
                ]
            )
        raise AssertionError(f"{type(req).__name__} reached a service")

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {}


def new_app(more: bool = False) -> tuple[FastAPI, TestClient, CustomersBus]:
    bus = CustomersBus(more)
    app = create_app(gateway_settings(), bus=bus, store=MemoryAccessStore(), clock=lambda: NOW)  # type: ignore[arg-type]
    return app, TestClient(app), bus


def rep(app: FastAPI, name: str = "rita", entities: frozenset[str] | None = frozenset({"FR01"})) -> dict[str, str]:
    return signed_in(app, Role.SALES, email=f"{name}@example.com", entities=entities, portfolio=name)


# -- the query asked ---------------------------------------------------------------------------------------------


def test_the_search_names_a_sales_reps_entities_and_portfolio() -> None:
    principal = Principal("u1", "rita@example.com", Role.SALES, Scope(frozenset({"FR01", "DE01"}), "rita"))
    query = search_query(principal, "dupont", "", 0, 20)
    assert query is not None
    assert list(query.entities) == ["DE01", "FR01"]
    assert (query.sales_rep, query.collector) == ("rita", "")


def test_a_collectors_portfolio_is_searched_by_collector_and_every_entity_by_none() -> None:
    principal = Principal("u1", "anna@example.com", Role.COLLECTOR, Scope(None, "anna"))
    query = search_query(principal, "dupont", "", 0, 20)
    assert query is not None
    assert list(query.entities) == []
    assert (query.sales_rep, query.collector) == ("", "anna")


def test_an_entity_out_of_scope_or_an_empty_scope_searches_nothing() -> None:
    assert search_query(Principal("u1", "a@x", Role.COLLECTOR, Scope(frozenset({"FR01"}))), "du", "DE01", 0, 5) is None
    assert search_query(Principal("u1", "a@x", Role.COLLECTOR, Scope(frozenset())), "du", "", 0, 5) is None


# -- the search route --------------------------------------------------------------------------------------------


def test_a_rep_finds_only_their_customers_in_their_entities_without_credit_terms() -> None:
    app, http, bus = new_app(more=True)
    answer = http.get("/api/v1/customers", params={"q": "dupont", "limit": 5}, headers=rep(app))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # The importer answered all three: another rep's and another entity's are cut here.
    assert [c["customer_id"] for c in body["customers"]] == ["FR01/C1"]
    assert "credit_limit" not in body["customers"][0]
    assert body["more"] is True
    assert (body["offset"], body["limit"]) == (0, 5)
    query = bus.asked[0]
    assert isinstance(query, rv.SearchCustomers)
    assert (query.text, list(query.entities), query.sales_rep, query.limit) == ("dupont", ["FR01"], "rita", 5)


def test_a_collector_of_every_entity_sees_every_customer_with_credit_terms() -> None:
    app, http, _ = new_app()
    answer = http.get("/api/v1/customers", params={"q": "dupont"}, headers=signed_in(app, Role.COLLECTOR))
    assert answer.status_code == 200, answer.text
    assert [c["customer_id"] for c in answer.json()["customers"]] == ["FR01/C1", "FR01/C2", "DE01/C3"]
    assert answer.json()["customers"][0]["credit_limit"] == "50000"


def test_another_entity_asked_for_answers_nothing_without_asking_the_importer() -> None:
    app, http, bus = new_app()
    answer = http.get("/api/v1/customers", params={"q": "dupont", "entity": "DE01"}, headers=rep(app))
    assert answer.status_code == 200
    assert answer.json()["customers"] == []
    assert bus.asked == []


def test_a_search_without_a_token_is_401_and_a_too_short_or_too_wide_one_is_422() -> None:
    app, http, bus = new_app()
    assert http.get("/api/v1/customers", params={"q": "dupont"}).status_code == 401
    headers = rep(app)
    assert http.get("/api/v1/customers", params={"q": "d"}, headers=headers).status_code == 422
    assert http.get("/api/v1/customers", params={"q": "%%"}, headers=headers).status_code == 422
    assert http.get("/api/v1/customers", params={"q": "dupont", "limit": 101}, headers=headers).status_code == 422
    assert bus.asked == []


def test_a_partner_role_cannot_search_customers() -> None:
    app, http, bus = new_app()
    answer = http.get("/api/v1/customers", params={"q": "dupont"}, headers=signed_in(app, Role.PARTNER))
    assert answer.status_code == 403
    assert bus.asked == []


# -- the promises route ------------------------------------------------------------------------------------------


def test_a_customers_promises_say_amount_day_items_and_state() -> None:
    app, http, bus = new_app()
    answer = http.get("/api/v1/customers/FR01/C1/promises", headers=signed_in(app, Role.COLLECTOR))
    assert answer.status_code == 200, answer.text
    promises = answer.json()["promises"]
    assert promises[0] == {
        "promise_id": "p-2",
        "item_ids": ["FR01/invoice/F-2"],
        "amount": {"amount": "50.00", "currency": "EUR"},
        "promised_on": "2026-12-01",
        "created_on": "2026-11-20",
        "by": "portal:FR01/C1",
        "state": "open",
    }
    assert promises[1]["state"] == "broken"
    assert isinstance(bus.asked[-1], col.ListPromises)
    assert bus.asked[-1].customer_id == "FR01/C1"


def test_a_rep_reads_promises_of_their_customer_only() -> None:
    app, http, bus = new_app()
    assert http.get("/api/v1/customers/FR01/C1/promises", headers=rep(app)).status_code == 200
    bus.asked.clear()
    other_rep = http.get("/api/v1/customers/FR01/C2/promises", headers=rep(app))
    assert other_rep.status_code == 404
    assert [type(q) for q in bus.asked] == [rv.GetCustomerAccount]


def test_promises_of_another_entity_or_without_a_token_are_refused_without_asking() -> None:
    app, http, bus = new_app()
    assert http.get("/api/v1/customers/DE01/C3/promises", headers=rep(app)).status_code == 404
    assert http.get("/api/v1/customers/FR01/C1/promises").status_code == 401
    assert bus.asked == []


def test_a_collectors_portfolio_cuts_promises_by_collector() -> None:
    app, http, _ = new_app()
    headers = signed_in(app, Role.COLLECTOR, email="otto@example.com", portfolio="otto")
    assert http.get("/api/v1/customers/FR01/C1/promises", headers=headers).status_code == 404
    assert http.get("/api/v1/customers/DE01/C3/promises", headers=headers).status_code == 200
