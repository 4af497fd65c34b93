"""Amounts: when a payment pays an amount, and which of a customer's items a payment adds up to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from opendso_money import Money

from opendso_matching.domain.model import OpenItem


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far a payment may fall short of what it pays and still settle it.

    The larger of ``absolute`` (bank fees, rounding; in the currency's units) and ``percent`` of
    the amount due (cash discount), and ``fx_percent`` more when the payment was converted from
    another currency (the rate of the day is not the payer's bank's).
    """

    absolute: Decimal = Decimal("2.00")
    percent: Decimal = Decimal("0")
    fx_percent: Decimal = Decimal("1.5")

    def allowed(self, due: Decimal, *, converted: bool = False) -> Decimal:
        percent = self.percent + (self.fx_percent if converted else Decimal(0))
        return max(self.absolute, abs(due) * percent / 100)


def convert(amount: Money, rate: Decimal, currency: str) -> Money:
    """``amount`` in ``currency`` at ``rate`` (units of ``currency`` per unit of the amount's), rounded half-up
    to the currency's minor unit (none for JPY, three for KWD): what a bank would credit."""
    return Money(amount.amount * rate, currency).rounded()


def short_by(paid: Decimal, due: Decimal, tolerance: Tolerance, *, converted: bool = False) -> Decimal | None:
    """How much ``paid`` falls short of ``due`` when it settles it within the tolerance (0 when exact), else
    None. Paying more is not settling within the tolerance: the rest is the customer's money."""
    if paid == due:
        return Decimal(0)
    if due > paid and due - paid <= tolerance.allowed(due, converted=converted):
        return due - paid
    return None


def _places(amounts: Iterable[Decimal]) -> int:
    """How many decimals make every amount whole: two at least, three for a dinar, more if an amount has them."""
    places = 2
    for amount in amounts:
        exponent = amount.normalize().as_tuple().exponent
        if isinstance(exponent, int):
            places = max(places, -exponent)
    return places


def _whole(amount: Decimal, places: int) -> int:
    return int(amount.scaleb(places))


# A customer with more open items than this is searched on its oldest ones only: the search
# doubles with every item, and a payer who pays forty invoices at once quotes them.
MAX_SUBSET_ITEMS = 24
# Distinct partial sums kept while searching; beyond, the search gives up (and says so).
MAX_STATES = 200_000


@dataclass(frozen=True, slots=True)
class SubsetSearch:
    """The sets of items that sum exactly to the amount: none, one (``unique``) or several."""

    subsets: tuple[tuple[OpenItem, ...], ...]
    exhausted: bool

    @property
    def unique(self) -> tuple[OpenItem, ...] | None:
        return self.subsets[0] if len(self.subsets) == 1 and not self.exhausted else None


def find_subsets(items: Sequence[OpenItem], amount: Decimal, *, limit: int = 2) -> SubsetSearch:
    """Subsets of ``items`` (two or more) whose open amounts sum exactly to ``amount``, at most ``limit``.

    Dynamic programming over sums in whole minor units, oldest items first. Credit notes take part
    (a payer nets them). ``exhausted`` says the search stopped early; its answer is then no proof of
    uniqueness.
    """
    pool = sorted(items, key=lambda i: (i.due_date, i.number))[:MAX_SUBSET_ITEMS]
    exhausted = len(pool) < len(items)
    places = _places([amount, *(i.open_amount.amount for i in pool)])
    target = _whole(amount, places)
    has_credits = any(i.open_amount.amount < 0 for i in pool)
    # sum -> index tuples reaching it, at most `limit` of each size class (see _keep)
    states: dict[int, list[tuple[int, ...]]] = {0: [()]}
    for index, item in enumerate(pool):
        value = _whole(item.open_amount.amount, places)
        additions: dict[int, list[tuple[int, ...]]] = {}
        for total, ways in states.items():
            new_total = total + value
            # Without credit notes a sum above the target can never come back down.
            if not has_credits and new_total > target:
                continue
            bucket = additions.setdefault(new_total, [])
            for way in ways:
                # Inlined first check of _keep: most sums are reached one way, and this loop is the hot path.
                if len(bucket) < limit:
                    bucket.append((*way, index))
                else:
                    _keep(bucket, (*way, index), limit)
        for total, ways in additions.items():
            existing = states.get(total)
            if existing is None:
                states[total] = ways
                continue
            for way in ways:
                _keep(existing, way, limit)
        if len(states) > MAX_STATES:
            exhausted = True
            break
    found = tuple(tuple(pool[i] for i in way) for way in states.get(target, []) if len(way) >= 2)
    return SubsetSearch(found[:limit], exhausted)


def _keep(bucket: list[tuple[int, ...]], way: tuple[int, ...], limit: int) -> None:
    """Keep ``way`` unless ``limit`` ways of its size class (no item, one item, several) are kept already.

    Ways of one class grow alike (one item plus more is several), so `limit` of each is enough to
    tell none, one and several subsets apart at the end; one cap over all classes would let single
    items of the sought amount (or the empty set) crowd out the real subsets.
    """
    if len(bucket) < limit:
        bucket.append(way)
        return
    size = min(len(way), 2)
    if sum(1 for kept in bucket if min(len(kept), 2) == size) < limit:
        bucket.append(way)
