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
from opendso_scenario.store import (
    AgendaFilter,
    CustomerRecord,
    DirtyCustomer,
    ItemRecord,
    ItemStatusRecord,
    PromiseRecord,
    TaskRecord,
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
        self.qualifications = FakeQualifications()

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

    async def task_exists(self, key: str) -> bool:
        return any(t.key == key for t in self.tasks.values())

    async def add_task(self, task: TaskRecord) -> None:
        assert not await self.task_exists(task.key), "unique key violated"
        self.tasks[task.task_id] = task

    async def set_task_status(self, task_id: str, status: str) -> None:
        self.tasks[task_id] = TaskRecord(**{**self.tasks[task_id].__dict__, "status": status})

    async def customer_ids(self) -> list[str]:
        return sorted(self.customers)

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


class FakeQualifications:
    def __init__(self) -> None:
        self.statuses: dict[str, ItemStatusRecord] = {}
        self.promises: dict[str, PromiseRecord] = {}

    async def statuses_of(self, customer_id: str) -> dict[str, ItemStatusRecord]:
        return {k: v for k, v in self.statuses.items() if v.customer_id == customer_id}

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


class FakeUnitOfWork:
    """Same surface as the service's UnitOfWork; commits are counted, published messages kept."""

    def __init__(self, repo: FakeRepository) -> None:
        self.repo = repo
        self.qualifications = repo.qualifications
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

    async def commit(self) -> None:
        self.committed += 1
