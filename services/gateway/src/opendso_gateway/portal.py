"""The debtor portal: what a signed link from an e-mail opens, without an account.

A link names one customer (``opendso_contracts.portal_links``); every route reads its token first and answers
404 to a token that is malformed, forged, expired or for another purpose, before any service is asked. The
customer's data is only ever asked for under the customer the token names, and an item named in a request
must be one of that customer's open items. Promises and disputes become the collection engine's
``QualifyItems``; a comment its ``CommentItem``, a declared payment its ``DeclarePayment`` and a colleague's answer
its ``AnswerDisputeQuestion``, each of which the engine keeps once per key and puts on the collector's agenda.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Header, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.portal.v1 import portal_pb2 as pt
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import RemoteError
from opendso_contracts.convert import date_to_proto
from opendso_contracts.portal_links import (
    PortalLink,
    PortalLinkError,
    PortalLinks,
    PortalPurpose,
    dev_portal_secret,
)
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from opendso_gateway import serializers
from opendso_gateway.access import audit_ids
from opendso_gateway.bus import Bus
from opendso_gateway.domain.portal import (
    DISPUTE_REASONS,
    IdempotencyConflict,
    Replays,
    dispute_comment,
    open_totals,
)
from opendso_gateway.downloads import attachment
from opendso_gateway.problems import Problem

log = logging.getLogger(__name__)
router = APIRouter(tags=["portal"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


class PortalSettings(BaseSettings):
    """The portal's secret: the messaging service signs links with the same one. Empty: generated once into
    ``dev_secret_file`` (one machine in development only)."""

    model_config = SettingsConfigDict(env_prefix="OPENDSO_GATEWAY_PORTAL_", hide_input_in_errors=True)
    secret: SecretStr = SecretStr("")
    dev_secret_file: Path = Path("var/portal-secret")


class Portal:
    """What the portal routes share in one gateway: the link reader and the kept answers."""

    def __init__(self, links: PortalLinks) -> None:
        self.links = links
        self.replays = Replays()

    @classmethod
    def from_settings(cls, settings: PortalSettings) -> Portal:
        return cls(PortalLinks(settings.secret.get_secret_value() or dev_portal_secret(settings.dev_secret_file)))


def portal_of(request: Request) -> Portal:
    # Built on first use rather than in create_app, so the gateway's settings need no field of the portal's.
    portal: Portal | None = getattr(request.app.state, "portal", None)
    if portal is None:
        portal = Portal.from_settings(PortalSettings())
        request.app.state.portal = portal
    return portal


def _gone() -> Problem:
    # One answer for every refused link: a guesser learns nothing about which part was wrong.
    return Problem(404, "Not found", "this link is not valid any more; ask us for a new one", code="not_found")


def _link(request: Request, token: str, purpose: PortalPurpose) -> PortalLink:
    try:
        link = portal_of(request).links.read(token, request.app.state.clock())
    except PortalLinkError as exc:
        log.info("portal link refused on %s %s: %s", request.method, request.scope.get("route_path", ""), exc)
        raise _gone() from None
    if link.purpose is not purpose:
        raise _gone()
    # The token is the credential: the audit names the customer instead of keeping it.
    audit_ids(request, token="(portal link)", customer_id=link.customer_id)
    request.state.audit_email = f"portal:{link.customer_id}"
    return link


async def _account(request: Request, link: PortalLink) -> rv.CustomerAccount:
    bus: Bus = request.app.state.bus
    account = await bus.ask(
        rv.GetCustomerAccount(entity=link.entity, account_number=link.account_number), rv.CustomerAccount
    )
    if not account.found:
        raise _gone()
    return account


async def _payment_qr(request: Request, link: PortalLink, account: rv.CustomerAccount) -> msg.PaymentQrCode | None:
    """The payment QR code for what the account owes, made by the messaging service (it holds the entity's bank
    account and the encoders e-mails and letters use); None when there is none or the service does not answer."""
    totals = open_totals((Decimal(i.open_amount.amount or "0"), i.open_amount.currency) for i in account.items)
    # A transfer has one currency: an account owing in several gets no code rather than one for part of it.
    if len(totals) != 1:
        return None
    currency, amount = next(iter(totals.items()))
    if amount <= 0:
        return None
    bus: Bus = request.app.state.bus
    query = msg.GetPaymentQr(
        customer_id=link.customer_id,
        amount=Money(amount=str(amount), currency=currency),
        language=account.customer.language,
    )
    try:
        code = await bus.ask(query, msg.PaymentQrCode)
    except (Problem, RemoteError) as exc:
        # The statement matters more than the code: the page still opens, with the transfer reference.
        log.warning("no payment QR code for the portal of %s: %s", link.customer_id, exc)
        return None
    return code if code.found else None


def _qr_json(code: msg.PaymentQrCode | None) -> dict[str, Any] | None:
    if code is None:
        return None
    return {
        "kind": code.kind,
        "text": code.payload,
        "reference": code.reference,
        "reference_label": code.reference_label,
        "caption": code.caption,
        "amount": {"amount": code.amount.amount, "currency": code.amount.currency},
        "beneficiary": {"name": code.beneficiary_name, "iban": code.iban, "bic": code.bic},
        # A data URI of the PNG: an <img> shows it and no markup of another service runs in the page.
        "image": "data:image/png;base64," + base64.b64encode(code.png).decode("ascii"),
    }


def _statement(account: rv.CustomerAccount, qr: msg.PaymentQrCode | None = None) -> dict[str, Any]:
    customer = account.customer
    totals = open_totals((Decimal(i.open_amount.amount or "0"), i.open_amount.currency) for i in account.items)
    return {
        "customer": {
            "name": customer.name,
            "account_number": customer.account_number,
            "entity": customer.entity,
        },
        "items": [serializers.item(i) for i in account.items],
        "totals": [{"amount": str(amount), "currency": currency} for currency, amount in totals.items()],
        # The matching service keys on the item numbers, and on the structured reference the QR code quotes.
        "payment": {"reference": ", ".join(i.number for i in account.items), "qr": _qr_json(qr)},
        "dispute_reasons": [{"code": code, "label": label} for code, label in DISPUTE_REASONS.items()],
    }


def _own_items(link: PortalLink, account: rv.CustomerAccount, item_ids: list[str]) -> None:
    open_ids = {i.item_id for i in account.items}
    for item_id in item_ids:
        if item_id not in open_ids:
            raise Problem(404, "Not found", f"no open item {item_id!r} on this account", code="not_found")


def _fingerprint(body: BaseModel) -> str:
    return hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


Record = Callable[[rv.CustomerAccount], Awaitable[dict[str, Any]]]


async def _once(
    request: Request, link: PortalLink, what: str, body: BaseModel, key: str | None, item_ids: list[str], send: Record
) -> dict[str, Any]:
    """Check the items are the link's customer's open items and ``send``; a repeated Idempotency-Key with the same
    body answers the kept answer without asking again (the engine also drops a repeated command)."""
    replays = portal_of(request).replays
    scope = f"{link.customer_id}:{what}"
    if key:
        try:
            kept = replays.get(scope, key, _fingerprint(body))
        except IdempotencyConflict:
            raise Problem(409, "Conflict", "this Idempotency-Key was used with another request") from None
        if kept is not None:
            return {**kept, "replayed": True}
    account = await _account(request, link)
    _own_items(link, account, item_ids)
    recorded = await send(account)
    if key:
        replays.keep(scope, key, _fingerprint(body), recorded)
    return recorded


def _bus_key(link: PortalLink, what: str, key: str | None) -> str:
    # Scoped to the link's customer and action: another customer's identical key is another request.
    return f"portal:{link.customer_id}:{what}:{key}" if key else ""


async def _qualify(
    request: Request, link: PortalLink, what: str, body: BaseModel, key: str | None, command: col.QualifyItems
) -> dict[str, Any]:
    async def send(_account: rv.CustomerAccount) -> dict[str, Any]:
        command.customer_id = link.customer_id
        command.user = f"portal:{link.customer_id}"
        command.correlation_id = request.state.request_id
        bus: Bus = request.app.state.bus
        answer = await bus.ask(command, col.ItemsQualified)
        return {
            "recorded": what,
            "customer_id": answer.customer_id,
            "items": [{"item_id": s.item_id, "status": s.status_code, "comment": s.comment} for s in answer.statuses],
            "promise_id": answer.promise_id or None,
            "replayed": answer.replayed,
        }

    return await _once(request, link, what, body, key, list(command.item_ids), send)


# -- the debtor's JSON API ---------------------------------------------------------------------------------------


class PromiseBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_ids": ["FR01/invoice/F-2026-0042"],
                    "amount": "1250.00",
                    "currency": "EUR",
                    "promised_on": "2026-12-10",
                    "comment": "Paid with our December payment run",
                }
            ]
        },
    )
    item_ids: list[str] = Field(min_length=1, max_length=200)
    amount: str = Field(pattern=r"^\d{1,18}(\.\d{1,6})?$")
    currency: str = Field(pattern="^[A-Z]{3}$")
    promised_on: dt.date
    comment: str = Field(default="", max_length=2000)


class DisputeBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_ids": ["FR01/invoice/F-2026-0057"],
                    "reason": "wrong_price",
                    "comment": "Invoiced at 42.00 per unit; our order confirmation says 38.50",
                }
            ]
        },
    )
    item_ids: list[str] = Field(min_length=1, max_length=200)
    reason: Literal[
        "not_received", "defective", "wrong_price", "already_paid", "credit_note_expected", "not_ordered", "other"
    ]
    comment: str = Field(default="", max_length=2000)


class CommentBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"item_id": "FR01/invoice/F-2026-0042", "comment": "Please send a copy with our PO number 4500123987"}
            ]
        },
    )
    item_id: str = Field(min_length=1, max_length=250)
    comment: str = Field(min_length=1, max_length=2000)


class PaymentBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount": "3465.00",
                    "currency": "EUR",
                    "paid_on": "2026-11-23",
                    "reference": "VIR SEPA DUPONT 231126",
                    "item_ids": ["FR01/invoice/F-2026-0042", "FR01/invoice/F-2026-0057"],
                }
            ]
        },
    )
    amount: str = Field(pattern=r"^\d{1,18}(\.\d{1,6})?$")
    currency: str = Field(pattern="^[A-Z]{3}$")
    paid_on: dt.date
    reference: str = Field(default="", max_length=200)
    item_ids: list[str] = Field(
        default_factory=list, max_length=200, description="The items paid; empty: every open item in the currency"
    )


@router.get("/portal/{token}/statement", summary="Portal: the debtor's open items, totals and how to pay")
async def statement(request: Request, token: str) -> dict[str, Any]:
    link = _link(request, token, PortalPurpose.DEBTOR)
    account = await _account(request, link)
    return _statement(account, await _payment_qr(request, link, account))


@router.post("/portal/{token}/promises", summary="Portal: promise to pay items by a date")
async def promise(request: Request, token: str, body: PromiseBody, idempotency_key: IdempotencyKey = None) -> Any:
    link = _link(request, token, PortalPurpose.DEBTOR)
    if body.promised_on < request.app.state.clock().date():
        raise Problem(422, "Invalid request", "a promise is for today or a later day")
    command = col.QualifyItems(item_ids=body.item_ids, status_code="promise_to_pay", comment=body.comment)
    command.promised_amount.amount = body.amount
    command.promised_amount.currency = body.currency
    command.promised_on.CopyFrom(date_to_proto(body.promised_on))
    return await _qualify(request, link, "promise_to_pay", body, idempotency_key, command)


@router.post("/portal/{token}/disputes", summary="Portal: dispute items, with a reason from the list")
async def dispute(request: Request, token: str, body: DisputeBody, idempotency_key: IdempotencyKey = None) -> Any:
    link = _link(request, token, PortalPurpose.DEBTOR)
    if body.reason == "other" and not body.comment.strip():
        raise Problem(422, "Invalid request", "say what the dispute is about in the comment")
    command = col.QualifyItems(
        item_ids=body.item_ids, status_code="dispute", comment=dispute_comment(body.reason, body.comment)
    )
    return await _qualify(request, link, "dispute", body, idempotency_key, command)


def _task(task: col.Task) -> dict[str, Any] | None:
    # The debtor learns that someone will look, not the collector's agenda.
    return {"due_on": serializers.date(task.due_on)} if task.task_id else None


@router.post("/portal/{token}/comments", summary="Portal: comment an item; the collector gets a task to read it")
async def comment_item(request: Request, token: str, body: CommentBody, idempotency_key: IdempotencyKey = None) -> Any:
    link = _link(request, token, PortalPurpose.DEBTOR)

    async def send(_account: rv.CustomerAccount) -> dict[str, Any]:
        command = col.CommentItem(
            customer_id=link.customer_id,
            item_id=body.item_id,
            comment=body.comment,
            user=f"portal:{link.customer_id}",
            idempotency_key=_bus_key(link, "comment", idempotency_key),
            correlation_id=request.state.request_id,
        )
        bus: Bus = request.app.state.bus
        answer = await bus.ask(command, col.ItemCommented)
        return {
            "recorded": "comment",
            "customer_id": answer.customer_id,
            "comment_id": answer.comment_id,
            "item_id": answer.item_id,
            "comment": answer.comment,
            "follow_up": _task(answer.task),
            "replayed": answer.replayed,
        }

    return await _once(request, link, "comment", body, idempotency_key, [body.item_id], send)


@router.post(
    "/portal/{token}/payments",
    summary="Portal: declare a payment made; reminders pause while the collector looks for it",
)
async def declare_payment(
    request: Request, token: str, body: PaymentBody, idempotency_key: IdempotencyKey = None
) -> Any:
    link = _link(request, token, PortalPurpose.DEBTOR)
    if body.paid_on > request.app.state.clock().date():
        raise Problem(422, "Invalid request", "a payment is declared once made: paid_on is today or an earlier day")

    async def send(account: rv.CustomerAccount) -> dict[str, Any]:
        if not body.item_ids and not any(i.open_amount.currency == body.currency for i in account.items):
            raise Problem(422, "Invalid request", f"no open item in {body.currency} on this account")
        command = col.DeclarePayment(
            customer_id=link.customer_id,
            item_ids=body.item_ids,
            reference=body.reference,
            user=f"portal:{link.customer_id}",
            idempotency_key=_bus_key(link, "payment", idempotency_key),
            correlation_id=request.state.request_id,
        )
        command.amount.amount = body.amount
        command.amount.currency = body.currency
        command.paid_on.CopyFrom(date_to_proto(body.paid_on))
        bus: Bus = request.app.state.bus
        answer = await bus.ask(command, col.PaymentDeclared)
        return {
            "recorded": "declared_payment",
            "customer_id": answer.customer_id,
            "declaration_id": answer.declaration_id,
            "item_ids": list(answer.item_ids),
            "amount": {"amount": answer.amount.amount, "currency": answer.amount.currency},
            "paid_on": serializers.date(answer.paid_on),
            "reminders_paused_until": serializers.date(answer.paused_until),
            "replayed": answer.replayed,
        }

    return await _once(request, link, "payment", body, idempotency_key, body.item_ids, send)


# Served as themselves only when they cannot run in the browser under the gateway's origin; anything else is a
# download of opaque bytes.
_INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


def _document(token: str, d: pt.CustomerDocumentInfo) -> dict[str, Any]:
    return {
        "document_id": d.document_id,
        "kind": d.kind,
        "title": d.title,
        "file_name": d.file_name,
        "media_type": d.media_type if d.media_type in _INLINE_TYPES else "application/octet-stream",
        "size_bytes": d.size_bytes,
        "created_at": d.created_at.ToDatetime(tzinfo=dt.UTC).isoformat() if d.created_at.seconds else None,
        "item_ids": list(d.item_ids),
        "download": f"/portal/{token}/documents/{quote(d.document_id, safe='')}",
    }


@router.get("/portal/{token}/documents", summary="Portal: the documents the customer received (letters, invoices)")
async def documents(request: Request, token: str) -> dict[str, Any]:
    link = _link(request, token, PortalPurpose.DEBTOR)
    bus: Bus = request.app.state.bus
    listing = await bus.ask(pt.ListCustomerDocuments(customer_id=link.customer_id, limit=100), pt.CustomerDocuments)
    # The service is asked for this customer only; a stray document of another one is still never shown.
    return {"documents": [_document(token, d) for d in listing.documents if d.customer_id == link.customer_id]}


@router.get(
    "/portal/{token}/documents/{document_id}",
    summary="Portal: download one of the customer's documents",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "application/octet-stream": {}}}, 404: {}},
)
async def download_document(
    request: Request, token: str, document_id: Annotated[str, PathParam(min_length=1, max_length=200)]
) -> Response:
    link = _link(request, token, PortalPurpose.DEBTOR)
    bus: Bus = request.app.state.bus
    answer = await bus.ask(
        pt.GetCustomerDocument(customer_id=link.customer_id, document_id=document_id), pt.CustomerDocument
    )
    if not answer.found or answer.info.customer_id != link.customer_id:
        raise Problem(404, "Not found", "no such document on this account", code="not_found")
    info = answer.info
    media_type = info.media_type if info.media_type in _INLINE_TYPES else "application/octet-stream"
    headers = {
        **attachment(info.file_name or f"{info.document_id}.pdf"),
        # A link's documents are the debtor's: no shared cache keeps them, and the browser does not guess a type.
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(answer.content, media_type=media_type, headers=headers)


# -- the debtor's page -------------------------------------------------------------------------------------------

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1rem;max-width:40rem}"
    "table{border-collapse:collapse;width:100%}td,th{padding:.3rem;border-bottom:1px solid #ddd;text-align:left}"
    "td.n{text-align:right}form{margin:1rem 0;padding:.5rem;border:1px solid #ccc}"
    "label{display:block;margin:.4rem 0}input,select,textarea,button{font-size:1rem;width:100%}"
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


def _item_choices(account: rv.CustomerAccount, kind: str = "checkbox") -> str:
    return "".join(
        f'<label><input type="{kind}" name="item_ids" value="{html.escape(i.item_id)}" style="width:auto"> '
        f"{html.escape(i.number)}</label>"
        for i in account.items
    )


def _qr_block(qr: dict[str, Any] | None) -> str:
    if qr is None:
        return ""
    amount = f"{qr['amount']['amount']} {qr['amount']['currency']}"
    beneficiary = qr["beneficiary"]
    return (
        f'<figure><img src="{html.escape(qr["image"])}" alt="{html.escape(qr["caption"])}" width="180" height="180">'
        f"<figcaption>{html.escape(qr['caption'])}: {html.escape(amount)}<br>"
        f"{html.escape(beneficiary['name'])}, IBAN {html.escape(beneficiary['iban'])}"
        f"{', BIC ' + html.escape(beneficiary['bic']) if beneficiary['bic'] else ''}<br>"
        f"{html.escape(qr['reference_label'])}: <strong>{html.escape(qr['reference'])}</strong></figcaption></figure>"
    )


@router.get("/portal/{token}", summary="Portal: the debtor's account page", response_class=HTMLResponse)
async def page(request: Request, token: str) -> HTMLResponse:
    link = _link(request, token, PortalPurpose.DEBTOR)
    account = await _account(request, link)
    data = _statement(account, await _payment_qr(request, link, account))
    rows = "".join(
        f"<tr><td>{html.escape(i['number'])}</td><td>{i['due_date'] or ''}</td>"
        f"<td class=n>{i['open_amount']['amount']} {i['open_amount']['currency']}</td></tr>"
        for i in data["items"]
    )
    totals = ", ".join(f"{t['amount']} {t['currency']}" for t in data["totals"]) or "nothing"
    reasons = "".join(f'<option value="{c}">{html.escape(label)}</option>' for c, label in DISPUTE_REASONS.items())
    action = html.escape(f"/portal/{token}/form")
    choices = _item_choices(account)
    today = request.app.state.clock().date().isoformat()
    currency = data["totals"][0]["currency"] if data["totals"] else "EUR"
    body = (
        f"<p>{html.escape(data['customer']['name'])} — account {html.escape(link.account_number)}</p>"
        f"<table><tr><th>Invoice</th><th>Due</th><th>Open</th></tr>{rows}</table>"
        f"<p><strong>Open in total: {html.escape(totals)}</strong><br>"
        f"Transfer reference: {html.escape(data['payment']['reference'])}</p>"
        f"{_qr_block(data['payment']['qr'])}"
        f'<form method="post" action="{action}/promise"><h2>Promise to pay</h2>{choices}'
        f'<label>Amount <input name="amount" inputmode="decimal" required></label>'
        f'<label>Currency <input name="currency" value="{html.escape(currency)}" required></label>'
        f'<label>On <input type="date" name="promised_on" min="{today}" required></label>'
        f"<button>Promise</button></form>"
        f'<form method="post" action="{action}/dispute"><h2>Dispute</h2>{choices}'
        f'<label>Reason <select name="reason">{reasons}</select></label>'
        f'<label>Comment <textarea name="comment" rows="3"></textarea></label>'
        f"<button>Send</button></form>"
        f'<form method="post" action="{action}/payment"><h2>I have paid</h2>{choices}'
        f'<label>Amount <input name="amount" inputmode="decimal" required></label>'
        f'<label>Currency <input name="currency" value="{html.escape(currency)}" required></label>'
        f'<label>Paid on <input type="date" name="paid_on" max="{today}" required></label>'
        f'<label>Transfer reference <input name="reference"></label>'
        f"<button>Tell us</button></form>"
        f'<form method="post" action="{action}/comment"><h2>Comment an invoice</h2>{_item_choices(account, "radio")}'
        f'<label>Comment <textarea name="comment" rows="3" required></textarea></label>'
        f"<button>Send</button></form>"
    )
    return _page("Your account", body)


@router.post("/portal/{token}/form/{action}", summary="Portal: the page's forms", response_class=HTMLResponse)
async def page_form(
    request: Request,
    token: str,
    action: Literal["promise", "dispute", "payment", "comment"],
    item_ids: Annotated[list[str], Form(description='The items chosen, e.g. "FR01/invoice/F-2026-0042"')],
    comment: Annotated[str, Form(max_length=2000, description="Free text; required to comment an item")] = "",
    amount: Annotated[str, Form(description='promise, payment: a decimal string, e.g. "1250.00"')] = "",
    currency: Annotated[str, Form(description='promise, payment: ISO 4217 code, e.g. "EUR"')] = "",
    promised_on: Annotated[dt.date | None, Form(description="promise: the day, e.g. 2026-12-10")] = None,
    reason: Annotated[
        str, Form(description='dispute: "not_received", "defective", "wrong_price", "already_paid", ...')
    ] = "",
    paid_on: Annotated[dt.date | None, Form(description="payment: the day paid, e.g. 2026-11-23")] = None,
    reference: Annotated[str, Form(max_length=200, description="payment: the transfer's reference")] = "",
) -> HTMLResponse:
    _link(request, token, PortalPurpose.DEBTOR)
    fields = {"item_ids": item_ids, "comment": comment}
    try:
        if action == "promise":
            body = PromiseBody.model_validate(
                {**fields, "amount": amount, "currency": currency, "promised_on": promised_on}
            )
            answer = await promise(request, token, body)
        elif action == "dispute":
            answer = await dispute(request, token, DisputeBody.model_validate({**fields, "reason": reason}))
        elif action == "payment":
            paid = {"item_ids": item_ids, "amount": amount, "currency": currency, "paid_on": paid_on}
            answer = await declare_payment(request, token, PaymentBody.model_validate({**paid, "reference": reference}))
        else:
            one = {"item_id": item_ids[0] if len(item_ids) == 1 else "", "comment": comment}
            answer = await comment_item(request, token, CommentBody.model_validate(one))
    except ValidationError as exc:
        wrong = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        return _page("Please check the form", f"<p>Please check: {html.escape(wrong)}</p>", status=422)
    except Problem as exc:
        return _page("Please check the form", f"<p>{html.escape(exc.detail)}</p>", status=exc.status)
    done = {"promise_to_pay": "promise", "declared_payment": "payment", "comment": "comment"}.get(
        answer["recorded"], "dispute"
    )
    back = html.escape(f"/portal/{token}")
    return _page(
        "Thank you", f'<p>Your {done} is recorded; your collector is told.</p><p><a href="{back}">Back</a></p>'
    )


# -- a colleague's link to answer a dispute ----------------------------------------------------------------------


class AnswerBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"answer": "Confirmed: 2 pallets were damaged in transport; a credit note of 384.00 follows"}]
        },
    )
    answer: str = Field(min_length=1, max_length=4000)


@router.get("/portal-internal/{token}", summary="Internal link: the disputed item a colleague is asked about")
async def dispute_question(request: Request, token: str) -> dict[str, Any]:
    link = _link(request, token, PortalPurpose.DISPUTE_ANSWER)
    account = await _account(request, link)
    item = next((i for i in account.items if i.item_id == link.item_id), None)
    if item is None:
        raise _gone()
    return {"customer_id": link.customer_id, "customer_name": account.customer.name, "item": serializers.item(item)}


@router.post(
    "/portal-internal/{token}/answer", summary="Internal link: answer the dispute; its owner gets the answer as a task"
)
async def answer_dispute(request: Request, token: str, body: AnswerBody, idempotency_key: IdempotencyKey = None) -> Any:
    link = _link(request, token, PortalPurpose.DISPUTE_ANSWER)
    if not link.item_id:
        raise _gone()

    async def send(_account: rv.CustomerAccount) -> dict[str, Any]:
        command = col.AnswerDisputeQuestion(
            customer_id=link.customer_id,
            item_id=link.item_id,
            answer=body.answer,
            # The colleague has no account: the link is who they are.
            user=f"internal link ({link.customer_id}, {link.item_id})",
            idempotency_key=_bus_key(link, f"answer:{link.item_id}", idempotency_key),
            correlation_id=request.state.request_id,
        )
        bus: Bus = request.app.state.bus
        answer = await bus.ask(command, col.DisputeQuestionAnswered)
        return {
            "recorded": "dispute_answer",
            "answer_id": answer.answer_id,
            "item_id": answer.item_id,
            "answer": answer.answer,
            "replayed": answer.replayed,
        }

    try:
        return await _once(request, link, f"answer:{link.item_id}", body, idempotency_key, [link.item_id], send)
    except Problem as exc:
        # The item was paid or closed since the link was sent: the same answer as any link that opens nothing.
        if exc.status == 404:
            raise _gone() from None
        raise
