"""Pages a person reads in a browser: the local outbox."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from opendso_gateway.access import AllowPage
from opendso_gateway.api import scoped_outbox
from opendso_gateway.domain.access import Action, Feature, Principal

router = APIRouter()


@router.get("/outbox", response_class=HTMLResponse, include_in_schema=False)
async def outbox_page(
    request: Request, principal: Annotated[Principal, Depends(AllowPage(Feature.OUTBOX, Action.READ))]
) -> HTMLResponse:
    listing = await scoped_outbox(request, principal, "", 200)
    rows = "".join(
        f"<article><h2>{escape(e.subject)}</h2>"
        f"<p><b>To</b> {escape(e.recipient)} · <b>sent</b> {escape(e.sent_at.ToDatetime().isoformat())}Z"
        f" · <b>file</b> var/outbox/{escape(e.provider_ref)}</p><pre>{escape(e.text)}</pre></article>"
        for e in listing.entries
    )
    body = rows or "<p>No message yet. Upload a file: POST /api/v1/imports/receivables.</p>"
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'><title>OpenDSO outbox</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:auto}pre{background:#f4f4f4;padding:1em;"
        "white-space:pre-wrap}article{border-bottom:1px solid #ccc}</style></head>"
        f"<body><h1>Outbox ({len(listing.entries)})</h1>{body}</body></html>"
    )
