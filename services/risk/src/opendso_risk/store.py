"""The risk service's tables and repository.

A copy of what it judges by, built from events (customers, entities, items, payments applied, disputes,
promises, collection actions); what is set here (credit limits, insurance covers, external ratings, the
configuration); and what it concludes (each customer's last score and payment figures, each limit's last use,
the state of conditions that come and go, and the alerts raised), next to the bus's outbox and inbox.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from opendso_db.bulk import upsert_rows
from opendso_db.types import Amount
from opendso_money import Money
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from opendso_risk.domain.agenda import LimitStatus
from opendso_risk.domain.alerts import Episode, ScoreWatch
from opendso_risk.domain.behaviour import Allocation, Dispute, PromiseRecord
from opendso_risk.domain.limits import CoverKind, CreditLimit, HolderKind, InsuranceCover
from opendso_risk.domain.prediction import Segment, segment_from_histogram
from opendso_risk.domain.profile import Customer, Rating

metadata = MetaData()
OUTBOX = outbox_table(metadata)
INBOX = inbox_table(metadata)
_IN = 500  # ids per IN (...): well under every backend's parameter limit

customers = Table(
    "risk_customers",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("entity", String(50), nullable=False),
    Column("account_number", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("collector", String(200), nullable=False),
    Column("customer_group", String(200), nullable=False),
    Column("parent_account", String(100), nullable=False),
    # The ledger's limit as written there (a decimal string in the entity's currency, "" for none).
    Column("erp_credit_limit", String(40), nullable=False),
    # When the event that wrote the row happened: an older event arriving late never overwrites a newer state.
    Column("version_at", DateTime(timezone=True), nullable=False),
    Index("ix_risk_customers_group", "entity", "parent_account"),
)

entities = Table(
    "risk_entities",
    metadata,
    Column("code", String(50), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("version_at", DateTime(timezone=True), nullable=False),
)

items = Table(
    "risk_items",
    metadata,
    Column("item_id", String(250), primary_key=True),
    Column("customer_id", String(200), nullable=False),
    Column("number", String(100), nullable=False),
    # "invoice", "credit_note", "unallocated_payment" or "instalment".
    Column("kind", String(30), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount", Amount, nullable=False),
    Column("open_amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    # The day the ledger closed it; null while open.
    Column("closed_on", Date, nullable=True),
    Column("version_at", DateTime(timezone=True), nullable=False),
    Index("ix_risk_items_customer", "customer_id", "closed_on"),
)

allocations = Table(
    "risk_allocations",
    metadata,
    Column("allocation_id", String(100), primary_key=True),
    Column("item_id", String(250), primary_key=True),
    Column("customer_id", String(200), nullable=False),
    Column("amount", Amount, nullable=False),
    Column("write_off", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("booking_date", Date, nullable=False),
    Column("reversed", Boolean, nullable=False),
    Index("ix_risk_allocations_item", "item_id"),
)

disputes = Table(
    "risk_disputes",
    metadata,
    Column("item_id", String(250), primary_key=True),
    Column("opened_on", Date, primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("status_code", String(50), nullable=False),
    Column("resolved_on", Date, nullable=True),
    # "item closed" or "requalified as <status>"; "" while open.
    Column("resolution", String(100), nullable=False),
)

promises = Table(
    "risk_promises",
    metadata,
    Column("promise_id", String(100), primary_key=True),
    # "promise" (a promise to pay) or "plan" (a payment plan).
    Column("kind", String(20), nullable=False),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("made_on", Date, nullable=False),
    Column("broken_on", Date, nullable=True),
)

actions = Table(
    "risk_actions",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    # The last day a collection action was seen for the customer.
    Column("last_action_on", Date, nullable=False),
)

ratings = Table(
    "risk_ratings",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("rating", Amount, nullable=False),
    Column("agency", String(200), nullable=False),
    Column("rated_on", Date, nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

limits = Table(
    "risk_limits",
    metadata,
    Column("limit_id", String(250), primary_key=True),
    Column("holder_kind", String(20), nullable=False),
    Column("holder_id", String(200), nullable=False),
    Column("entity", String(50), nullable=False, index=True),
    Column("amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("review_on", Date, nullable=True),
    Column("comment", Text, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

limit_uses = Table(
    "risk_limit_uses",
    metadata,
    # A limit set here, or "erp:<customer_id>" for a ledger's limit.
    Column("limit_id", String(250), primary_key=True),
    Column("holder_kind", String(20), nullable=False),
    Column("holder_id", String(200), nullable=False),
    Column("entity", String(50), nullable=False, index=True),
    Column("collector", String(200), nullable=False),
    Column("amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("source", String(10), nullable=False),
    # Null when unknown (see problem).
    Column("balance", Amount, nullable=True),
    Column("use_ratio", Amount, nullable=True),
    Column("problem", Text, nullable=False),
    Column("computed_on", Date, nullable=False),
)

covers = Table(
    "risk_covers",
    metadata,
    Column("cover_id", String(100), primary_key=True),
    Column("holder_kind", String(20), nullable=False),
    Column("holder_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False, index=True),
    Column("insurer", String(200), nullable=False),
    Column("amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("starts_on", Date, nullable=True),
    Column("expires_on", Date, nullable=True),
    Column("policy_reference", String(200), nullable=False),
    Column("comment", Text, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

profiles = Table(
    "risk_profiles",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("entity", String(50), nullable=False),
    Column("customer_group", String(200), nullable=False),
    # The last score (null when it could not be rated) and the high a drop is measured from.
    Column("score", Integer, nullable=True),
    Column("score_reference", Integer, nullable=True),
    Column("score_episode", Integer, nullable=False),
    # Invoices paid in the 12 months before the evaluation, and their amount-weighted days after due rounded to
    # a day (null when none): a segment's typical customer is the median of these.
    Column("paid_12m", Integer, nullable=False),
    Column("days_after_due_12m", Integer, nullable=True),
    Column("evaluated_at", DateTime(timezone=True), nullable=False),
    Index("ix_risk_profiles_segment", "entity", "customer_group"),
)

alert_states = Table(
    "risk_alert_states",
    metadata,
    Column("rule", String(40), primary_key=True),
    Column("subject_id", String(250), primary_key=True),
    Column("active", Boolean, nullable=False),
    Column("episode", Integer, nullable=False),
)

alerts = Table(
    "risk_alerts",
    metadata,
    Column("alert_id", String(40), primary_key=True),
    Column("alert_key", String(400), nullable=False, unique=True),
    Column("rule", String(40), nullable=False),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False),
    Column("account_number", String(100), nullable=False),
    Column("customer_name", String(300), nullable=False),
    Column("collector", String(200), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("summary", Text, nullable=False),
    # JSON list of [name, value].
    Column("facts", Text, nullable=False),
    Column("subject_id", String(250), nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("raised_on", Date, nullable=False),
    # "open" or "acknowledged".
    Column("status", String(20), nullable=False),
    Column("acknowledged_by", String(200), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True), nullable=True),
    Column("comment", Text, nullable=False),
    Index("ix_risk_alerts_raised", "raised_at", "alert_id"),
    Index("ix_risk_alerts_collector", "collector", "raised_at"),
)

dirty = Table(
    "risk_dirty",
    metadata,
    # Customers whose facts changed since their last evaluation.
    Column("customer_id", String(200), primary_key=True),
    Column("changed_at", DateTime(timezone=True), nullable=False, index=True),
)

settings_table = Table(
    "risk_config",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("body", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def _chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _IN):
        yield list(values[start : start + _IN])


@dataclass(frozen=True)
class ItemRow:
    item_id: str
    customer_id: str
    number: str
    kind: str
    issue_date: dt.date
    due_date: dt.date
    amount: Decimal
    open_amount: Decimal
    currency: str
    closed_on: dt.date | None


@dataclass(frozen=True)
class StoredConfig:
    body: str
    version: int
    updated_by: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class StoredAlert:
    alert_id: str
    key: str
    rule: str
    customer_id: str
    entity: str
    account_number: str
    customer_name: str
    collector: str
    severity: str
    summary: str
    facts: tuple[tuple[str, str], ...]
    subject_id: str
    raised_at: dt.datetime
    raised_on: dt.date
    status: str = "open"
    acknowledged_by: str = ""
    acknowledged_at: dt.datetime | None = None
    comment: str = ""


@dataclass(frozen=True)
class AlertFilter:
    entities: tuple[str, ...] = ()
    collector: str = ""
    customer_id: str = ""
    rule: str = ""
    status: str = ""
    raised_from: dt.date | None = None
    raised_to: dt.date | None = None


@dataclass(frozen=True)
class ProfileRow:
    customer_id: str
    entity: str
    customer_group: str
    score: int | None
    watch: ScoreWatch
    paid_12m: int
    days_after_due_12m: int | None
    evaluated_at: dt.datetime


def _customer(row: Any) -> Customer:
    return Customer(
        customer_id=row.customer_id,
        entity=row.entity,
        account_number=row.account_number,
        name=row.name,
        collector=row.collector,
        customer_group=row.customer_group,
        parent_account=row.parent_account,
        erp_credit_limit=row.erp_credit_limit,
    )


def _limit(row: Any) -> CreditLimit:
    return CreditLimit(
        limit_id=row.limit_id,
        holder_kind=HolderKind(row.holder_kind),
        holder_id=row.holder_id,
        entity=row.entity,
        amount=Money(row.amount, row.currency),
        review_on=row.review_on,
        comment=row.comment,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def _cover(row: Any) -> InsuranceCover:
    return InsuranceCover(
        cover_id=row.cover_id,
        holder_kind=HolderKind(row.holder_kind),
        holder_id=row.holder_id,
        entity=row.entity,
        insurer=row.insurer,
        amount=Money(row.amount, row.currency),
        kind=CoverKind(row.kind),
        starts_on=row.starts_on,
        expires_on=row.expires_on,
        policy_reference=row.policy_reference,
        comment=row.comment,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def _alert(row: Any) -> StoredAlert:
    # The customer's collector and name as they are now, when the customer is known: a reassigned account's
    # alerts follow it to its new collector, and an alert raised before the customer arrived gets them.
    current_collector = getattr(row, "current_collector", None)
    current_name = getattr(row, "current_name", None)
    return StoredAlert(
        alert_id=row.alert_id,
        key=row.alert_key,
        rule=row.rule,
        customer_id=row.customer_id,
        entity=row.entity,
        account_number=row.account_number,
        customer_name=current_name if current_name is not None else row.customer_name,
        collector=current_collector if current_collector is not None else row.collector,
        severity=row.severity,
        summary=row.summary,
        facts=tuple((str(n), str(v)) for n, v in json.loads(row.facts)),
        subject_id=row.subject_id,
        raised_at=_aware(row.raised_at),
        raised_on=row.raised_on,
        status=row.status,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=_aware(row.acknowledged_at) if row.acknowledged_at is not None else None,
        comment=row.comment,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite gives back naive datetimes for what was stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class RiskRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.session = uow.session

    # -- the copy of the ledger -------------------------------------------------------------------------------

    async def upsert_customers(self, rows: list[dict[str, Any]], version: dt.datetime) -> None:
        await upsert_rows(
            self.session, customers, "customer_id", [{**r, "version_at": version} for r in rows], newer_only=True
        )

    async def upsert_entities(self, rows: list[dict[str, Any]], version: dt.datetime) -> None:
        await upsert_rows(self.session, entities, "code", [{**r, "version_at": version} for r in rows], newer_only=True)

    async def upsert_items(self, rows: list[dict[str, Any]], version: dt.datetime) -> None:
        await upsert_rows(self.session, items, "item_id", [{**r, "version_at": version} for r in rows], newer_only=True)

    async def customers_by_id(self, ids: Sequence[str]) -> dict[str, Customer]:
        found: dict[str, Customer] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            rows = await self.session.execute(select(customers).where(customers.c.customer_id.in_(chunk)))
            found.update({r.customer_id: _customer(r) for r in rows})
        return found

    async def group_members(self, entity: str, parent_account: str) -> list[Customer]:
        """The parent and every customer of the entity naming it as parent."""
        rows = await self.session.execute(
            select(customers).where(
                customers.c.entity == entity,
                or_(customers.c.parent_account == parent_account, customers.c.account_number == parent_account),
            )
        )
        return [_customer(r) for r in rows]

    async def has_children(self, customer_ids: Sequence[str]) -> set[str]:
        """Those of the customers that some other customer names as its parent."""
        wanted = {cid: cid.split("/", 1) for cid in customer_ids if "/" in cid}
        if not wanted:
            return set()
        parents = {(e, a) for e, a in wanted.values()}
        found: set[str] = set()
        accounts = sorted({a for _, a in parents})
        for chunk in _chunks(accounts):
            rows = await self.session.execute(
                select(customers.c.entity, customers.c.parent_account)
                .where(customers.c.parent_account.in_(chunk))
                .distinct()
            )
            found.update(f"{r.entity}/{r.parent_account}" for r in rows if (r.entity, r.parent_account) in parents)
        return found

    async def entity_currencies(self, codes: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(entities.c.code, entities.c.currency).where(entities.c.code.in_(wanted))
        )
        return {r.code: r.currency for r in rows if r.currency}

    async def open_items_of(self, customer_ids: Sequence[str]) -> list[ItemRow]:
        # The amount is compared here, not in SQL: SQLite keeps it as text.
        return [r for r in await self._items(customer_ids, items.c.closed_on.is_(None)) if r.open_amount != 0]

    async def recent_items_of(self, customer_ids: Sequence[str], closed_since: dt.date) -> list[ItemRow]:
        """Items open, or closed on or after ``closed_since``: what payment figures can need."""
        return await self._items(customer_ids, or_(items.c.closed_on.is_(None), items.c.closed_on >= closed_since))

    async def _items(self, customer_ids: Sequence[str], condition: ColumnElement[bool]) -> list[ItemRow]:
        found: list[ItemRow] = []
        for chunk in _chunks(list(dict.fromkeys(customer_ids))):
            rows = await self.session.execute(select(items).where(items.c.customer_id.in_(chunk), condition))
            found += [
                ItemRow(
                    item_id=r.item_id,
                    customer_id=r.customer_id,
                    number=r.number,
                    kind=r.kind,
                    issue_date=r.issue_date,
                    due_date=r.due_date,
                    amount=r.amount,
                    open_amount=r.open_amount,
                    currency=r.currency,
                    closed_on=r.closed_on,
                )
                for r in rows
            ]
        return found

    async def customer_of_items(self, item_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(item_ids))):
            rows = await self.session.execute(
                select(items.c.item_id, items.c.customer_id).where(items.c.item_id.in_(chunk))
            )
            found.update({r.item_id: r.customer_id for r in rows})
        return found

    # -- payments applied by the matching service -------------------------------------------------------------

    async def add_allocations(self, rows: list[dict[str, Any]]) -> None:
        """Record allocations not recorded yet (an allocation is never changed, only reversed)."""
        if not rows:
            return
        ids = sorted({r["allocation_id"] for r in rows})
        held = await self.session.execute(
            select(allocations.c.allocation_id, allocations.c.item_id).where(allocations.c.allocation_id.in_(ids))
        )
        known = {(r.allocation_id, r.item_id) for r in held}
        new = [r for r in rows if (r["allocation_id"], r["item_id"]) not in known]
        if new:
            await self.session.execute(insert(allocations), new)

    async def reverse_allocation(self, allocation_id: str) -> list[str]:
        """Mark an allocation reversed; answers the customers whose items it concerned."""
        rows = await self.session.execute(
            select(allocations.c.customer_id).where(allocations.c.allocation_id == allocation_id).distinct()
        )
        concerned = [r.customer_id for r in rows]
        await self.session.execute(
            update(allocations).where(allocations.c.allocation_id == allocation_id).values(reversed=True)
        )
        return concerned

    async def allocations_for(self, item_ids: Sequence[str]) -> dict[str, list[Allocation]]:
        found: dict[str, list[Allocation]] = {}
        for chunk in _chunks(list(dict.fromkeys(item_ids))):
            rows = await self.session.execute(
                select(allocations).where(allocations.c.item_id.in_(chunk), allocations.c.reversed.is_(False))
            )
            for r in rows:
                found.setdefault(r.item_id, []).append(Allocation(r.item_id, r.amount, r.write_off, r.booking_date))
        return found

    # -- disputes, promises, actions ------------------------------------------------------------------------------

    async def open_disputes_for_items(self, item_ids: Sequence[str]) -> dict[str, dt.date]:
        found: dict[str, dt.date] = {}
        for chunk in _chunks(list(dict.fromkeys(item_ids))):
            rows = await self.session.execute(
                select(disputes.c.item_id, disputes.c.opened_on).where(
                    disputes.c.item_id.in_(chunk), disputes.c.resolved_on.is_(None)
                )
            )
            found.update({r.item_id: r.opened_on for r in rows})
        return found

    async def open_dispute(self, item_id: str, customer_id: str, status_code: str, opened_on: dt.date) -> None:
        """Open a dispute on the item, unless one is open already (qualified in a dispute status again)."""
        if item_id in await self.open_disputes_for_items([item_id]):
            return
        held = await self.session.scalar(
            select(func.count())
            .select_from(disputes)
            .where(disputes.c.item_id == item_id, disputes.c.opened_on == opened_on)
        )
        if not held:
            await self.session.execute(
                insert(disputes).values(
                    item_id=item_id,
                    opened_on=opened_on,
                    customer_id=customer_id,
                    status_code=status_code,
                    resolved_on=None,
                    resolution="",
                )
            )

    async def resolve_disputes(self, resolved: dict[str, tuple[dt.date, str]]) -> None:
        """Close the open dispute of each item: (day, how)."""
        if not resolved:
            return
        open_now = await self.open_disputes_for_items(list(resolved))
        changes = [
            {
                "b_item": item_id,
                "b_opened": opened,
                "resolved_on": max(resolved[item_id][0], opened),
                "resolution": resolved[item_id][1],
            }
            for item_id, opened in open_now.items()
        ]
        if changes:
            await self.session.execute(
                update(disputes).where(
                    disputes.c.item_id == bindparam("b_item"), disputes.c.opened_on == bindparam("b_opened")
                ),
                changes,
            )

    async def disputes_of(self, customer_ids: Sequence[str]) -> dict[str, list[Dispute]]:
        found: dict[str, list[Dispute]] = {}
        for chunk in _chunks(list(dict.fromkeys(customer_ids))):
            rows = await self.session.execute(select(disputes).where(disputes.c.customer_id.in_(chunk)))
            for r in rows:
                found.setdefault(r.customer_id, []).append(Dispute(r.item_id, r.opened_on, r.resolved_on))
        return found

    async def record_promise(self, promise_id: str, kind: str, customer_id: str, made_on: dt.date) -> None:
        held = await self.session.scalar(
            select(func.count()).select_from(promises).where(promises.c.promise_id == promise_id)
        )
        if not held:
            await self.session.execute(
                insert(promises).values(
                    promise_id=promise_id, kind=kind, customer_id=customer_id, made_on=made_on, broken_on=None
                )
            )

    async def break_promise(self, promise_id: str, kind: str, customer_id: str, broken_on: dt.date) -> None:
        # A promise made before this service listened is first known by its breaking.
        await self.record_promise(promise_id, kind, customer_id, broken_on)
        await self.session.execute(
            update(promises)
            .where(promises.c.promise_id == promise_id, promises.c.broken_on.is_(None))
            .values(broken_on=broken_on)
        )

    async def promises_of(self, customer_ids: Sequence[str]) -> dict[str, list[PromiseRecord]]:
        found: dict[str, list[PromiseRecord]] = {}
        for chunk in _chunks(list(dict.fromkeys(customer_ids))):
            rows = await self.session.execute(select(promises).where(promises.c.customer_id.in_(chunk)))
            for r in rows:
                found.setdefault(r.customer_id, []).append(PromiseRecord(r.promise_id, r.made_on, r.broken_on))
        return found

    async def record_actions(self, days: dict[str, dt.date]) -> None:
        """Keep the latest action day of each customer."""
        if not days:
            return
        held = await self.last_actions(list(days))
        rows = [{"customer_id": c, "last_action_on": d} for c, d in days.items() if c not in held or held[c] < d]
        await upsert_rows(self.session, actions, "customer_id", rows)

    async def last_actions(self, customer_ids: Sequence[str]) -> dict[str, dt.date]:
        found: dict[str, dt.date] = {}
        for chunk in _chunks(list(dict.fromkeys(customer_ids))):
            rows = await self.session.execute(select(actions).where(actions.c.customer_id.in_(chunk)))
            found.update({r.customer_id: r.last_action_on for r in rows})
        return found

    # -- external ratings ---------------------------------------------------------------------------------------

    async def ratings_of(self, customer_ids: Sequence[str]) -> dict[str, Rating]:
        found: dict[str, Rating] = {}
        for chunk in _chunks(list(dict.fromkeys(customer_ids))):
            rows = await self.session.execute(select(ratings).where(ratings.c.customer_id.in_(chunk)))
            found.update(
                {r.customer_id: Rating(r.rating, r.agency, r.rated_on, r.set_by, _aware(r.set_at)) for r in rows}
            )
        return found

    async def set_rating(self, customer_id: str, rating: Rating) -> None:
        assert rating.rated_on is not None and rating.set_at is not None
        row = {
            "customer_id": customer_id,
            "rating": rating.value,
            "agency": rating.agency,
            "rated_on": rating.rated_on,
            "set_by": rating.set_by,
            "set_at": rating.set_at,
        }
        await upsert_rows(self.session, ratings, "customer_id", [row])

    async def remove_rating(self, customer_id: str) -> bool:
        result = await self.session.execute(delete(ratings).where(ratings.c.customer_id == customer_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- credit limits ------------------------------------------------------------------------------------------

    async def limit(self, limit_id: str) -> CreditLimit | None:
        row = (await self.session.execute(select(limits).where(limits.c.limit_id == limit_id))).first()
        return None if row is None else _limit(row)

    async def limits_by_id(self, limit_ids: Sequence[str]) -> dict[str, CreditLimit]:
        found: dict[str, CreditLimit] = {}
        for chunk in _chunks(list(dict.fromkeys(limit_ids))):
            rows = await self.session.execute(select(limits).where(limits.c.limit_id.in_(chunk)))
            found.update({r.limit_id: _limit(r) for r in rows})
        return found

    async def save_limit(self, limit: CreditLimit) -> None:
        assert limit.updated_at is not None
        row = {
            "limit_id": limit.limit_id,
            "holder_kind": limit.holder_kind.value,
            "holder_id": limit.holder_id,
            "entity": limit.entity,
            "amount": limit.amount.amount,
            "currency": limit.amount.currency,
            "review_on": limit.review_on,
            "comment": limit.comment,
            "updated_by": limit.updated_by,
            "updated_at": limit.updated_at,
        }
        await upsert_rows(self.session, limits, "limit_id", [row])

    async def remove_limit(self, limit_id: str) -> bool:
        result = await self.session.execute(delete(limits).where(limits.c.limit_id == limit_id))
        await self.session.execute(delete(limit_uses).where(limit_uses.c.limit_id == limit_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def limits_in(self, entity_list: Sequence[str], holder_id: str = "") -> list[tuple[LimitStatus, str, str]]:
        """Limits set here with their last computed use, the holder's name and collector, of some entities
        (every entity when empty)."""
        query = select(limits, limit_uses.c.balance, limit_uses.c.use_ratio, limit_uses.c.computed_on).select_from(
            limits.outerjoin(limit_uses, limit_uses.c.limit_id == limits.c.limit_id)
        )
        if entity_list:
            query = query.where(limits.c.entity.in_(list(entity_list)))
        if holder_id:
            query = query.where(limits.c.holder_id == holder_id)
        rows = list(await self.session.execute(query.order_by(limits.c.entity, limits.c.holder_id)))
        holders = await self.customers_by_id([r.holder_id for r in rows])
        found: list[tuple[LimitStatus, str, str]] = []
        for r in rows:
            limit = _limit(r)
            who = holders.get(r.holder_id)
            balance = None if r.balance is None else Money(r.balance, r.currency)
            found.append(
                (
                    LimitStatus(limit, r.use_ratio, balance, r.computed_on),
                    who.name if who else "",
                    who.collector if who else "",
                )
            )
        return found

    async def save_limit_uses(self, rows: list[dict[str, Any]]) -> None:
        await upsert_rows(self.session, limit_uses, "limit_id", rows)

    async def drop_limit_uses(self, limit_ids: Sequence[str]) -> None:
        for chunk in _chunks(list(limit_ids)):
            await self.session.execute(delete(limit_uses).where(limit_uses.c.limit_id.in_(chunk)))

    async def used_limits(self, entity_list: Sequence[str]) -> list[tuple[LimitStatus, str, str]]:
        """Every limit's last computed use (ledger limits included), with the holder's name and collector."""
        query = select(limit_uses)
        if entity_list:
            query = query.where(limit_uses.c.entity.in_(list(entity_list)))
        rows = list(await self.session.execute(query))
        limits_here = await self.limits_by_id([r.limit_id for r in rows if r.source == "risk"])
        names = await self.customers_by_id([r.holder_id for r in rows])
        found = []
        for r in rows:
            limit = limits_here.get(r.limit_id) or CreditLimit(
                limit_id=r.limit_id,
                holder_kind=HolderKind(r.holder_kind),
                holder_id=r.holder_id,
                entity=r.entity,
                amount=Money(r.amount, r.currency),
                source=r.source,
            )
            balance = None if r.balance is None else Money(r.balance, r.currency)
            holder = names.get(r.holder_id)
            found.append(
                (LimitStatus(limit, r.use_ratio, balance, r.computed_on), holder.name if holder else "", r.collector)
            )
        return found

    # -- insurance covers ---------------------------------------------------------------------------------------

    async def cover(self, cover_id: str) -> InsuranceCover | None:
        row = (await self.session.execute(select(covers).where(covers.c.cover_id == cover_id))).first()
        return None if row is None else _cover(row)

    async def save_cover(self, cover: InsuranceCover) -> None:
        assert cover.updated_at is not None
        row = {
            "cover_id": cover.cover_id,
            "holder_kind": cover.holder_kind.value,
            "holder_id": cover.holder_id,
            "entity": cover.entity,
            "insurer": cover.insurer,
            "amount": cover.amount.amount,
            "currency": cover.amount.currency,
            "kind": cover.kind.value,
            "starts_on": cover.starts_on,
            "expires_on": cover.expires_on,
            "policy_reference": cover.policy_reference,
            "comment": cover.comment,
            "updated_by": cover.updated_by,
            "updated_at": cover.updated_at,
        }
        await upsert_rows(self.session, covers, "cover_id", [row])

    async def remove_cover(self, cover_id: str) -> bool:
        result = await self.session.execute(delete(covers).where(covers.c.cover_id == cover_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def covers_of_holders(self, holder_ids: Sequence[str]) -> list[InsuranceCover]:
        found: list[InsuranceCover] = []
        for chunk in _chunks(list(dict.fromkeys(holder_ids))):
            rows = await self.session.execute(select(covers).where(covers.c.holder_id.in_(chunk)))
            found += [_cover(r) for r in rows]
        return found

    async def covers_in(
        self, entity_list: Sequence[str], holder_id: str = "", expiring_by: dt.date | None = None
    ) -> list[InsuranceCover]:
        query = select(covers)
        if entity_list:
            query = query.where(covers.c.entity.in_(list(entity_list)))
        if holder_id:
            query = query.where(covers.c.holder_id == holder_id)
        if expiring_by is not None:
            query = query.where(covers.c.expires_on.is_not(None), covers.c.expires_on <= expiring_by)
        rows = await self.session.execute(query)
        return [_cover(r) for r in rows]

    # -- evaluations --------------------------------------------------------------------------------------------

    async def profiles_of(self, customer_ids: Sequence[str]) -> dict[str, ProfileRow]:
        found: dict[str, ProfileRow] = {}
        for chunk in _chunks(list(dict.fromkeys(customer_ids))):
            rows = await self.session.execute(select(profiles).where(profiles.c.customer_id.in_(chunk)))
            found.update(
                {
                    r.customer_id: ProfileRow(
                        customer_id=r.customer_id,
                        entity=r.entity,
                        customer_group=r.customer_group,
                        score=r.score,
                        watch=ScoreWatch(r.score_reference, r.score_episode),
                        paid_12m=r.paid_12m,
                        days_after_due_12m=r.days_after_due_12m,
                        evaluated_at=_aware(r.evaluated_at),
                    )
                    for r in rows
                }
            )
        return found

    async def save_profiles(self, rows: list[ProfileRow]) -> None:
        await upsert_rows(
            self.session,
            profiles,
            "customer_id",
            [
                {
                    "customer_id": p.customer_id,
                    "entity": p.entity,
                    "customer_group": p.customer_group,
                    "score": p.score,
                    "score_reference": p.watch.reference,
                    "score_episode": p.watch.episode,
                    "paid_12m": p.paid_12m,
                    "days_after_due_12m": p.days_after_due_12m,
                    "evaluated_at": p.evaluated_at,
                }
                for p in rows
            ],
        )

    async def segment(self, entity: str, customer_group: str | None) -> Segment:
        """The customers of the entity (and group) that paid in the 12 months before their last evaluation, and
        their median days after due: one row per number of days, whatever the number of customers."""
        query = (
            select(profiles.c.days_after_due_12m, func.count())
            .where(profiles.c.entity == entity, profiles.c.days_after_due_12m.is_not(None))
            .group_by(profiles.c.days_after_due_12m)
        )
        label = f"entity {entity}"
        if customer_group is not None:
            query = query.where(profiles.c.customer_group == customer_group)
            label = f"customer group {customer_group} in {entity}"
        rows = await self.session.execute(query)
        return segment_from_histogram(label, {int(days): int(count) for days, count in rows})

    # -- alerts -------------------------------------------------------------------------------------------------

    async def _stored_episodes(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Episode]:
        wanted = set(keys)
        found: dict[tuple[str, str], Episode] = {}
        for chunk in _chunks(sorted({s for _, s in wanted})):
            rows = await self.session.execute(select(alert_states).where(alert_states.c.subject_id.in_(chunk)))
            found.update({(r.rule, r.subject_id): Episode(r.active, r.episode) for r in rows})
        return {k: v for k, v in found.items() if k in wanted}

    async def episodes(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Episode]:
        """The state of each (rule, subject); a condition never seen is inactive with no occurrence yet."""
        wanted = set(keys)
        stored = await self._stored_episodes(wanted)
        return {k: stored.get(k, Episode()) for k in wanted}

    async def save_episodes(self, states: dict[tuple[str, str], Episode]) -> None:
        stored = await self._stored_episodes(states)
        new = [
            {"rule": rule, "subject_id": subject, "active": state.active, "episode": state.number}
            for (rule, subject), state in states.items()
            if (rule, subject) not in stored
        ]
        changed = [
            {"b_rule": rule, "b_subject": subject, "active": state.active, "episode": state.number}
            for (rule, subject), state in states.items()
            if (rule, subject) in stored and stored[(rule, subject)] != state
        ]
        if new:
            await self.session.execute(insert(alert_states), new)
        if changed:
            await self.session.execute(
                update(alert_states).where(
                    alert_states.c.rule == bindparam("b_rule"), alert_states.c.subject_id == bindparam("b_subject")
                ),
                changed,
            )

    async def existing_alert_keys(self, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(sorted(set(keys))):
            rows = await self.session.execute(select(alerts.c.alert_key).where(alerts.c.alert_key.in_(chunk)))
            found.update(rows.scalars())
        return found

    async def add_alerts(self, new: list[StoredAlert]) -> None:
        if not new:
            return
        await self.session.execute(
            insert(alerts),
            [
                {
                    "alert_id": a.alert_id,
                    "alert_key": a.key,
                    "rule": a.rule,
                    "customer_id": a.customer_id,
                    "entity": a.entity,
                    "account_number": a.account_number,
                    "customer_name": a.customer_name,
                    "collector": a.collector,
                    "severity": a.severity,
                    "summary": a.summary,
                    "facts": json.dumps([list(f) for f in a.facts]),
                    "subject_id": a.subject_id,
                    "raised_at": a.raised_at,
                    "raised_on": a.raised_on,
                    "status": a.status,
                    "acknowledged_by": a.acknowledged_by,
                    "acknowledged_at": a.acknowledged_at,
                    "comment": a.comment,
                }
                for a in new
            ],
        )

    @staticmethod
    def _alerts_with_customers() -> Select[Any]:
        return select(
            alerts, customers.c.collector.label("current_collector"), customers.c.name.label("current_name")
        ).select_from(alerts.outerjoin(customers, customers.c.customer_id == alerts.c.customer_id))

    async def alert(self, alert_id: str) -> StoredAlert | None:
        query = self._alerts_with_customers().where(alerts.c.alert_id == alert_id)
        row = (await self.session.execute(query)).first()
        return None if row is None else _alert(row)

    async def acknowledge(self, alert_id: str, user: str, at: dt.datetime, comment: str) -> None:
        await self.session.execute(
            update(alerts)
            .where(alerts.c.alert_id == alert_id)
            .values(status="acknowledged", acknowledged_by=user, acknowledged_at=at, comment=comment)
        )

    def _alert_conditions(self, f: AlertFilter) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if f.entities:
            conditions.append(alerts.c.entity.in_(list(f.entities)))
        if f.collector:
            collector = func.coalesce(customers.c.collector, alerts.c.collector)
            conditions.append(func.lower(collector) == f.collector.casefold())
        if f.customer_id:
            conditions.append(alerts.c.customer_id == f.customer_id)
        if f.rule:
            conditions.append(alerts.c.rule == f.rule)
        if f.status:
            conditions.append(alerts.c.status == f.status)
        if f.raised_from is not None:
            conditions.append(alerts.c.raised_on >= f.raised_from)
        if f.raised_to is not None:
            conditions.append(alerts.c.raised_on <= f.raised_to)
        return conditions

    async def list_alerts(
        self, f: AlertFilter, limit: int, after: tuple[dt.datetime, str] | None
    ) -> tuple[list[StoredAlert], int]:
        """Newest first, from after the cursor (raised_at, alert_id) of the previous page; and the total."""
        conditions = self._alert_conditions(f)
        joined = alerts.outerjoin(customers, customers.c.customer_id == alerts.c.customer_id)
        total = await self.session.scalar(select(func.count()).select_from(joined).where(*conditions))
        page = self._alerts_with_customers().where(*conditions)
        if after is not None:
            at, alert_id = after
            page = page.where(
                or_(alerts.c.raised_at < at, and_(alerts.c.raised_at == at, alerts.c.alert_id < alert_id))
            )
        rows = await self.session.execute(
            page.order_by(alerts.c.raised_at.desc(), alerts.c.alert_id.desc()).limit(limit)
        )
        return [_alert(r) for r in rows], int(total or 0)

    # -- what waits for an evaluation ---------------------------------------------------------------------------

    async def mark_dirty(self, customer_ids: Iterable[str], at: dt.datetime) -> None:
        rows = [{"customer_id": c, "changed_at": at} for c in dict.fromkeys(customer_ids) if c]
        await upsert_rows(self.session, dirty, "customer_id", rows)

    async def mark_all_dirty(self, at: dt.datetime) -> None:
        """Every customer waits for an evaluation (the daily pass): those already waiting keep their place."""
        waiting = exists().where(dirty.c.customer_id == customers.c.customer_id)
        await self.session.execute(
            insert(dirty).from_select(
                ["customer_id", "changed_at"],
                select(customers.c.customer_id, literal(at, DateTime(timezone=True))).where(~waiting),
            )
        )

    async def settled(self, before: dt.datetime, limit: int) -> list[tuple[str, dt.datetime]]:
        """Customers whose last change is older than ``before``, oldest first."""
        rows = await self.session.execute(
            select(dirty.c.customer_id, dirty.c.changed_at)
            .where(dirty.c.changed_at <= before)
            .order_by(dirty.c.changed_at, dirty.c.customer_id)
            .limit(limit)
        )
        return [(r.customer_id, _aware(r.changed_at)) for r in rows]

    async def clear_dirty(self, taken: Sequence[tuple[str, dt.datetime]]) -> None:
        """Forget the customers evaluated, unless they changed again meanwhile."""
        if taken:
            await self.session.execute(
                delete(dirty).where(dirty.c.customer_id == bindparam("b_id"), dirty.c.changed_at <= bindparam("b_at")),
                [{"b_id": c, "b_at": at} for c, at in taken],
            )

    async def waiting(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(dirty)) or 0)

    # -- configuration --------------------------------------------------------------------------------------------

    async def config(self) -> StoredConfig | None:
        row = (await self.session.execute(select(settings_table).where(settings_table.c.name == "current"))).first()
        if row is None:
            return None
        return StoredConfig(row.body, row.version, row.updated_by, _aware(row.updated_at))

    async def save_config(self, body: str, version: int, user: str, at: dt.datetime) -> None:
        row = {"name": "current", "body": body, "version": version, "updated_by": user, "updated_at": at}
        await upsert_rows(self.session, settings_table, "name", [row])


class UnitOfWork(SqlUnitOfWork):
    repo: RiskRepository

    def _open(self) -> None:
        self.repo = RiskRepository(self)
