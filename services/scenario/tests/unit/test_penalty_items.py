"""Late-payment penalties in the scenario service, over fakes: settings set and replayed, the pass issuing penalty
items once, a partial payment seen on the ledger, exemptions in reminders and what a customer owes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import InvalidRequest, NotFound
from opendso_bus.envelope import new_meta
from opendso_contracts.convert import date_to_proto
from opendso_scenario import penalty_items

from .test_handlers import Harness, customer_event, item_event

DUE = dt.date(2026, 1, 31)


def on(h: Harness, day: dt.date) -> None:
    h.deps = dataclasses.replace(h.deps, today=lambda: day)


def invoice(open_amount: str, at: dt.datetime, amount: str = "1000.00") -> rv.ItemChanged:
    meta = new_meta("importer", entity="FR01")
    meta.occurred_at.FromDatetime(at)
    return rv.ItemChanged(
        meta=meta,
        item=rv.OpenItem(
            item_id="FR01/invoice/F-1",
            customer_id="FR01/C1",
            entity="FR01",
            account_number="C1",
            number="F-1",
            kind=rv.ITEM_KIND_INVOICE,
            issue_date=date_to_proto(DUE - dt.timedelta(days=30)),
            due_date=date_to_proto(DUE),
            amount={"amount": amount, "currency": "EUR"},
            open_amount={"amount": open_amount, "currency": "EUR"},
        ),
    )


def settings(account: str = "", user: str = "anna", **fields: object) -> col.SetPenaltySettings:
    return col.SetPenaltySettings(
        entity="FR01",
        account_number=account,
        settings=col.PenaltySettings(**fields),  # type: ignore[arg-type]
        user=user,
    )


def fr_interest(principal: str, days: int) -> str:
    # FR: ECB refinancing rate of 1 Jan 2026 (2.15 %) + 10 points, ACT/365.
    value = Decimal(principal) * Decimal("12.15") * days / Decimal(36500)
    return str(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


async def ledger(h: Harness) -> None:
    h.repo.laws["FR01"] = "FR"
    await h.handle(customer_event())
    await h.handle(invoice("1000.00", dt.datetime(2026, 1, 2, 8, 0, tzinfo=dt.UTC)))


async def test_settings_are_stored_replayed_and_resolved_for_the_customer() -> None:
    h = Harness()
    await ledger(h)
    entity = await penalty_items.set_settings(
        settings(issue_items=True, minimum_interest=Money(amount="5.00", currency="EUR")), h.uow(), h.deps
    )
    assert not entity.replayed
    assert (entity.terms.law, entity.terms.issue_items, entity.terms.minimum_interest.amount) == ("FR", True, "5.00")

    uow = h.uow()
    customer = await penalty_items.set_settings(settings("C1", exempt_interest=True, law="gb"), uow, h.deps)
    assert uow.committed == 1  # type: ignore[attr-defined]
    terms = customer.terms
    assert (terms.law, terms.issue_items, terms.charge_interest, terms.charge_compensation) == ("GB", True, False, True)
    assert customer.settings.HasField("exempt_interest") and not customer.settings.HasField("issue_items")

    uow = h.uow()
    again = await penalty_items.set_settings(settings("C1", user="ben", exempt_interest=True, law="GB"), uow, h.deps)
    assert again.replayed and again.settings.updated_by == "anna"
    assert uow.committed == 0  # type: ignore[attr-defined]


async def test_bad_settings_are_refused_naming_what_is_wrong() -> None:
    h = Harness()
    await ledger(h)
    with pytest.raises(InvalidRequest, match=r"settings\.law: an entity's law comes with its entity record"):
        await penalty_items.set_settings(settings(law="DE"), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match=r"settings\.law: no late-payment law 'XX'"):
        await penalty_items.set_settings(settings("C1", law="XX"), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match=r"settings\.minimum_interest: 'ten' 'EUR' is not an amount"):
        await penalty_items.set_settings(
            settings(minimum_interest=Money(amount="ten", currency="EUR")), h.uow(), h.deps
        )
    with pytest.raises(InvalidRequest, match="user is required"):
        await penalty_items.set_settings(settings(user=" "), h.uow(), h.deps)
    with pytest.raises(NotFound, match="no customer 'C9' in entity 'FR01'"):
        await penalty_items.set_settings(settings("C9", exempt_interest=True), h.uow(), h.deps)
    assert h.repo.penalties.rows == {}


async def test_stored_settings_are_read_back_with_what_applies_and_none_stored_reads_empty() -> None:
    h = Harness()
    await ledger(h)
    nothing = await penalty_items.get_settings(col.GetPenaltySettings(entity="FR01"), h.uow())
    assert not nothing.settings.HasField("issue_items") and nothing.settings.updated_by == ""
    assert (nothing.terms.law, nothing.terms.issue_items, nothing.terms.charge_interest) == ("FR", False, True)

    await penalty_items.set_settings(
        settings(issue_items=True, minimum_interest=Money(amount="5.00", currency="EUR")), h.uow(), h.deps
    )
    read = await penalty_items.get_settings(col.GetPenaltySettings(entity=" FR01 "), h.uow())
    assert (read.entity, read.settings.issue_items, read.settings.updated_by) == ("FR01", True, "anna")
    assert (read.terms.issue_items, read.terms.minimum_interest.amount) == (True, "5.00")
    customer = await penalty_items.get_settings(col.GetPenaltySettings(entity="FR01", account_number="C1"), h.uow())
    assert customer.terms.issue_items and not customer.settings.HasField("issue_items")
    with pytest.raises(NotFound, match="no customer 'C9'"):
        await penalty_items.get_settings(col.GetPenaltySettings(entity="FR01", account_number="C9"), h.uow())
    with pytest.raises(InvalidRequest, match="entity is required"):
        await penalty_items.get_settings(col.GetPenaltySettings(entity=" "), h.uow())


async def test_no_penalty_item_is_issued_while_issuing_is_off() -> None:
    h = Harness()
    await ledger(h)
    on(h, dt.date(2026, 3, 5))
    assert await penalty_items.issue_due(h.uow, h.deps) == 0
    assert h.repo.penalties.issued == {} and h.published(col.PenaltyIssued) == []


async def test_the_pass_issues_compensation_and_interest_once() -> None:
    h = Harness()
    await ledger(h)
    await penalty_items.set_settings(settings(issue_items=True), h.uow(), h.deps)
    on(h, dt.date(2026, 3, 5))

    assert await penalty_items.issue_due(h.uow, h.deps) == 2
    events = {e.penalty.kind: e for e in h.published(col.PenaltyIssued)}
    interest = events[col.PENALTY_KIND_INTEREST]
    assert (interest.customer_id, interest.account_number, interest.meta.entity) == ("FR01/C1", "C1", "FR01")
    assert (interest.penalty.item_id, interest.penalty.number, interest.penalty.law) == (
        "FR01/invoice/F-1",
        "F-1",
        "FR",
    )
    assert (interest.penalty.amount.amount, interest.penalty.amount.currency) == (fr_interest("1000", 28), "EUR")
    assert (interest.penalty.period_from.month, interest.penalty.period_to.day) == (2, 28)
    assert [(r.period, r.rate) for r in interest.penalty.rates] == [("2026-H1", "12.15")]
    assert "L441-10" in interest.basis
    compensation = events[col.PENALTY_KIND_COMPENSATION]
    assert compensation.penalty.amount.amount == "40.00"
    assert {e.penalty.penalty_id for e in events.values()} == set(h.repo.penalties.issued)

    # Again the same day, a replay, the next days of the same month: nothing new.
    assert await penalty_items.issue_due(h.uow, h.deps) == 0
    h.repo.penalties.watched.clear()
    assert await penalty_items.issue_due(h.uow, h.deps) == 0
    on(h, dt.date(2026, 3, 31))
    assert await penalty_items.issue_due(h.uow, h.deps) == 0
    assert len(h.published(col.PenaltyIssued)) == 2


async def test_a_partial_payment_lowers_interest_from_the_next_day_and_keeps_what_was_due() -> None:
    h = Harness()
    await ledger(h)
    await penalty_items.set_settings(settings(issue_items=True, exempt_compensation=False), h.uow(), h.deps)
    on(h, dt.date(2026, 3, 5))
    await penalty_items.issue_due(h.uow, h.deps)
    await h.handle(invoice("400.00", dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)))

    on(h, dt.date(2026, 4, 2))
    assert await penalty_items.issue_due(h.uow, h.deps) == 1
    march = h.published(col.PenaltyIssued)[-1].penalty
    assert march.amount.amount == str(Decimal(fr_interest("1000", 10)) + Decimal(fr_interest("400", 21)))
    assert h.repo.penalties.watched["FR01/invoice/F-1"].payments == ((dt.date(2026, 3, 10), Decimal("600.00")),)

    # Paid in full on 8 April: the last period is issued at once, up to the payment, and the invoice is settled.
    await h.handle(invoice("0.00", dt.datetime(2026, 4, 8, 9, 0, tzinfo=dt.UTC)))
    on(h, dt.date(2026, 4, 9))
    assert await penalty_items.issue_due(h.uow, h.deps) == 1
    last = h.published(col.PenaltyIssued)[-1].penalty
    assert (last.period_from.day, last.period_to.month, last.period_to.day) == (1, 4, 8)
    # Periods are differences of the interest to date, so a period can differ from its own rounding by a cent
    # while the sum of the periods stays exact (checked below).
    assert abs(Decimal(last.amount.amount) - Decimal(fr_interest("400", 8))) <= Decimal("0.01")
    assert h.repo.penalties.watched["FR01/invoice/F-1"].closed
    on(h, dt.date(2026, 5, 4))
    assert await penalty_items.issue_due(h.uow, h.deps) == 0

    answer = await penalty_items.get_penalties(col.GetPenalties(customer_id="FR01/C1"), h.uow(), h.deps)
    assert [(p.kind, p.period_to.month) for p in answer.issued] == [
        (col.PENALTY_KIND_COMPENSATION, 2),
        (col.PENALTY_KIND_INTEREST, 2),
        (col.PENALTY_KIND_INTEREST, 3),
        (col.PENALTY_KIND_INTEREST, 4),
    ]
    [line] = answer.invoices
    assert line.interest_not_issued.amount == "0.00" and line.compensation_issued
    total = sum(Decimal(p.amount.amount) for p in answer.issued if p.kind == col.PENALTY_KIND_INTEREST)
    assert Decimal(line.interest_to_date.amount) == total


async def test_what_a_customer_owes_now_shows_interest_not_yet_issued() -> None:
    h = Harness()
    await ledger(h)
    await penalty_items.set_settings(settings(issue_items=True), h.uow(), h.deps)
    on(h, dt.date(2026, 3, 5))
    await penalty_items.issue_due(h.uow, h.deps)

    answer = await penalty_items.get_penalties(col.GetPenalties(customer_id="FR01/C1"), h.uow(), h.deps)
    assert (answer.terms.law, answer.terms.issue_items, answer.entity_settings.updated_by) == ("FR", True, "anna")
    [line] = answer.invoices
    assert (line.number, line.days_late, line.interest_issued_to.day) == ("F-1", 33, 28)
    assert line.interest_to_date.amount == fr_interest("1000", 33)
    # 1 to 5 March, not issued yet (the month is not over).
    assert line.interest_not_issued.amount == fr_interest("1000", 5)
    assert line.compensation.amount == "40.00" and line.compensation_issued
    with pytest.raises(NotFound, match="no customer 'FR01/C9'"):
        await penalty_items.get_penalties(col.GetPenalties(customer_id="FR01/C9"), h.uow(), h.deps)


async def test_a_customer_exempt_from_interest_gets_none_issued() -> None:
    h = Harness()
    await ledger(h)
    await penalty_items.set_settings(settings(issue_items=True), h.uow(), h.deps)
    await penalty_items.set_settings(settings("C1", exempt_interest=True), h.uow(), h.deps)
    on(h, dt.date(2026, 4, 2))
    assert await penalty_items.issue_due(h.uow, h.deps) == 1
    [event] = h.published(col.PenaltyIssued)
    assert event.penalty.kind == col.PENALTY_KIND_COMPENSATION


async def test_reminders_leave_out_what_the_customer_is_exempt_from_and_follow_its_own_law() -> None:
    h = Harness()
    # No law on record for the entity; the customer's own law (UK) prices its reminders, without compensation.
    await h.handle(customer_event())
    await penalty_items.set_settings(settings("C1", exempt_compensation=True, law="GB"), h.uow(), h.deps)
    event = item_event("F-1", days_overdue=4, amount="2000.00")
    event.item.amount.currency = event.item.open_amount.currency = "GBP"
    await h.handle(event)
    await h.settle()
    [sent] = h.published(msg.SendMessage)
    assert list(sent.recovery_cost) == []
    [interest] = sent.late_penalty
    assert interest.currency == "GBP" and Decimal(interest.amount) > 0


async def test_a_customer_exempt_from_both_gets_reminders_without_penalties() -> None:
    h = Harness()
    h.repo.laws["FR01"] = "GB"
    await h.handle(customer_event())
    await penalty_items.set_settings(settings("C1", exempt_compensation=True, exempt_interest=True), h.uow(), h.deps)
    event = item_event("F-1", days_overdue=4, amount="2000.00")
    event.item.amount.currency = event.item.open_amount.currency = "GBP"
    await h.handle(event)
    await h.settle()
    [sent] = h.published(msg.SendMessage)
    assert (list(sent.late_penalty), list(sent.recovery_cost)) == ([], [])


async def test_the_pass_runs_at_most_once_per_interval() -> None:
    h = Harness()
    await ledger(h)
    await penalty_items.set_settings(settings(issue_items=True), h.uow(), h.deps)
    on(h, dt.date(2026, 3, 5))
    ticks = iter([0.0, 0.0, 30.0, 61.0, 61.0])
    run = penalty_items.PenaltyPass(interval=60.0, clock=lambda: next(ticks))
    assert await run(h.uow, h.deps) == 2
    h.repo.penalties.issued.clear()  # were it to run, it would issue again
    assert await run(h.uow, h.deps) == 0
    assert h.repo.penalties.issued == {}
