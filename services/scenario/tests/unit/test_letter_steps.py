"""Letter steps over fakes: the customer's postal address is kept from the ledger, an automatic letter goes
out with it, and a customer without one gets a collector's task instead."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus.envelope import new_meta
from opendso_contracts.convert import date_to_proto
from opendso_scenario import handlers
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.store import UnitOfWork

from .fakes import FakeRepository, FakeUnitOfWork

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
ADDRESS = {"street": "12 avenue Foch", "postal_code": "69006", "city": "Lyon", "country": "fr"}


class Harness:
    """The firm scenario for everyone: 25 days overdue reaches its formal notice, an automatic letter."""

    def __init__(self) -> None:
        self.repo = FakeRepository()
        self.now = NOW
        self.deps = handlers.Deps(
            today=lambda: TODAY,
            now=lambda: self.now,
            settle_seconds=1.0,
            scenarios=builtin_scenarios(),
            default_scenario="firm",
        )
        self.uows: list[FakeUnitOfWork] = []

    def uow(self) -> UnitOfWork:
        u = FakeUnitOfWork(self.repo)
        self.uows.append(u)
        return cast(UnitOfWork, u)

    async def customer(self, **address: str) -> None:
        event = rv.CustomerCreated(
            meta=new_meta("importer", entity="FR01"),
            customer=rv.Customer(
                customer_id="FR01/C7",
                entity="FR01",
                account_number="C7",
                name="Dupont SARL",
                email="ap@dupont.example",
                language="fr",
                **address,
            ),
        )
        await handlers.record_customer(event, self.uow(), self.deps)

    async def overdue_item(self, days_overdue: int = 25) -> None:
        due = TODAY - dt.timedelta(days=days_overdue)
        event = rv.ItemOpened(
            meta=new_meta("importer", entity="FR01"),
            item=rv.OpenItem(
                item_id="FR01/invoice/F-9",
                customer_id="FR01/C7",
                entity="FR01",
                account_number="C7",
                number="F-9",
                kind=rv.ITEM_KIND_INVOICE,
                issue_date=date_to_proto(due - dt.timedelta(days=30)),
                due_date=date_to_proto(due),
                amount={"amount": "1200.00", "currency": "EUR"},
                open_amount={"amount": "1200.00", "currency": "EUR"},
            ),
        )
        await handlers.record_item(event, self.uow(), self.deps)

    async def settle(self) -> int:
        self.now += dt.timedelta(seconds=2)
        return await handlers.evaluate_settled(self.uow, self.deps)

    def published(self, kind: type) -> list[Any]:
        return [m for u in self.uows for m in u.published if isinstance(m, kind)]


async def test_the_customers_postal_address_is_kept_from_the_ledger() -> None:
    h = Harness()
    await h.customer(street=" 12 avenue Foch ", postal_code="69006", city="Lyon", country="fr")

    stored = h.repo.customers["FR01/C7"]
    assert (stored.street, stored.postal_code, stored.city, stored.country) == ("12 avenue Foch", "69006", "Lyon", "FR")
    assert stored.has_postal_address()


async def test_an_automatic_letter_step_goes_out_with_the_postal_address_as_registered_mail() -> None:
    h = Harness()
    await h.customer(**ADDRESS)
    await h.overdue_item(days_overdue=25)

    assert await h.settle() == 1
    (task,) = h.repo.tasks.values()
    assert (task.step_code, task.channel, task.status) == ("formal_notice", "letter", "sent")
    (command,) = h.published(msg.SendMessage)
    assert command.channel == "letter" and command.template_code == "formal_notice_letter"
    assert command.postal_address.name == "Dupont SARL"
    assert list(command.postal_address.lines) == ["12 avenue Foch", "69006 Lyon"]
    assert command.postal_address.country == "FR"
    assert command.registered is True
    assert command.task_id == task.task_id and [i.number for i in command.items] == ["F-9"]


async def test_an_e_mail_step_carries_no_postal_address() -> None:
    h = Harness()
    await h.customer(**ADDRESS)
    await h.overdue_item(days_overdue=3)

    await h.settle()
    (command,) = h.published(msg.SendMessage)
    assert command.channel == "email"
    assert not command.HasField("postal_address") and command.registered is False


async def test_an_automatic_letter_step_without_a_postal_address_falls_to_a_collector() -> None:
    h = Harness()
    await h.customer(street="", postal_code="69006", city="Lyon")  # no street: nothing to put on an envelope
    await h.overdue_item(days_overdue=25)

    assert await h.settle() == 1
    (task,) = h.repo.tasks.values()
    assert (task.channel, task.status) == ("letter", "open")
    assert h.published(msg.SendMessage) == []
    assert len(h.published(col.TaskCreated)) == 1
