"""Payment plans: instalments that replace the items they cover and are chased on their own dates.

Pure and deterministic: ``today`` is passed in, and the plan id, the instalment numbers, dates and
amounts depend only on the inputs, so proposing the same plan twice gives the same plan.

Amounts are split in the currency's minor unit (cents, or whole yen): every instalment but the
last is rounded down, and the last takes the remainder, so the instalments always add up to the
covered total exactly and the last is never smaller than the others.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from enum import StrEnum
from typing import Final

from opendso_money import CurrencyMismatchError, Money, sum_money

from .model import Item, ItemKind

MAX_HORIZON_MONTHS: Final = 36


class Frequency(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    """Same day of the month, clamped to the month's last day (31 Jan, 28/29 Feb, 31 Mar)."""


@dataclass(frozen=True)
class PlanProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class PaymentPlanError(ValueError):
    """A plan that cannot be proposed; ``problems`` names every offending field."""

    def __init__(self, problems: Sequence[PlanProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def fields(self) -> set[str]:
        return {p.field for p in self.problems}


@dataclass(frozen=True)
class Instalment:
    number: str
    """"<plan_id>-01", ...; "<plan_id>-00" is the down payment. Also the instalment item's id."""
    sequence: int
    """0 for the down payment, then 1, 2, ..."""
    due_date: date
    amount: Money

    @property
    def is_down_payment(self) -> bool:
        return self.sequence == 0


@dataclass(frozen=True)
class PaymentPlan:
    plan_id: str
    customer_id: str
    created_on: date
    frequency: Frequency
    first_date: date
    covered_items: tuple[Item, ...]
    total: Money
    instalments: tuple[Instalment, ...]
    """By due date; the down payment, if any, first."""

    def __post_init__(self) -> None:
        # The one promise a plan makes: it replaces the covered items for exactly what they owe.
        paid_in_full = sum_money((i.amount for i in self.instalments), self.total.currency)
        if paid_in_full != self.total:
            raise PaymentPlanError(
                [PlanProblem("instalments", f"add up to {paid_in_full}, not the covered total {self.total}")]
            )

    @property
    def down_payment(self) -> Instalment | None:
        return next((i for i in self.instalments if i.is_down_payment), None)


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole months, keeping its day of month, clamped to the target month's end."""
    years, month_index = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month_index + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def instalment_date(first_date: date, frequency: Frequency, index: int) -> date:
    """The due date of the ``index``-th instalment (0 for the first).

    Always counted from ``first_date``, never from the previous date: chaining would let a 31st
    clamped to 28 February stay on the 28th for the rest of the plan.
    """
    if frequency is Frequency.WEEKLY:
        return first_date + timedelta(weeks=index)
    return add_months(first_date, index)


def plan_id_for(customer_id: str, item_ids: Sequence[str], first_date: date) -> str:
    """The same customer, covered items (in any order) and first date give the same plan id."""
    parts = [customer_id, first_date.isoformat(), *sorted(set(item_ids))]
    return "PP-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12].upper()


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-Money.zero(currency).minor_units)


def _has_sub_minor_units(money: Money) -> bool:
    return money.amount != money.amount.quantize(_quantum(money.currency))


def _check_amount_input(name: str, money: Money | None, currency: str, problems: list[PlanProblem]) -> bool:
    """Appends what is wrong with an optional amount input; True when it is usable."""
    if money is None:
        return True
    if money.currency != currency:
        problems.append(PlanProblem(name, f"is in {money.currency} but the covered items are in {currency}"))
        return False
    if money.amount <= 0:
        problems.append(PlanProblem(name, f"must be > 0, got {money}"))
        return False
    if _has_sub_minor_units(money):
        problems.append(PlanProblem(name, f"{money.amount} has more decimals than {currency} allows"))
        return False
    return True


def _covered_total(covered_items: Sequence[Item], problems: list[PlanProblem]) -> Money | None:
    if not covered_items:
        problems.append(PlanProblem("covered_items", "a plan covers at least one item"))
        return None
    ids = [item.item_id for item in covered_items]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(PlanProblem("covered_items", f"items covered twice: {', '.join(duplicates)}"))
    for item in covered_items:
        if item.kind == ItemKind.INSTALMENT:
            # Re-planning instalments would hide the first plan's failure; cancel that plan instead.
            problems.append(PlanProblem("covered_items", f"{item.item_id} is already an instalment of a plan"))
        elif item.open_amount.is_zero():
            problems.append(PlanProblem("covered_items", f"{item.item_id} has nothing left to pay"))
    currencies = sorted({item.open_amount.currency for item in covered_items})
    if len(currencies) > 1:
        problems.append(PlanProblem("covered_items", f"items are in several currencies: {', '.join(currencies)}"))
        return None
    total = sum_money((item.open_amount for item in covered_items), currencies[0])
    if total.amount <= 0:
        problems.append(PlanProblem("covered_items", f"the covered total {total} leaves nothing to pay"))
        return None
    if _has_sub_minor_units(total):
        problems.append(PlanProblem("covered_items", f"the covered total {total.amount} is not in whole minor units"))
        return None
    return total


def _instalments_needed(remaining: Money, count: int | None, instalment_amount: Money | None) -> int:
    if count is not None:
        return count
    if instalment_amount is None:
        raise ValueError("either count or instalment_amount is needed")
    return int((remaining.amount / instalment_amount.amount).to_integral_value(rounding=ROUND_UP))


def _split(remaining: Money, n: int, instalment_amount: Money | None) -> list[Money] | PlanProblem:
    """``n`` amounts adding up to ``remaining``: all equal but the last, which takes the remainder."""
    currency = remaining.currency
    if instalment_amount is not None:
        base = instalment_amount.amount
    else:
        quantum = _quantum(currency)
        base = (remaining.amount / n).quantize(quantum, rounding=ROUND_DOWN)
        if base <= 0:
            return PlanProblem("count", f"{n} instalments would each be less than {quantum} {currency}")
    last = remaining.amount - base * (n - 1)
    return [Money(base, currency)] * (n - 1) + [Money(last, currency)]


def propose_plan(
    customer_id: str,
    covered_items: Sequence[Item],
    *,
    first_date: date,
    frequency: Frequency,
    today: date,
    count: int | None = None,
    instalment_amount: Money | None = None,
    down_payment: Money | None = None,
    down_payment_on: date | None = None,
    max_horizon_months: int = MAX_HORIZON_MONTHS,
    plan_id: str | None = None,
) -> PaymentPlan:
    """A plan paying off ``covered_items`` in ``count`` instalments, or in instalments of ``instalment_amount``.

    Exactly one of ``count`` and ``instalment_amount`` is given. An optional down payment, due on
    ``down_payment_on`` (default ``today``, at the latest ``first_date``), comes off the total first.
    Raises ``PaymentPlanError`` naming every offending field: no date before ``today``, no
    instalment due after ``max_horizon_months`` from ``today``, every amount > 0.
    """
    problems: list[PlanProblem] = []
    if not customer_id.strip():
        problems.append(PlanProblem("customer_id", "must not be blank"))
    total = _covered_total(covered_items, problems)
    if (count is None) == (instalment_amount is None):
        problems.append(PlanProblem("count", "give either a number of instalments or an instalment amount"))
    if count is not None and count < 1:
        problems.append(PlanProblem("count", f"must be >= 1, got {count}"))
    if max_horizon_months < 1:
        problems.append(PlanProblem("max_horizon_months", f"must be >= 1, got {max_horizon_months}"))
    if first_date < today:
        problems.append(PlanProblem("first_date", f"{first_date.isoformat()} is before today ({today.isoformat()})"))
    if down_payment is None and down_payment_on is not None:
        problems.append(PlanProblem("down_payment_on", "given without a down payment"))
    due_down = down_payment_on if down_payment_on is not None else today
    if down_payment is not None:
        if due_down < today:
            problems.append(PlanProblem("down_payment_on", f"{due_down.isoformat()} is before today ({today})"))
        if due_down > first_date:
            problems.append(
                PlanProblem("down_payment_on", f"{due_down.isoformat()} is after the first instalment ({first_date})")
            )
    if total is None:
        raise PaymentPlanError(problems)

    amount_ok = _check_amount_input("instalment_amount", instalment_amount, total.currency, problems)
    down_ok = _check_amount_input("down_payment", down_payment, total.currency, problems)
    if down_payment is not None and down_ok and down_payment >= total:
        problems.append(PlanProblem("down_payment", f"{down_payment} leaves nothing for instalments of {total}"))
    if problems or not amount_ok or not down_ok:
        raise PaymentPlanError(problems)

    remaining = total - down_payment if down_payment is not None else total
    needed = _instalments_needed(remaining, count, instalment_amount)
    horizon = add_months(today, max_horizon_months)
    dates: list[date] = []
    # Dates first and one by one: an absurd count stops at the horizon before any amount list is built.
    for index in range(needed):
        due = instalment_date(first_date, frequency, index)
        if due > horizon:
            raise PaymentPlanError(
                [
                    PlanProblem(
                        "count" if count is not None else "instalment_amount",
                        f"{needed} {frequency.value} instalments from {first_date.isoformat()} run past "
                        f"{horizon.isoformat()}, {max_horizon_months} months from today",
                    )
                ]
            )
        dates.append(due)
    split = _split(remaining, needed, instalment_amount)
    if isinstance(split, PlanProblem):
        raise PaymentPlanError([split])

    pid = plan_id if plan_id is not None else plan_id_for(customer_id, [i.item_id for i in covered_items], first_date)
    width = max(2, len(str(len(split))))
    instalments = [
        Instalment(number=f"{pid}-{seq:0{width}d}", sequence=seq, due_date=due, amount=amount)
        for seq, (due, amount) in enumerate(zip(dates, split, strict=True), start=1)
    ]
    if down_payment is not None:
        instalments.insert(0, Instalment(f"{pid}-{0:0{width}d}", 0, due_down, down_payment))

    return PaymentPlan(
        plan_id=pid,
        customer_id=customer_id,
        created_on=today,
        frequency=frequency,
        first_date=first_date,
        covered_items=tuple(covered_items),
        total=total,
        instalments=tuple(instalments),
    )


@dataclass(frozen=True)
class PlanItems:
    instalments: tuple[Item, ...]
    """New items of kind "instalment", chased by the engine on their own due dates."""
    covered: tuple[Item, ...]
    """The covered items, marked excluded: still owed in the ledger, no longer chased."""


def plan_items(plan: PaymentPlan) -> PlanItems:
    """The items that replace the covered ones in the scenario, and the covered ones taken out of it."""
    instalments = tuple(
        Item(
            item_id=i.number,
            number=i.number,
            kind=ItemKind.INSTALMENT.value,
            issue_date=plan.created_on,
            due_date=i.due_date,
            open_amount=i.amount,
        )
        for i in plan.instalments
    )
    covered = tuple(replace(item, excluded=True) for item in plan.covered_items)
    return PlanItems(instalments=instalments, covered=covered)


@dataclass(frozen=True)
class MissedInstalment:
    instalment: Instalment
    paid: Money
    missing: Money
    days_late: int
    """Days since the due date (grace included)."""


def missed_instalments(
    plan: PaymentPlan, paid_by_instalment: Mapping[str, Money], today: date, grace_days: int
) -> tuple[MissedInstalment, ...]:
    """Instalments not fully paid more than ``grace_days`` after their due date, by due date.

    ``paid_by_instalment`` maps an instalment number to what was paid on it; a number the plan
    does not have is refused, because a payment booked against the wrong plan would otherwise
    silently leave this one looking missed.
    """
    if grace_days < 0:
        raise ValueError(f"grace_days must be >= 0, got {grace_days}")
    numbers = {i.number for i in plan.instalments}
    unknown = sorted(set(paid_by_instalment) - numbers)
    if unknown:
        raise ValueError(f"paid_by_instalment: {', '.join(unknown)} not in plan {plan.plan_id}")
    currency = plan.total.currency
    missed = []
    for instalment in plan.instalments:
        paid = paid_by_instalment.get(instalment.number, Money.zero(currency))
        if paid.currency != currency:
            raise CurrencyMismatchError(
                f"paid_by_instalment[{instalment.number}]: {paid} is not in the plan's currency {currency}"
            )
        if today <= instalment.due_date + timedelta(days=grace_days):
            continue
        if paid < instalment.amount:
            missed.append(
                MissedInstalment(
                    instalment=instalment,
                    paid=paid,
                    missing=instalment.amount - paid,
                    days_late=(today - instalment.due_date).days,
                )
            )
    return tuple(sorted(missed, key=lambda m: (m.instalment.due_date, m.instalment.sequence)))
