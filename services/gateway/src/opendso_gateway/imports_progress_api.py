"""How far a running import is, for the client still waiting on the answer to its upload.

The importer answers an upload only once the whole file is applied, in one transaction (a million rows take
tens of seconds). While it runs, it writes how far it is into a key-value bucket on the bus, under a key
made here from the signed-in user and the ``Idempotency-Key`` the client sent with the upload: the client
asks with its own key, and finds only its own imports.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from opendso.imports.v1 import imports_pb2 as im

from opendso_gateway import response_examples as examples
from opendso_gateway.access import allow
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1")

PHASES = {
    im.IMPORT_PHASE_READING: "reading",
    im.IMPORT_PHASE_CLOSING_SNAPSHOT: "closing_snapshot",
    im.IMPORT_PHASE_COMMITTING: "committing",
    im.IMPORT_PHASE_DONE: "done",
    im.IMPORT_PHASE_FAILED: "failed",
}

# GET /api/v1/imports/progress
IMPORT_PROGRESS: Any = {
    "file_name": "open-items-2026-11.csv",
    "phase": "reading",
    "rows_read": 260000,
    "rows_estimated": 1000000,
    "file_bytes": 161842311,
    "percent": 26,
    "started_at": "2026-11-25T09:00:02Z",
    "updated_at": "2026-11-25T09:00:07Z",
}


def progress_key(user_id: str, idempotency_key: str) -> str:
    """The key an import's progress is kept under: the user and the key of the upload, hashed, so that the
    bucket shows neither and a user can only ever name their own."""
    digest = hashlib.sha256()
    for part in ("import-progress", "user:" + user_id, idempotency_key):
        data = part.encode()
        digest.update(len(data).to_bytes(4, "big") + data)
    return digest.hexdigest()


def upload_progress_key(request: Request, idempotency_key: str | None) -> str:
    """The progress key of an upload by the signed-in user (the route's permission check keeps them on the
    request); empty without an Idempotency-Key: nothing to ask with."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if not idempotency_key or principal is None:
        return ""
    return progress_key(principal.user_id, idempotency_key)


def _instant(value: Any) -> str | None:
    if not value.seconds and not value.nanos:
        return None
    return str(value.ToJsonString())


def import_progress_view(p: im.ImportProgress) -> dict[str, Any]:
    reading = p.phase in (im.IMPORT_PHASE_UNSPECIFIED, im.IMPORT_PHASE_READING)
    if not reading:
        percent: int | None = 100
    elif p.rows_estimated > 0:
        # An estimate: never 100 before the rows are all read.
        percent = min(99, p.rows_read * 100 // p.rows_estimated)
    else:
        percent = None
    return {
        "file_name": p.file_name,
        "phase": PHASES.get(p.phase, "reading"),
        "rows_read": p.rows_read,
        "rows_estimated": p.rows_estimated or None,
        "file_bytes": p.file_bytes or None,
        "percent": percent,
        "started_at": _instant(p.started_at),
        "updated_at": _instant(p.updated_at),
    }


@router.get(
    "/imports/progress",
    summary="How far a running import of customers and open items is",
    responses=examples.ok(IMPORT_PROGRESS),
)
async def import_progress(
    request: Request,
    principal: Annotated[Principal, allow(Feature.IMPORTS, Action.WRITE)],
    key: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="The Idempotency-Key sent with the upload (POST /api/v1/imports/receivables) still waiting "
            "for its answer",
        ),
    ],
) -> dict[str, Any]:
    """Ask every second or so while the upload waits: ``phase`` is ``reading`` (``rows_read`` grows;
    ``percent`` is null when the file's rows cannot be estimated, e.g. a workbook), ``closing_snapshot``,
    ``committing``, then ``done`` or ``failed``; the upload's own answer is the report. 404 before the
    importer has started on the file, for another user's key, and a few minutes after the import ended."""
    bus: Bus = request.app.state.bus
    value = await bus.import_progress(progress_key(principal.user_id, key))
    if value is None:
        raise Problem(404, "Not found", "no import under way with that key", code="not_found")
    return import_progress_view(im.ImportProgress.FromString(value))
