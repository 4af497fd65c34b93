from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from opendso_money import CurrencyMismatchError, Money
from opendso_scenario.domain.engine import plan_actions
from opendso_scenario.domain.model import Channel, Customer, Item, Scenario, Step
from opendso_scenario.domain.payment_plans import (
    Frequency,
    Instalment,
    PaymentPlan,
    PaymentPlanError,
    add_months,
    missed_instalments,
    plan_id_for,
    plan_items,
    propose_plan,
)

TODAY = date(2025, 1, 15)


def item(item_id: str, amount: str, currency: str = "EUR", kind: str = "invoice") -> Item:
    return Item(
        item_id=item_id,
        number=f"INV-{item_id}",
        kind=kind,
        issue_date=date(2024, 11, 1),
        due_date=date(2024, 12, 1),
        open_amount=Money(Decimal(amount), currency),
    )


def money(amount: str, currency: str = "EUR") -> Money:
    return Money(Decimal(amount), currency)


def amounts(plan: PaymentPlan) -> list[str]:
    return [str(i.amount.amount) for i in plan.instalments]


def dates(plan: PaymentPlan) -> list[date]:
    return [i.due_date for i in plan.instalments]


def propose(items: list[Item], **kw: object) -> PaymentPlan:
    args: dict[str, object] = {"first_date": date(2025, 2, 1), "frequency": Frequency.MONTHLY, "today": TODAY}
    args.update(kw)
    return propose_plan("C1", items, **args)  # type: ignore[arg-type]


def problems(items: list[Item], **kw: object) -> list[tuple[str, str]]:
    with pytest.raises(PaymentPlanError) as exc:
        propose(items, **kw)
    return [(p.field, p.message) for p in exc.value.problems]


# Rounding ------------------------------------------------------------------------------------------


def test_100_in_3_puts_the_remainder_on_the_last_instalment() -> None:
    plan = propose([item("a", "100.00")], count=3)
    assert amounts(plan) == ["33.33", "33.33", "33.34"]
    assert plan.total == money("100.00")


def test_remainder_is_always_on_the_last_and_the_sum_is_exact() -> None:
    plan = propose([item("a", "200.00")], count=3)
    assert amounts(plan) == ["66.66", "66.66", "66.68"]
    plan = propose([item("a", "1000.01"), item("b", "0.06")], count=7)
    assert sum(i.amount.amount for i in plan.instalments) == Decimal("1000.07")
    assert len({i.amount for i in plan.instalments[:-1]}) == 1


def test_jpy_instalments_have_no_decimals() -> None:
    plan = propose([item("a", "10000", "JPY")], count=3)
    assert amounts(plan) == ["3333", "3333", "3334"]
    assert all(i.amount.currency == "JPY" for i in plan.instalments)


def test_three_decimal_currency() -> None:
    plan = propose([item("a", "10.000", "KWD")], count=3)
    assert amounts(plan) == ["3.333", "3.333", "3.334"]


def test_credit_notes_in_the_covered_items_reduce_the_total() -> None:
    plan = propose([item("a", "150.00"), item("cn", "-50.00", kind="credit_note")], count=2)
    assert plan.total == money("100.00")
    assert amounts(plan) == ["50.00", "50.00"]


def test_instalment_amount_mode_last_one_takes_the_rest() -> None:
    plan = propose([item("a", "1000.00")], instalment_amount=money("300.00"))
    assert amounts(plan) == ["300.00", "300.00", "300.00", "100.00"]
    exact = propose([item("a", "900.00")], instalment_amount=money("300.00"))
    assert amounts(exact) == ["300.00", "300.00", "300.00"]


def test_down_payment_comes_first_and_off_the_total() -> None:
    plan = propose([item("a", "1000.00")], count=3, down_payment=money("100.00"))
    assert amounts(plan) == ["100.00", "300.00", "300.00", "300.00"]
    assert plan.down_payment is not None
    assert plan.down_payment.due_date == TODAY
    assert plan.down_payment.number == f"{plan.plan_id}-00"
    assert [i.sequence for i in plan.instalments] == [0, 1, 2, 3]


def test_down_payment_on_a_given_date() -> None:
    plan = propose([item("a", "1000.00")], count=2, down_payment=money("1.00"), down_payment_on=date(2025, 1, 20))
    assert dates(plan)[0] == date(2025, 1, 20)
    assert amounts(plan) == ["1.00", "499.50", "499.50"]


def test_single_instalment() -> None:
    plan = propose([item("a", "99.99")], count=1)
    assert amounts(plan) == ["99.99"]
    assert plan.down_payment is None


# Dates ---------------------------------------------------------------------------------------------


def test_monthly_keeps_the_day_and_clamps_to_month_end() -> None:
    plan = propose([item("a", "400.00")], count=4, first_date=date(2025, 1, 31))
    assert dates(plan) == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]


def test_monthly_clamps_to_29_february_in_a_leap_year() -> None:
    plan = propose([item("a", "300.00")], count=3, first_date=date(2024, 1, 31), today=date(2024, 1, 2))
    assert dates(plan) == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


def test_monthly_across_the_year_end() -> None:
    plan = propose([item("a", "300.00")], count=3, first_date=date(2025, 11, 30))
    assert dates(plan) == [date(2025, 11, 30), date(2025, 12, 30), date(2026, 1, 30)]


def test_weekly_every_seven_days() -> None:
    plan = propose([item("a", "300.00")], count=3, frequency=Frequency.WEEKLY, first_date=date(2025, 2, 26))
    assert dates(plan) == [date(2025, 2, 26), date(2025, 3, 5), date(2025, 3, 12)]


def test_add_months() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 48) == date(2028, 2, 29)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


# Identity ------------------------------------------------------------------------------------------


def test_plan_id_and_instalment_numbers_are_deterministic() -> None:
    a = propose([item("a", "100.00"), item("b", "50.00")], count=3)
    b = propose([item("b", "50.00"), item("a", "100.00")], count=3)
    assert a.plan_id == b.plan_id == plan_id_for("C1", ["a", "b"], date(2025, 2, 1))
    assert a.plan_id.startswith("PP-")
    assert [i.number for i in a.instalments] == [f"{a.plan_id}-01", f"{a.plan_id}-02", f"{a.plan_id}-03"]
    assert propose([item("a", "100.00")], count=3).plan_id != a.plan_id
    assert propose([item("a", "100.00"), item("b", "50.00")], count=3, first_date=date(2025, 2, 2)).plan_id != a.plan_id


def test_a_given_plan_id_is_used() -> None:
    plan = propose([item("a", "100.00")], count=2, plan_id="PLAN-7")
    assert [i.number for i in plan.instalments] == ["PLAN-7-01", "PLAN-7-02"]


def test_numbers_widen_past_99_instalments() -> None:
    plan = propose(
        [item("a", "1000.00")], count=100, frequency=Frequency.WEEKLY, first_date=TODAY, plan_id="P", today=TODAY
    )
    assert plan.instalments[0].number == "P-001"
    assert plan.instalments[-1].number == "P-100"


def test_plan_refuses_instalments_that_do_not_add_up() -> None:
    with pytest.raises(PaymentPlanError, match=r"add up to 50\.00 EUR, not the covered total 100\.00 EUR"):
        PaymentPlan(
            plan_id="P",
            customer_id="C1",
            created_on=TODAY,
            frequency=Frequency.MONTHLY,
            first_date=TODAY,
            covered_items=(item("a", "100.00"),),
            total=money("100.00"),
            instalments=(Instalment("P-01", 1, TODAY, money("50.00")),),
        )


# Validation ----------------------------------------------------------------------------------------


def test_several_currencies_are_refused() -> None:
    assert problems([item("a", "100"), item("b", "100", "USD")], count=2) == [
        ("covered_items", "items are in several currencies: EUR, USD")
    ]


@pytest.mark.parametrize(
    ("items", "kw", "field"),
    [
        ([], {"count": 2}, "covered_items"),
        ([item("a", "10"), item("a", "10")], {"count": 2}, "covered_items"),
        ([item("a", "0"), item("b", "10")], {"count": 2}, "covered_items"),
        ([item("a", "10"), item("cn", "-20", kind="credit_note")], {"count": 2}, "covered_items"),
        ([item("a", "10", kind="instalment")], {"count": 2}, "covered_items"),
        ([item("a", "10.005")], {"count": 2}, "covered_items"),
        ([item("a", "100")], {}, "count"),
        ([item("a", "100")], {"count": 2, "instalment_amount": money("10")}, "count"),
        ([item("a", "100")], {"count": 0}, "count"),
        ([item("a", "0.02")], {"count": 3}, "count"),
        ([item("a", "100")], {"instalment_amount": money("0")}, "instalment_amount"),
        ([item("a", "100")], {"instalment_amount": money("10", "USD")}, "instalment_amount"),
        ([item("a", "100")], {"instalment_amount": money("10.001")}, "instalment_amount"),
        ([item("a", "100")], {"count": 2, "down_payment": money("-1")}, "down_payment"),
        ([item("a", "100")], {"count": 2, "down_payment": money("100")}, "down_payment"),
        ([item("a", "100")], {"count": 2, "first_date": date(2025, 1, 14)}, "first_date"),
        ([item("a", "100")], {"count": 2, "down_payment_on": date(2025, 1, 20)}, "down_payment_on"),
        (
            [item("a", "100")],
            {"count": 2, "down_payment": money("1"), "down_payment_on": date(2025, 1, 14)},
            "down_payment_on",
        ),
        (
            [item("a", "100")],
            {"count": 2, "down_payment": money("1"), "down_payment_on": date(2025, 2, 2)},
            "down_payment_on",
        ),
        ([item("a", "100")], {"count": 2, "max_horizon_months": 0}, "max_horizon_months"),
    ],
)
def test_validation_names_the_offending_field(items: list[Item], kw: dict[str, object], field: str) -> None:
    assert [f for f, _ in problems(items, **kw)] == [field]


def test_all_input_problems_are_reported_together() -> None:
    found = problems([item("a", "100")], count=0, first_date=date(2025, 1, 1), instalment_amount=money("10"))
    assert [f for f, _ in found] == ["count", "count", "first_date"]


def test_first_date_today_is_allowed() -> None:
    assert propose([item("a", "100.00")], count=2, first_date=TODAY).first_date == TODAY


def test_horizon_36_months_by_default() -> None:
    # From 15 Jan 2025 the horizon is 15 Jan 2028: 36 monthly instalments from 1 Feb 2025 end 1 Jan 2028.
    assert len(propose([item("a", "3600.00")], count=36).instalments) == 36
    found = problems([item("a", "3700.00")], count=37, first_date=date(2025, 1, 16))
    assert found == [
        ("count", "37 monthly instalments from 2025-01-16 run past 2028-01-15, 36 months from today"),
    ]


def test_horizon_is_reported_on_instalment_amount_when_that_drives_the_count() -> None:
    found = problems([item("a", "1000.00")], instalment_amount=money("10.00"))
    assert [f for f, _ in found] == ["instalment_amount"]
    assert "100 monthly instalments" in found[0][1]


def test_an_absurd_count_fails_fast_on_the_horizon() -> None:
    found = problems([item("a", "1000000000.00")], count=10**9, frequency=Frequency.WEEKLY)
    assert [f for f, _ in found] == ["count"]


def test_custom_horizon() -> None:
    assert len(propose([item("a", "100")], count=6, max_horizon_months=6).instalments) == 6
    assert [f for f, _ in problems([item("a", "100")], count=7, max_horizon_months=6)] == ["count"]


# Plan items ----------------------------------------------------------------------------------------


def test_plan_items_replace_the_covered_items() -> None:
    covered = [item("a", "100.00"), item("b", "50.00")]
    plan = propose(covered, count=3, down_payment=money("30.00"))
    result = plan_items(plan)
    assert [i.item_id for i in result.instalments] == [i.number for i in plan.instalments]
    assert all(i.kind == "instalment" and not i.excluded for i in result.instalments)
    assert [i.due_date for i in result.instalments] == dates(plan)
    assert [i.open_amount for i in result.instalments] == [i.amount for i in plan.instalments]
    assert all(i.issue_date == TODAY for i in result.instalments)
    assert [(i.item_id, i.excluded) for i in result.covered] == [("a", True), ("b", True)]
    assert [i.open_amount for i in result.covered] == [money("100.00"), money("50.00")]


def test_the_engine_chases_instalments_not_covered_items() -> None:
    plan = propose([item("a", "100.00")], count=2)
    result = plan_items(plan)
    scenario = Scenario("s", "S", (Step("reminder", 1, Channel.EMAIL, "t", True),))
    customer = Customer("C1", "FR01", "411", "Dupont", "fr", (*result.covered, *result.instalments))
    actions = plan_actions(customer, scenario, date(2025, 2, 5), [])
    assert [a.leader_item_id for a in actions] == [f"{plan.plan_id}-01"]
    assert [i.item_id for i in actions[0].covered_items] == [f"{plan.plan_id}-01"]


# Missed instalments --------------------------------------------------------------------------------


def test_missed_instalments_with_grace() -> None:
    plan = propose([item("a", "300.00")], count=3)  # 1 Feb, 1 Mar, 1 Apr
    first, second, _third = plan.instalments
    assert missed_instalments(plan, {}, date(2025, 2, 4), grace_days=3) == ()
    missed = missed_instalments(plan, {}, date(2025, 2, 5), grace_days=3)
    assert [(m.instalment.number, m.missing, m.days_late) for m in missed] == [(first.number, money("100.00"), 4)]

    paid = {first.number: money("100.00"), second.number: money("40.00")}
    missed = missed_instalments(plan, paid, date(2025, 3, 2), grace_days=0)
    assert [(m.instalment.number, m.paid, m.missing) for m in missed] == [
        (second.number, money("40.00"), money("60.00"))
    ]


def test_overpaid_instalment_is_not_missed() -> None:
    plan = propose([item("a", "300.00")], count=3)
    first = plan.instalments[0]
    assert missed_instalments(plan, {first.number: money("150.00")}, date(2025, 2, 20), 0) == ()


def test_several_missed_instalments_by_due_date() -> None:
    plan = propose([item("a", "300.00")], count=3, down_payment=money("30.00"))
    missed = missed_instalments(plan, {}, date(2025, 12, 31), grace_days=5)
    assert [m.instalment.sequence for m in missed] == [0, 1, 2, 3]


def test_unknown_instalment_numbers_and_other_currencies_are_refused() -> None:
    plan = propose([item("a", "300.00")], count=3)
    with pytest.raises(ValueError, match="PP-X-01 not in plan"):
        missed_instalments(plan, {"PP-X-01": money("1")}, date(2025, 3, 1), 0)
    with pytest.raises(CurrencyMismatchError, match="not in the plan's currency EUR"):
        missed_instalments(plan, {plan.instalments[0].number: money("1", "USD")}, date(2025, 3, 1), 0)
    with pytest.raises(ValueError, match="grace_days"):
        missed_instalments(plan, {}, date(2025, 3, 1), -1)


def test_weekly_plan_over_a_leap_day() -> None:
    plan = propose(
        [item("a", "200.00")],
        count=2,
        frequency=Frequency.WEEKLY,
        first_date=date(2024, 2, 26),
        today=date(2024, 2, 1),
    )
    assert dates(plan) == [date(2024, 2, 26), date(2024, 3, 4)]
    assert dates(plan)[1] - dates(plan)[0] == timedelta(days=7)
