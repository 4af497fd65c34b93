"""The scenario service's handlers over fakes: events in, tasks and commands out."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus.envelope import new_meta
from opendso_contracts.convert import date_to_proto
from opendso_scenario import agenda, handlers
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.store import UnitOfWork

from .fakes import FakeRepository, FakeUnitOfWork

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def deps(clock: Clock) -> handlers.Deps:
    return handlers.Deps(
        today=lambda: TODAY, now=clock, settle_seconds=1.0, scenarios=builtin_scenarios(), default_scenario="standard"
    )


def customer_event(email: str = "ap@acme.example", language: str = "fr") -> rv.CustomerCreated:
    return rv.CustomerCreated(
        meta=new_meta("importer", entity="FR01", correlation_id="upload-1"),
        customer=rv.Customer(
            customer_id="FR01/C1",
            entity="FR01",
            account_number="C1",
            name="Dupont SARL",
            email=email,
            language=language,
            contact_name="Marie",
        ),
    )


def item_event(number: str, days_overdue: int, amount: str = "100.00") -> rv.ItemOpened:
    due = TODAY - dt.timedelta(days=days_overdue)
    meta = new_meta("importer", entity="FR01", correlation_id="upload-1")
    # On the harness's clock, not the wall clock: a test's later events carry fixed times after it.
    meta.occurred_at.FromDatetime(NOW)
    return rv.ItemOpened(
        meta=meta,
        item=rv.OpenItem(
            item_id=f"FR01/invoice/{number}",
            customer_id="FR01/C1",
            entity="FR01",
            account_number="C1",
            number=number,
            kind=rv.ITEM_KIND_INVOICE,
            issue_date=date_to_proto(due - dt.timedelta(days=30)),
            due_date=date_to_proto(due),
            amount={"amount": amount, "currency": "EUR"},
            open_amount={"amount": amount, "currency": "EUR"},
        ),
    )


class Harness:
    def __init__(self) -> None:
        self.repo = FakeRepository()
        self.clock = Clock()
        self.deps = deps(self.clock)
        self.uows: list[FakeUnitOfWork] = []

    def uow(self) -> UnitOfWork:
        u = FakeUnitOfWork(self.repo)
        self.uows.append(u)
        return cast(UnitOfWork, u)

    async def handle(self, event: Any) -> None:
        uow = self.uow()
        if isinstance(event, rv.CustomerCreated):
            await handlers.record_customer(event, uow, self.deps)
        else:
            await handlers.record_item(event, uow, self.deps)

    async def settle(self) -> int:
        self.clock.now += dt.timedelta(seconds=2)
        return await handlers.evaluate_settled(self.uow, self.deps)

    def published(self, kind: type) -> list[Any]:
        return [m for u in self.uows for m in u.published if isinstance(m, kind)]


async def test_events_alone_create_nothing_until_the_customer_has_settled() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-2", days_overdue=1))

    assert await handlers.evaluate_settled(h.uow, h.deps) == 0
    assert h.repo.tasks == {}
    assert "FR01/C1" in h.repo.dirty


async def test_items_arriving_newest_first_still_lead_with_the_oldest_invoice() -> None:
    h = Harness()
    await h.handle(item_event("F-2", days_overdue=1))
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))

    assert await h.settle() == 1
    (task,) = h.repo.tasks.values()
    assert (task.step_code, task.leader_item_id) == ("first", "FR01/invoice/F-1")
    (command,) = h.published(msg.SendMessage)
    assert [i.number for i in command.items] == ["F-1", "F-2"]
    assert command.language == "fr" and command.recipient == "ap@acme.example"
    assert command.task_id == task.task_id and command.message_key == task.key
    assert h.repo.dirty == {}


async def test_the_same_situation_evaluated_again_creates_no_second_task() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()
    await h.handle(item_event("F-1", days_overdue=4))  # a redelivered or re-imported item

    assert await h.settle() == 0
    assert await handlers.evaluate_all(h.uow, h.deps) == 0
    assert len(h.repo.tasks) == 1
    assert len(h.published(msg.SendMessage)) == 1


async def test_an_automatic_step_without_an_email_address_waits_for_a_collector() -> None:
    h = Harness()
    await h.handle(customer_event(email=""))
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()

    (task,) = h.repo.tasks.values()
    assert task.status == "open"
    assert h.published(msg.SendMessage) == []
    assert len(h.published(col.TaskCreated)) == 1


async def test_the_evaluation_continues_the_correlation_of_the_upload() -> None:
    h = Harness()
    await h.handle(customer_event())
    item = item_event("F-1", days_overdue=4)
    await h.handle(item)
    await h.settle()

    (command,) = h.published(msg.SendMessage)
    assert command.meta.correlation_id == "upload-1"
    assert command.meta.causation_id == item.meta.event_id


async def test_a_sent_message_closes_its_task_and_a_failed_one_reopens_it() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()
    (task,) = h.repo.tasks.values()

    await handlers.record_message_sent(msg.MessageSent(task_id=task.task_id), h.uow(), h.deps)
    assert h.repo.tasks[task.task_id].status == "done"
    await handlers.record_message_failed(msg.MessageFailed(task_id=task.task_id), h.uow(), h.deps)
    assert h.repo.tasks[task.task_id].status == "open"


async def test_agenda_pages_carry_on_where_the_last_page_ended() -> None:
    h = Harness()
    for n in range(5):
        cid = f"FR01/C{n}"
        ev = customer_event()
        ev.customer.customer_id, ev.customer.account_number = cid, f"C{n}"
        await h.handle(ev)
        it = item_event(f"F-{n}", days_overdue=31)
        it.item.customer_id, it.item.item_id = cid, f"FR01/invoice/F-{n}"
        await h.handle(it)
    await h.settle()

    first = await agenda.get_agenda(col.GetAgenda(page_size=2), h.uow())
    second = await agenda.get_agenda(col.GetAgenda(page_size=2, page_token=first.next_page_token), h.uow())
    third = await agenda.get_agenda(col.GetAgenda(page_size=2, page_token=second.next_page_token), h.uow())

    ids = [t.task_id for page in (first, second, third) for t in page.tasks]
    assert len(ids) == len(set(ids)) == 5
    assert first.total == 5 and third.next_page_token == ""


async def test_an_older_item_event_arriving_late_does_not_reopen_a_paid_invoice() -> None:
    h = Harness()
    await h.handle(customer_event())
    opened = item_event("F-1", days_overdue=4)
    closed = rv.ItemClosed(meta=new_meta("importer", entity="FR01"), item=opened.item)
    closed.item.open_amount.amount = "0"
    await handlers.record_item(closed, h.uow(), h.deps)
    await h.handle(opened)  # the older event, redelivered after the newer one

    assert h.repo.items["FR01/invoice/F-1"].open_amount == 0
    assert await h.settle() == 0


async def test_a_bulk_import_batch_leads_to_the_same_tasks_as_single_events() -> None:
    h = Harness()
    customer = customer_event().customer
    batch_c = rv.CustomersChanged(
        meta=new_meta("importer", entity="FR01"),
        changes=[rv.CustomerChange(type=rv.CHANGE_TYPE_CREATED, customer=customer)],
    )
    newest, oldest = item_event("F-2", days_overdue=1).item, item_event("F-1", days_overdue=4).item
    batch_i = rv.ItemsChanged(
        meta=new_meta("importer", entity="FR01"),
        changes=[
            rv.ItemChange(type=rv.CHANGE_TYPE_CREATED, item=newest),
            rv.ItemChange(type=rv.CHANGE_TYPE_CREATED, item=oldest),
        ],
    )
    await handlers.record_items(batch_i, h.uow(), h.deps)
    await handlers.record_customers(batch_c, h.uow(), h.deps)

    assert await h.settle() == 1
    (task,) = h.repo.tasks.values()
    assert (task.step_code, task.leader_item_id) == ("first", "FR01/invoice/F-1")


async def test_a_closed_change_in_a_batch_stops_the_chase() -> None:
    h = Harness()
    await h.handle(customer_event())
    item = item_event("F-1", days_overdue=4).item
    closed = rv.ItemsChanged(
        meta=new_meta("importer", entity="FR01"), changes=[rv.ItemChange(type=rv.CHANGE_TYPE_CLOSED, item=item)]
    )
    await handlers.record_items(closed, h.uow(), h.deps)

    assert h.repo.items["FR01/invoice/F-1"].open_amount == 0
    assert await h.settle() == 0


async def test_reminders_go_to_the_collection_contact_when_the_customer_has_one() -> None:
    h = Harness()
    await h.handle(customer_event(email=""))
    contacts = rv.ContactsChanged(
        meta=new_meta("importer", entity="FR01"),
        changes=[
            rv.ContactChange(
                type=rv.CHANGE_TYPE_CREATED,
                contact=rv.Contact(
                    contact_id="FR01/C1/billing/b@dupont.example",
                    customer_id="FR01/C1",
                    name="Bob",
                    email="b@dupont.example",
                    role="billing",
                ),
            ),
            rv.ContactChange(
                type=rv.CHANGE_TYPE_CREATED,
                contact=rv.Contact(
                    contact_id="FR01/C1/collection/ar@dupont.example",
                    customer_id="FR01/C1",
                    name="Alice",
                    email="ar@dupont.example",
                    role="collection",
                ),
            ),
        ],
    )
    await handlers.record_contacts(contacts, h.uow(), h.deps)
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()

    (command,) = h.published(msg.SendMessage)
    assert (command.recipient, command.contact_name) == ("ar@dupont.example", "Alice")
