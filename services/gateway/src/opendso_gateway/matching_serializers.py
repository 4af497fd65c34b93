"""Cash application answers → public JSON (money as decimal strings with their currency, UTC timestamps)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from opendso.banking.v1 import banking_pb2 as bk
from opendso.common.v1.common_pb2 import Money
from opendso.matching.v1 import matching_pb2 as mt

from opendso_gateway.serializers import date, money

STATUS_NAME = {
    mt.TRANSACTION_STATUS_APPLIED: "applied",
    mt.TRANSACTION_STATUS_IN_REVIEW: "in_review",
    mt.TRANSACTION_STATUS_SUSPENSE: "suspense",
    mt.TRANSACTION_STATUS_IGNORED: "ignored",
}
OUTCOME_NAME = {
    mt.MATCH_OUTCOME_APPLY: "apply",
    mt.MATCH_OUTCOME_REVIEW: "review",
    mt.MATCH_OUTCOME_SUSPENSE: "suspense",
    mt.MATCH_OUTCOME_IGNORED: "ignored",
}


def _optional_money(m: Money) -> dict[str, str] | None:
    """None for an unset amount and for a zero one: a client tests for null, not for "0.00"."""
    if not m.currency or not m.amount:
        return None
    try:
        if Decimal(m.amount) == 0:
            return None
    except InvalidOperation:
        pass  # Not ours to judge: pass on what the service said rather than hide it.
    return money(m)


def _utc(ts: Timestamp) -> str | None:
    # An unset timestamp would otherwise read as 1970-01-01, a date a client could take for real.
    if not ts.seconds and not ts.nanos:
        return None
    return ts.ToDatetime(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def transaction(t: bk.BankTransaction) -> dict[str, Any]:
    return {
        "transaction_id": t.transaction_id,
        "entity": t.entity,
        "booking_date": date(t.booking_date),
        "value_date": date(t.value_date),
        "amount": money(t.amount),
        "counterparty_name": t.counterparty_name or None,
        "counterparty_iban": t.counterparty_iban or None,
        "remittance_text": t.remittance_text or None,
        "structured_reference": t.structured_reference or None,
        "structured_reference_type": t.structured_reference_type or None,
    }


def allocation(a: mt.Allocation) -> dict[str, Any]:
    return {
        "item_id": a.item_id,
        "item_number": a.item_number,
        "amount": money(a.amount),
        "write_off": money(a.write_off) if a.HasField("write_off") and a.write_off.currency else None,
    }


def proposal(p: mt.Proposal) -> dict[str, Any]:
    return {
        "outcome": OUTCOME_NAME.get(p.outcome, "unknown"),
        "confidence": p.confidence,
        "customer_id": p.customer_id or None,
        "allocations": [allocation(a) for a in p.allocations],
        "unallocated": _optional_money(p.unallocated),
        "reasons": list(p.reasons),
        "rate": p.rate or None,
        "alternative_item_ids": list(p.alternative_item_ids),
    }


def review_entry(e: mt.ReviewEntry) -> dict[str, Any]:
    return {
        "transaction": transaction(e.transaction),
        "status": STATUS_NAME.get(e.status, "unknown"),
        "allocation_id": e.allocation_id or None,
        "updated_at": _utc(e.updated_at),
        "proposal": proposal(e.proposal),
    }


def review_queue(q: mt.ReviewQueue) -> dict[str, Any]:
    return {
        "entries": [review_entry(e) for e in q.entries],
        "next_page_token": q.next_page_token or None,
        "total": q.total,
    }


def match_decision(d: mt.MatchDecision) -> dict[str, Any]:
    return {
        "entry": review_entry(d.entry),
        "allocation_id": d.allocation_id,
        "learned": list(d.learned),
        "replayed": d.replayed,
    }
