"""In-memory stand-ins for the scenario service's unit of work and repository,
so handlers are tested without a database or a bus (cosmicpython style)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import Any

from google.protobuf.message import Message
from opendso.common.v1.common_pb2 import EventMeta
from opendso_bus.envelope import new_meta
from opendso_scenario.domain.penalties.issuing import SettingsBook
from opendso_scenario.store import (
    AgendaFilter,
    BouncedAddress,
    CustomerRecord,
    DirtyCustomer,
    EscalationRecord,
    IssuedPenaltyRecord,
    ItemRecord,
    ItemStatusRecord,
    NoteRecord,
    PastTask,
    PenaltySettingsRecord,
    PlanInstalmentRecord,
    PlanRecord,
    PromiseRecord,
    StoredScenario,
    StoredSendingHours,
    StoredStatusCatalogue,
    TaskRecord,
    WatchedInvoiceRecord,
    address_key,
)


class FakeRepository:
    def __init__(self) -> None:
        self.customers: dict[str, CustomerRecord] = {}
        self.items: dict[str, ItemRecord] = {}
        self.tasks: dict[str, TaskRecord] = {}
        self.dirty: dict[str, DirtyCustomer] = {}
        self.versions: dict[str, dt.datetime] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.windows: dict[str, str] = {}
        self.laws: dict[str, str] = {}
        self.next_reviews: dict[str, dt.date] = {}
        self.qualifications = FakeQualifications()
        self.scenarios = FakeScenarioDefinitions(self.customers)
        self.plans = FakePlans(self.items)
        self.escalations = FakeEscalations()
        self.penalties = FakePenalties(self)
        self.bounces = FakeBounces()
        self.cancel_requests = FakeCancelRequests()
        self.notes = FakeNotes()
        self.settings = FakeSettings(self.qualifications)

    async def upsert_customer(self, record: CustomerRecord, version_at: dt.datetime) -> None:
        old = self.customers.get(record.customer_id)
        if old is not None:
            if self.versions[record.customer_id] > version_at:
                return
            kept = ("scenario_code", "scenario_rule", "scenario_explanation")
            record = CustomerRecord(**{**record.__dict__, **{k: getattr(old, k) for k in kept}})
        self.customers[record.customer_id] = record
        self.versions[record.customer_id] = version_at

    async def customer(self, customer_id: str) -> CustomerRecord | None:
        return self.customers.get(customer_id)

    async def upsert_item(self, record: ItemRecord, version_at: dt.datetime) -> None:
        if record.item_id in self.items and self.versions[record.item_id] > version_at:
            return
        self.items[record.item_id] = record
        self.versions[record.item_id] = version_at

    async def items_of(self, customer_id: str) -> list[ItemRecord]:
        return [i for i in self.items.values() if i.customer_id == customer_id]

    async def tasks_of(self, customer_id: str) -> list[TaskRecord]:
        return [t for t in self.tasks.values() if t.customer_id == customer_id]

    async def tasks_in_status(self, customer_ids: list[str], status: str) -> list[TaskRecord]:
        wanted = set(customer_ids)
        return sorted(
            (t for t in self.tasks.values() if t.customer_id in wanted and t.status == status), key=lambda t: t.task_id
        )

    async def task_exists(self, key: str) -> bool:
        return any(t.key == key for t in self.tasks.values())

    async def add_task(self, task: TaskRecord) -> None:
        assert not await self.task_exists(task.key), "unique key violated"
        self.tasks[task.task_id] = task

    async def set_task_status(self, task_id: str, status: str) -> None:
        self.tasks[task_id] = TaskRecord(**{**self.tasks[task_id].__dict__, "status": status})

    async def customer_ids(self) -> list[str]:
        return sorted(self.customers)

    async def customers_by_id(self, customer_ids: list[str]) -> dict[str, CustomerRecord]:
        return {c: self.customers[c] for c in customer_ids if c in self.customers}

    async def collection_contacts(self, customer_ids: list[str]) -> dict[str, tuple[str, str]]:
        found = {c: await self.collection_contact(c) for c in customer_ids}
        return {c: contact for c, contact in found.items() if contact is not None}

    async def items_of_many(self, customer_ids: list[str]) -> dict[str, list[ItemRecord]]:
        return {c: await self.items_of(c) for c in customer_ids}

    async def past_tasks(self, customer_ids: list[str]) -> dict[str, list[PastTask]]:
        return {
            c: [
                PastTask(t.key, t.scenario_code, t.step_code, t.leader_item_id, t.created_at.date(), t.status)
                for t in self.tasks.values()
                if t.customer_id == c
            ]
            for c in customer_ids
        }

    async def add_tasks(self, records: list[TaskRecord]) -> None:
        for task in records:
            await self.add_task(task)

    async def set_scenarios(self, assignments: list[tuple[str, str, str, list[str]]]) -> None:
        for customer_id, code, rule, explanation in assignments:
            await self.set_scenario(customer_id, code, rule, explanation)

    async def set_next_reviews(self, reviews: dict[str, dt.date]) -> None:
        self.next_reviews.update(reviews)

    async def due_for_review(self, today: dt.date) -> list[str]:
        return sorted(c for c in self.customers if c not in self.next_reviews or self.next_reviews[c] <= today)

    async def review_all(self) -> None:
        self.next_reviews.clear()

    async def clear_dirty_many(self, changes: list[DirtyCustomer]) -> None:
        for change in changes:
            await self.clear_dirty(change.customer_id, change.changed_at)

    async def mark_dirty(self, change: DirtyCustomer) -> None:
        self.dirty[change.customer_id] = change

    async def upsert_contacts(self, rows: list[dict[str, Any]], version_at: dt.datetime) -> None:
        for row in rows:
            self.contacts[row["contact_id"]] = row

    async def collection_contact(self, customer_id: str) -> tuple[str, str] | None:
        found = sorted(
            c["contact_id"]
            for c in self.contacts.values()
            if c["customer_id"] == customer_id and c["role"] == "collection" and c["email"]
        )
        return (self.contacts[found[0]]["name"], self.contacts[found[0]]["email"]) if found else None

    async def mark_dirty_many(self, changes: list[DirtyCustomer]) -> None:
        for change in changes:
            await self.mark_dirty(change)

    async def upsert_customers(self, records: list[CustomerRecord], version_at: dt.datetime) -> None:
        for record in records:
            await self.upsert_customer(record, version_at)

    async def upsert_items(self, records: list[ItemRecord], version_at: dt.datetime) -> None:
        for record in records:
            await self.upsert_item(record, version_at)

    async def settled(self, before: dt.datetime, limit: int) -> list[DirtyCustomer]:
        return sorted((d for d in self.dirty.values() if d.changed_at <= before), key=lambda d: d.changed_at)[:limit]

    async def clear_dirty(self, customer_id: str, changed_at: dt.datetime) -> None:
        if customer_id in self.dirty and self.dirty[customer_id].changed_at == changed_at:
            del self.dirty[customer_id]

    async def set_scenario(self, customer_id: str, code: str, rule: str, explanation: list[str]) -> None:
        self.customers[customer_id] = CustomerRecord(
            **{
                **self.customers[customer_id].__dict__,
                "scenario_code": code,
                "scenario_rule": rule,
                "scenario_explanation": json.dumps(explanation),
            }
        )

    async def upsert_windows(
        self, windows: dict[str, str], version_at: dt.datetime, laws: dict[str, str] | None = None
    ) -> None:
        self.windows.update(windows)
        self.laws.update(laws or {})

    async def law_of(self, entity: str) -> str:
        return self.laws.get(entity, "")

    async def window_of(self, entity: str) -> str | None:
        return self.windows.get(entity)

    async def scheduled_due(self, now: dt.datetime, limit: int) -> list[TaskRecord]:
        due = [t for t in self.tasks.values() if t.status == "scheduled" and t.send_at is not None and t.send_at <= now]
        return sorted(due, key=lambda t: (t.send_at, t.task_id))[:limit]

    async def task(self, task_id: str) -> TaskRecord | None:
        return self.tasks.get(task_id)

    async def agenda(
        self, flt: AgendaFilter, page_size: int, after: tuple[Any, str] | None
    ) -> tuple[list[TaskRecord], int]:
        def keep(t: TaskRecord) -> bool:
            amount = t.amount if t.amount is not None else Decimal(0)
            return (
                (not flt.entity or t.entity == flt.entity)
                and (not flt.status or t.status == flt.status)
                and (not flt.customer_id or t.customer_id == flt.customer_id)
                and (not flt.channel or t.channel == flt.channel)
                and (not flt.collector or t.collector == flt.collector)
                and (flt.min_amount is None or (t.amount is not None and t.amount >= flt.min_amount))
                and (flt.max_amount is None or (t.amount is not None and t.amount <= flt.max_amount))
                and (flt.due_from is None or t.due_on >= flt.due_from)
                and (flt.due_to is None or t.due_on <= flt.due_to)
                and (flt.automatic is None or t.automatic is flt.automatic)
                and amount == amount
            )

        def value(t: TaskRecord) -> Any:
            if flt.sort == "amount":
                return -(t.amount or Decimal(0))
            if flt.sort == "days_overdue":
                return -t.days_overdue
            return t.due_on

        rows = sorted((t for t in self.tasks.values() if keep(t)), key=lambda t: (value(t), t.task_id))
        total = len(rows)
        if after is not None:
            mark, task_id = after
            mark = -mark if flt.sort in ("amount", "days_overdue") else mark
            rows = [t for t in rows if (value(t), t.task_id) > (mark, task_id)]
        return rows[:page_size], total

    async def update_task(self, task_id: str, **values: Any) -> None:
        self.tasks[task_id] = TaskRecord(**{**self.tasks[task_id].__dict__, **values})


class FakeBounces:
    """Bounced addresses by their case-folded form, first report kept, as sc_bounced_addresses."""

    def __init__(self) -> None:
        self.rows: dict[str, BouncedAddress] = {}

    async def flag(self, record: BouncedAddress) -> bool:
        key = address_key(record.address)
        if key in self.rows:
            return False
        self.rows[key] = dataclasses.replace(record, address=key)
        return True

    async def bounced_among(self, addresses: list[str]) -> set[str]:
        return {a for a in addresses if a and address_key(a) in self.rows}


class FakeCancelRequests:
    """Tasks whose message's cancellation was asked for, as sc_cancel_requests: (message key, reason, when)."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, str, dt.datetime]] = {}

    async def requested_among(self, task_ids: list[str]) -> set[str]:
        return {t for t in task_ids if t in self.rows}

    async def add(self, task_id: str, message_key: str, reason: str, requested_at: dt.datetime) -> None:
        assert task_id not in self.rows, f"cancellation of {task_id} asked twice"
        self.rows[task_id] = (message_key, reason, requested_at)


class FakeNotes:
    """sc_notes in memory: one note per key."""

    def __init__(self) -> None:
        self.rows: dict[str, NoteRecord] = {}

    async def by_key(self, key: str) -> NoteRecord | None:
        return next((n for n in self.rows.values() if n.key == key), None)

    async def add(self, record: NoteRecord) -> None:
        assert record.note_id not in self.rows and await self.by_key(record.key) is None, "unique key violated"
        self.rows[record.note_id] = record

    async def notes_of(self, customer_id: str, kind: str) -> list[NoteRecord]:
        found = [n for n in self.rows.values() if n.customer_id == customer_id and n.kind == kind]
        return sorted(found, key=lambda n: (n.created_at, n.note_id))

    async def notes_of_many(self, customer_ids: list[str], kind: str) -> dict[str, list[NoteRecord]]:
        found = {c: await self.notes_of(c, kind) for c in customer_ids}
        return {c: n for c, n in found.items() if n}

    async def pauses_of(self, customer_ids: list[str], today: dt.date) -> dict[str, dict[str, dt.date]]:
        found: dict[str, dict[str, dt.date]] = {}
        for n in self.rows.values():
            if n.customer_id in customer_ids and n.paused_until is not None and n.paused_until > today:
                items = found.setdefault(n.customer_id, {})
                for item_id in n.item_ids:
                    items[item_id] = max(n.paused_until, items.get(item_id, n.paused_until))
        return found


class FakeQualifications:
    def __init__(self) -> None:
        self.statuses: dict[str, ItemStatusRecord] = {}
        self.promises: dict[str, PromiseRecord] = {}

    async def statuses_of(self, customer_id: str) -> dict[str, ItemStatusRecord]:
        return {k: v for k, v in self.statuses.items() if v.customer_id == customer_id}

    async def statuses_of_many(self, customer_ids: list[str]) -> dict[str, dict[str, ItemStatusRecord]]:
        return {c: found for c in customer_ids if (found := await self.statuses_of(c))}

    async def save_statuses(self, records: list[ItemStatusRecord]) -> None:
        self.statuses.update((r.item_id, r) for r in records)

    async def promise(self, promise_id: str) -> PromiseRecord | None:
        return self.promises.get(promise_id)

    async def save_promise(self, record: PromiseRecord) -> None:
        self.promises[record.promise_id] = record

    async def pending_promises(self, deadline_before: dt.date, limit: int) -> list[PromiseRecord]:
        due = [p for p in self.promises.values() if p.state == "pending" and p.promised_on < deadline_before]
        return sorted(due, key=lambda p: (p.promised_on, p.promise_id))[:limit]

    async def clear_status(self, item_ids: tuple[str, ...], status_code: str) -> None:
        for item_id in item_ids:
            if item_id in self.statuses and self.statuses[item_id].status_code == status_code:
                del self.statuses[item_id]

    async def set_promise_state(self, promise_id: str, state: str) -> None:
        self.promises[promise_id] = dataclasses.replace(self.promises[promise_id], state=state)

    async def promises_of(self, customer_id: str) -> list[PromiseRecord]:
        found = [p for p in self.promises.values() if p.customer_id == customer_id]
        return sorted(found, key=lambda p: (p.promised_on, p.promise_id))

    async def in_status(self, status_code: str, entity: str = "", customer_id: str = "") -> list[ItemStatusRecord]:
        # The entity is the customer id's prefix in every fixture, as in real ids.
        found = [
            r
            for r in self.statuses.values()
            if r.status_code == status_code
            and (not customer_id or r.customer_id == customer_id)
            and (not entity or r.customer_id.startswith(f"{entity}/"))
        ]
        return sorted(found, key=lambda r: (-r.since.toordinal(), r.item_id))


class FakeSettings:
    """The status catalogue and sending hours in memory; saves check the version read like the SQL store."""

    def __init__(self, qualifications: FakeQualifications) -> None:
        self._qualifications = qualifications
        self.catalogues: dict[str, StoredStatusCatalogue] = {}
        self.hours: dict[str, StoredSendingHours] = {}

    async def status_catalogue(self, scope: str = "") -> StoredStatusCatalogue | None:
        return self.catalogues.get(scope)

    async def save_status_catalogue(self, record: StoredStatusCatalogue, expected_version: int) -> bool:
        return self._save(self.catalogues, record.scope, record, expected_version)

    async def statuses_in_use(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for status in self._qualifications.statuses.values():
            counts[status.status_code] = counts.get(status.status_code, 0) + 1
        return counts

    async def sending_hours(self, entity: str) -> StoredSendingHours | None:
        return self.hours.get(entity)

    async def save_sending_hours(self, record: StoredSendingHours, expected_version: int) -> bool:
        return self._save(self.hours, record.entity, record, expected_version)

    @staticmethod
    def _save(rows: dict[str, Any], key: str, record: Any, expected_version: int) -> bool:
        found = rows.get(key)
        if (found.version if found is not None else 0) != expected_version:
            return False
        rows[key] = record
        return True


class FakeUnitOfWork:
    """Same surface as the service's UnitOfWork; commits are counted, published messages kept."""

    def __init__(self, repo: FakeRepository) -> None:
        self.repo = repo
        self.qualifications = repo.qualifications
        self.scenarios = repo.scenarios
        self.plans = repo.plans
        self.escalations = repo.escalations
        self.penalties = repo.penalties
        self.bounces = repo.bounces
        self.cancel_requests = repo.cancel_requests
        self.notes = repo.notes
        self.settings = repo.settings
        self.published: list[Message] = []
        self.committed = 0
        self._cause: EventMeta | None = None
        self._correlation = ""

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    def caused_by(self, meta: EventMeta | None = None, *, correlation_id: str = "") -> None:
        self._cause = meta
        self._correlation = correlation_id or (meta.correlation_id if meta else "")

    def meta(self, entity: str = "", **kwargs: Any) -> EventMeta:
        return new_meta(
            "scenario",
            entity=entity,
            correlation_id=self._correlation,
            causation_id=self._cause.event_id if self._cause else "",
            **kwargs,
        )

    async def publish(self, message: Message) -> None:
        self.published.append(message)

    async def publish_many(self, messages: list[Message]) -> None:
        self.published.extend(messages)

    async def commit(self) -> None:
        self.committed += 1


class FakePlans:
    """Payment plans in memory; instalments' open amounts live in the repository's items, as in sc_items."""

    def __init__(self, items: dict[str, ItemRecord]) -> None:
        self.items = items
        self.plans: dict[str, PlanRecord] = {}
        self.covered: dict[str, dict[str, Decimal]] = {}
        self.instalments: dict[str, list[PlanInstalmentRecord]] = {}

    async def add_plan(
        self, plan: PlanRecord, covered: dict[str, Decimal], instalments: list[PlanInstalmentRecord]
    ) -> None:
        assert plan.plan_id not in self.plans, "primary key violated"
        self.plans[plan.plan_id] = plan
        self.covered[plan.plan_id] = dict(sorted(covered.items()))
        self.instalments[plan.plan_id] = list(instalments)

    async def plan(self, plan_id: str) -> PlanRecord | None:
        return self.plans.get(plan_id)

    async def plan_by_key(self, customer_id: str, idempotency_key: str) -> PlanRecord | None:
        return next(
            (p for p in self.plans.values() if p.customer_id == customer_id and p.idempotency_key == idempotency_key),
            None,
        )

    async def plans_of(self, customer_id: str, include_ended: bool) -> list[PlanRecord]:
        found = [
            p for p in self.plans.values() if p.customer_id == customer_id and (include_ended or p.state == "active")
        ]
        return sorted(sorted(found, key=lambda p: p.plan_id), key=lambda p: p.created_on, reverse=True)

    async def covered_of(self, plan_id: str) -> dict[str, Decimal]:
        return dict(self.covered.get(plan_id, {}))

    async def instalments_of(self, plan_id: str) -> list[PlanInstalmentRecord]:
        return sorted(self.instalments.get(plan_id, []), key=lambda i: (i.due_date, i.sequence))

    async def active_cover(self, item_ids: list[str]) -> dict[str, str]:
        wanted = set(item_ids)
        return {
            item_id: plan_id
            for plan_id, covered in self.covered.items()
            if self.plans[plan_id].state == "active"
            for item_id in covered
            if item_id in wanted
        }

    async def plans_to_check(self, due_before: dt.date, limit: int) -> list[PlanRecord]:
        due = [
            p for p in self.plans.values() if p.state == "active" and p.next_due is not None and p.next_due < due_before
        ]
        return sorted(due, key=lambda p: (p.next_due, p.plan_id))[:limit]

    async def update_plan(self, plan_id: str, **values: Any) -> None:
        self.plans[plan_id] = dataclasses.replace(self.plans[plan_id], **values)

    async def set_instalment_open(self, item_id: str, open_amount: Decimal) -> None:
        self.items[item_id] = dataclasses.replace(self.items[item_id], open_amount=open_amount)


class FakeScenarioDefinitions:
    """Stored scenario definitions, with the store's rules: inserts skip an existing code, updates need the
    version they name."""

    def __init__(self, customers: dict[str, CustomerRecord]) -> None:
        self.rows: dict[str, StoredScenario] = {}
        self._customers = customers

    async def all(self, *, include_deleted: bool = False) -> list[StoredScenario]:
        return [self.rows[c] for c in sorted(self.rows) if include_deleted or not self.rows[c].deleted]

    async def get(self, code: str) -> StoredScenario | None:
        return self.rows.get(code)

    async def insert(self, record: StoredScenario) -> bool:
        if record.code in self.rows:
            return False
        self.rows[record.code] = record
        return True

    async def seed(self, records: list[StoredScenario]) -> list[str]:
        return [r.code for r in records if await self.insert(r)]

    async def update(self, record: StoredScenario, expected_version: int) -> bool:
        current = self.rows.get(record.code)
        if current is None or current.version != expected_version:
            return False
        self.rows[record.code] = record
        return True

    async def customers_on(self, code: str) -> list[str]:
        return sorted(c.customer_id for c in self._customers.values() if c.scenario_code == code)


class FakeEscalations:
    def __init__(self) -> None:
        self.cases: dict[str, EscalationRecord] = {}

    async def add(self, record: EscalationRecord) -> None:
        assert record.case_id not in self.cases, "primary key violated"
        assert record.active_key is None or all(c.active_key != record.active_key for c in self.cases.values())
        self.cases[record.case_id] = record

    async def case(self, case_id: str) -> EscalationRecord | None:
        return self.cases.get(case_id)

    async def open_case(self, active_key: str) -> EscalationRecord | None:
        return next((c for c in self.cases.values() if c.active_key == active_key), None)

    async def cases_of(self, customer_id: str, *, open_only: bool = False) -> list[EscalationRecord]:
        found = [
            c for c in self.cases.values() if c.customer_id == customer_id and (not open_only or c.state == "open")
        ]
        return sorted(found, key=lambda c: (c.created_at, c.case_id))

    async def cases_of_partner(self, partner_id: str, *, include_withdrawn: bool, limit: int) -> list[EscalationRecord]:
        found = [
            c for c in self.cases.values() if c.partner_id == partner_id and (include_withdrawn or c.state == "open")
        ]
        return sorted(found, key=lambda c: (-c.created_at.timestamp(), c.case_id))[:limit]

    async def withdraw(self, case_id: str, by: str, on: dt.date, reason: str) -> None:
        self.cases[case_id] = dataclasses.replace(
            self.cases[case_id],
            state="withdrawn",
            active_key=None,
            withdrawn_by=by,
            withdrawn_on=on,
            withdraw_reason=reason,
        )


class FakePenalties:
    """Penalty settings, watched invoices and issued penalties in memory, over the repository's customers and
    items (whose versions it reads as sc_items' version_at)."""

    def __init__(self, repo: FakeRepository) -> None:
        self._repo = repo
        self.rows: dict[tuple[str, str], PenaltySettingsRecord] = {}
        self.watched: dict[str, WatchedInvoiceRecord] = {}
        self.issued: dict[str, IssuedPenaltyRecord] = {}

    async def book_for(self, customers: list[tuple[str, str]]) -> SettingsBook:
        wanted = {(entity, "") for entity, _ in customers} | set(customers)
        return SettingsBook({k: r.settings for k, r in self.rows.items() if k in wanted})

    async def settings(self, entity: str, account_number: str) -> PenaltySettingsRecord | None:
        return self.rows.get((entity, account_number))

    async def save_settings(self, record: PenaltySettingsRecord) -> None:
        self.rows[(record.entity, record.account_number)] = record

    async def customers_to_check(self, today: dt.date, limit: int) -> list[str]:
        found = set()
        for item in self._repo.items.values():
            customer = self._repo.customers.get(item.customer_id)
            if customer is None or item.kind != "invoice" or item.due_date >= today:
                continue
            book = SettingsBook({k: r.settings for k, r in self.rows.items()})
            if not book.terms(customer.entity, customer.account_number, "").issue_items:
                continue
            seen = self.watched.get(item.item_id)
            if seen is None or (
                not seen.closed and (seen.checked_on < today or seen.seen_version != self._repo.versions[item.item_id])
            ):
                found.add(item.customer_id)
        return sorted(found)[:limit]

    async def invoices_of(self, customer_id: str) -> list[tuple[ItemRecord, dt.datetime]]:
        return [
            (i, self._repo.versions[i.item_id])
            for i in self._repo.items.values()
            if i.customer_id == customer_id and i.kind == "invoice"
        ]

    async def watched_of(self, customer_id: str) -> dict[str, WatchedInvoiceRecord]:
        return {k: w for k, w in self.watched.items() if w.customer_id == customer_id}

    async def save_watched(self, records: list[WatchedInvoiceRecord]) -> None:
        self.watched.update((r.item_id, r) for r in records)

    async def issued_of(self, customer_id: str) -> list[IssuedPenaltyRecord]:
        found = [r for r in self.issued.values() if r.customer_id == customer_id]
        return sorted(found, key=lambda r: (r.period_to, r.kind, r.penalty_id))

    async def add_issued(self, record: IssuedPenaltyRecord) -> bool:
        if record.penalty_id in self.issued:
            return False
        self.issued[record.penalty_id] = record
        return True
