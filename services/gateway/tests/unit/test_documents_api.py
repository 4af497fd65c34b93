"""Uploading an invoice PDF for a customer's items, over a fake bus: the command the messaging service gets
(with the Idempotency-Key), the uploads bucket for large files, and every refusal."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_gateway.app import create_app
from opendso_gateway.domain.access import Role
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .fakes import MemoryAccessStore, gateway_settings, signed_in

PATH = "/api/v1/customers/FR01/C1/documents"
PDF = b"%PDF-1.7\n1 0 obj\n%%EOF\n"


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


# Copied from test_fx_api.py: with --import-mode=importlib a sibling test module is not importable.
class FakeBus:
    """Answers queries from a table of canned replies and records what was asked (and uploaded)."""

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
        return self.answers[type(req)]

    async def put_upload(self, name: str, data: bytes) -> None:
        self.uploads[name] = data


def account(found: bool = True) -> rv.CustomerAccount:
    return rv.CustomerAccount(
        found=found,
        customer=rv.Customer(customer_id="FR01/C1", entity="FR01", account_number="C1", name="Dupont SARL"),
        items=[rv.OpenItem(item_id="FR01/invoice/F1", number="F1"), rv.OpenItem(item_id="FR01/invoice/F2")],
    )


def stored(created: bool = True) -> msg.CustomerDocumentStored:
    return msg.CustomerDocumentStored(
        document_id="doc-1", created=created, size_bytes=len(PDF), sha256="ab", item_ids=["FR01/invoice/F1"]
    )


def client(
    answers: dict[type, Any] | None = None, role: Role = Role.ADMIN, entities: frozenset[str] | None = None
) -> tuple[TestClient, FakeBus]:
    bus = FakeBus(answers or {rv.GetCustomerAccount: account(), msg.StoreCustomerDocument: stored()})
    app = create_app(gateway_settings(), bus=bus, store=MemoryAccessStore())  # type: ignore[arg-type]
    return TestClient(app, headers=signed_in(app, role=role, entities=entities)), bus


def commands(bus: FakeBus) -> list[msg.StoreCustomerDocument]:
    return [m for m in bus.asked if isinstance(m, msg.StoreCustomerDocument)]


def test_an_invoice_pdf_is_passed_on_with_its_items_and_idempotency_key() -> None:
    api, bus = client()

    response = api.post(
        PATH,
        files={"file": ("F1.pdf", PDF, "application/pdf")},
        data={"item_ids": ["FR01/invoice/F1, FR01/invoice/F2", "FR01/invoice/F1"]},
        headers={"Idempotency-Key": "erp-drop-42"},
    )

    assert response.status_code == 201, response.text
    assert response.json() == {
        "document_id": "doc-1",
        "customer_id": "FR01/C1",
        "kind": "invoice",
        "item_ids": ["FR01/invoice/F1"],
        "size_bytes": len(PDF),
        "sha256": "ab",
        "created": True,
    }
    [command] = commands(bus)
    assert command.customer_id == "FR01/C1"
    assert list(command.item_ids) == ["FR01/invoice/F1", "FR01/invoice/F2"]
    assert (command.kind, command.file_name, command.content, command.upload_name) == ("invoice", "F1.pdf", PDF, "")
    assert command.idempotency_key == "erp-drop-42"
    assert command.user


def test_an_upload_stored_before_answers_200() -> None:
    api, _ = client({rv.GetCustomerAccount: account(), msg.StoreCustomerDocument: stored(created=False)})

    response = api.post(PATH, files={"file": ("F1.pdf", PDF)}, data={"item_ids": "FR01/invoice/F1"})

    assert response.status_code == 200
    assert response.json()["created"] is False


def test_a_large_invoice_goes_through_the_uploads_bucket() -> None:
    api, bus = client()
    big = PDF + b"0" * (800 * 1024)

    response = api.post(PATH, files={"file": ("F1.pdf", big)}, data={"item_ids": "FR01/invoice/F1"})

    assert response.status_code == 201
    [command] = commands(bus)
    assert command.content == b""
    assert bus.uploads == {command.upload_name: big}


def test_another_customers_item_is_refused_and_nothing_is_stored() -> None:
    api, bus = client()

    response = api.post(PATH, files={"file": ("F9.pdf", PDF)}, data={"item_ids": "FR01/invoice/F1,FR01/invoice/F9"})

    assert response.status_code == 422
    assert "FR01/invoice/F9" in response.json()["detail"]
    assert commands(bus) == []


def test_a_file_that_is_not_a_pdf_or_too_large_is_refused() -> None:
    api, bus = client()

    not_pdf = api.post(PATH, files={"file": ("F1.pdf", b"<html>")}, data={"item_ids": "FR01/invoice/F1"})
    too_large = api.post(
        PATH, files={"file": ("F1.pdf", PDF + b"0" * (10 * 1024 * 1024))}, data={"item_ids": "FR01/invoice/F1"}
    )

    assert not_pdf.status_code == 422
    assert too_large.status_code == 413
    assert commands(bus) == []


def test_an_unknown_customer_is_not_found() -> None:
    api, bus = client({rv.GetCustomerAccount: account(found=False)})

    response = api.post(PATH, files={"file": ("F1.pdf", PDF)}, data={"item_ids": "FR01/invoice/F1"})

    assert response.status_code == 404
    assert commands(bus) == []


def test_a_user_of_some_entities_uploads_for_their_entities_only() -> None:
    api, bus = client(role=Role.COLLECTOR, entities=frozenset({"FR01"}))

    ours = api.post(PATH, files={"file": ("F1.pdf", PDF)}, data={"item_ids": "FR01/invoice/F1"})
    theirs = api.post(
        "/api/v1/customers/DE01/C1/documents", files={"file": ("F1.pdf", PDF)}, data={"item_ids": "DE01/invoice/F1"}
    )

    assert ours.status_code in (200, 201), ours.text
    assert theirs.status_code == 404
    assert [c.entity for c in commands(bus)] == ["FR01"]


def test_sales_and_read_only_users_may_not_upload() -> None:
    for role in (Role.SALES, Role.READ_ONLY):
        api, bus = client(role=role)

        response = api.post(PATH, files={"file": ("F1.pdf", PDF)}, data={"item_ids": "FR01/invoice/F1"})

        assert response.status_code == 403
        assert bus.asked == []
