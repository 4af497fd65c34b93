"""Proto answers from the services → the JSON the public API promises
(ISO dates, money as decimal strings with their currency). Objects with confidential fields are serialized
for a role, which leaves out what it may not see (``domain.access.CONFIDENTIAL``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opendso.banking.v1 import banking_pb2 as bk
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, Money
from opendso.imports.v1 import imports_pb2 as im
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp

from opendso_gateway.domain.access import Role, without_confidential

_KIND = {
    rv.ITEM_KIND_INVOICE: "invoice",
    rv.ITEM_KIND_CREDIT_NOTE: "credit_note",
    rv.ITEM_KIND_UNALLOCATED_PAYMENT: "unallocated_payment",
    rv.ITEM_KIND_INSTALMENT: "instalment",
}
TASK_STATUS = {
    "scheduled": col.TASK_STATUS_SCHEDULED,
    "open": col.TASK_STATUS_OPEN,
    "sent": col.TASK_STATUS_SENT,
    "done": col.TASK_STATUS_DONE,
    "cancelled": col.TASK_STATUS_CANCELLED,
}
_STATUS_NAME = {v: k for k, v in TASK_STATUS.items()}
SYNC_MODE = {"incremental": im.SYNC_MODE_INCREMENTAL, "full_snapshot": im.SYNC_MODE_FULL_SNAPSHOT}
SYNC_MODE_NAME = {v: k for k, v in SYNC_MODE.items()}


def date(d: Date) -> str | None:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}" if d.year else None


def money(m: Money) -> dict[str, str]:
    return {"amount": m.amount, "currency": m.currency}


def import_report(r: im.ImportReport) -> dict[str, Any]:
    return {
        "import_id": r.import_id,
        "file_name": r.file_name,
        "checksum": r.checksum,
        "rows_read": r.rows_read,
        "rows_rejected": r.rows_rejected,
        "customers_created": r.customers_created,
        "customers_changed": r.customers_changed,
        "items_opened": r.items_opened,
        "items_changed": r.items_changed,
        "items_closed": r.items_closed,
        "file_rejected": r.file_rejected,
        "replayed": r.replayed,
        "mode": SYNC_MODE_NAME.get(r.mode, "incremental"),
        "snapshot_entities": list(r.snapshot_entities),
        "snapshot_closing_skipped": r.snapshot_closing_skipped,
        "dry_run": r.dry_run,
        "mapping_profile": r.mapping_profile or None,
        "contacts_created": r.contacts_created,
        "contacts_changed": r.contacts_changed,
        "contacts_removed": r.contacts_removed,
        "entities_created": r.entities_created,
        "entities_changed": r.entities_changed,
        "errors": [row_error(e) for e in r.errors],
    }


def row_error(e: im.RowError) -> dict[str, Any]:
    return {
        "file": e.file,
        "row": e.row,
        "column": e.column or None,
        "header": e.header or None,
        "value": e.value or None,
        "reason": e.reason,
    }


REJECTED_CSV_HEADER = ("file", "row", "column", "header", "value", "reason")


def mapping_profile(p: im.MappingProfile) -> dict[str, Any]:
    return {
        "name": p.name,
        "layout_signature": p.layout_signature,
        "columns": dict(p.columns),
        "constants": dict(p.constants),
    }


def mapping_proposal(p: im.MappingProposal) -> dict[str, Any]:
    return {
        "headers": list(p.headers),
        "columns": dict(p.columns),
        "confidence": {k: round(v, 2) for k, v in p.confidence.items()},
        "unmapped_headers": list(p.unmapped_headers),
        "missing_required": list(p.missing_required),
        "layout_signature": p.layout_signature,
        "saved_profile": mapping_profile(p.saved_profile) if p.saved_profile.name else None,
    }


def statement_report(r: bk.StatementReport) -> dict[str, Any]:
    def balance(b: bk.Balance) -> dict[str, Any] | None:
        return {"date": date(b.date), "amount": money(b.amount)} if b.amount.currency else None

    return {
        "import_id": r.import_id,
        "file_name": r.file_name,
        "format": r.format or None,
        "statements": [
            {
                "statement_id": s.statement_id,
                "account_iban": s.account_iban or None,
                "currency": s.currency,
                "opening_balance": balance(s.opening_balance),
                "closing_balance": balance(s.closing_balance),
                "transactions": s.transactions,
            }
            for s in r.statements
        ],
        "transactions_published": r.transactions_published,
        "transactions_already_known": r.transactions_already_known,
        "file_rejected": r.file_rejected,
        "rejection_reason": r.rejection_reason or None,
        "replayed": r.replayed,
    }


def customer(c: rv.Customer, role: Role) -> dict[str, Any]:
    body = {
        "customer_id": c.customer_id,
        "entity": c.entity,
        "account_number": c.account_number,
        "name": c.name,
        "email": c.email or None,
        "language": c.language,
        "country": c.country or None,
        "contact_name": c.contact_name or None,
        "customer_group": c.customer_group or None,
        "sector": c.sector or None,
        "collector": c.collector or None,
        "sales_rep": c.sales_rep or None,
        "credit_limit": c.credit_limit or None,
        "address": {"street": c.street or None, "postal_code": c.postal_code or None, "city": c.city or None},
        "parent_account": c.parent_account or None,
        "preferred_channel": c.preferred_channel or None,
    }
    return without_confidential("customer", body, role)


def item(i: rv.OpenItem) -> dict[str, Any]:
    return {
        "item_id": i.item_id,
        "number": i.number,
        "kind": _KIND.get(i.kind, "unknown"),
        "issue_date": date(i.issue_date),
        "due_date": date(i.due_date),
        "amount": money(i.amount),
        "open_amount": money(i.open_amount),
        "reference": i.reference or None,
        "product_group": i.product_group or None,
        "product": i.product or None,
        "priority": i.priority or None,
    }


def contact(c: rv.Contact) -> dict[str, Any]:
    return {
        "name": c.name or None,
        "email": c.email or None,
        "phone": c.phone or None,
        "role": c.role,
        "language": c.language or None,
    }


def account(a: rv.CustomerAccount, role: Role) -> dict[str, Any]:
    return {
        "customer": customer(a.customer, role),
        "contacts": [contact(c) for c in a.contacts],
        "items": [item(i) for i in a.items],
    }


def entity(e: rv.Entity) -> dict[str, Any]:
    return {
        "code": e.code,
        "name": e.name,
        "country": e.country,
        "currency": e.currency,
        "time_zone": e.time_zone,
        "holiday_calendar": e.holiday_calendar,
        "late_payment_law": e.late_payment_law,
        "group_currency": e.group_currency or None,
    }


def entities(listing: rv.EntityList) -> dict[str, Any]:
    return {"items": [entity(e) for e in listing.entities]}


def task(t: col.Task, role: Role) -> dict[str, Any]:
    body = {
        "task_id": t.task_id,
        "customer_id": t.customer_id,
        "entity": t.entity,
        "account_number": t.account_number,
        "customer_name": t.customer_name,
        "scenario": t.scenario_code,
        "step": t.step_code,
        "channel": t.channel,
        "automatic": t.automatic,
        "status": _STATUS_NAME.get(t.status, "unknown"),
        "due_on": date(t.due_on),
        "leader_item_id": t.leader_item_id,
        "item_ids": list(t.item_ids),
        "totals": [money(m) for m in t.totals],
        "days_overdue": t.days_overdue,
        "collector": t.collector or None,
        "amount": t.amount or None,
        "updated_by": t.updated_by or None,
        "comment": t.comment or None,
        # A scheduled automatic action goes out then (the entity's next open sending slot).
        "send_at": t.send_at.ToDatetime(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")
        if t.HasField("send_at")
        else None,
    }
    return without_confidential("task", body, role)


def customer_scenario(s: col.CustomerScenario) -> dict[str, Any]:
    return {
        "customer_id": s.customer_id,
        "scenario": s.scenario_code,
        "rule": s.rule_name or None,
        "explanation": list(s.explanation),
    }


def agenda(a: col.Agenda, role: Role) -> dict[str, Any]:
    return {
        "items": [task(t, role) for t in a.tasks],
        "total": a.total,
        "next_page_token": a.next_page_token or None,
    }


def item_status(s: col.ItemStatus, role: Role) -> dict[str, Any]:
    body = {
        "item_id": s.item_id,
        "status": s.status_code,
        "since": date(s.since),
        "comment": s.comment,
        "owner": s.owner or None,
        "set_by": s.set_by,
    }
    return without_confidential("item_status", body, role)


def aging(r: rp.AgingReport) -> dict[str, Any]:
    return {
        "as_of": date(r.as_of),
        "entity": r.entity or None,
        "currencies": [
            {
                "currency": c.currency,
                "buckets": [{"label": b.label, "amount": money(b.amount), "count": b.count} for b in c.buckets],
                "total": money(c.total),
                "overdue": money(c.overdue),
                "percent_overdue": c.percent_overdue,
            }
            for c in r.currencies
        ],
    }


def outbox(listing: msg.OutboxListing) -> dict[str, Any]:
    return {
        "items": [
            {
                "message_id": e.message_id,
                "customer_id": e.customer_id,
                "recipient": e.recipient,
                "subject": e.subject,
                "sent_at": e.sent_at.ToDatetime().isoformat() + "Z" if e.HasField("sent_at") else None,
                "text": e.text,
                "file": e.provider_ref,
                # "unknown": the provider may have taken it without saying so; it is not sent again.
                "state": e.state or None,
                "last_error": e.last_error or None,
            }
            for e in listing.entries
        ]
    }
