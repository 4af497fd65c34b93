"""Customer documents in the public API: the ERP uploads an invoice PDF for a customer's items.

The messaging service keeps it (``StoreCustomerDocument``) in the letters' store, attaches it to reminders
about those items whose template asks for invoices, and lists it in the debtor portal. The customer must be
one the importer knows and the caller may see; the items must be that customer's. ``Idempotency-Key`` is
passed on, so a retried upload is stored once (the gateway does not buffer multipart bodies to replay them).
A file that does not fit in a NATS message goes through the uploads bucket.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv

from opendso_gateway.access import allow, check_account, check_entity
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/customers", tags=["documents"])

# The messaging service refuses more: one invoice over an e-mail's attachment cap could never go out.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# NATS caps a message at 1 MiB by default; the command's other fields need some room.
INLINE_BYTES = 768 * 1024
KINDS = ("invoice",)
Uploader = Annotated[Principal, allow(Feature.DOCUMENTS, Action.WRITE)]


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def _item_ids(given: list[str]) -> list[str]:
    # Repeated fields or one comma-separated field: both are how HTML forms and curl send lists.
    return list(dict.fromkeys(part.strip() for field in given for part in field.split(",") if part.strip()))


@router.post(
    "/{entity}/{account_number}/documents",
    status_code=201,
    summary="Upload an invoice PDF for some of the customer's items",
    responses={
        200: {"description": "Stored before with this Idempotency-Key (or the same file for the same items)"},
        413: {"description": "Over 10 MB"},
        422: {"description": "Not a PDF, or an item that is not this customer's"},
    },
)
async def upload_document(
    request: Request,
    entity: str,
    account_number: str,
    principal: Uploader,
    file: Annotated[UploadFile, File(description="The invoice as a PDF, at most 10 MB")],
    item_ids: Annotated[
        list[str],
        Form(description='The items it is about, e.g. "FR01/invoice/F-2026-0042"; repeated or comma-separated'),
    ],
    kind: Annotated[
        str, Form(pattern="^(invoice)$", description='What the file is: "invoice" (the only kind so far)')
    ] = ("invoice"),
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    check_entity(principal, entity)
    wanted = _item_ids(item_ids)
    if not wanted or len(wanted) > 100:
        raise Problem(422, "Invalid items", "name between 1 and 100 items (item_ids) the document is about")
    account = await _bus(request).ask(
        rv.GetCustomerAccount(entity=entity, account_number=account_number), rv.CustomerAccount
    )
    check_account(principal, account, entity, account_number)
    customer_id = account.customer.customer_id or f"{entity}/{account_number}"
    own = {item.item_id for item in account.items}
    foreign = [i for i in wanted if i not in own]
    if foreign:
        # Another customer's item and an unknown one read the same: nothing is learnt by guessing ids.
        raise Problem(
            422, "Invalid items", f"not items of customer {account_number!r} in {entity!r}: {', '.join(foreign)}"
        )
    content, upload_name = await _stage(request, file)
    stored = await _bus(request).ask(
        msg.StoreCustomerDocument(
            customer_id=customer_id,
            entity=entity,
            item_ids=wanted,
            kind=kind,
            file_name=file.filename or "invoice.pdf",
            media_type="application/pdf",
            content=content,
            upload_name=upload_name,
            idempotency_key=idempotency_key or "",
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        msg.CustomerDocumentStored,
    )
    return JSONResponse(_stored_json(stored, customer_id), status_code=201 if stored.created else 200)


def _stored_json(stored: msg.CustomerDocumentStored, customer_id: str) -> dict[str, Any]:
    return {
        "document_id": stored.document_id,
        "customer_id": customer_id,
        "kind": "invoice",
        "item_ids": list(stored.item_ids),
        "size_bytes": stored.size_bytes,
        "sha256": stored.sha256,
        "created": stored.created,
    }


async def _stage(request: Request, file: UploadFile) -> tuple[bytes, str]:
    """The file inside the command when it fits in a NATS message, else its name in the uploads bucket."""
    # Read up to one byte over the cap: enough to refuse it without holding a larger body.
    content = await file.read(MAX_DOCUMENT_BYTES + 1)
    if len(content) > MAX_DOCUMENT_BYTES:
        raise Problem(413, "File too large", f"{file.filename}: over the limit of {MAX_DOCUMENT_BYTES} bytes")
    if not content.startswith(b"%PDF-"):
        raise Problem(422, "Not a PDF", f"{file.filename}: the file is not a PDF (it does not start with %PDF-)")
    if len(content) <= INLINE_BYTES:
        return content, ""
    name = f"documents/{request.state.request_id or uuid.uuid4().hex}/{uuid.uuid4().hex}.pdf"
    await _bus(request).put_upload(name, content)
    return b"", name
