"""The reports' figures, from cells the read models aggregate: pure functions over Decimal amounts and dates.

A *cell* is what the database sums for one node of a level (its ``key``) in one currency and along one
dimension of the report (a bucket, a day, a status). Cells arrive already in the currency the report is asked
in (see ``currency.py``); here they become rows. Every amount is rounded to cents only when shown.
See docs/reports.md for the formulas.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum, StrEnum

from opendso_reporting.domain.aging import Bucket, validate_buckets

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole x 100, two places half up; 0 when whole is 0."""
    if whole == 0:
        return Decimal("0.00")
    return (part * 100 / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# ---- aging ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRange:
    """The due dates a bucket holds on a day: ``earliest`` and ``latest`` both included, None open."""

    earliest: dt.date | None
    latest: dt.date | None


def due_ranges(buckets: Sequence[Bucket], as_of: dt.date) -> list[DueRange]:
    """Days overdue are ``as_of - due_date``, so a bucket of min..max days overdue holds the items due
    between ``as_of - max`` and ``as_of - min``. Raises ValueError for invalid buckets."""
    validate_buckets(buckets)
    return [
        DueRange(
            None if b.max_days is None else as_of - dt.timedelta(days=b.max_days),
            None if b.min_days is None else as_of - dt.timedelta(days=b.min_days),
        )
        for b in buckets
    ]


@dataclass(frozen=True)
class AgingCell:
    key: str
    currency: str
    bucket: int
    # At least one day past due (a custom first bucket may reach into overdue days).
    overdue: bool
    amount: Decimal
    count: int


@dataclass(frozen=True)
class AgingRow:
    key: str
    currency: str
    buckets: tuple[tuple[str, Decimal, int], ...]
    total: Decimal
    overdue: Decimal
    percent_overdue: Decimal
    count: int


def aging_rows(cells: Iterable[AgingCell], buckets: Sequence[Bucket]) -> list[AgingRow]:
    """A row per (key, currency), every bucket in it, sorted by key then currency."""
    amounts: dict[tuple[str, str], list[Decimal]] = {}
    counts: dict[tuple[str, str], list[int]] = {}
    overdue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for cell in cells:
        node = (cell.key, cell.currency)
        amounts.setdefault(node, [Decimal(0)] * len(buckets))[cell.bucket] += cell.amount
        counts.setdefault(node, [0] * len(buckets))[cell.bucket] += cell.count
        if cell.overdue:
            overdue[node] += cell.amount
    rows = []
    for node in sorted(amounts):
        total = sum(amounts[node], Decimal(0))
        rows.append(
            AgingRow(
                key=node[0],
                currency=node[1],
                buckets=tuple(
                    (b.label, cents(a), c) for b, a, c in zip(buckets, amounts[node], counts[node], strict=True)
                ),
                total=cents(total),
                overdue=cents(overdue[node]),
                percent_overdue=percent(overdue[node], total),
                count=sum(counts[node]),
            )
        )
    return rows


# ---- DSO ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountbackPeriod:
    start: dt.date
    end: dt.date
    sales: Decimal
    days: Decimal


@dataclass(frozen=True)
class Dso:
    receivables: Decimal
    period_sales: Decimal
    period_days: int
    simple: Decimal | None
    countback: Decimal | None
    periods: tuple[CountbackPeriod, ...]
    exhausted: bool


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after day's month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def countback_months(as_of: dt.date, max_months: int) -> list[tuple[dt.date, dt.date]]:
    """The countback's months, newest first: as_of's month up to as_of, then whole months."""
    return [
        (add_months(as_of, -back), as_of if back == 0 else add_months(as_of, -back + 1) - dt.timedelta(days=1))
        for back in range(max_months)
    ]


def dso(
    receivables: Decimal,
    sales_by_day: Mapping[dt.date, Decimal],
    as_of: dt.date,
    period_days: int = 90,
    max_months: int = 24,
) -> Dso:
    """DSO by both methods from sales by issue day (see ``dso_from``)."""
    period_from = as_of - dt.timedelta(days=period_days - 1)
    period_sales = sum((a for d, a in sales_by_day.items() if period_from <= d <= as_of), Decimal(0))
    months = [
        sum((a for d, a in sales_by_day.items() if start <= d <= end), Decimal(0))
        for start, end in countback_months(as_of, max_months)
    ]
    return dso_from(receivables, period_sales, months, as_of, period_days)


def dso_from(
    receivables: Decimal, period_sales: Decimal, month_sales: Sequence[Decimal], as_of: dt.date, period_days: int
) -> Dso:
    """DSO by both methods (docs/reports.md).

    Simple: receivables / sales of the ``period_days`` ending on ``as_of`` (included) x period_days.
    Countback: walk back month by month from as_of's month (whose period ends on as_of), using up the
    receivables with each month's sales (``month_sales``, newest first); a fully used month counts all its
    days, the last one the fraction the receivables left cover. ``exhausted`` when the months ran out first.
    """
    simple = (receivables / period_sales * period_days).quantize(TENTH, ROUND_HALF_UP) if period_sales else None
    if receivables <= 0:
        return Dso(receivables, period_sales, period_days, simple, Decimal("0.0"), (), False)
    periods: list[CountbackPeriod] = []
    remaining = receivables
    days = Decimal(0)
    any_sales = False
    for (start, end), sales in zip(countback_months(as_of, len(month_sales)), month_sales, strict=True):
        length = Decimal((end - start).days + 1)
        if sales > 0:
            any_sales = True
        # A month without (net) sales uses none of the receivables but its days still pass.
        if sales > 0 and remaining < sales:
            used = length * remaining / sales
            remaining = Decimal(0)
        else:
            used = length
            remaining -= max(sales, Decimal(0))
        days += used
        periods.append(CountbackPeriod(start, end, sales, used.quantize(CENT, ROUND_HALF_UP)))
        if remaining <= 0:
            break
    countback = days.quantize(TENTH, ROUND_HALF_UP) if any_sales else None
    return Dso(receivables, period_sales, period_days, simple, countback, tuple(periods), remaining > 0 and any_sales)


# ---- periods: receipts and forecast -----------------------------------------------------------------------


class Unit(Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str


def period_of(day: dt.date, unit: Unit) -> Period:
    if unit is Unit.DAY:
        return Period(day, day, day.isoformat())
    if unit is Unit.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        year, week, _ = day.isocalendar()
        return Period(start, start + dt.timedelta(days=6), f"{year}-W{week:02d}")
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(day.replace(day=1), day.replace(day=last), f"{day.year}-{day.month:02d}")


def periods_between(start: dt.date, end: dt.date, unit: Unit) -> list[Period]:
    """Every period from start's to end's, both included."""
    found: list[Period] = []
    day = start
    while day <= end:
        p = period_of(day, unit)
        found.append(p)
        day = p.end + dt.timedelta(days=1)
    return found


def periods_back(to: dt.date, unit: Unit, count: int) -> dt.date:
    """The first day of the period ``count - 1`` periods before to's."""
    start = period_of(to, unit).start
    if unit is Unit.DAY:
        return start - dt.timedelta(days=count - 1)
    if unit is Unit.WEEK:
        return start - dt.timedelta(weeks=count - 1)
    return add_months(start, -(count - 1))


@dataclass(frozen=True)
class DayCell:
    """Money on a day for a node in a currency."""

    key: str
    currency: str
    day: dt.date
    amount: Decimal
    count: int


@dataclass(frozen=True)
class PeriodRow:
    key: str
    currency: str
    periods: tuple[tuple[Period, Decimal, int], ...]
    total: Decimal
    count: int


def receipts_rows(cells: Iterable[DayCell], start: dt.date, end: dt.date, unit: Unit) -> list[PeriodRow]:
    """Receipts between start and end (both included) by period; a row per (key, currency)."""
    periods = periods_between(start, end, unit)
    index = {p.start: i for i, p in enumerate(periods)}
    amounts: dict[tuple[str, str], list[Decimal]] = {}
    counts: dict[tuple[str, str], list[int]] = {}
    for cell in cells:
        if not start <= cell.day <= end:
            continue
        node = (cell.key, cell.currency)
        i = index[period_of(cell.day, unit).start]
        amounts.setdefault(node, [Decimal(0)] * len(periods))[i] += cell.amount
        counts.setdefault(node, [0] * len(periods))[i] += cell.count
    return [
        PeriodRow(
            key=node[0],
            currency=node[1],
            periods=tuple((p, cents(a), c) for p, a, c in zip(periods, amounts[node], counts[node], strict=True)),
            total=cents(sum(amounts[node], Decimal(0))),
            count=sum(counts[node]),
        )
        for node in sorted(amounts)
    ]


# ---- cash forecast ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastCell:
    """Open money of a node expected on a day. ``expected_on`` None: in dispute, not forecast."""

    key: str
    currency: str
    expected_on: dt.date | None
    amount: Decimal


@dataclass(frozen=True)
class Promise:
    """A promise to pay: the items it covers are expected on its day, for the amount promised."""

    promise_id: str
    item_ids: tuple[str, ...]
    promised_on: dt.date
    amount: Decimal


@dataclass(frozen=True)
class OpenAmount:
    item_id: str
    key: str
    currency: str
    due_date: dt.date
    amount: Decimal
    disputed: bool = False
    # The customer's usual days after the due date (amount-weighted over its paid invoices); 0 when unknown.
    delay_days: int = 0


def expected_cells(items: Iterable[OpenAmount], promises: Iterable[Promise]) -> list[ForecastCell]:
    """When each open amount is expected. Promises (a promise to pay, a payment plan's instalments), soonest
    first, each take what they promise from their items' open amounts, oldest due first, and expect it on
    their day; a disputed item is never expected; what is left is expected on the due day plus the
    customer's usual delay."""
    items = sorted(items, key=lambda i: (i.due_date, i.item_id))
    left = {i.item_id: i.amount for i in items}
    by_id = {i.item_id: i for i in items}
    cells: list[ForecastCell] = []
    for promise in sorted(promises, key=lambda p: (p.promised_on, p.promise_id)):
        wanted = promise.amount
        covered = sorted(
            (by_id[i] for i in set(promise.item_ids) if i in by_id and not by_id[i].disputed),
            key=lambda i: (i.due_date, i.item_id),
        )
        for item in covered:
            if wanted <= 0:
                break
            taken = min(wanted, left[item.item_id])
            if taken <= 0:
                continue
            left[item.item_id] -= taken
            wanted -= taken
            cells.append(ForecastCell(item.key, item.currency, promise.promised_on, taken))
    for item in items:
        if item.disputed:
            cells.append(ForecastCell(item.key, item.currency, None, item.amount))
        elif left[item.item_id] != 0:
            usual = item.due_date + dt.timedelta(days=item.delay_days)
            cells.append(ForecastCell(item.key, item.currency, usual, left[item.item_id]))
    return cells


@dataclass(frozen=True)
class ForecastRow:
    key: str
    currency: str
    overdue: Decimal
    disputed: Decimal
    periods: tuple[tuple[Period, Decimal, int], ...]
    later: Decimal
    total: Decimal


def forecast_periods(as_of: dt.date, unit: Unit, count: int) -> list[Period]:
    """``count`` periods from as_of's."""
    periods = [period_of(as_of, unit)]
    while len(periods) < count:
        periods.append(period_of(periods[-1].end + dt.timedelta(days=1), unit))
    return periods


def forecast_rows(cells: Iterable[ForecastCell], as_of: dt.date, unit: Unit, count: int) -> list[ForecastRow]:
    """By period from as_of's period: expected before as_of is overdue, after the last period later."""
    periods = forecast_periods(as_of, unit, count)
    index = {p.start: i for i, p in enumerate(periods)}
    end = periods[-1].end

    @dataclass
    class Acc:
        overdue: Decimal = Decimal(0)
        disputed: Decimal = Decimal(0)
        later: Decimal = Decimal(0)
        amounts: list[Decimal] = field(default_factory=lambda: [Decimal(0)] * len(periods))
        counts: list[int] = field(default_factory=lambda: [0] * len(periods))

    acc: dict[tuple[str, str], Acc] = defaultdict(Acc)
    for cell in cells:
        a = acc[(cell.key, cell.currency)]
        if cell.expected_on is None:
            a.disputed += cell.amount
        elif cell.expected_on < as_of:
            a.overdue += cell.amount
        elif cell.expected_on > end:
            a.later += cell.amount
        else:
            i = index[period_of(cell.expected_on, unit).start]
            a.amounts[i] += cell.amount
            a.counts[i] += 1
    return [
        ForecastRow(
            key=node[0],
            currency=node[1],
            overdue=cents(a.overdue),
            disputed=cents(a.disputed),
            periods=tuple((p, cents(x), c) for p, x, c in zip(periods, a.amounts, a.counts, strict=True)),
            later=cents(a.later),
            total=cents(a.overdue + a.disputed + a.later + sum(a.amounts, Decimal(0))),
        )
        for node, a in sorted(acc.items())
    ]


# ---- disputes and item statuses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeCell:
    key: str
    currency: str
    since: dt.date
    amount: Decimal
    count: int


@dataclass(frozen=True)
class DisputeRow:
    key: str
    currency: str
    count: int
    amount: Decimal
    average_age_days: Decimal
    oldest_age_days: int


def dispute_rows(cells: Iterable[DisputeCell], as_of: dt.date) -> list[DisputeRow]:
    """Age is as_of - the day the dispute was raised; the average is over items, not amounts."""
    count: dict[tuple[str, str], int] = defaultdict(int)
    amount: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    ages: dict[tuple[str, str], int] = defaultdict(int)
    oldest: dict[tuple[str, str], int] = defaultdict(int)
    for cell in cells:
        node = (cell.key, cell.currency)
        age = max((as_of - cell.since).days, 0)
        count[node] += cell.count
        amount[node] += cell.amount
        ages[node] += age * cell.count
        oldest[node] = max(oldest[node], age)
    return [
        DisputeRow(
            key=node[0],
            currency=node[1],
            count=count[node],
            amount=cents(amount[node]),
            average_age_days=(Decimal(ages[node]) / count[node]).quantize(TENTH, ROUND_HALF_UP)
            if count[node]
            else Decimal("0.0"),
            oldest_age_days=oldest[node],
        )
        for node in sorted(count)
    ]


@dataclass(frozen=True)
class StatusCell:
    """Overdue open money of a node in a status ("" for none)."""

    key: str
    currency: str
    status: str
    amount: Decimal
    count: int


@dataclass(frozen=True)
class StatusRow:
    key: str
    currency: str
    overdue: Decimal
    overdue_count: int
    qualified: Decimal
    qualified_count: int
    percent_qualified: Decimal
    percent_qualified_count: Decimal
    statuses: tuple[tuple[str, Decimal, int], ...]


def status_rows(cells: Iterable[StatusCell]) -> list[StatusRow]:
    """Qualified is overdue and in any status; percentages of the overdue amount and of the overdue count."""
    by_node: dict[tuple[str, str], dict[str, tuple[Decimal, int]]] = defaultdict(dict)
    for cell in cells:
        statuses = by_node[(cell.key, cell.currency)]
        amount, count = statuses.get(cell.status, (Decimal(0), 0))
        statuses[cell.status] = (amount + cell.amount, count + cell.count)
    rows = []
    for node in sorted(by_node):
        statuses = by_node[node]
        overdue = sum((a for a, _ in statuses.values()), Decimal(0))
        overdue_count = sum(c for _, c in statuses.values())
        qualified = sum((a for s, (a, _) in statuses.items() if s), Decimal(0))
        qualified_count = sum(c for s, (_, c) in statuses.items() if s)
        rows.append(
            StatusRow(
                key=node[0],
                currency=node[1],
                overdue=cents(overdue),
                overdue_count=overdue_count,
                qualified=cents(qualified),
                qualified_count=qualified_count,
                percent_qualified=percent(qualified, overdue),
                percent_qualified_count=percent(Decimal(qualified_count), Decimal(overdue_count)),
                statuses=tuple((s, cents(a), c) for s, (a, c) in sorted(statuses.items())),
            )
        )
    return rows


# ---- collector activity -----------------------------------------------------------------------------------


class ActivityKind(StrEnum):
    ACTION = "action"
    MESSAGE = "message"
    PROMISE = "promise"
    DISPUTE = "dispute"


@dataclass(frozen=True)
class ActivityCell:
    key: str
    kind: ActivityKind
    count: int


@dataclass(frozen=True)
class ActivityRow:
    key: str
    actions_done: int
    messages_sent: int
    promises_obtained: int
    disputes_recorded: int
    collected: tuple[tuple[str, Decimal], ...]
    payments: int


def activity_rows(activities: Iterable[ActivityCell], collected: Iterable[DayCell]) -> list[ActivityRow]:
    counts: dict[str, dict[ActivityKind, int]] = defaultdict(lambda: defaultdict(int))
    money: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    payments: dict[str, int] = defaultdict(int)
    for a in activities:
        counts[a.key][a.kind] += a.count
    for c in collected:
        money[c.key][c.currency] += c.amount
        payments[c.key] += c.count
    return [
        ActivityRow(
            key=key,
            actions_done=counts[key][ActivityKind.ACTION],
            messages_sent=counts[key][ActivityKind.MESSAGE],
            promises_obtained=counts[key][ActivityKind.PROMISE],
            disputes_recorded=counts[key][ActivityKind.DISPUTE],
            collected=tuple((cur, cents(a)) for cur, a in sorted(money[key].items())),
            payments=payments[key],
        )
        for key in sorted(set(counts) | set(money))
    ]


def month_end_days(as_of: dt.date, points: int) -> list[dt.date]:
    """The days a trend is read on: the last day of each of the ``points - 1`` months before as_of's month,
    oldest first, then as_of itself. Month-ends keep each point comparable with the countback's whole months."""
    return [add_months(as_of, -back + 1) - dt.timedelta(days=1) for back in range(points - 1, 0, -1)] + [as_of]
