"""The public REST API, version 1."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from opendso.banking.v1 import banking_pb2 as bk
from opendso.collection.v1 import collection_pb2 as col
from opendso.imports.v1 import imports_pb2 as im
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_contracts.convert import date_to_proto
from pydantic import BaseModel, ConfigDict, Field

from opendso_gateway import response_examples as examples
from opendso_gateway import serializers
from opendso_gateway.access import (
    allow,
    audit_ids,
    check_account,
    check_customer,
    check_entity,
    check_ids,
    entity_filter,
    not_found_customer,
)
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal, entity_of
from opendso_gateway.downloads import attachment
from opendso_gateway.imports_progress_api import upload_progress_key
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1")


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


@router.post(
    "/imports/receivables",
    summary="Upload a CSV of customers and open items",
    dependencies=[allow(Feature.IMPORTS, Action.WRITE)],
)
async def upload_receivables(
    request: Request,
    file: Annotated[
        UploadFile,
        File(
            description="CSV: one row per open item, customer columns repeated; e.g.\n\n"
            "    entity,account_number,customer_name,email,item_number,issue_date,due_date,amount,currency\n"
            "    FR01,C00042,Dupont SARL,compta@dupont-sarl.fr,F-2026-0042,2026-09-30,2026-10-30,1250.00,EUR"
        ),
    ],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
    mode: Annotated[
        str,
        Query(
            pattern="^(incremental|full_snapshot)$",
            description="full_snapshot: open items missing from the file are closed as paid",
        ),
    ] = "incremental",
    entities: Annotated[
        str, Query(description="full_snapshot: comma-separated entities the file is complete for")
    ] = "",
    dry_run: Annotated[bool, Query(description="check only: report, change nothing")] = False,
) -> JSONResponse:
    content, object_name = await _stage_upload(request, file)
    report = await _bus(request).ask(
        im.ImportReceivablesFile(
            file_name=file.filename or "upload.csv",
            content=content,
            object_name=object_name,
            idempotency_key=idempotency_key or "",
            correlation_id=request.state.request_id,
            mode=serializers.SYNC_MODE[mode],
            snapshot_entities=[e.strip() for e in entities.split(",") if e.strip()],
            dry_run=dry_run,
            # GET /api/v1/imports/progress?key=<Idempotency-Key> answers how far it is meanwhile.
            progress_key=upload_progress_key(request, idempotency_key),
        ),
        im.ImportReport,
        timeout=_import_timeout(request, file),
    )
    body = serializers.import_report(report)
    if report.file_rejected:
        raise Problem(
            422, "File rejected", "; ".join(e.reason for e in report.errors) or "file rejected", errors=body["errors"]
        )
    return JSONResponse(body)


def _import_timeout(request: Request, file: UploadFile | None) -> float:
    """How long to wait for an import: a minute, plus a second per 50 kB (about 400 rows), since the
    importer answers only once the whole file is applied (a million rows take a minute and a half)."""
    size = (file.size or 0) if file is not None else 0
    return max(float(request.app.state.settings.request_timeout_seconds), 60.0 + size / 50_000)


async def _stage_upload(request: Request, file: UploadFile) -> tuple[bytes, str]:
    """Small files ride inside the command; large ones go to the object store first."""
    settings = request.app.state.settings
    size = file.size if file.size is not None else len(await file.read())
    await file.seek(0)
    if size > settings.max_upload_bytes:
        raise Problem(
            413, "File too large", f"{file.filename}: over the upload limit of {settings.max_upload_bytes} bytes"
        )
    if size <= settings.inline_upload_bytes:
        return await file.read(), ""
    name = f"{request.state.request_id}/{file.filename or 'upload'}"
    await _bus(request).put_upload(name, file.file)  # type: ignore[arg-type]
    return b"", name


_BATCH_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["records"],
                    "properties": {"records": {"type": "array", "maxItems": 100_000, "items": {"type": "object"}}},
                },
                "example": {
                    "records": [
                        {
                            "entity": "FR01",
                            "account_number": "C001",
                            "customer_name": "Dupont SARL",
                            "email": "ap@dupont.fr",
                            "item_number": "F-2026-0001",
                            "issue_date": "2026-10-01",
                            "due_date": "2026-10-31",
                            "amount": "1200.00",
                            "currency": "EUR",
                        }
                    ]
                },
            }
        },
    }
}


@router.post(
    "/imports/receivables/batch",
    summary="Push customers and open items as JSON records",
    openapi_extra=_BATCH_SCHEMA,
    dependencies=[allow(Feature.IMPORTS, Action.WRITE)],
)
async def push_receivables(
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
    mode: Annotated[str, Query(pattern="^(incremental|full_snapshot)$")] = "incremental",
    entities: str = "",
    dry_run: bool = False,
) -> JSONResponse:
    """The same import as a file upload, for an ERP that pushes records: one record per open item (or per
    customer without items), fields named as in the CSV layout. A rejected record is named by its position
    (the first record is row 1)."""
    limit = request.app.state.settings.inline_upload_bytes
    body = await request.body()
    if len(body) > limit:
        raise Problem(413, "Batch too large", f"over {limit} bytes: split it, or upload a file")
    # Passed on as bytes: the importer reads numbers as decimals, never floats.
    report = await _bus(request).ask(
        im.ImportReceivablesFile(
            file_name="batch.json",
            content=body,
            idempotency_key=idempotency_key or "",
            correlation_id=request.state.request_id,
            mode=serializers.SYNC_MODE[mode],
            snapshot_entities=[e.strip() for e in entities.split(",") if e.strip()],
            dry_run=dry_run,
        ),
        im.ImportReport,
        timeout=_import_timeout(request, None),
    )
    result = serializers.import_report(report)
    if report.file_rejected:
        raise Problem(
            422,
            "Batch rejected",
            "; ".join(e.reason for e in report.errors) or "batch rejected",
            errors=result["errors"],
        )
    return JSONResponse(result)


class MappingProfileBody(BaseModel):
    """A confirmed column mapping, saved under a name for a file layout."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "layout_signature": "9f2c1e07b4d8a6e3",
                    "columns": {
                        "account_number": "Kundennummer",
                        "customer_name": "Kunde",
                        "item_number": "Belegnummer",
                        "issue_date": "Belegdatum",
                        "due_date": "Fälligkeit",
                        "amount": "Betrag",
                    },
                    "constants": {"entity": "DE01", "currency": "EUR"},
                }
            ]
        }
    )
    layout_signature: str = Field(min_length=1, max_length=64, description="From the proposal for the file")
    columns: dict[str, str] = Field(description="Canonical field -> header as written in the file")
    constants: dict[str, str] = Field(default_factory=dict, description="Field -> value for every row")


@router.post(
    "/imports/mapping-proposals",
    summary="Propose a column mapping for a file (smart upload)",
    dependencies=[allow(Feature.IMPORTS, Action.WRITE)],
)
async def propose_mapping(
    request: Request,
    file: Annotated[
        UploadFile,
        File(
            description="A CSV, XLSX or JSON export of customers and open items with the ERP's own headers, e.g. "
            '"Kundennummer;Kunde;Belegnummer;Belegdatum;Fälligkeit;Betrag": the answer proposes the mapping'
        ),
    ],
) -> dict[str, Any]:
    content, object_name = await _stage_upload(request, file)
    proposal = await _bus(request).ask(
        im.ProposeMapping(file_name=file.filename or "upload", content=content, object_name=object_name),
        im.MappingProposal,
    )
    return serializers.mapping_proposal(proposal)


@router.put(
    "/imports/mapping-profiles/{name}",
    summary="Save a column mapping for later files of that layout",
    dependencies=[allow(Feature.IMPORTS, Action.WRITE)],
)
async def save_mapping_profile(request: Request, name: str, body: MappingProfileBody) -> dict[str, Any]:
    saved = await _bus(request).ask(
        im.SaveMappingProfile(
            profile=im.MappingProfile(
                name=name, layout_signature=body.layout_signature, columns=body.columns, constants=body.constants
            )
        ),
        im.MappingProfile,
    )
    return serializers.mapping_profile(saved)


@router.post(
    "/imports/contacts",
    summary="Upload the contacts of customers, with their roles",
    dependencies=[allow(Feature.IMPORTS, Action.WRITE)],
)
async def upload_contacts(
    request: Request,
    file: Annotated[
        UploadFile,
        File(
            description="CSV, XLSX or JSON: entity, account_number, name, e-mail, role; e.g.\n\n"
            "    entity,account_number,contact_name,email,role\n"
            "    FR01,C00042,Sophie Leroy,s.leroy@dupont-sarl.fr,accounts payable"
        ),
    ],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
    mode: Annotated[str, Query(pattern="^(incremental|full_snapshot)$")] = "incremental",
    entities: Annotated[
        str, Query(description="full_snapshot: the entities it covers, comma-separated (default: those in the file)")
    ] = "",
    dry_run: bool = False,
) -> JSONResponse:
    """``incremental`` adds and changes contacts; ``full_snapshot`` also removes the contacts of its entities
    that the file no longer lists (none when a row is rejected)."""
    content, object_name = await _stage_upload(request, file)
    report = await _bus(request).ask(
        im.ImportReceivablesFile(
            file_name=file.filename or "contacts.csv",
            content=content,
            object_name=object_name,
            content_kind="contacts",
            idempotency_key=idempotency_key or "",
            correlation_id=request.state.request_id,
            mode=serializers.SYNC_MODE[mode],
            snapshot_entities=[e.strip() for e in entities.split(",") if e.strip()],
            dry_run=dry_run,
        ),
        im.ImportReport,
    )
    body = serializers.import_report(report)
    if report.file_rejected:
        raise Problem(
            422, "File rejected", "; ".join(e.reason for e in report.errors) or "file rejected", errors=body["errors"]
        )
    return JSONResponse(body)


@router.post(
    "/imports/entities",
    summary="Upload the organisation's legal entities",
    dependencies=[allow(Feature.ENTITIES, Action.WRITE)],
)
async def upload_entities(
    request: Request,
    file: Annotated[
        UploadFile,
        File(
            description="CSV, XLSX or JSON: code, name, country, currency, time_zone; optionally holiday_calendar, "
            "late_payment_law (EU, FR, DE, GB, CZ, SK, PL, RO), group_currency; e.g.\n\n"
            "    code,name,country,currency,time_zone,late_payment_law\n"
            "    FR01,Acme Industries France SAS,FR,EUR,Europe/Paris,FR"
        ),
    ],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
    dry_run: bool = False,
) -> JSONResponse:
    content, object_name = await _stage_upload(request, file)
    report = await _bus(request).ask(
        im.ImportReceivablesFile(
            file_name=file.filename or "entities.csv",
            content=content,
            object_name=object_name,
            content_kind="entities",
            idempotency_key=idempotency_key or "",
            correlation_id=request.state.request_id,
            dry_run=dry_run,
        ),
        im.ImportReport,
    )
    body = serializers.import_report(report)
    if report.file_rejected:
        raise Problem(
            422, "File rejected", "; ".join(e.reason for e in report.errors) or "file rejected", errors=body["errors"]
        )
    return JSONResponse(body)


@router.get("/entities", summary="The organisation's legal entities, by code")
async def entities(
    request: Request, principal: Annotated[Principal, allow(Feature.ENTITIES, Action.READ)]
) -> dict[str, Any]:
    listing = await _bus(request).ask(rv.ListEntities(), rv.EntityList)
    return serializers.entities(
        rv.EntityList(entities=[e for e in listing.entities if principal.scope.has_entity(e.code)])
    )


@router.post("/imports/statements", summary="Upload a bank statement (CAMT.052/053/054, MT940, CSV or XLSX)")
async def upload_statement(
    request: Request,
    file: Annotated[
        UploadFile,
        File(
            description="The statement file as the bank delivers it, e.g. a CAMT.053 XML "
            '(<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">...) or an MT940 (:20:...:61:...)'
        ),
    ],
    entity: Annotated[str, Query(min_length=1, description="The legal entity the bank account belongs to")],
    principal: Annotated[Principal, allow(Feature.CASH_APPLICATION, Action.WRITE)],
    format: Annotated[str, Query(pattern="^(auto|camt|mt940|csv|xlsx)$")] = "auto",
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    check_entity(principal, entity)
    content, object_name = await _stage_upload(request, file)
    report = await _bus(request).ask(
        bk.ImportBankStatement(
            file_name=file.filename or "statement",
            content=content,
            object_name=object_name,
            entity=entity,
            format=format,
            idempotency_key=idempotency_key or "",
            correlation_id=request.state.request_id,
        ),
        bk.StatementReport,
        timeout=_import_timeout(request, file),
    )
    body = serializers.statement_report(report)
    if report.file_rejected:
        raise Problem(422, "Statement rejected", report.rejection_reason or "statement rejected", report=body)
    return JSONResponse(body)


@router.get(
    "/imports/{import_id}",
    summary="The report of an earlier import",
    dependencies=[allow(Feature.IMPORTS, Action.READ)],
)
async def import_report(request: Request, import_id: str) -> dict[str, Any]:
    report = await _bus(request).ask(im.GetImportReport(import_id=import_id), im.ImportReport)
    return serializers.import_report(report)


@router.get(
    "/imports/{import_id}/rejected.csv",
    summary="Rejected rows of an import, as CSV",
    response_class=Response,
    dependencies=[allow(Feature.IMPORTS, Action.READ)],
)
async def rejected_rows(request: Request, import_id: str) -> Response:
    report = await _bus(request).ask(im.GetImportReport(import_id=import_id), im.ImportReport)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(serializers.REJECTED_CSV_HEADER)
    for e in report.errors:
        row = serializers.row_error(e)
        writer.writerow(["" if row[k] is None else row[k] for k in serializers.REJECTED_CSV_HEADER])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"rejected-{import_id}.csv"),
    )


@router.get(
    "/customers/{entity}/{account_number}",
    summary="A customer's account with its open items",
    responses=examples.ok(examples.CUSTOMER_ACCOUNT),
)
async def customer_account(
    request: Request,
    entity: str,
    account_number: str,
    principal: Annotated[Principal, allow(Feature.CUSTOMERS, Action.READ)],
) -> dict[str, Any]:
    if not principal.scope.has_entity(entity):
        raise not_found_customer(entity, account_number)
    account = await _bus(request).ask(
        rv.GetCustomerAccount(entity=entity, account_number=account_number), rv.CustomerAccount
    )
    check_account(principal, account, entity, account_number)
    return serializers.account(account, principal.role)


@router.get("/customers/{entity}/{account_number}/scenario", summary="The scenario that chases a customer, and why")
async def customer_scenario(
    request: Request,
    entity: str,
    account_number: str,
    principal: Annotated[Principal, allow(Feature.CUSTOMERS, Action.READ)],
) -> dict[str, Any]:
    await check_customer(request, principal, entity, account_number)
    answer = await _bus(request).ask(
        col.GetCustomerScenario(customer_id=f"{entity}/{account_number}"), col.CustomerScenario
    )
    return serializers.customer_scenario(answer)


class QualificationBody(BaseModel):
    """Items of the customer put in a status; a promise to pay says how much and by when."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_ids": ["FR01/invoice/F-2026-0042", "FR01/invoice/F-2026-0057"],
                    "status": "promise_to_pay",
                    "comment": "Mme Leroy (accounts payable) promises a transfer after their payment run",
                    "promised_amount": "3480.50",
                    "promised_currency": "EUR",
                    "promised_on": "2026-12-05",
                    "send_confirmation": True,
                },
                {
                    "item_ids": ["FR01/invoice/F-2026-0042"],
                    "status": "dispute",
                    "comment": "Customer says 2 of the 10 pallets arrived damaged",
                    "owner": "c.martin",
                },
            ]
        },
    )
    item_ids: list[str] = Field(min_length=1, max_length=1000)
    status: str = Field(min_length=1, max_length=50)
    on: dt.date | None = None
    comment: str = Field(default="", max_length=2000)
    owner: str = ""
    promised_amount: str | None = Field(default=None, pattern=r"^-?\d{1,18}(\.\d{1,6})?$")
    promised_currency: str | None = Field(default=None, pattern="^[A-Z]{3}$")
    promised_on: dt.date | None = None
    # The status's confirmation message to the customer (dispute acknowledgement, ...), sent once.
    send_confirmation: bool = False


@router.post(
    "/customers/{entity}/{account_number}/qualifications",
    summary="Put items in a status (dispute, promise to pay...) with a comment and an owner",
)
async def qualify_items(
    request: Request,
    entity: str,
    account_number: str,
    body: QualificationBody,
    principal: Annotated[Principal, allow(Feature.QUALIFICATIONS, Action.WRITE)],
) -> dict[str, Any]:
    await check_customer(request, principal, entity, account_number)
    check_ids(principal, body.item_ids, "item")
    command = col.QualifyItems(
        customer_id=f"{entity}/{account_number}",
        item_ids=body.item_ids,
        status_code=body.status,
        comment=body.comment,
        owner=body.owner,
        user=principal.email,
        correlation_id=request.state.request_id,
        send_confirmation=body.send_confirmation,
    )
    if body.on is not None:
        command.on.CopyFrom(date_to_proto(body.on))
    if body.promised_amount is not None or body.promised_currency is not None:
        if body.promised_amount is None or body.promised_currency is None:
            raise Problem(422, "Incomplete promise", "promised_amount and promised_currency go together")
        command.promised_amount.amount = body.promised_amount
        command.promised_amount.currency = body.promised_currency
    if body.promised_on is not None:
        command.promised_on.CopyFrom(date_to_proto(body.promised_on))
    answer = await _bus(request).ask(command, col.ItemsQualified)
    return {
        "customer_id": answer.customer_id,
        "statuses": [serializers.item_status(s, principal.role) for s in answer.statuses],
        "follow_up": serializers.task(answer.follow_up, principal.role) if answer.HasField("follow_up") else None,
        "promise_id": answer.promise_id or None,
        "replayed": answer.replayed,
        "confirmation_skipped_reason": answer.confirmation_skipped_reason or None,
    }


@router.get(
    "/agenda",
    summary="Collection tasks: filtered, sorted, paged (within the user's data scope)",
    responses=examples.ok(examples.AGENDA),
)
async def agenda(
    request: Request,
    principal: Annotated[Principal, allow(Feature.AGENDA, Action.READ)],
    entity: str = "",
    customer_id: str = "",
    channel: str = "",
    collector: str = "",
    status: Annotated[str, Query(pattern="^(|scheduled|open|sent|done|cancelled)$")] = "",
    min_amount: Annotated[str, Query(pattern=r"^(|-?\d{1,18}(\.\d{1,6})?)$")] = "",
    max_amount: Annotated[str, Query(pattern=r"^(|-?\d{1,18}(\.\d{1,6})?)$")] = "",
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    automatic: bool | None = None,
    sort: Annotated[str, Query(pattern="^(due_on|amount|days_overdue)$")] = "due_on",
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> dict[str, Any]:
    scope = principal.scope
    entity_in_scope = entity_filter(scope, entity)
    # A collector restricted to a portfolio sees the tasks assigned to them, whatever filter they ask for.
    if (
        entity_in_scope is None
        or (customer_id and not scope.has_id(customer_id))
        or (scope.portfolio and collector and not scope.in_portfolio(collector))
    ):
        return serializers.agenda(col.Agenda(), principal.role)
    query = col.GetAgenda(
        entity=entity_in_scope,
        customer_id=customer_id,
        channel=channel,
        collector=scope.portfolio or collector,
        status=serializers.TASK_STATUS.get(status, col.TASK_STATUS_UNSPECIFIED),
        min_amount=min_amount,
        max_amount=max_amount,
        sort=sort,
        page_size=page_size,
        page_token=page_token,
    )
    if due_from is not None:
        query.due_from.CopyFrom(date_to_proto(due_from))
    if due_to is not None:
        query.due_to.CopyFrom(date_to_proto(due_to))
    if automatic is not None:
        query.automatic = automatic
    return serializers.agenda(await _bus(request).ask(query, col.Agenda), principal.role)


class BulkTasksBody(BaseModel):
    """One action on many tasks: perform, validate (send the message of a step that needs validation),
    postpone, reassign or cancel."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "task_ids": ["6d0c3f1e-5b7a-4c2e-9f10-2a8b4e7d9c01", "a41f9b2c-07de-4e6b-8c3a-5f2d1e9b7a60"],
                    "action": "postpone",
                    "postpone_to": "2026-12-01",
                    "comment": "Customer on holiday until the end of the month",
                },
                {
                    "task_ids": ["6d0c3f1e-5b7a-4c2e-9f10-2a8b4e7d9c01"],
                    "action": "reassign",
                    "collector": "j.schmidt",
                },
            ]
        },
    )
    task_ids: list[str] = Field(min_length=1, max_length=1000)
    action: Literal["perform", "validate", "postpone", "reassign", "cancel"]
    postpone_to: dt.date | None = None
    collector: str = ""
    comment: str = Field(default="", max_length=2000)


_TASK_ACTIONS = {
    "perform": col.TASK_ACTION_PERFORM,
    "validate": col.TASK_ACTION_VALIDATE,
    "postpone": col.TASK_ACTION_POSTPONE,
    "reassign": col.TASK_ACTION_REASSIGN,
    "cancel": col.TASK_ACTION_CANCEL,
}


@router.post("/agenda/bulk", summary="Perform, validate, postpone, reassign or cancel many tasks at once")
async def bulk_tasks(
    request: Request,
    body: BulkTasksBody,
    principal: Annotated[Principal, allow(Feature.AGENDA, Action.WRITE)],
) -> dict[str, Any]:
    audit_ids(request, task_ids=",".join(body.task_ids))
    command = col.UpdateTasks(
        task_ids=body.task_ids,
        action=_TASK_ACTIONS[body.action],
        collector=body.collector,
        user=principal.email,
        comment=body.comment,
        correlation_id=request.state.request_id,
    )
    if body.postpone_to is not None:
        command.postpone_to.CopyFrom(date_to_proto(body.postpone_to))
    answer = await _bus(request).ask(command, col.TasksUpdated)
    scope = principal.scope
    return {
        "results": [
            {
                "task_id": r.task_id,
                "updated": r.updated,
                "error": r.error or None,
                # The scenario service acts on task ids without a scope: at least nothing out of scope is shown.
                "task": serializers.task(r.task, principal.role)
                if r.HasField("task") and scope.has_entity(r.task.entity) and scope.in_portfolio(r.task.collector)
                else None,
            }
            for r in answer.results
        ]
    }


@router.get("/reports/aging", summary="Aging balance per currency", responses=examples.ok(examples.AGING))
async def aging(
    request: Request,
    principal: Annotated[Principal, allow(Feature.REPORTS, Action.READ)],
    entity: str = "",
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    entity_in_scope = entity_filter(principal.scope, entity)
    if entity_in_scope is None:
        return serializers.aging(rp.AgingReport(entity=entity))
    query = rp.GetAging(entity=entity_in_scope)
    if as_of is not None:
        query.as_of.CopyFrom(date_to_proto(as_of))
    return serializers.aging(await _bus(request).ask(query, rp.AgingReport))


@router.get(
    "/outbox",
    summary="Messages the local-mode providers delivered, newest first",
    responses=examples.ok(examples.OUTBOX),
)
async def outbox(
    request: Request,
    principal: Annotated[Principal, allow(Feature.OUTBOX, Action.READ)],
    customer_id: str = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    return serializers.outbox(await scoped_outbox(request, principal, customer_id, limit))


async def scoped_outbox(request: Request, principal: Principal, customer_id: str, limit: int) -> msg.OutboxListing:
    """The outbox as far as the principal's scope reaches: a portfolio's user names one of their customers."""
    scope = principal.scope
    if customer_id:
        entity, _, account_number = customer_id.partition("/")
        await check_customer(request, principal, entity, account_number)
    elif scope.portfolio:
        raise Problem(422, "Choose a customer", "customer_id: your scope is a portfolio; name one of its customers")
    listing = await _bus(request).ask(msg.ListOutbox(limit=limit, customer_id=customer_id), msg.OutboxListing)
    if not scope.every_entity:
        # The outbox is not kept by entity: a page may come back shorter than the limit.
        kept = [e for e in listing.entries if scope.has_entity(entity_of(e.customer_id))]
        listing = msg.OutboxListing(entries=kept)
    return listing
