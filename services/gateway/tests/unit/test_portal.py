"""The debtor portal: a signed link opens its own customer's statement and records promises and disputes as the
collection engine's qualifications; any other link opens nothing and asks no service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, Money
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_contracts.portal_links import PortalLink, PortalLinks, PortalPurpose, debtor_link
from opendso_gateway.app import create_app
from opendso_gateway.portal import Portal
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings

SECRET = "portal-unit-tests-only-4b1d9c7e2a6f48d3b0e5"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


def _item(entity: str, account: str, number: str, open_amount: str) -> rv.OpenItem:
    return rv.OpenItem(
        item_id=f"{entity}/invoice/{number}",
        customer_id=f"{entity}/{account}",
        entity=entity,
        account_number=account,
        number=number,
        due_date=Date(year=2026, month=10, day=31),
        amount=Money(amount=open_amount, currency="EUR"),
        open_amount=Money(amount=open_amount, currency="EUR"),
    )


class PortalBus:
    """Knows two customers of entity FR1: C1 (two invoices) and C2 (one); records every question."""

    def __init__(self) -> None:
        self.asked: list[Message] = []
        self.items = {
            "C1": [_item("FR1", "C1", "INV-1", "100.10"), _item("FR1", "C1", "INV-2", "50.00")],
            "C2": [_item("FR1", "C2", "INV-9", "999.00")],
        }

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        if isinstance(req, rv.GetCustomerAccount):
            items = self.items.get(req.account_number) if req.entity == "FR1" else None
            if items is None:
                return rv.CustomerAccount(found=False)
            customer = rv.Customer(entity=req.entity, account_number=req.account_number, name="Dupont SA")
            return rv.CustomerAccount(found=True, customer=customer, items=items)
        if isinstance(req, col.QualifyItems):
            statuses = [
                col.ItemStatus(item_id=i, status_code=req.status_code, comment=req.comment) for i in req.item_ids
            ]
            promise_id = "p-1" if req.status_code == "promise_to_pay" else ""
            return col.ItemsQualified(customer_id=req.customer_id, statuses=statuses, promise_id=promise_id)
        raise AssertionError(f"{type(req).__name__} reached a service")

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {}


def new_app() -> tuple[FastAPI, PortalBus, PortalLinks]:
    bus = PortalBus()
    app = create_app(gateway_settings(), bus=bus, store=MemoryAccessStore(), clock=lambda: NOW)  # type: ignore[arg-type]
    links = PortalLinks(SECRET)
    app.state.portal = Portal(links)
    return app, bus, links


def c1_token(links: PortalLinks) -> str:
    return links.mint(debtor_link("FR1", "C1", NOW))


def test_the_statement_shows_the_linked_customers_open_items_and_totals() -> None:
    app, bus, links = new_app()
    answer = TestClient(app).get(f"/portal/{c1_token(links)}/statement")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [i["number"] for i in body["items"]] == ["INV-1", "INV-2"]
    assert body["totals"] == [{"amount": "150.10", "currency": "EUR"}]
    assert body["payment"]["reference"] == "INV-1, INV-2"
    assert bus.asked == [rv.GetCustomerAccount(entity="FR1", account_number="C1")]


def test_the_page_works_without_javascript_and_escapes_what_it_shows() -> None:
    app, bus, links = new_app()
    bus.items["C1"][0].number = "<script>x</script>"
    answer = TestClient(app).get(f"/portal/{c1_token(links)}")
    assert answer.status_code == 200
    assert "text/html" in answer.headers["content-type"]
    assert "<script>x" not in answer.text and "&lt;script&gt;x" in answer.text
    assert 'name="viewport"' in answer.text and "150.10 EUR" in answer.text


def test_a_dispute_becomes_a_dispute_qualification_with_the_reason() -> None:
    app, bus, links = new_app()
    answer = TestClient(app).post(
        f"/portal/{c1_token(links)}/disputes",
        json={"item_ids": ["FR1/invoice/INV-1"], "reason": "defective", "comment": "Screen broken"},
    )
    assert answer.status_code == 200, answer.text
    command = bus.asked[-1]
    assert isinstance(command, col.QualifyItems)
    assert (command.customer_id, command.status_code, list(command.item_ids)) == (
        "FR1/C1",
        "dispute",
        ["FR1/invoice/INV-1"],
    )
    assert command.comment == "Disputed from the portal: Goods defective or service faulty. Screen broken"
    assert command.user == "portal:FR1/C1"
    assert answer.json()["items"][0]["status"] == "dispute"


def test_a_reason_outside_the_list_is_refused_before_any_service_is_asked() -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    url = f"/portal/{c1_token(links)}/disputes"
    assert http.post(url, json={"item_ids": ["FR1/invoice/INV-1"], "reason": "dont_feel_like_it"}).status_code == 422
    assert http.post(url, json={"item_ids": ["FR1/invoice/INV-1"], "reason": "other"}).status_code == 422
    assert bus.asked == []


def test_a_promise_carries_its_amount_and_date() -> None:
    app, bus, links = new_app()
    answer = TestClient(app).post(
        f"/portal/{c1_token(links)}/promises",
        json={"item_ids": ["FR1/invoice/INV-2"], "amount": "50.00", "currency": "EUR", "promised_on": "2026-12-15"},
    )
    assert answer.status_code == 200, answer.text
    command = bus.asked[-1]
    assert isinstance(command, col.QualifyItems)
    assert command.status_code == "promise_to_pay"
    assert (command.promised_amount.amount, command.promised_amount.currency) == ("50.00", "EUR")
    assert (command.promised_on.year, command.promised_on.month, command.promised_on.day) == (2026, 12, 15)
    assert answer.json()["promise_id"] == "p-1"


def test_a_promise_in_the_past_is_refused() -> None:
    app, bus, links = new_app()
    answer = TestClient(app).post(
        f"/portal/{c1_token(links)}/promises",
        json={"item_ids": ["FR1/invoice/INV-2"], "amount": "50", "currency": "EUR", "promised_on": "2026-11-24"},
    )
    assert answer.status_code == 422
    assert bus.asked == []


def test_a_repeated_idempotency_key_answers_again_without_asking_again() -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    url = f"/portal/{c1_token(links)}/disputes"
    body = {"item_ids": ["FR1/invoice/INV-1"], "reason": "wrong_price"}
    first = http.post(url, json=body, headers={"Idempotency-Key": "k1"})
    asked = len(bus.asked)
    again = http.post(url, json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert len(bus.asked) == asked
    other = http.post(url, json={**body, "reason": "not_ordered"}, headers={"Idempotency-Key": "k1"})
    assert other.status_code == 409
    assert len(bus.asked) == asked


def test_the_page_form_records_a_dispute() -> None:
    app, bus, links = new_app()
    answer = TestClient(app).post(
        f"/portal/{c1_token(links)}/form/dispute",
        data={"item_ids": ["FR1/invoice/INV-1"], "reason": "not_received", "comment": ""},
    )
    assert answer.status_code == 200, answer.text
    assert "recorded" in answer.text
    assert isinstance(bus.asked[-1], col.QualifyItems)


def test_what_no_service_records_yet_says_so() -> None:
    app, _, links = new_app()
    http = TestClient(app)
    token = c1_token(links)
    comment = http.post(f"/portal/{token}/comments", json={"item_id": "FR1/invoice/INV-1", "comment": "hello"})
    payment = http.post(f"/portal/{token}/payments", json={"amount": "10", "currency": "EUR", "paid_on": "2026-11-20"})
    assert comment.status_code == payment.status_code == 501
    documents = http.get(f"/portal/{token}/documents").json()
    assert [d["number"] for d in documents["documents"]] == ["INV-1", "INV-2"]
    assert "no document store" in documents["missing"]


# -- what a link cannot open -------------------------------------------------------------------------------------


def _refused_tokens(links: PortalLinks) -> dict[str, str]:
    good = c1_token(links)
    payload, _, signature = good.partition(".")
    c2 = links.mint(debtor_link("FR1", "C2", NOW))
    return {
        "garbage": "not-a-token",
        "tampered signature": f"{payload}.{signature[:-2]}{'AA' if not signature.endswith('AA') else 'BB'}",
        "payload of another customer with this signature": f"{c2.partition('.')[0]}.{signature}",
        "expired": links.mint(debtor_link("FR1", "C1", NOW - dt.timedelta(days=31))),
        "other secret": PortalLinks("another-secret-of-at-least-thirty-two-chars").mint(debtor_link("FR1", "C1", NOW)),
        "internal link": links.mint(
            PortalLink("FR1", "C1", NOW + dt.timedelta(days=1), PortalPurpose.DISPUTE_ANSWER, "FR1/invoice/INV-1")
        ),
    }


ROUTES = [
    ("GET", "", None),
    ("GET", "/statement", None),
    ("GET", "/documents", None),
    ("POST", "/disputes", {"item_ids": ["FR1/invoice/INV-1"], "reason": "defective"}),
    (
        "POST",
        "/promises",
        {"item_ids": ["FR1/invoice/INV-1"], "amount": "1", "currency": "EUR", "promised_on": "2026-12-01"},
    ),
    ("POST", "/comments", {"item_id": "FR1/invoice/INV-1", "comment": "x"}),
    ("POST", "/payments", {"amount": "1", "currency": "EUR", "paid_on": "2026-11-01"}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
def test_a_refused_link_is_not_found_and_no_service_is_asked(method: str, suffix: str, body: Any) -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    for name, token in _refused_tokens(links).items():
        answer = http.request(method, f"/portal/{token}{suffix}", json=body)
        assert answer.status_code == 404, f"{name}: {answer.status_code} {answer.text}"
        assert answer.json()["detail"] == "this link is not valid any more; ask us for a new one"
    assert bus.asked == []
    assert http.get(f"/portal/{c1_token(links)}/statement").status_code == 200


def test_without_a_token_there_is_no_portal() -> None:
    app, bus, _ = new_app()
    assert TestClient(app).get("/portal//statement").status_code == 404
    assert bus.asked == []


@pytest.mark.parametrize("what", ["disputes", "promises"])
def test_another_customers_item_cannot_be_acted_on_and_their_account_is_never_asked(what: str) -> None:
    app, bus, links = new_app()
    body: dict[str, Any] = {"item_ids": ["FR1/invoice/INV-9"]}
    body |= (
        {"reason": "defective"}
        if what == "disputes"
        else {"amount": "1", "currency": "EUR", "promised_on": "2026-12-01"}
    )
    answer = TestClient(app).post(f"/portal/{c1_token(links)}/{what}", json=body)
    assert answer.status_code == 404
    assert "INV-9" in answer.json()["detail"]
    assert bus.asked == [rv.GetCustomerAccount(entity="FR1", account_number="C1")]


def test_the_audit_keeps_the_customer_not_the_link() -> None:
    app, _, links = new_app()
    token = c1_token(links)
    TestClient(app).post(f"/portal/{token}/disputes", json={"item_ids": ["FR1/invoice/INV-1"], "reason": "defective"})
    store = app.state.accounts.store
    assert isinstance(store, MemoryAccessStore)
    entry = store.entries[-1]
    assert entry.resource_ids["customer_id"] == "FR1/C1"
    assert token not in entry.resource_ids.values()
    assert entry.email == "portal:FR1/C1"


# -- the colleague's link ----------------------------------------------------------------------------------------


def test_a_colleagues_link_shows_the_disputed_item_and_only_with_its_purpose() -> None:
    app, _, links = new_app()
    http = TestClient(app)
    link = PortalLink("FR1", "C1", NOW + dt.timedelta(days=7), PortalPurpose.DISPUTE_ANSWER, "FR1/invoice/INV-2")
    token = links.mint(link)
    answer = http.get(f"/portal-internal/{token}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["item"]["number"] == "INV-2"
    assert http.post(f"/portal-internal/{token}/answer", json={"answer": "Credit note coming"}).status_code == 501
    assert http.get(f"/portal-internal/{c1_token(links)}").status_code == 404
