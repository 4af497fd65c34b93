"""Delivery reports in the collection engine, over fakes: a failed message falls back to a collector's task
once, and a bounced address gets no more automatic e-mail."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, cast

from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus.envelope import new_meta
from opendso_contracts.convert import date_to_proto
from opendso_scenario import deliveries, handlers
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.store import BouncedAddress, TaskRecord, UnitOfWork

from .fakes import FakeRepository, FakeUnitOfWork

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
EMAIL = "ap@dupont.example"


class Harness:
    def __init__(self) -> None:
        self.repo = FakeRepository()
        self.now = NOW
        self.deps = handlers.Deps(
            today=lambda: TODAY,
            now=lambda: self.now,
            settle_seconds=1.0,
            scenarios=builtin_scenarios(),
            default_scenario="standard",
        )
        self.uows: list[FakeUnitOfWork] = []

    def uow(self) -> UnitOfWork:
        u = FakeUnitOfWork(self.repo)
        self.uows.append(u)
        return cast(UnitOfWork, u)

    async def customer_with_overdue_invoice(self, email: str = EMAIL) -> None:
        meta = new_meta("importer", entity="FR01")
        await handlers.record_customer(
            rv.CustomerCreated(
                meta=meta,
                customer=rv.Customer(
                    customer_id="FR01/C1",
                    entity="FR01",
                    account_number="C1",
                    name="Dupont SARL",
                    email=email,
                    language="fr",
                ),
            ),
            self.uow(),
            self.deps,
        )
        due = TODAY - dt.timedelta(days=4)
        await handlers.record_item(
            rv.ItemOpened(
                meta=meta,
                item=rv.OpenItem(
                    item_id="FR01/invoice/F-1",
                    customer_id="FR01/C1",
                    entity="FR01",
                    account_number="C1",
                    number="F-1",
                    kind=rv.ITEM_KIND_INVOICE,
                    issue_date=date_to_proto(due - dt.timedelta(days=30)),
                    due_date=date_to_proto(due),
                    amount={"amount": "100.00", "currency": "EUR"},
                    open_amount={"amount": "100.00", "currency": "EUR"},
                ),
            ),
            self.uow(),
            self.deps,
        )
        self.now += dt.timedelta(seconds=2)
        await handlers.evaluate_settled(self.uow, self.deps)

    def only_task(self) -> TaskRecord:
        (task,) = self.repo.tasks.values()
        return task

    async def report(self, task: TaskRecord, **fields: Any) -> None:
        values: dict[str, Any] = {
            "message_key": task.key,
            "customer_id": task.customer_id,
            "task_id": task.task_id,
            "channel": "email",
            "recipient": EMAIL,
            "state": "bounced",
            "delivery_state": "bounced",
            "fallback": True,
            "suppress_address": True,
            "detail": "Permanent/General",
            **fields,
        }
        event = msg.MessageDeliveryChanged(meta=new_meta("messaging", entity="FR01"), **values)
        await deliveries.record_delivery_changed(event, self.uow(), self.deps)

    def published(self, kind: type) -> list[Any]:
        return [m for u in self.uows for m in u.published if isinstance(m, kind)]


async def test_a_bounced_email_becomes_one_open_letter_task_for_a_collector() -> None:
    h = Harness()
    await h.customer_with_overdue_invoice()
    original = h.only_task()
    assert (original.channel, original.status) == ("email", "sent")

    await h.report(original)
    await h.report(original)  # the same report again, or a second one about the same message

    fallback = h.repo.tasks[next(t for t in h.repo.tasks if t != original.task_id)]
    assert len(h.repo.tasks) == 2
    assert (fallback.key, fallback.channel, fallback.status) == (original.key + ":fallback", "letter", "open")
    assert (fallback.automatic, fallback.due_on, fallback.item_ids) == (False, TODAY, ("FR01/invoice/F-1",))
    assert fallback.totals == (("100.00", "EUR"),)
    closed = h.repo.tasks[original.task_id]
    assert closed.status == "done"
    assert closed.comment == "email to ap@dupont.example bounced (Permanent/General); letter task created"
    (created,) = h.published(col.TaskCreated)[1:]
    assert created.task.task_id == fallback.task_id and created.task.status == col.TASK_STATUS_OPEN


async def test_an_undelivered_sms_falls_back_to_a_phone_call() -> None:
    h = Harness()
    await h.customer_with_overdue_invoice()
    original = h.only_task()

    await h.report(original, channel="sms", recipient="+33612345678", state="failed", suppress_address=False)

    assert {t.channel for t in h.repo.tasks.values()} == {"email", "phone_call"}
    assert h.repo.bounces.rows == {}


async def test_no_fallback_when_what_the_message_chased_was_paid_meanwhile() -> None:
    h = Harness()
    await h.customer_with_overdue_invoice()
    original = h.only_task()
    h.repo.items["FR01/invoice/F-1"] = replace(h.repo.items["FR01/invoice/F-1"], open_amount=0)

    await h.report(original)

    assert list(h.repo.tasks) == [original.task_id]
    assert h.repo.tasks[original.task_id].comment.endswith("nothing left to chase")


async def test_a_report_without_fallback_creates_no_task_but_flags_the_address() -> None:
    h = Harness()
    await h.customer_with_overdue_invoice()
    original = h.only_task()

    await h.report(original, state="delivered", delivery_state="complained", fallback=False, detail="complaint")

    assert list(h.repo.tasks) == [original.task_id]
    assert h.repo.tasks[original.task_id].status == "sent"
    assert h.repo.bounces.rows[EMAIL].reason == "complaint"


async def test_a_customer_whose_address_bounced_gets_no_automatic_email_but_a_collectors_task() -> None:
    h = Harness()
    await h.repo.bounces.flag(
        BouncedAddress(
            address="AP@Dupont.example",
            channel="email",
            customer_id="FR01/C1",
            reason="Permanent/General",
            message_key="earlier",
            bounced_at=NOW,
        )
    )

    await h.customer_with_overdue_invoice()

    task = h.only_task()
    assert (task.channel, task.status) == ("email", "open")
    assert h.published(msg.SendMessage) == []


async def test_the_bounced_check_blanks_only_the_bounced_addresses() -> None:
    h = Harness()
    await h.customer_with_overdue_invoice()
    customer = h.repo.customers["FR01/C1"]
    await h.report(h.only_task())
    other = replace(customer, customer_id="FR01/C2", email="pay@other.example")

    records, contacts = await deliveries.without_bounced_addresses(
        {"FR01/C1": customer, "FR01/C2": other}, {"FR01/C2": ("Paul", EMAIL.upper())}, h.uow()
    )

    assert (records["FR01/C1"].email, records["FR01/C2"].email) == ("", "pay@other.example")
    assert contacts == {"FR01/C2": ("Paul", "")}
