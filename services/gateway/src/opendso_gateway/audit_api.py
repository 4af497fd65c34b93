"""The audit log, for administrators: every change made or refused through the API, newest first."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from opendso_gateway.access import allow
from opendso_gateway.accounts import Accounts
from opendso_gateway.domain.access import Action, Feature
from opendso_gateway.domain.users import AuditQuery, AuditRecord, normalise_email
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/audit", tags=["access"])


def _instant(name: str, value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise Problem(422, "Invalid request", f"{name}: give the time zone, e.g. 2026-11-24T09:00:00Z")
    return value.astimezone(dt.UTC)


def _entry(e: AuditRecord) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.isoformat().replace("+00:00", "Z"),
        "user_id": e.user_id or None,
        "email": e.email or None,
        "role": e.role or None,
        "method": e.method,
        "path": e.path,
        "resource_ids": dict(e.resource_ids),
        "status": e.status,
        "client_ip": e.client_ip or None,
        "request_id": e.request_id or None,
    }


@router.get(
    "", summary="Changes made or refused: who, when, what, from where", dependencies=[allow(Feature.AUDIT, Action.READ)]
)
async def audit_log(
    request: Request,
    user: Annotated[
        str, Query(max_length=254, description="The e-mail address of who acted (or tried to sign in)")
    ] = "",
    method: Annotated[str, Query(pattern="^(|POST|PUT|PATCH|DELETE)$")] = "",
    path: Annotated[str, Query(max_length=1000, description="Paths starting with this")] = "",
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
    refused: Annotated[bool | None, Query(description="true: refused only (4xx, 5xx); false: done only")] = None,
    from_: Annotated[dt.datetime | None, Query(alias="from", description="At or after this instant")] = None,
    to: Annotated[dt.datetime | None, Query(description="Before this instant")] = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: Annotated[str, Query(pattern=r"^\d{0,19}$")] = "",
) -> dict[str, Any]:
    accounts: Accounts = request.app.state.accounts
    entries = await accounts.store.audit(
        AuditQuery(
            email=normalise_email(user),
            method=method,
            path_prefix=path,
            status=status,
            refused=refused,
            since=_instant("from", from_),
            before=_instant("to", to),
            before_seq=int(page_token) if page_token else None,
            limit=page_size + 1,
        )
    )
    more = len(entries) > page_size
    entries = entries[:page_size]
    return {"entries": [_entry(e) for e in entries], "next_page_token": str(entries[-1].seq) if more else None}
