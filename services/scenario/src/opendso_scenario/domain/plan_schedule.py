"""Payment plans agreed on an explicit schedule: the dates and amounts a collector negotiated.

Pure, like ``payment_plans``: the same inputs give the same plan, with the same id and numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from opendso_money import Money, sum_money

from .model import Item
from .payment_plans import (
    MAX_HORIZON_MONTHS,
    Frequency,
    Instalment,
    PaymentPlan,
    PaymentPlanError,
    PlanProblem,
    _covered_total,
    _has_sub_minor_units,
    add_months,
    plan_id_for,
)


def scheduled_plan(
    customer_id: str,
    covered_items: Sequence[Item],
    schedule: Sequence[tuple[date, Money]],
    *,
    today: date,
    max_horizon_months: int = MAX_HORIZON_MONTHS,
    plan_id: str | None = None,
) -> PaymentPlan:
    """A plan paying off ``covered_items`` on the given (due date, amount) lines, numbered from 1.

    Raises ``PaymentPlanError`` naming every offending line (``schedule[2].amount``...): dates from
    today, strictly increasing, within ``max_horizon_months``; amounts > 0 in the items' currency and
    minor units; and the lines adding up to exactly what the covered items owe.
    """
    problems: list[PlanProblem] = []
    if not customer_id.strip():
        problems.append(PlanProblem("customer_id", "must not be blank"))
    total = _covered_total(covered_items, problems)
    if not schedule:
        problems.append(PlanProblem("schedule", "give at least one instalment"))
    horizon = add_months(today, max_horizon_months)
    previous: date | None = None
    for index, (due, amount) in enumerate(schedule):
        where = f"schedule[{index}]"
        if due < today:
            problems.append(
                PlanProblem(f"{where}.due_date", f"{due.isoformat()} is before today ({today.isoformat()})")
            )
        if due > horizon:
            problems.append(
                PlanProblem(
                    f"{where}.due_date",
                    f"{due.isoformat()} is after {horizon.isoformat()}, {max_horizon_months} months from today",
                )
            )
        if previous is not None and due <= previous:
            # Payments are applied in date order: two lines on one day would make that order a guess.
            problems.append(
                PlanProblem(f"{where}.due_date", f"{due.isoformat()} does not come after {previous.isoformat()}")
            )
        previous = due
        if total is not None and amount.currency != total.currency:
            problems.append(
                PlanProblem(f"{where}.amount", f"is in {amount.currency} but the covered items are in {total.currency}")
            )
        elif amount.amount <= 0:
            problems.append(PlanProblem(f"{where}.amount", f"must be > 0, got {amount}"))
        elif _has_sub_minor_units(amount):
            problems.append(
                PlanProblem(f"{where}.amount", f"{amount.amount} has more decimals than {amount.currency} allows")
            )
    if total is not None and schedule and not problems:
        scheduled = sum_money((amount for _, amount in schedule), total.currency)
        if scheduled != total:
            problems.append(PlanProblem("schedule", f"adds up to {scheduled}, not the covered total {total}"))
    if problems or total is None:
        raise PaymentPlanError(problems)

    first_date = schedule[0][0]
    pid = plan_id if plan_id is not None else plan_id_for(customer_id, [i.item_id for i in covered_items], first_date)
    width = max(2, len(str(len(schedule))))
    return PaymentPlan(
        plan_id=pid,
        customer_id=customer_id,
        created_on=today,
        # A schedule has no frequency; only proposing a plan reads it, so the field just keeps its type.
        frequency=Frequency.MONTHLY,
        first_date=first_date,
        covered_items=tuple(covered_items),
        total=total,
        instalments=tuple(
            Instalment(number=f"{pid}-{seq:0{width}d}", sequence=seq, due_date=due, amount=amount)
            for seq, (due, amount) in enumerate(schedule, start=1)
        ),
    )
