"""The debtor portal: a signed link opens its own customer's statement and records promises and disputes as the
collection engine's qualifications; any other link opens nothing and asks no service."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.portal.v1 import portal_pb2 as pt
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import RemoteError
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


def _letter(document_id: str, customer_id: str, file_name: str, media_type: str) -> pt.CustomerDocument:
    info = pt.CustomerDocumentInfo(
        document_id=document_id,
        customer_id=customer_id,
        kind="letter",
        title=f"Letter {document_id}",
        file_name=file_name,
        media_type=media_type,
        size_bytes=9,
    )
    return pt.CustomerDocument(found=True, info=info, content=b"%PDF-1.7 " + document_id.encode())


class PortalBus:
    """Knows two customers of entity FR1: C1 (two invoices) and C2 (one); records every question."""

    def __init__(self) -> None:
        self.asked: list[Message] = []
        self.items = {
            "C1": [_item("FR1", "C1", "INV-1", "100.10"), _item("FR1", "C1", "INV-2", "50.00")],
            "C2": [_item("FR1", "C2", "INV-9", "999.00")],
        }
        self.documents = [
            _letter("L-1", "FR1/C1", "reminder-1.pdf", "application/pdf"),
            _letter("L-2", "FR1/C1", "<b>x</b>.html", "text/html"),
            _letter("L-9", "FR1/C2", "formal-notice.pdf", "application/pdf"),
        ]
        self.qr_down = False

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
        task = col.Task(task_id="t-1", due_on=Date(year=2026, month=11, day=25))
        if isinstance(req, col.CommentItem):
            return col.ItemCommented(
                customer_id=req.customer_id, comment_id="c-1", item_id=req.item_id, comment=req.comment, task=task
            )
        if isinstance(req, col.DeclarePayment):
            return col.PaymentDeclared(
                customer_id=req.customer_id,
                declaration_id="d-1",
                item_ids=req.item_ids or ["FR1/invoice/INV-1", "FR1/invoice/INV-2"],
                amount=req.amount,
                paid_on=req.paid_on,
                paused_until=Date(year=2026, month=12, day=5),
                task=task,
            )
        if isinstance(req, col.AnswerDisputeQuestion):
            return col.DisputeQuestionAnswered(
                customer_id=req.customer_id, answer_id="a-1", item_id=req.item_id, answer=req.answer, task=task
            )
        if isinstance(req, pt.ListCustomerDocuments):
            return pt.CustomerDocuments(
                documents=[d.info for d in self.documents if d.info.customer_id == req.customer_id]
            )
        if isinstance(req, pt.GetCustomerDocument):
            # Like the messaging service: only a document of the customer asked about is found.
            for d in self.documents:
                if d.info.document_id == req.document_id and d.info.customer_id == req.customer_id:
                    return d
            return pt.CustomerDocument(found=False)
        if isinstance(req, msg.GetPaymentQr):
            # Shaped like the messaging service's answer: the code is made for the customer and amount asked.
            if self.qr_down:
                raise RemoteError("opendso.rpc.messaging.v1.get_payment_qr", "internal", "down")
            account = req.customer_id.partition("/")[2]
            return msg.PaymentQrCode(
                found=True,
                kind="epc",
                payload=f"BCD\n002\n1\nSCT\n\nAcme\nFR76\n{req.amount.currency}{req.amount.amount}\n\nRF-{account}",
                reference=f"RF-{account}",
                png=b"\x89PNG-" + account.encode(),
                caption="Scan to pay by bank transfer",
                reference_label="Payment reference to quote",
                beneficiary_name="Acme <SAS>",
                iban="FR7630006000011234567890189",
                amount=req.amount,
            )
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
    assert bus.asked == [
        rv.GetCustomerAccount(entity="FR1", account_number="C1"),
        msg.GetPaymentQr(customer_id="FR1/C1", amount=Money(amount="150.10", currency="EUR")),
    ]


def test_the_statement_carries_the_payment_qr_code_for_the_linked_customers_total_only() -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    qr = http.get(f"/portal/{c1_token(links)}/statement").json()["payment"]["qr"]
    assert qr["text"].endswith("EUR150.10\n\nRF-C1") and qr["reference"] == "RF-C1"
    assert qr["image"] == "data:image/png;base64," + base64.b64encode(b"\x89PNG-C1").decode()
    assert qr["amount"] == {"amount": "150.10", "currency": "EUR"}

    theirs = http.get(f"/portal/{links.mint(debtor_link('FR1', 'C2', NOW))}/statement").json()["payment"]["qr"]
    assert theirs["reference"] == "RF-C2" and theirs["amount"]["amount"] == "999.00"
    asked = [q.customer_id for q in bus.asked if isinstance(q, msg.GetPaymentQr)]
    assert asked == ["FR1/C1", "FR1/C2"]


def test_the_page_shows_the_payment_qr_code_as_an_image_and_opens_without_it_when_messaging_is_down() -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    page = http.get(f"/portal/{c1_token(links)}")
    assert page.status_code == 200
    assert '<img src="data:image/png;base64,' in page.text
    assert "Payment reference to quote: <strong>RF-C1</strong>" in page.text
    assert "Acme &lt;SAS&gt;" in page.text
    bus.qr_down = True
    page = http.get(f"/portal/{c1_token(links)}")
    assert page.status_code == 200 and "<img" not in page.text and "150.10 EUR" in page.text


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
    # The gateway answers a repeat with the first answer itself (see idempotency.py), and says so.
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(bus.asked) == asked
    other = http.post(url, json={**body, "reason": "not_ordered"}, headers={"Idempotency-Key": "k1"})
    assert other.status_code == 422
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


def test_a_comment_becomes_the_engines_comment_on_the_linked_customers_item() -> None:
    app, bus, links = new_app()
    answer = TestClient(app).post(
        f"/portal/{c1_token(links)}/comments",
        json={"item_id": "FR1/invoice/INV-1", "comment": "Delivered late"},
        headers={"Idempotency-Key": "k1"},
    )
    assert answer.status_code == 200, answer.text
    command = bus.asked[-1]
    assert isinstance(command, col.CommentItem)
    assert (command.customer_id, command.item_id, command.comment, command.user) == (
        "FR1/C1",
        "FR1/invoice/INV-1",
        "Delivered late",
        "portal:FR1/C1",
    )
    # The engine's key is scoped to the customer, so another customer's identical key is another comment.
    assert command.idempotency_key == "portal:FR1/C1:comment:k1"
    assert answer.json()["recorded"] == "comment"
    assert answer.json()["follow_up"] == {"due_on": "2026-11-25"}


def test_a_declared_payment_becomes_the_engines_declaration_and_says_until_when_reminders_pause() -> None:
    app, bus, links = new_app()
    answer = TestClient(app).post(
        f"/portal/{c1_token(links)}/payments",
        json={"amount": "150.10", "currency": "EUR", "paid_on": "2026-11-20", "reference": "TRF-1"},
    )
    assert answer.status_code == 200, answer.text
    command = bus.asked[-1]
    assert isinstance(command, col.DeclarePayment)
    assert (command.customer_id, command.amount.amount, command.reference, list(command.item_ids)) == (
        "FR1/C1",
        "150.10",
        "TRF-1",
        [],
    )
    assert command.idempotency_key == ""
    body = answer.json()
    assert (body["recorded"], body["reminders_paused_until"], body["paid_on"]) == (
        "declared_payment",
        "2026-12-05",
        "2026-11-20",
    )


def test_a_payment_declared_for_a_later_day_or_another_customers_item_is_refused() -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    url = f"/portal/{c1_token(links)}/payments"
    later = http.post(url, json={"amount": "1", "currency": "EUR", "paid_on": "2026-11-26"})
    assert later.status_code == 422
    assert bus.asked == []
    theirs = http.post(
        url, json={"amount": "1", "currency": "EUR", "paid_on": "2026-11-20", "item_ids": ["FR1/invoice/INV-9"]}
    )
    assert theirs.status_code == 404
    nothing_in_usd = http.post(url, json={"amount": "1", "currency": "USD", "paid_on": "2026-11-20"})
    assert nothing_in_usd.status_code == 422
    assert not any(isinstance(q, col.DeclarePayment) for q in bus.asked)


def test_the_page_forms_record_a_payment_and_a_comment() -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    token = c1_token(links)
    page = http.get(f"/portal/{token}").text
    assert "/form/payment" in page and "/form/comment" in page
    paid = http.post(
        f"/portal/{token}/form/payment",
        data={"item_ids": ["FR1/invoice/INV-1"], "amount": "100.10", "currency": "EUR", "paid_on": "2026-11-24"},
    )
    assert paid.status_code == 200, paid.text
    assert "payment is recorded" in paid.text
    said = http.post(f"/portal/{token}/form/comment", data={"item_ids": ["FR1/invoice/INV-2"], "comment": "ok"})
    assert said.status_code == 200, said.text
    assert [type(q).__name__ for q in bus.asked if not isinstance(q, rv.GetCustomerAccount | msg.GetPaymentQr)] == [
        "DeclarePayment",
        "CommentItem",
    ]
    two = http.post(
        f"/portal/{token}/form/comment", data={"item_ids": ["FR1/invoice/INV-1", "FR1/invoice/INV-2"], "comment": "x"}
    )
    assert two.status_code == 422


def test_the_documents_are_the_linked_customers_letters_and_download() -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    token = c1_token(links)
    listing = http.get(f"/portal/{token}/documents")
    assert listing.status_code == 200, listing.text
    documents = listing.json()["documents"]
    assert [d["document_id"] for d in documents] == ["L-1", "L-2"]
    assert documents[0]["download"] == f"/portal/{token}/documents/L-1"
    assert pt.ListCustomerDocuments(customer_id="FR1/C1", limit=100) in bus.asked

    pdf = http.get(documents[0]["download"])
    assert pdf.status_code == 200
    assert pdf.content == b"%PDF-1.7 L-1"
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="reminder-1.pdf"')
    assert pdf.headers["cache-control"] == "private, no-store"
    assert bus.asked[-1] == pt.GetCustomerDocument(customer_id="FR1/C1", document_id="L-1")


def test_a_stored_document_that_could_run_in_the_browser_downloads_as_opaque_bytes() -> None:
    app, _, links = new_app()
    answer = TestClient(app).get(f"/portal/{c1_token(links)}/documents/L-2")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-disposition"].startswith("attachment;")


def test_another_customers_document_cannot_be_downloaded_with_this_link() -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    token = c1_token(links)
    theirs = http.get(f"/portal/{token}/documents/L-9")
    assert theirs.status_code == 404
    assert "formal-notice" not in theirs.text and "PDF" not in theirs.text
    # The service was asked under the link's customer only, never under the owner of L-9.
    asked = [q for q in bus.asked if isinstance(q, pt.GetCustomerDocument)]
    assert asked == [pt.GetCustomerDocument(customer_id="FR1/C1", document_id="L-9")]
    assert http.get(f"/portal/{token}/documents/missing").status_code == 404
    # Their own link downloads it.
    c2 = links.mint(debtor_link("FR1", "C2", NOW))
    assert http.get(f"/portal/{c2}/documents/L-9").status_code == 200


def test_a_document_answered_for_another_customer_is_still_not_shown() -> None:
    app, bus, links = new_app()
    # A service that wrongly answers with a document of another customer: the gateway refuses it.
    stray = bus.documents[2]

    async def leaky(req: Message, reply_type: type, timeout: float | None = None) -> Any:
        if isinstance(req, pt.GetCustomerDocument):
            return stray
        if isinstance(req, pt.ListCustomerDocuments):
            return pt.CustomerDocuments(documents=[stray.info])
        return await PortalBus.ask(bus, req, reply_type, timeout)

    bus.ask = leaky  # type: ignore[method-assign]
    http = TestClient(app)
    token = c1_token(links)
    assert http.get(f"/portal/{token}/documents/L-9").status_code == 404
    assert http.get(f"/portal/{token}/documents").json()["documents"] == []


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
    ("GET", "/documents/L-1", None),
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


@pytest.mark.parametrize("what", ["disputes", "promises", "comments", "payments"])
def test_another_customers_item_cannot_be_acted_on_and_their_account_is_never_asked(what: str) -> None:
    app, bus, links = new_app()
    body: dict[str, Any] = {
        "disputes": {"item_ids": ["FR1/invoice/INV-9"], "reason": "defective"},
        "promises": {"item_ids": ["FR1/invoice/INV-9"], "amount": "1", "currency": "EUR", "promised_on": "2026-12-01"},
        "comments": {"item_id": "FR1/invoice/INV-9", "comment": "mine now"},
        "payments": {"item_ids": ["FR1/invoice/INV-9"], "amount": "1", "currency": "EUR", "paid_on": "2026-11-01"},
    }[what]
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
    assert http.get(f"/portal-internal/{c1_token(links)}").status_code == 404


def test_a_colleagues_answer_is_recorded_on_the_linked_item_only() -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    link = PortalLink("FR1", "C1", NOW + dt.timedelta(days=7), PortalPurpose.DISPUTE_ANSWER, "FR1/invoice/INV-2")
    token = links.mint(link)
    answer = http.post(f"/portal-internal/{token}/answer", json={"answer": "Credit note coming"})
    assert answer.status_code == 200, answer.text
    command = bus.asked[-1]
    assert isinstance(command, col.AnswerDisputeQuestion)
    assert (command.customer_id, command.item_id, command.answer) == (
        "FR1/C1",
        "FR1/invoice/INV-2",
        "Credit note coming",
    )
    assert answer.json()["recorded"] == "dispute_answer"
    # The body cannot name another item: the link's item is the only one.
    assert (
        http.post(f"/portal-internal/{token}/answer", json={"answer": "x", "item_id": "FR1/invoice/INV-9"}).status_code
        == 422
    )


def test_an_answer_link_that_opens_nothing_is_not_found_and_asks_no_service() -> None:
    app, bus, links = new_app()
    http = TestClient(app)
    good = PortalLink("FR1", "C1", NOW + dt.timedelta(days=7), PortalPurpose.DISPUTE_ANSWER, "FR1/invoice/INV-2")
    token = links.mint(good)
    payload, _, signature = token.partition(".")
    refused = {
        "debtor link": c1_token(links),
        "expired": links.mint(
            PortalLink("FR1", "C1", NOW - dt.timedelta(seconds=1), PortalPurpose.DISPUTE_ANSWER, "FR1/invoice/INV-2")
        ),
        "tampered": f"{payload}.{signature[:-2]}{'AA' if not signature.endswith('AA') else 'BB'}",
        "other secret": PortalLinks("another-secret-of-at-least-thirty-two-chars").mint(good),
        "no item": links.mint(PortalLink("FR1", "C1", NOW + dt.timedelta(days=7), PortalPurpose.DISPUTE_ANSWER)),
    }
    for name, bad in refused.items():
        answer = http.post(f"/portal-internal/{bad}/answer", json={"answer": "x"})
        assert answer.status_code == 404, f"{name}: {answer.status_code}"
    assert not any(isinstance(q, col.AnswerDisputeQuestion) for q in bus.asked)
    # An item of another customer named by a validly signed link (closed, or never theirs) opens nothing either.
    theirs = links.mint(
        PortalLink("FR1", "C1", NOW + dt.timedelta(days=7), PortalPurpose.DISPUTE_ANSWER, "FR1/invoice/INV-9")
    )
    assert http.post(f"/portal-internal/{theirs}/answer", json={"answer": "x"}).status_code == 404
    assert not any(isinstance(q, col.AnswerDisputeQuestion) for q in bus.asked)


def test_an_answer_on_an_item_no_longer_in_dispute_is_a_conflict() -> None:
    app, bus, links = new_app()
    token = links.mint(
        PortalLink("FR1", "C1", NOW + dt.timedelta(days=7), PortalPurpose.DISPUTE_ANSWER, "FR1/invoice/INV-2")
    )
    asked = bus.ask

    async def settled(req: Message, reply_type: type, timeout: float | None = None) -> Any:
        if isinstance(req, col.AnswerDisputeQuestion):
            raise RemoteError("rpc", "conflict", "item 'INV-2' is not in dispute any more: the answer is not needed")
        return await asked(req, reply_type, timeout)

    bus.ask = settled  # type: ignore[method-assign]
    answer = TestClient(app).post(f"/portal-internal/{token}/answer", json={"answer": "too late"})
    assert answer.status_code == 409
    assert "not in dispute" in answer.json()["detail"]
