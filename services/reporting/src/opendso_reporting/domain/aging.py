"""The aging balance: open amounts by how many days they are overdue.

Days overdue are ``as_of - due_date``: an item due today (0 days) is not due
yet, one due yesterday is 1 day overdue. Amounts are never converted here:
there is one report per currency, and converting to an entity or group
currency is the caller's business, at a rate of its choosing.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from opendso_money import Money, sum_money


@dataclass(frozen=True)
class Bucket:
    """A range of days overdue, both ends inclusive.

    ``min_days`` None is open below (everything not yet due falls there);
    ``max_days`` None is open above.
    """

    label: str
    min_days: int | None
    max_days: int | None

    def holds(self, days_overdue: int) -> bool:
        return (self.min_days is None or days_overdue >= self.min_days) and (
            self.max_days is None or days_overdue <= self.max_days
        )


DEFAULT_BUCKETS: tuple[Bucket, ...] = (
    Bucket("not due", None, 0),
    Bucket("1-30", 1, 30),
    Bucket("31-60", 31, 60),
    Bucket("61-90", 61, 90),
    Bucket("91-180", 91, 180),
    Bucket(">180", 181, None),
)


@dataclass(frozen=True)
class AgingItem:
    item_id: str
    customer_id: str
    entity: str
    due_date: date
    open_amount: Money


@dataclass(frozen=True)
class BucketAmount:
    bucket: Bucket
    amount: Money
    count: int


@dataclass(frozen=True)
class AgingReport:
    """One currency's aging.

    ``overdue`` is everything at least one day past due, whatever the bucket
    labels say (a custom first bucket may reach into overdue days).
    ``percent_overdue`` is overdue / total x 100, two decimals, half up; 0
    when the total is 0. Credit notes count negative, so it can leave 0-100.
    """

    as_of: date
    currency: str
    buckets: tuple[BucketAmount, ...]
    total: Money
    overdue: Money
    percent_overdue: Decimal


def validate_buckets(buckets: Sequence[Bucket]) -> None:
    """Raise ValueError unless the buckets, in order, cover every integer day exactly once.

    That means: the first open below, the last open above, each one starting
    the day after the previous ends, and distinct labels.
    """
    if not buckets:
        raise ValueError("no buckets")
    labels = [b.label for b in buckets]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ValueError(f"duplicate bucket label {', '.join(repr(d) for d in duplicates)}")
    for bucket in buckets:
        if bucket.min_days is not None and bucket.max_days is not None and bucket.min_days > bucket.max_days:
            raise ValueError(
                f"bucket {bucket.label!r} is empty: min_days {bucket.min_days} > max_days {bucket.max_days}"
            )
    first, last = buckets[0], buckets[-1]
    if first.min_days is not None:
        raise ValueError(
            f"first bucket {first.label!r} must have no min_days: days below {first.min_days} are not covered"
        )
    if last.max_days is not None:
        raise ValueError(
            f"last bucket {last.label!r} must have no max_days: days above {last.max_days} are not covered"
        )
    for previous, bucket in itertools.pairwise(buckets):
        # Checked first: out of order, the pairwise checks would report a gap that a later bucket fills.
        if previous.min_days is not None and bucket.min_days is not None and bucket.min_days < previous.min_days:
            raise ValueError(
                f"buckets must be in ascending order of days: {bucket.label!r} (from {bucket.min_days}) "
                f"comes after {previous.label!r} (from {previous.min_days})"
            )
    for previous, bucket in itertools.pairwise(buckets):
        if previous.max_days is None or bucket.min_days is None:
            raise ValueError(
                f"buckets {previous.label!r} and {bucket.label!r} overlap: "
                "only the first may be open below and only the last open above"
            )
        if bucket.min_days <= previous.max_days:
            raise ValueError(
                f"buckets {previous.label!r} and {bucket.label!r} overlap: "
                f"{previous.label!r} ends at {previous.max_days}, {bucket.label!r} starts at {bucket.min_days}"
            )
        if bucket.min_days > previous.max_days + 1:
            raise ValueError(
                f"gap between buckets {previous.label!r} and {bucket.label!r}: "
                f"days {previous.max_days + 1} to {bucket.min_days - 1} are not covered"
            )


def aging(items: Iterable[AgingItem], as_of: date, buckets: Sequence[Bucket] = DEFAULT_BUCKETS) -> list[AgingReport]:
    """The aging balance as of a day: one report per currency, sorted by currency.

    Every bucket appears in each report, empty ones with zero. Items with a
    zero open amount are paid and left out (they would inflate the counts);
    credit notes and unallocated payments (negative) count in the bucket of
    their own due date. Raises ValueError for invalid buckets.
    """
    validate_buckets(buckets)
    by_currency: dict[str, list[AgingItem]] = defaultdict(list)
    for item in items:
        if not item.open_amount.is_zero():
            by_currency[item.open_amount.currency].append(item)
    return [_report(by_currency[currency], currency, as_of, buckets) for currency in sorted(by_currency)]


def _report(items: list[AgingItem], currency: str, as_of: date, buckets: Sequence[Bucket]) -> AgingReport:
    in_bucket: dict[int, list[Money]] = defaultdict(list)
    overdue: list[Money] = []
    for item in items:
        days = (as_of - item.due_date).days
        in_bucket[next(i for i, b in enumerate(buckets) if b.holds(days))].append(item.open_amount)
        if days > 0:
            overdue.append(item.open_amount)
    amounts = tuple(
        BucketAmount(bucket, sum_money(in_bucket[i], currency), len(in_bucket[i])) for i, bucket in enumerate(buckets)
    )
    total = sum_money((item.open_amount for item in items), currency)
    overdue_total = sum_money(overdue, currency)
    return AgingReport(
        as_of=as_of,
        currency=currency,
        buckets=amounts,
        total=total,
        overdue=overdue_total,
        percent_overdue=_percent(overdue_total.amount, total.amount),
    )


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    if whole == 0:
        return Decimal("0.00")
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
