"""The debtor portal: what a signed link from an e-mail opens, without an account.

A link names one customer (``opendso_contracts.portal_links``); every route reads its token first and answers
404 to a token that is malformed, forged, expired or for another purpose, before any service is asked. The
customer's data is only ever asked for under the customer the token names, and an item named in a request
must be one of that customer's open items. Actions become the collection engine's ``QualifyItems``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse
from opendso.collection.v1 import collection_pb2 as col
from opendso.receivables.v1 import receivables_pb2 as rv
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


def _statement(account: rv.CustomerAccount) -> dict[str, Any]:
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
        # The transfer reference the matching service keys on is the item number; the bank details and the
        # payment QR code live in the messaging service's settings and domain, which the gateway cannot reach.
        "payment": {"reference": ", ".join(i.number for i in account.items), "qr": None},
        "dispute_reasons": [{"code": code, "label": label} for code, label in DISPUTE_REASONS.items()],
    }


def _own_items(link: PortalLink, account: rv.CustomerAccount, item_ids: list[str]) -> None:
    open_ids = {i.item_id for i in account.items}
    for item_id in item_ids:
        if item_id not in open_ids:
            raise Problem(404, "Not found", f"no open item {item_id!r} on this account", code="not_found")


def _fingerprint(body: BaseModel) -> str:
    return hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


async def _qualify(
    request: Request, link: PortalLink, what: str, body: BaseModel, key: str | None, command: col.QualifyItems
) -> dict[str, Any]:
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
    _own_items(link, account, list(command.item_ids))
    command.customer_id = link.customer_id
    command.user = f"portal:{link.customer_id}"
    command.correlation_id = request.state.request_id
    bus: Bus = request.app.state.bus
    answer = await bus.ask(command, col.ItemsQualified)
    recorded = {
        "recorded": what,
        "customer_id": answer.customer_id,
        "items": [{"item_id": s.item_id, "status": s.status_code, "comment": s.comment} for s in answer.statuses],
        "promise_id": answer.promise_id or None,
        "replayed": answer.replayed,
    }
    if key:
        replays.keep(scope, key, _fingerprint(body), recorded)
    return recorded


# -- the debtor's JSON API ---------------------------------------------------------------------------------------


class PromiseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_ids: list[str] = Field(min_length=1, max_length=200)
    amount: str = Field(pattern=r"^\d{1,18}(\.\d{1,6})?$")
    currency: str = Field(pattern="^[A-Z]{3}$")
    promised_on: dt.date
    comment: str = Field(default="", max_length=2000)


class DisputeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_ids: list[str] = Field(min_length=1, max_length=200)
    reason: Literal[
        "not_received", "defective", "wrong_price", "already_paid", "credit_note_expected", "not_ordered", "other"
    ]
    comment: str = Field(default="", max_length=2000)


class CommentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str
    comment: str = Field(min_length=1, max_length=2000)


class PaymentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: str = Field(pattern=r"^\d{1,18}(\.\d{1,6})?$")
    currency: str = Field(pattern="^[A-Z]{3}$")
    paid_on: dt.date
    reference: str = Field(default="", max_length=200)


def _missing(what: str) -> Problem:
    return Problem(
        501,
        "Not implemented",
        f"{what} cannot be recorded yet: the collection engine has no command for it",
        code="not_implemented",
    )


@router.get("/portal/{token}/statement", summary="Portal: the debtor's open items, totals and how to pay")
async def statement(request: Request, token: str) -> dict[str, Any]:
    link = _link(request, token, PortalPurpose.DEBTOR)
    return _statement(await _account(request, link))


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


@router.post("/portal/{token}/comments", summary="Portal: comment an item (not recorded yet)")
async def comment(request: Request, token: str, body: CommentBody, idempotency_key: IdempotencyKey = None) -> Any:
    _link(request, token, PortalPurpose.DEBTOR)
    raise _missing("a comment")


@router.post("/portal/{token}/payments", summary="Portal: declare a payment made (not recorded yet)")
async def declare_payment(
    request: Request, token: str, body: PaymentBody, idempotency_key: IdempotencyKey = None
) -> Any:
    _link(request, token, PortalPurpose.DEBTOR)
    raise _missing("a declared payment")


@router.get("/portal/{token}/documents", summary="Portal: the documents of the open items (no store yet)")
async def documents(request: Request, token: str) -> dict[str, Any]:
    link = _link(request, token, PortalPurpose.DEBTOR)
    account = await _account(request, link)
    return {
        "documents": [{"item_id": i.item_id, "number": i.number, "download": None} for i in account.items],
        "missing": "no document store yet: invoices cannot be downloaded",
    }


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


def _item_choices(account: rv.CustomerAccount) -> str:
    return "".join(
        f'<label><input type="checkbox" name="item_ids" value="{html.escape(i.item_id)}" style="width:auto"> '
        f"{html.escape(i.number)}</label>"
        for i in account.items
    )


@router.get("/portal/{token}", summary="Portal: the debtor's account page", response_class=HTMLResponse)
async def page(request: Request, token: str) -> HTMLResponse:
    link = _link(request, token, PortalPurpose.DEBTOR)
    account = await _account(request, link)
    data = _statement(account)
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
        f'<form method="post" action="{action}/promise"><h2>Promise to pay</h2>{choices}'
        f'<label>Amount <input name="amount" inputmode="decimal" required></label>'
        f'<label>Currency <input name="currency" value="{html.escape(currency)}" required></label>'
        f'<label>On <input type="date" name="promised_on" min="{today}" required></label>'
        f"<button>Promise</button></form>"
        f'<form method="post" action="{action}/dispute"><h2>Dispute</h2>{choices}'
        f'<label>Reason <select name="reason">{reasons}</select></label>'
        f'<label>Comment <textarea name="comment" rows="3"></textarea></label>'
        f"<button>Send</button></form>"
    )
    return _page("Your account", body)


@router.post("/portal/{token}/form/{action}", summary="Portal: the page's forms", response_class=HTMLResponse)
async def page_form(
    request: Request,
    token: str,
    action: Literal["promise", "dispute"],
    item_ids: Annotated[list[str], Form()],
    comment: Annotated[str, Form(max_length=2000)] = "",
    amount: Annotated[str, Form()] = "",
    currency: Annotated[str, Form()] = "",
    promised_on: Annotated[dt.date | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    _link(request, token, PortalPurpose.DEBTOR)
    fields = {"item_ids": item_ids, "comment": comment}
    try:
        if action == "promise":
            body = PromiseBody.model_validate(
                {**fields, "amount": amount, "currency": currency, "promised_on": promised_on}
            )
            answer = await promise(request, token, body)
        else:
            answer = await dispute(request, token, DisputeBody.model_validate({**fields, "reason": reason}))
    except ValidationError as exc:
        wrong = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        return _page("Please check the form", f"<p>Please check: {html.escape(wrong)}</p>", status=422)
    except Problem as exc:
        return _page("Please check the form", f"<p>{html.escape(exc.detail)}</p>", status=exc.status)
    done = "promise" if answer["recorded"] == "promise_to_pay" else "dispute"
    back = html.escape(f"/portal/{token}")
    return _page(
        "Thank you", f'<p>Your {done} is recorded; your collector is told.</p><p><a href="{back}">Back</a></p>'
    )


# -- a colleague's link to answer a dispute ----------------------------------------------------------------------


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=4000)


@router.get("/portal-internal/{token}", summary="Internal link: the disputed item a colleague is asked about")
async def dispute_question(request: Request, token: str) -> dict[str, Any]:
    link = _link(request, token, PortalPurpose.DISPUTE_ANSWER)
    account = await _account(request, link)
    item = next((i for i in account.items if i.item_id == link.item_id), None)
    if item is None:
        raise _gone()
    return {"customer_id": link.customer_id, "customer_name": account.customer.name, "item": serializers.item(item)}


@router.post("/portal-internal/{token}/answer", summary="Internal link: answer the dispute (not recorded yet)")
async def answer_dispute(request: Request, token: str, body: AnswerBody, idempotency_key: IdempotencyKey = None) -> Any:
    _link(request, token, PortalPurpose.DISPUTE_ANSWER)
    raise _missing("an answer (a comment on the item)")
