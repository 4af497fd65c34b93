"""Pages a person reads in a browser: the local outbox."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from opendso.messaging.v1 import messaging_pb2 as msg

from opendso_gateway.bus import Bus

router = APIRouter()


@router.get("/outbox", response_class=HTMLResponse, include_in_schema=False)
async def outbox_page(request: Request) -> HTMLResponse:
    bus: Bus = request.app.state.bus
    listing = await bus.ask(msg.ListOutbox(limit=200), msg.OutboxListing)
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
