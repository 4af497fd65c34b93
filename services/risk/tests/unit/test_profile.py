"""A customer's evaluation from its facts: balances, overdue share, limits' use and the score they make."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opendso_money import Money
from opendso_risk.domain.behaviour import PaidInvoice
from opendso_risk.domain.config import DEFAULT_CONFIG
from opendso_risk.domain.limits import CreditLimit, HolderKind, RateQuote
from opendso_risk.domain.profile import Customer, CustomerFacts, HeldLimit, OpenItem, evaluate, rates_needed

TODAY = dt.date(2026, 6, 30)
CUSTOMER = Customer("FR01/C1", "FR01", "C1", "Dupont SA", "anna")
USD_EUR = RateQuote("USD", "EUR", Decimal("0.8"), dt.date(2026, 6, 29))


def item(item_id: str, due: dt.date, amount: str, currency: str = "EUR") -> OpenItem:
    return OpenItem(item_id, item_id, "invoice", due, Decimal(amount), currency)


def test_the_overdue_share_of_one_currency_needs_no_rate() -> None:
    facts = CustomerFacts(
        CUSTOMER,
        open_items=(item("I1", dt.date(2026, 6, 1), "300"), item("I2", dt.date(2026, 7, 15), "700")),
    )
    assert rates_needed(facts, TODAY) == {}
    e = evaluate(facts, {}, DEFAULT_CONFIG, TODAY)
    assert e.overdue_share == Decimal("0.3")
    assert e.balances.overdue == {"EUR": Decimal(300)}
    # Only the overdue part (25 x 0.4), disputes and promises (no history of either) are rated: 10 + 10 + 10 of 45.
    overdue = e.score.parts[1]
    assert (overdue.points, overdue.explanation) == (
        Decimal("10.00"),
        "30.0 % of the open balance overdue: all points at 0 %, none from 50 %",
    )
    assert (e.score.rated_weight, e.score.value) == (Decimal(45), 67)


def test_several_currencies_are_put_in_the_entitys_currency() -> None:
    facts = CustomerFacts(
        CUSTOMER,
        open_items=(
            item("I1", dt.date(2026, 6, 1), "100"),
            item("I2", dt.date(2026, 6, 2), "500", "USD"),
            item("I3", dt.date(2026, 8, 1), "500"),
        ),
        entity_currency="EUR",
    )
    needed = rates_needed(facts, TODAY)
    assert set(needed) == {("USD", "EUR")}
    e = evaluate(facts, {("USD", "EUR"): USD_EUR}, DEFAULT_CONFIG, TODAY)
    # overdue 100 + 500 x 0.8 = 500 of 1000
    assert e.overdue_share == Decimal("0.5")
    missing = evaluate(facts, {("USD", "EUR"): "no USD->EUR rate on 2026-06-30"}, DEFAULT_CONFIG, TODAY)
    assert missing.overdue_share is None
    assert missing.score.parts[1].explanation == "no USD->EUR rate on 2026-06-30: left out"
    unknown = evaluate(CustomerFacts(CUSTOMER, open_items=facts.open_items), {}, DEFAULT_CONFIG, TODAY)
    assert unknown.overdue_problem == "invoices open in EUR, USD and the entity's currency unknown"


def test_the_limit_part_takes_the_higher_use_of_the_customers_and_its_groups() -> None:
    own = CreditLimit("customer:FR01/C1", HolderKind.CUSTOMER, "FR01/C1", "FR01", Money(Decimal(1000), "EUR"))
    group = CreditLimit("group:FR01/P1", HolderKind.GROUP, "FR01/P1", "FR01", Money(Decimal(2000), "EUR"))
    facts = CustomerFacts(
        CUSTOMER,
        open_items=(item("I1", dt.date(2026, 7, 1), "600"),),
        limits=(
            HeldLimit(own, {"EUR": Decimal(600)}, 1),
            HeldLimit(group, {"EUR": Decimal(1000), "USD": Decimal(1000)}, 3),
        ),
    )
    assert set(rates_needed(facts, TODAY)) == {("USD", "EUR")}
    e = evaluate(facts, {("USD", "EUR"): USD_EUR}, DEFAULT_CONFIG, TODAY)
    assert [u.use for u in e.limit_uses] == [Decimal("0.6"), Decimal("0.9")]
    limit_part = e.score.parts[2]
    # (1.2 - 0.9) / 0.7 = 0.4286 of 10 points
    assert (limit_part.value, limit_part.points) == (Decimal("0.9"), Decimal("4.29"))
    assert "of its group's limit of 2000.00 EUR used" in limit_part.explanation


def test_behaviour_and_the_trend_come_from_the_paid_invoices() -> None:
    paid = tuple(
        PaidInvoice(
            f"P{n}",
            Decimal(100),
            "EUR",
            dt.date(2026, 1, 1),
            dt.date(2026, 2, 1),
            dt.date(2026, 2, 1) + dt.timedelta(days=12),
        )
        for n in range(4)
    )
    e = evaluate(CustomerFacts(CUSTOMER, paid=paid), {}, DEFAULT_CONFIG, TODAY)
    assert (e.windows[12].paid_invoices, e.windows[12].weighted_days_late, e.windows[3].paid_invoices) == (
        4,
        Decimal(12),
        0,
    )
    assert e.trend.direction == "unknown"
    # Nothing open, but a history: nothing overdue is all the overdue points.
    assert e.overdue_share == Decimal(0)
    assert e.score.parts[0].points == Decimal("28.00")  # 35 x (1 - 12 / 60)
