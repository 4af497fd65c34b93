"""The risk service over its real store and migrations, on SQLite and PostgreSQL: receivables, matching and
collection events in, a customer's profile, limits' use and alerts out; a redelivered event or a pass run
again raises nothing new."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.matching.v1 import matching_pb2 as mt
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.risk.v1 import risk_pb2 as rk
from opendso_bus import InvalidRequest, NotFound, QueryError
from opendso_bus.envelope import new_meta
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_from_proto, date_to_proto, money_to_proto
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_money import Money
from opendso_risk import evaluation, handlers, queries
from opendso_risk.app import MIGRATIONS
from opendso_risk.store import OUTBOX, UnitOfWork
from sqlalchemy import select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, 7, 0, tzinfo=dt.UTC)
NewUow = Callable[[], UnitOfWork]


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[NewUow]:
    url = await make_database("risk")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "risk")
    await engine.dispose()


async def usd_only(amount: Money, to_currency: str, on: dt.date) -> handlers.Converted:
    """The FX service as it would answer with only a USD->EUR rate on record."""
    if (amount.currency, to_currency) != ("USD", "EUR"):
        raise handlers.RateMissing(f"no {amount.currency}->{to_currency} rate on {on.isoformat()}")
    rate = Decimal("0.9")
    return handlers.Converted(Money(amount.amount * rate, "EUR").rounded(), rate, on - dt.timedelta(days=1))


DEPS = handlers.Deps(today=lambda: TODAY, now=lambda: NOW, convert=usd_only)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 0), dt.UTC)


def customer(account: str, name: str, collector: str, parent: str = "") -> rv.CustomerChange:
    return rv.CustomerChange(
        type=rv.CHANGE_TYPE_CREATED,
        customer=rv.Customer(
            customer_id=f"FR01/{account}",
            entity="FR01",
            account_number=account,
            name=name,
            collector=collector,
            parent_account=parent,
        ),
    )


def item(
    account: str,
    number: str,
    issue: dt.date,
    due: dt.date,
    amount: str,
    currency: str = "EUR",
    closed: dt.date | None = None,
) -> rv.ItemChange:
    money = money_to_proto(Money(Decimal(amount), currency))
    change = rv.ItemChange(
        type=rv.CHANGE_TYPE_CLOSED if closed else rv.CHANGE_TYPE_CREATED,
        item=rv.OpenItem(
            item_id=f"FR01/invoice/{number}",
            customer_id=f"FR01/{account}",
            entity="FR01",
            account_number=account,
            number=number,
            kind=rv.ITEM_KIND_INVOICE,
            issue_date=date_to_proto(issue),
            due_date=date_to_proto(due),
            amount=money,
            open_amount=money_to_proto(Money(Decimal(0), currency)) if closed else money,
        ),
    )
    if closed:
        change.closed_on.CopyFrom(date_to_proto(closed))
    return change


D = dt.date
ENTITIES = rv.EntitiesChanged(
    meta=new_meta("importer", occurred_at=at(D(2026, 1, 1))),
    changes=[rv.EntityChange(type=rv.CHANGE_TYPE_CREATED, entity=rv.Entity(code="FR01", currency="EUR"))],
)
CUSTOMERS = rv.CustomersChanged(
    meta=new_meta("importer", occurred_at=at(D(2026, 1, 1))),
    changes=[customer("C1", "Dupont SA", "anna"), customer("C2", "Dupont Filiale", "bob", parent="C1")],
)
LEDGER = rv.ItemsChanged(
    meta=new_meta("importer", occurred_at=at(D(2026, 6, 1))),
    changes=[
        # Paid: 10 days late, 3 early, 31 late (as in the unit tests of the figures).
        item("C1", "F-1", D(2026, 1, 1), D(2026, 1, 31), "100.00", closed=D(2026, 2, 10)),
        item("C1", "F-2", D(2026, 2, 1), D(2026, 3, 3), "300.00", closed=D(2026, 2, 28)),
        item("C1", "F-3", D(2026, 3, 1), D(2026, 3, 31), "600.00", closed=D(2026, 5, 1)),
        # Open: one overdue in EUR, one not yet due in USD; the subsidiary's, overdue since May.
        item("C1", "F-4", D(2026, 4, 15), D(2026, 5, 15), "800.00"),
        item("C1", "F-5", D(2026, 7, 1), D(2026, 7, 31), "500.00", "USD"),
        item("C2", "F-6", D(2026, 4, 1), D(2026, 5, 1), "400.00"),
    ],
)
DISPUTE = col.ItemsQualified(
    meta=new_meta("scenario", occurred_at=at(D(2026, 5, 20))),
    customer_id="FR01/C1",
    statuses=[col.ItemStatus(item_id="FR01/invoice/F-4", status_code="dispute", since=date_to_proto(D(2026, 5, 20)))],
)
BROKEN = col.PromiseBroken(
    meta=new_meta("scenario", occurred_at=at(D(2026, 6, 29))),
    promise_id="p-1",
    customer_id="FR01/C1",
    item_ids=["FR01/invoice/F-4"],
    missing=money_to_proto(Money(Decimal("800.00"), "EUR")),
    promised_on=date_to_proto(D(2026, 6, 25)),
)


async def deliver(
    new_uow: NewUow, handler: Callable[[Any, UnitOfWork, handlers.Deps], Awaitable[None]], event: Any
) -> None:
    """One event in one transaction, as the runtime runs a handler (its inbox aside)."""
    async with new_uow() as uow:
        await handler(event, uow, DEPS)
        await uow.commit()


async def feed(new_uow: NewUow) -> None:
    await deliver(new_uow, handlers.record_entities, ENTITIES)
    await deliver(new_uow, handlers.record_customers, CUSTOMERS)
    await deliver(new_uow, handlers.record_items, LEDGER)
    await deliver(new_uow, handlers.record_qualification, DISPUTE)
    await deliver(new_uow, handlers.record_promise_broken, BROKEN)


async def set_limit(new_uow: NewUow, kind: rk.HolderKind.ValueType, holder: str, amount: str) -> rk.CreditLimitSet:
    command = rk.SetCreditLimit(
        holder_kind=kind,
        holder_id=holder,
        amount=money_to_proto(Money(Decimal(amount), "EUR")),
        review_on=date_to_proto(D(2026, 7, 15)),
        user="carla",
    )
    return await queries.set_credit_limit(command, new_uow, DEPS)


async def published(new_uow: NewUow, kind: type[Message]) -> list[Any]:
    async with new_uow() as uow:
        rows = await uow.session.scalars(select(OUTBOX.c.payload).where(OUTBOX.c.subject == subject_for(kind)))
        return [kind.FromString(p) for p in rows]


async def alert_keys(new_uow: NewUow, **filters: Any) -> list[str]:
    async with new_uow() as uow:
        answer = await queries.list_alerts(rk.ListAlerts(page_size=100, **filters), uow)
    return sorted(a.key for a in answer.alerts)


async def test_events_in_give_a_profile_with_its_score_parts_and_alerts_raised_once(new_uow: NewUow) -> None:
    await feed(new_uow)
    # The broken promise is said at once, with the customer's collector.
    assert await alert_keys(new_uow) == ["promise_broken:p-1"]
    own = await set_limit(new_uow, rk.HOLDER_KIND_CUSTOMER, "FR01/C1", "1000")
    # 800 EUR + 500 USD at 0.9.
    assert (own.limit.use.balance.amount, own.limit.use.use, own.replayed) == ("1250.00", "1.2500", False)
    await set_limit(new_uow, rk.HOLDER_KIND_GROUP, "FR01/C1", "1500")

    evaluated, raised = await evaluation.evaluation_pass(new_uow, DEPS)
    assert (evaluated, raised) == (2, 5)
    assert await alert_keys(new_uow, collector="anna") == [
        "dispute_open:FR01/invoice/F-4:2026-05-20",
        "limit_exceeded:customer:FR01/C1:1",
        # The group owes 800 + 400 EUR and 450 converted: 1650 of 1500.
        "limit_exceeded:group:FR01/C1:1",
        "overdue_without_action:FR01/C1:2026-05-20",
        "promise_broken:p-1",
    ]
    assert await alert_keys(new_uow, collector="BOB") == ["overdue_without_action:FR01/C2:2026-05-01"]

    profile = await queries.get_profile(rk.GetRiskProfile(customer_id="FR01/C1"), new_uow, DEPS)
    year = profile.behaviour.windows[2]
    assert (year.months, year.paid_invoices, year.weighted_days_late, year.average_days_to_pay) == (
        12,
        3,
        "19.6",
        "42.7",
    )
    assert (profile.behaviour.open_disputes, profile.behaviour.broken_promises_last_12_months) == (1, 1)
    assert date_from_proto(profile.behaviour.last_action_on) == D(2026, 5, 20)
    parts = {p.name: (p.value, p.weight, p.points, p.rated) for p in profile.score.parts}
    assert parts == {
        "behaviour": ("19.6", "35", "23.57", True),
        # 800 of 800 + 450 (converted) overdue.
        "overdue": ("0.6400", "25", "0.00", True),
        "limit_use": ("1.2500", "10", "0.00", True),
        "disputes": ("1.0", "10", "8.00", True),
        "broken_promises": ("1.0", "10", "6.67", True),
        "external_rating": ("", "10", "0.00", False),
    }
    # 38.24 points of 90 rated.
    assert (profile.score.value, profile.score.grade, profile.score.points) == (42, "D", "38.24")
    assert [(lim.limit_id, lim.use.use) for lim in profile.limits] == [
        ("customer:FR01/C1", "1.2500"),
        ("group:FR01/C1", "1.1000"),
    ]
    assert (profile.group_id, profile.group_size) == ("FR01/C1", 2)
    assert [(m.amount, m.currency) for m in profile.overdue_balance] == [("800.00", "EUR")]

    # Everything delivered again, and evaluated again: nothing new.
    await feed(new_uow)
    async with new_uow() as uow:
        await uow.repo.mark_all_dirty(NOW)
        await uow.commit()
    assert await evaluation.evaluation_pass(new_uow, DEPS) == (2, 0)
    assert len(await published(new_uow, rk.AlertRaised)) == 6


async def test_a_limit_exceeded_again_after_a_payment_is_a_new_occurrence(new_uow: NewUow) -> None:
    await feed(new_uow)
    await set_limit(new_uow, rk.HOLDER_KIND_CUSTOMER, "FR01/C1", "1000")
    await evaluation.evaluation_pass(new_uow, DEPS)
    paid = rv.ItemsChanged(
        meta=new_meta("importer", occurred_at=at(D(2026, 6, 30))),
        changes=[item("C1", "F-4", D(2026, 4, 15), D(2026, 5, 15), "800.00", closed=D(2026, 6, 30))],
    )
    await deliver(new_uow, handlers.record_items, paid)
    await evaluation.evaluation_pass(new_uow, DEPS)
    async with new_uow() as uow:
        (dispute,) = (await uow.repo.disputes_of(["FR01/C1"]))["FR01/C1"]
    # Paying the disputed invoice ended its dispute.
    assert dispute.resolved_on == D(2026, 6, 30)
    more = rv.ItemsChanged(
        meta=new_meta("importer", occurred_at=at(D(2026, 6, 30)) + dt.timedelta(hours=1)),
        changes=[item("C1", "F-7", D(2026, 6, 30), D(2026, 7, 30), "900.00")],
    )
    await deliver(new_uow, handlers.record_items, more)
    await evaluation.evaluation_pass(new_uow, DEPS)
    keys = await alert_keys(new_uow, rule="limit_exceeded")
    assert keys == ["limit_exceeded:customer:FR01/C1:1", "limit_exceeded:customer:FR01/C1:2"]


async def test_a_payment_matched_before_the_ledger_closes_the_invoice_counts_on_its_booking_day(
    new_uow: NewUow,
) -> None:
    await feed(new_uow)
    allocated = mt.PaymentAllocated(
        meta=new_meta("matching", occurred_at=at(D(2026, 6, 10))),
        allocation_id="a-1",
        customer_id="FR01/C2",
        allocations=[mt.Allocation(item_id="FR01/invoice/F-6", amount=money_to_proto(Money(Decimal(400), "EUR")))],
        booking_date=date_to_proto(D(2026, 6, 9)),
    )
    await deliver(new_uow, handlers.record_allocation, allocated)
    await deliver(new_uow, handlers.record_allocation, allocated)
    profile = await queries.get_profile(rk.GetRiskProfile(customer_id="FR01/C2"), new_uow, DEPS)
    year = profile.behaviour.windows[2]
    # Due 1 May, booked 9 June.
    assert (year.paid_invoices, year.weighted_days_late) == (1, "39.0")

    reversed_ = mt.AllocationReversed(meta=new_meta("matching"), allocation_id="a-1", customer_id="FR01/C2")
    await deliver(new_uow, handlers.record_reversal, reversed_)
    profile = await queries.get_profile(rk.GetRiskProfile(customer_id="FR01/C2"), new_uow, DEPS)
    assert profile.behaviour.windows[2].paid_invoices == 0


async def test_a_limit_in_a_currency_without_a_rate_says_so_and_raises_nothing(new_uow: NewUow) -> None:
    await feed(new_uow)
    command = rk.SetCreditLimit(
        holder_kind=rk.HOLDER_KIND_CUSTOMER,
        holder_id="FR01/C1",
        amount=money_to_proto(Money(Decimal(100), "GBP")),
        user="carla",
    )
    answer = await queries.set_credit_limit(command, new_uow, DEPS)
    assert (answer.limit.use.known, answer.limit.use.problem) == (
        False,
        "no EUR->GBP rate on 2026-06-30; no USD->GBP rate on 2026-06-30",
    )
    await evaluation.evaluation_pass(new_uow, DEPS)
    assert await alert_keys(new_uow, rule="limit_exceeded") == []


async def test_predicted_dates_follow_the_customers_habit_or_its_entitys_typical_customer(new_uow: NewUow) -> None:
    await feed(new_uow)
    await evaluation.evaluation_pass(new_uow, DEPS)
    answer = await queries.get_predicted_dates(rk.GetPredictedDates(customer_id="FR01/C1"), new_uow, DEPS)
    # (10 x 100 - 3 x 300 + 31 x 600) / 1000 = 18.7 days after due, over 3 invoices.
    assert (answer.customer_days, answer.customer_invoices, answer.expected_days) == ("18.7", 3, "18.7")
    # The entity's typical customer: C1 (19 days, rounded) is the only one with a paid invoice.
    assert (answer.segment, answer.segment_days, answer.segment_customers) == ("entity FR01", "19.0", 1)
    predicted = {i.number: (date_from_proto(i.predicted_on), i.later_than_usual) for i in answer.items}
    assert predicted == {"F-4": (TODAY, True), "F-5": (D(2026, 8, 19), False)}

    newcomer = await queries.get_predicted_dates(rk.GetPredictedDates(customer_id="FR01/C2"), new_uow, DEPS)
    assert (newcomer.customer_days, newcomer.expected_days) == ("", "19.0")
    assert newcomer.rule == "no invoice paid in 12 months: the entity FR01 typical customer, 19.0 days after due"


async def test_covers_alerts_agenda_and_paging(new_uow: NewUow) -> None:
    await feed(new_uow)
    await set_limit(new_uow, rk.HOLDER_KIND_CUSTOMER, "FR01/C1", "1000")
    cover = rk.InsuranceCover(
        holder_kind=rk.HOLDER_KIND_ENTITY,
        holder_id="FR01",
        insurer="Allianz Trade",
        amount=money_to_proto(Money(Decimal(250000), "EUR")),
        kind=rk.COVER_KIND_TEMPORARY,
        expires_on=date_to_proto(D(2026, 7, 20)),
    )
    async with new_uow() as uow:
        made = await queries.set_insurance_cover(
            rk.SetInsuranceCover(cover=cover, user="carla", idempotency_key="k-1"), uow, DEPS
        )
    async with new_uow() as uow:
        again = await queries.set_insurance_cover(
            rk.SetInsuranceCover(cover=cover, user="carla", idempotency_key="k-1"), uow, DEPS
        )
    assert (made.created, again.replayed, again.cover.cover_id) == (True, True, made.cover.cover_id)
    cover_key = f"insurance_expiring:{made.cover.cover_id}:2026-07-20"
    assert await alert_keys(new_uow, rule="insurance_expiring") == [cover_key]
    # The daily pass finds the same cover: nothing new.
    assert await evaluation.daily_pass(new_uow, DEPS) == 0

    await evaluation.evaluation_pass(new_uow, DEPS)
    async with new_uow() as uow:
        agenda = await queries.get_agenda(rk.GetRiskAgenda(), uow, DEPS)
    assert [(e.reason, e.holder_id) for e in agenda.entries] == [
        ("limit_exceeded", "FR01/C1"),
        ("review_due", "FR01/C1"),
        ("cover_expiring", "FR01"),
    ]

    async with new_uow() as uow:
        first = await queries.list_alerts(rk.ListAlerts(page_size=4), uow)
        second = await queries.list_alerts(rk.ListAlerts(page_size=4, page_token=first.next_page_token), uow)
    assert (first.total, len(first.alerts), len(second.alerts), second.next_page_token) == (6, 4, 2, "")
    seen = [a.alert_id for a in first.alerts] + [a.alert_id for a in second.alerts]
    assert len(set(seen)) == 6

    target = first.alerts[0].alert_id
    async with new_uow() as uow:
        with pytest.raises(NotFound):
            await queries.acknowledge_alert(
                rk.AcknowledgeAlert(alert_id=target, user="bob", collector="nobody"), uow, DEPS
            )
    async with new_uow() as uow:
        done = await queries.acknowledge_alert(
            rk.AcknowledgeAlert(alert_id=target, user="anna", comment="called"), uow, DEPS
        )
    async with new_uow() as uow:
        replay = await queries.acknowledge_alert(rk.AcknowledgeAlert(alert_id=target, user="anna"), uow, DEPS)
    assert (done.alert.status, done.alert.acknowledged_by, replay.replayed) == (
        rk.ALERT_STATUS_ACKNOWLEDGED,
        "anna",
        True,
    )
    assert len(await alert_keys(new_uow, status=rk.ALERT_STATUS_OPEN)) == 5


async def test_the_configuration_is_validated_versioned_and_applied(new_uow: NewUow) -> None:
    await feed(new_uow)
    async with new_uow() as uow:
        with pytest.raises(InvalidRequest, match=r"alerts.dispute_open.days: must be a whole number"):
            await queries.set_config(
                rk.SetRiskConfig(json='{"alerts": {"dispute_open": {"days": -1}}}', user="carla"), uow, DEPS
            )
    async with new_uow() as uow:
        saved = await queries.set_config(
            rk.SetRiskConfig(
                json='{"alerts": {"dispute_open": {"days": 60}, "overdue_without_action": {"enabled": false}}}',
                user="carla",
            ),
            uow,
            DEPS,
        )
    assert (saved.version, saved.updated_by) == (1, "carla")
    async with new_uow() as uow:
        with pytest.raises(QueryError, match="conflict"):
            await queries.set_config(rk.SetRiskConfig(json="{}", user="carla"), uow, DEPS)
    await evaluation.evaluation_pass(new_uow, DEPS)
    # The dispute (41 days) is under the new 60 days; no alert for idle overdue items.
    assert await alert_keys(new_uow) == ["promise_broken:p-1"]
