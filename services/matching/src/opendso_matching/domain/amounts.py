"""Amounts: when a payment pays an amount, and which of a customer's items a payment adds up to."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import attrgetter

from opendso_money import Money

from opendso_matching.domain.keys import compact
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
        # Normalising only drops trailing zeros, raising the exponent: an amount written with no more decimals
        # than already counted ("12.50") cannot count more, and most amounts are such.
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and -exponent <= places:
            continue
        exponent = amount.normalize().as_tuple().exponent
        if isinstance(exponent, int):
            places = max(places, -exponent)
    return places


def _whole(amount: Decimal, places: int) -> int:
    return int(amount.scaleb(places))


# Oldest first, by number on the same day: the key read in C, not by a lambda per item.
_age: Callable[[OpenItem], tuple[date, str]] = attrgetter("due_date", "number")

# A customer with more open items than this is searched on its oldest ones only: the search
# doubles with every item, and a payer who pays forty invoices at once quotes them.
MAX_SUBSET_ITEMS = 24


@dataclass(frozen=True, slots=True)
class SubsetSearch:
    """The sets of items that sum exactly to the amount: none, one (``unique``) or several."""

    subsets: tuple[tuple[OpenItem, ...], ...]
    # Not every set was looked at: items were left out (see left_out), or the search was cut short.
    exhausted: bool
    # When one set was found: how many sets of the items searched would add up to an amount like this one by
    # chance (see _chance). A unique answer where dozens were expected is a coincidence, not what was paid.
    chance: float = 0.0
    # How many items (the youngest) were left out of the search; the chance counts them in.
    left_out: int = 0
    # The search stopped before looking at every set of the items it took.
    cut_short: bool = False

    @property
    def unique(self) -> tuple[OpenItem, ...] | None:
        return self.subsets[0] if len(self.subsets) == 1 and not self.exhausted else None


def find_subsets(items: Sequence[OpenItem], amount: Decimal, *, limit: int = 2) -> SubsetSearch:
    """Subsets of ``items`` (two or more) whose open amounts sum exactly to ``amount``, at most ``limit``.

    Credit notes take part (a payer nets them). An invoice and the credit note that cancels it to the cent
    (see :func:`cancelling_pairs`) add nothing together: a set with both is the same payment as the set
    without them, so it is not counted as another answer (else every answer would come twice). Only the
    oldest :data:`MAX_SUBSET_ITEMS` items are searched; ``exhausted`` says some were left out, so the
    answer is then no proof of uniqueness (but see ``chance``, which counts all the items).

    Meet in the middle: the sums of every subset of the older half and of the younger half (2**12 each
    at most) are listed, and a sum of one half is looked up as what the other half must add. The work is
    bounded whatever the amounts, unlike a search over partial sums.
    """
    amounts = [i.open_amount.amount for i in items]
    if len(items) < 2 or not sum(a for a in amounts if a < 0) <= amount <= sum(a for a in amounts if a > 0):
        # Beyond what all the items together can come to: no set, whatever the search would have left out.
        return SubsetSearch((), False)
    pool = sorted(items, key=_age)[:MAX_SUBSET_ITEMS]
    exhausted = len(pool) < len(items)
    places = _places([amount, *(i.open_amount.amount for i in pool)])
    target = _whole(amount, places)
    values = [_whole(i.open_amount.amount, places) for i in pool]
    if not sum(v for v in values if v < 0) <= target <= sum(v for v in values if v > 0):
        return SubsetSearch((), exhausted)
    position = {i.item_id: n for n, i in enumerate(pool)}
    pairs = [1 << position[a.item_id] | 1 << position[b.item_id] for a, b in cancelling_pairs(pool)]
    half = len(values) // 2
    # What the younger half must add to each subset of the older half: the target less the subset's sum, listed
    # as the sums of the older values taken off the target (one pass over the subsets, not a second one to
    # subtract). The younger half's sums among them: a set intersection in C.
    needed, younger = _subset_sums([-v for v in values[:half]], target), _subset_sums(values[half:])
    wanted = set(needed).intersection(younger)
    found: list[tuple[OpenItem, ...]] = []
    # Each answer comes once per combination of the cancelling pairs it could take in: with many pairs,
    # enumerating them all would cost what the halves saved.
    budget = limit * 2 ** min(len(pairs), 4) + 8
    for rest in sorted(wanted):
        for old_mask in _positions(needed, rest):
            for young_mask in _positions(younger, rest):
                mask = old_mask | young_mask << half
                budget -= 1
                if budget < 0:
                    return SubsetSearch(tuple(found), True, cut_short=True)
                # The empty set or a single item is not a set of items paid together.
                if mask & (mask - 1) == 0 or any(mask & pair == pair for pair in pairs):
                    continue
                found.append(tuple(pool[n] for n in range(len(pool)) if mask >> n & 1))
                if len(found) >= limit:
                    return SubsetSearch(tuple(found), exhausted)
    left_out = len(items) - len(pool)
    if len(found) != 1:
        return SubsetSearch(tuple(found), exhausted, left_out=left_out)
    # How likely a coincidence is matters only when it would be taken for the one answer; the items left
    # out of the search could add up to the amount by chance as well.
    if left_out:
        places = _places([amount, *(i.open_amount.amount for i in items)])
        values = [_whole(i.open_amount.amount, places) for i in items]
        target = _whole(amount, places)
    return SubsetSearch(tuple(found), exhausted, _chance(values, target), left_out)


def _chance(values: Sequence[int], target: int) -> float:
    """The expected number of sets of two or more of ``values`` summing to exactly ``target`` (in minor units)
    if the values were drawn at random like them: for each size k, the C(n, k) sums of k values spread
    normally around k times their mean, with k times their variance, and a sum hits one minor unit."""
    n = len(values)
    mean = sum(values) / n
    variance = max(sum((v - mean) ** 2 for v in values) / n, 1.0)
    expected = 0.0
    for k in range(2, n + 1):
        spread = k * variance
        expected += (
            math.comb(n, k) * math.exp(-((target - k * mean) ** 2) / (2 * spread)) / math.sqrt(2 * math.pi * spread)
        )
    return expected


def _positions(sums: list[int], value: int) -> list[int]:
    """Where ``value`` is in ``sums``: the subsets (as bit masks) with that sum."""
    found: list[int] = []
    at = sums.index(value)
    while True:
        found.append(at)
        try:
            at = sums.index(value, at + 1)
        except ValueError:
            return found


def _subset_sums(values: Sequence[int], start: int = 0) -> list[int]:
    """``start`` plus the sum of every subset of ``values``, at the index whose bits say which values it takes."""
    sums = [start]
    for value in values:
        sums += [total + value for total in sums]
    return sums


def cancelling_pairs(items: Sequence[OpenItem]) -> list[tuple[OpenItem, OpenItem]]:
    """(invoice, credit note) pairs that cancel to the cent: the credit note quotes the invoice, or it is the
    only item of its amount facing the only invoice of the opposite amount. A pair that could be formed
    several ways is left alone, since which invoice was credited is then a guess."""
    invoices = [i for i in items if i.open_amount.amount > 0]
    credits = [i for i in items if i.open_amount.amount < 0]
    if not invoices or not credits:
        return []
    by_amount: dict[Money, list[OpenItem]] = {}
    for invoice in invoices:
        by_amount.setdefault(invoice.open_amount, []).append(invoice)
    credit_count: dict[Money, int] = {}
    for credit in credits:
        credit_count[credit.open_amount] = credit_count.get(credit.open_amount, 0) + 1
    pairs: list[tuple[OpenItem, OpenItem]] = []
    taken: set[str] = set()
    for credit in credits:
        facing = [i for i in by_amount.get(-credit.open_amount, ()) if i.item_id not in taken]
        quoted = [i for i in facing if credit.reference and _same_number(i.number, credit.reference)]
        if len(quoted) == 1:
            chosen = quoted[0]
        elif len(facing) == 1 and credit_count[credit.open_amount] == 1:
            chosen = facing[0]
        else:
            continue
        taken.add(chosen.item_id)
        pairs.append((chosen, credit))
    return pairs


def _same_number(a: str, b: str) -> bool:
    return compact(a) == compact(b)
