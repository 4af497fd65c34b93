"""The matching engine: one payment in, a proposal out, with its confidence and the reasons behind it.

The evidence, strongest first:

1. **References**: item numbers and payment references found in the remittance text or the
   structured reference (RF creditor reference, variable symbol), see :mod:`keys`. A credit note
   found only through its reference, the number of a named invoice, is not named: it is netted
   when the amount says the payer netted it.
2. **Customer**: the counterparty's IBAN already seen for a customer; else its name against
   customer names and learned aliases (fuzzy, see :mod:`names`).
3. **Amount**: what the referenced items, one item, a subset of the customer's items or the whole
   balance (credit notes netted) come to, exactly or within the :class:`Tolerance`.

A reference alone is not proof: a one-character typo can name another customer's existing
invoice. The engine therefore applies by itself only when two kinds of evidence agree (a
reference and its amount, a reference and its customer, a known IBAN and an amount), and sends
everything else to a collector with its best proposal. The confidence grades in
:data:`CONFIDENCE` are the one place that policy is written down.

Nor is an amount proof when something else points elsewhere, and then the proposal stays below the
threshold (:data:`DOUBT_CAP`): the text names an item (with a typo) the amount does not fit, or holds
a number resembling one of the customer's that finds nothing; a set of items adds up to the amount
where, with that many items, some set would by chance (:data:`MAX_SUBSET_CHANCE`); a converted amount
hits a set to the cent; not every set was searched; or an invoice and the credit note cancelling it
may or may not be part of what was paid. A typo that names the customer's own neighbouring invoice is
read as that invoice when the amount is exactly what it owes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from operator import attrgetter

from opendso_money import CurrencyMismatchError, Money
from rapidfuzz.distance import DamerauLevenshtein

from opendso_matching.domain.amounts import Tolerance, cancelling_pairs, convert, find_subsets, short_by
from opendso_matching.domain.index import MatchIndex
from opendso_matching.domain.keys import MIN_DIGITS, compact, digits_key, item_keys, text_keys, text_tokens
from opendso_matching.domain.model import Allocation, OpenItem, Outcome, Payment, Proposal

# (from currency, to currency, on) -> units of `to` for one unit of `from`, or None when unknown.
RateLookup = Callable[[str, str, date], Decimal | None]

D = Decimal
# At or above this confidence a proposal is applied without a person.
AUTO_APPLY_AT = D("0.90")
CONFIDENCE: dict[str, tuple[Decimal, Decimal]] = {
    # situation: (alone, with the customer confirmed by IBAN or a strong name)
    "reference_exact_amount": (D("0.97"), D("0.99")),
    "reference_within_tolerance": (D("0.88"), D("0.95")),
    "reference_subset": (D("0.88"), D("0.95")),
    # the named items less the credit notes that refer to them (the payer netted them without naming them)
    "reference_credit_netted": (D("0.88"), D("0.95")),
    "reference_partial_one": (D("0.85"), D("0.93")),
    "reference_partial_several": (D("0.75"), D("0.85")),
    "reference_overpaid": (D("0.82"), D("0.92")),
    # the named item does not fit the amount, a sibling one character away from it does: a typo that names
    # the customer's own other item (exactly; within the tolerance it is only proposed)
    "reference_typo_of_sibling": (D("0.80"), D("0.92")),
    "reference_typo_of_sibling_within_tolerance": (D("0.70"), D("0.80")),
    # the named items owe nothing (already paid, or credit notes): a second payment or a wrong number
    "reference_nothing_owed": (D("0.50"), D("0.60")),
    # customer known by name / by IBAN
    "typo_reference": (D("0.88"), D("0.95")),
    "one_item_amount": (D("0.88"), D("0.93")),
    "same_amount_several_items": (D("0.60"), D("0.70")),
    "several_subsets": (D("0.60"), D("0.70")),
    # an item named with a typo, but the amount is not what it owes (a part, or more)
    "typo_reference_amount_differs": (D("0.70"), D("0.80")),
    "whole_balance": (D("0.88"), D("0.95")),
    # the amount is one item's and also the whole balance, or the whole balance and also what is left without
    # an invoice and the credit note that cancels it: whether the payer settled those two cannot be told
    "balance_with_items_netting_to_zero": (D("0.70"), D("0.80")),
    "subset_of_items": (D("0.82"), D("0.92")),
    "one_item_within_tolerance": (D("0.80"), D("0.90")),
    "nothing_fits": (D("0.70"), D("0.90")),
}
# The grades of named items the amount fits (exactly or within the tolerance).
_FITTED = frozenset({"reference_exact_amount", "reference_within_tolerance"})
# Subtracted when the evidence is weaker than its grade assumes.
DIGITS_ONLY_PENALTY = D("0.02")
FX_PENALTY = D("0.01")
CONFLICT_CAP = D("0.60")
# The most a proposal gets when the amount points one way and the text another (an item named with a typo
# that the amount does not fit, a number in the text like one of the customer's that finds nothing): below
# the auto-apply threshold, whatever the grade of the rule that fitted the amount.
DOUBT_CAP = D("0.85")
# A unique set of items adding up to the amount is evidence only when few sets would do so by chance: with
# twenty items, a round advance is the sum of some six of them more often than not.
MAX_SUBSET_CHANCE = 0.01

# How the typo search read a token (see _Matcher._typo_references).
_TYPO_READINGS = ("{} with one character off", "the number of {} with one digit off", "the number of {}")
# What the typo search reads an item it does not find in the text as: no position for any of the readings.
_NO_READING = (None, None, None)
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_DIGIT_GROUP = re.compile(r"\d+")
_TWO_DIGITS = re.compile(r"\d\D*\d")


@dataclass(frozen=True)
class MatchConfig:
    auto_apply_at: Decimal = AUTO_APPLY_AT
    tolerance: Tolerance = field(default_factory=Tolerance)
    # Names scoring below this (0-100) are no evidence at all.
    name_cutoff: float = 85.0
    # A name scoring this or more, clearly ahead of the next, names the customer.
    strong_name: float = 92.0


def match(
    payment: Payment, index: MatchIndex, config: MatchConfig | None = None, rates: RateLookup | None = None
) -> Proposal:
    return _Matcher(payment, index, config or MatchConfig(), rates).run()


# How a reference found an item: where in the payment, by which key, and whether as written.
_Found = tuple[str, str, bool]


@dataclass(slots=True)
class _Named:
    """What the references name: open items (in the order named, with how each was found), items already
    paid, and credit notes found only through their reference, which is the number of a named invoice."""

    items: list[OpenItem]
    # item id -> (where, key, exact): the reason is written only for the items the proposal is about
    how: dict[str, _Found]
    paid: list[OpenItem]
    related: list[OpenItem]
    # the items named by their number or reference as written, not only by its digits or read loosely
    exact: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Customer:
    customer_id: str
    # "iban", "name" or "" (only the references say it)
    by: str
    reason: str


class _Matcher:
    # One matcher per payment, its attributes read many times: slots make both cheaper.
    __slots__ = ("_names", "config", "index", "payment", "rate", "rates", "reasons")

    def __init__(self, payment: Payment, index: MatchIndex, config: MatchConfig, rates: RateLookup | None) -> None:
        self.payment = payment
        self.index = index
        self.config = config
        self.rates = rates
        self.reasons: list[str] = []
        self.rate: Decimal | None = None
        self._names: list[tuple[str, float, str]] | None = None

    # --- the decision ---------------------------------------------------------------------------

    def run(self) -> Proposal:
        p = self.payment
        if p.amount.amount <= 0:
            return self._proposal(Outcome.IGNORED, D(0), None, (), p.amount, ["money paid out, not a customer payment"])
        named = self._referenced_items()
        iban_customer = self._iban_customer()
        if named.items:
            return self._by_references(named, iban_customer)
        if named.paid:
            # Quoting a paid item is no ground for applying the money to some other item of the customer.
            return self._already_paid(named.paid, iban_customer)
        # The name is searched among all customers only when nothing else says who paid: it is the costliest
        # look-up, and a known IBAN outranks it.
        customer = iban_customer or self._named_customer(self._name_matches())
        if customer is None:
            names = self._name_matches()
            if names:
                best = names[0]
                # The other resembling customers go into the reason only: alternatives are item ids.
                self.reasons.append(
                    f"no reference found; counterparty name '{p.counterparty_name}' resembles "
                    + ", ".join(f"'{n[2]}' ({n[1]:.0f})" for n in names[:3])
                )
                return self._proposal(Outcome.REVIEW, D("0.30"), best[0], (), p.amount)
            self.reasons.append("no reference, known IBAN or customer name found")
            return self._proposal(Outcome.SUSPENSE, D(0), None, (), p.amount)
        self.reasons.append(customer.reason)
        return self._by_customer(customer)

    # --- references -----------------------------------------------------------------------------

    def _referenced_items(self) -> _Named:
        p = self.payment
        # (where, keys), the structured reference's first.
        sources: list[tuple[str, list[str]]] = []
        if p.structured_reference:
            where = f"{p.structured_reference_type or 'structured'} reference {p.structured_reference}"
            keys = [compact(p.structured_reference)]
            if (digits := digits_key(p.structured_reference)) is not None:
                keys.append(digits)
            sources.append((where, keys))
        if p.remittance_text:
            sources.append(("remittance text", text_keys(p.remittance_text)))
        found: dict[str, OpenItem] = {}
        how: dict[str, _Found] = {}
        named_exactly: set[str] = set()
        paid: dict[str, OpenItem] = {}
        # A credit note's reference is often the number of the invoice it credits: quoting the invoice
        # finds the credit note too, which the payer did not name.
        by_reference: dict[str, tuple[OpenItem, _Found]] = {}
        entity = p.entity
        for where, keys in sources:
            for key, item in self.index.items_by_keys(keys):
                # Another entity's item first: a tail key finds the same serial in every entity.
                if item.entity != entity:
                    continue
                item_id = item.item_id
                # Most numbers are found by several keys (as written, by digits, loosely): once named exactly,
                # an item has nothing more to learn from the others.
                if item_id in named_exactly or item_id in paid:
                    continue
                # Not item.is_open: a property and a method call for every item every key finds.
                if not item.open_amount.amount:
                    paid[item_id] = item
                    self.reasons.append(f"{item.number} is named in the {where} but is already paid")
                    continue
                exact = key == compact(item.number) or bool(item.reference and key == compact(item.reference))
                if item_id in found:
                    # A longer run of the text yields the digits of a number before the number itself is
                    # read ("INV F2024000123"): the item is named exactly if any key says so.
                    if exact:
                        how[item_id] = (where, key, exact)
                        named_exactly.add(item_id)
                    continue
                if item.open_amount.amount < 0 and key not in _number_keys(item.number):
                    if exact or item_id not in by_reference:
                        by_reference[item_id] = (item, (where, key, exact))
                    continue
                found[item_id] = item
                how[item_id] = (where, key, exact)
                if exact:
                    named_exactly.add(item_id)
        related: list[OpenItem] = []
        if by_reference:
            numbers = {compact(i.number) for i in (*found.values(), *paid.values())}
            for item_id, (item, found_how) in by_reference.items():
                if item_id in found:
                    continue
                if compact(item.reference) in numbers:
                    related.append(item)
                else:
                    found[item_id] = item
                    how[item_id] = found_how
                    if found_how[2]:
                        named_exactly.add(item_id)
        return _Named(list(found.values()), how, list(paid.values()), related, named_exactly)

    def _already_paid(self, paid_named: list[OpenItem], iban_customer: _Customer | None) -> Proposal:
        customers = {i.customer_id for i in paid_named}
        customer_id = next(iter(customers)) if len(customers) == 1 else None
        corroborated = False
        if iban_customer is not None:
            if iban_customer.customer_id in customers:
                customer_id = iban_customer.customer_id
                corroborated = True
                self.reasons.append(iban_customer.reason)
            else:
                self.reasons.append(f"the counterparty IBAN is known for another customer, {iban_customer.customer_id}")
        self.reasons.append(f"nothing is left to pay on the items named: {self.payment.amount} stays unallocated")
        if customer_id is None:
            return self._proposal(Outcome.REVIEW, D("0.40"), None, (), self.payment.amount)
        confidence = CONFIDENCE["reference_nothing_owed"][1 if corroborated else 0]
        return self._decide(confidence, customer_id, (), self.payment.amount)

    def _by_references(self, named: _Named, iban_customer: _Customer | None) -> Proposal:
        how = named.how
        customers = {i.customer_id for i in named.items}
        chosen: str | None = None
        if len(customers) == 1:
            chosen = next(iter(customers))
        else:
            if iban_customer is not None and iban_customer.customer_id in customers:
                chosen = iban_customer.customer_id
            else:
                names = self._name_matches()
                if names and names[0][0] in customers:
                    chosen = names[0][0]
            if chosen is None:
                self.reasons.append("the references name items of several customers: " + ", ".join(sorted(customers)))
                return self._proposal(Outcome.REVIEW, D("0.40"), None, (), self.payment.amount)
            self.reasons.append(f"the references name several customers; {chosen} is the payer's")
        # Most payments name one item: nothing to filter or sort.
        items = (
            named.items
            if len(named.items) == 1
            else sorted((i for i in named.items if i.customer_id == chosen), key=_age)
        )
        for i in items:
            self.reasons.append(_found_how(i, *how[i.item_id]))
        corroborated = False
        conflict = False
        if iban_customer is not None:
            if iban_customer.customer_id == chosen:
                corroborated = True
                self.reasons.append(iban_customer.reason)
            else:
                conflict = True
                self.reasons.append(
                    f"but the counterparty IBAN is known for another customer, {iban_customer.customer_id}"
                )
        paid = self._paid_in(items)
        if paid is None:
            return self._proposal(Outcome.REVIEW, D("0.50"), chosen, (), self.payment.amount)
        elsewhere = [i for i in items if i.open_amount.currency != paid.currency]
        if elsewhere:
            # Items in several currencies cannot be summed; the payment is taken to pay those in its own.
            self.reasons.append(
                ", ".join(i.number for i in elsewhere) + f" not in {paid.currency}: left out of the allocation"
            )
            items = [i for i in items if i.open_amount.currency == paid.currency]
        digits_only = not any(i.item_id in named.exact for i in items)
        related = [i for i in named.related if i.customer_id == chosen and i.open_amount.currency == paid.currency]

        def others() -> list[OpenItem]:
            # Made here, not for every payment: most are settled by the named items before others are asked for.
            taken = {i.item_id for i in (*items, *related)}
            return [
                i
                for i in self.index.open_items_of(chosen)
                if i.entity == self.payment.entity
                and i.open_amount.currency == paid.currency
                and i.item_id not in taken
            ]

        grade, allocations, rest = self._fit_referenced(items, paid, sorted(related, key=_age), others)
        if conflict and iban_customer is not None and grade not in _FITTED:
            # A typo can land on another customer's number: the IBAN's customer may have the item meant.
            own = self._typo_of_payer(iban_customer.customer_id, paid)
            if own is not None:
                return own
        alone, confirmed = _penalised(grade, digits_only, self.rate is not None)
        if not corroborated and not conflict and alone < self.config.auto_apply_at <= confirmed:
            # The name is scored only where it decides: it is the costliest look-up left, and an IBAN or the
            # amount alone may have settled the matter already.
            fits = self.index.names.score(self.payment.counterparty_name, chosen)
            if fits is not None and fits.score >= self.config.strong_name:
                corroborated = True
                self.reasons.append(f"counterparty name '{self.payment.counterparty_name}' fits ({fits.score:.0f})")
        confidence = confirmed if corroborated else alone
        if conflict:
            confidence = min(confidence, CONFLICT_CAP)
        return self._decide(confidence, chosen, allocations, rest)

    def _fit_referenced(
        self,
        items: list[OpenItem],
        paid: Money,
        related: list[OpenItem],
        others: Callable[[], list[OpenItem]],
    ) -> tuple[str, tuple[Allocation, ...], Money]:
        """How the payment fits the named items. ``related`` are credit notes on them the payer did not name,
        ``others`` the customer's other open items (asked for only when the named items do not fit)."""
        total = _sum(items, paid.currency)
        converted = self.rate is not None
        short = short_by(paid.amount, total.amount, self.config.tolerance, converted=converted)
        if short is not None:
            self.reasons.append(_amount_reason(paid, total, short, "the named items"))
            grade = "reference_exact_amount" if short == 0 else "reference_within_tolerance"
            return grade, _settle(items, short), _zero(paid.currency)
        for on_them in [related] + ([[c] for c in related] if len(related) > 1 else []):
            netted = total + _sum(on_them, paid.currency)
            short = short_by(paid.amount, netted.amount, self.config.tolerance, converted=converted)
            if short is not None and netted.amount > 0:
                numbers = ", ".join(i.number for i in on_them)
                self.reasons.append(
                    _amount_reason(paid, netted, short, f"the named items less {numbers} (credited on them)")
                )
                return (
                    "reference_credit_netted",
                    _settle(sorted([*items, *on_them], key=_age), short),
                    _zero(paid.currency),
                )
        if len(items) > 1:
            for item in items:
                if item.open_amount == paid:
                    self.reasons.append(f"{paid} is exactly what {item.number} still owes")
                    return "reference_subset", _settle([item], D(0)), _zero(paid.currency)
            subsets = find_subsets(items, paid.amount)
            if subsets.unique is not None:
                chosen = subsets.unique
                self.reasons.append(f"{paid} is what {', '.join(i.number for i in chosen)} owe together")
                return "reference_subset", _settle(list(chosen), D(0)), _zero(paid.currency)
        # A payer also nets a credit note it does not name: only to the cent and only one credit note
        # can do it, since a partial payment may come close by chance.
        rest_of_customer = others()
        netting = [
            c
            for c in rest_of_customer
            if c.open_amount.amount < 0 and total.amount + c.open_amount.amount == paid.amount
        ]
        if len(netting) == 1 and paid.amount > 0:
            credit = netting[0]
            self.reasons.append(f"{paid} is exactly what the named items owe less the credit note {credit.number}")
            return (
                "reference_credit_netted",
                _settle(sorted([*items, credit], key=_age), D(0)),
                _zero(paid.currency),
            )
        sibling = self._typo_of_sibling(items, paid, rest_of_customer)
        if sibling is not None:
            return sibling
        if total.amount <= 0:
            # Credit notes outweigh what is named: settling them would leave more unallocated than was paid.
            self.reasons.append(f"the named items owe nothing in total ({total}): {paid} stays unallocated")
            return "reference_nothing_owed", (), paid
        if paid.amount < total.amount:
            allocations = _in_order(items, paid)
            self.reasons.append(f"{paid} pays part of the {total} the named items owe")
            grade = "reference_partial_one" if len(items) == 1 else "reference_partial_several"
            return grade, allocations, _zero(paid.currency)
        rest = paid - total
        self.reasons.append(f"{paid} is more than the {total} the named items owe: {rest} stays unallocated")
        return "reference_overpaid", _settle(items, D(0)), rest

    def _typo_of_sibling(
        self, items: list[OpenItem], paid: Money, others: list[OpenItem]
    ) -> tuple[str, tuple[Allocation, ...], Money] | None:
        """The amount fits neither the named items nor a part of them, but does once one named item is swapped
        for the customer's item one character away from it. Invoices issued together have neighbouring
        numbers, so a one-digit typo names the payer's own other invoice; an amount that is exactly what
        the neighbour owes says which one was meant far better than a part payment that happens to match.
        """
        converted = self.rate is not None
        total = _sum(items, paid.currency)
        fits: list[tuple[OpenItem, OpenItem, Decimal]] = []
        for named in items:
            if named.open_amount.amount <= 0:
                continue
            # Compacted once, not once for each of the customer's other items it is compared with.
            number = compact(named.number)
            reference = compact(named.reference) if named.reference else None
            for other in others:
                if other.open_amount.amount <= 0 or not _one_edit_apart(number, reference, other):
                    continue
                instead = total.amount - named.open_amount.amount + other.open_amount.amount
                short = short_by(paid.amount, instead, self.config.tolerance, converted=converted)
                if short is not None:
                    fits.append((named, other, short))
        if not fits:
            return None
        named, other, short = fits[0]
        chosen = sorted([*(i for i in items if i is not named), other], key=_age)
        self.reasons.append(
            f"{paid} does not fit what {named.number} owes, but fits {other.number}, one character away from it"
            + ("" if short == 0 else f", short by {short} {paid.currency} (within the tolerance)")
        )
        if len(fits) > 1:
            self.reasons.append("several items one character away fit: " + ", ".join(f[1].number for f in fits))
        grade = (
            "reference_typo_of_sibling"
            if short == 0 and len(fits) == 1
            else "reference_typo_of_sibling_within_tolerance"
        )
        return grade, _settle(chosen, short), _zero(paid.currency)

    def _typo_of_payer(self, customer_id: str, paid: Money) -> Proposal | None:
        """The payer's own item (its IBAN is known) one character away from a number of the text, when the
        amount fits it while it does not fit the other customer's item the number names as written."""
        items = [
            i
            for i in self.index.open_items_of(customer_id)
            if i.entity == self.payment.entity and i.open_amount.currency == paid.currency
        ]
        typos = self._typo_references(items)
        if not typos:
            return None
        total = _sum(typos, paid.currency)
        short = short_by(paid.amount, total.amount, self.config.tolerance, converted=self.rate is not None)
        if short is None:
            return None
        self.reasons.append(f"those are items of {customer_id}, whose IBAN it is")
        self.reasons.append(_amount_reason(paid, total, short, "those items"))
        confidence = CONFIDENCE["typo_reference"][1] - (FX_PENALTY if self.rate is not None else D(0))
        return self._decide(confidence, customer_id, _settle(typos, short), _zero(paid.currency))

    # --- the customer, then the amount ------------------------------------------------------------

    def _iban_customer(self) -> _Customer | None:
        p = self.payment
        customer_id = self.index.customer_of_iban(p.counterparty_iban)
        if customer_id is None:
            return None
        customer = self.index.customer(customer_id)
        if customer is not None and customer.entity != p.entity:
            return None
        return _Customer(customer_id, "iban", f"counterparty IBAN {p.counterparty_iban} is known for {customer_id}")

    def _name_matches(self) -> list[tuple[str, float, str]]:
        if self._names is not None:
            return self._names
        p = self.payment
        found = []
        if p.counterparty_name:
            for m in self.index.names.best(p.counterparty_name, cutoff=self.config.name_cutoff):
                customer = self.index.customer(m.customer_id)
                if customer is None or customer.entity == p.entity:
                    found.append((m.customer_id, m.score, m.matched))
        self._names = found
        return found

    def _named_customer(self, names: list[tuple[str, float, str]]) -> _Customer | None:
        if not names:
            return None
        customer_id, score, matched = names[0]
        runner_up = names[1][1] if len(names) > 1 else 0.0
        if score < self.config.strong_name or score - runner_up < 5:
            return None
        return _Customer(
            customer_id, "name", f"counterparty name '{self.payment.counterparty_name}' is {matched} ({score:.0f})"
        )

    def _by_customer(self, customer: _Customer) -> Proposal:
        level = 1 if customer.by == "iban" else 0
        cid = customer.customer_id
        items = sorted((i for i in self.index.open_items_of(cid) if i.entity == self.payment.entity), key=_age)
        paid = self._paid_in(items) if items else self.payment.amount
        if paid is None:
            return self._proposal(Outcome.REVIEW, D("0.50"), cid, (), self.payment.amount)
        items = [i for i in items if i.open_amount.currency == paid.currency]
        converted = self.rate is not None
        tolerance = self.config.tolerance
        nothing = _zero(paid.currency)

        def grade(name: str, *, doubt: bool = False) -> Decimal:
            confidence = CONFIDENCE[name][level] - (FX_PENALTY if converted else D(0))
            return min(confidence, DOUBT_CAP) if doubt else confidence

        typos = self._typo_references(items)
        if typos:
            total = _sum(typos, paid.currency)
            short = short_by(paid.amount, total.amount, tolerance, converted=converted)
            if short is not None:
                self.reasons.append(_amount_reason(paid, total, short, "those items"))
                return self._decide(grade("typo_reference"), cid, _settle(typos, short), nothing)
            self.reasons.append(f"{paid} is not what {', '.join(i.number for i in typos)} owe ({total})")
        # The text names items (with a typo) that the amount does not fit: another item the amount fits is a
        # guess against what the payer wrote, proposed but never applied alone.
        doubt = bool(typos)
        invoices = [i for i in items if i.open_amount.amount > 0]
        exact = [i for i in invoices if i.open_amount == paid]
        balance = _sum(items, paid.currency)
        if len(exact) == 1:
            # The other items net to zero (an invoice and the credit note cancelling it): the payer may have
            # settled the whole balance, or this item only.
            netting = [i for i in items if i is not exact[0]] if balance == paid else []
            if netting:
                self.reasons.append(
                    f"{paid} is exactly what {exact[0].number} owes, and the whole open balance: "
                    f"{', '.join(i.number for i in netting)} net to zero and may be settled with it"
                )
                return self._decide(
                    grade("balance_with_items_netting_to_zero", doubt=doubt),
                    cid,
                    _settle(exact, D(0)),
                    nothing,
                    alternatives=tuple(i.item_id for i in netting),
                )
            self.reasons.append(f"{paid} is exactly what {exact[0].number} owes, the only item of that amount")
            return self._decide(grade("one_item_amount", doubt=doubt), cid, _settle(exact, D(0)), nothing)
        if len(exact) > 1:
            self.reasons.append(
                f"{paid} is what each of {', '.join(i.number for i in exact)} owes: the oldest is proposed"
            )
            return self._decide(
                grade("same_amount_several_items"),
                cid,
                _settle(exact[:1], D(0)),
                nothing,
                alternatives=tuple(i.item_id for i in exact[1:]),
            )
        near = [
            (i, s)
            for i in invoices
            if (s := short_by(paid.amount, i.open_amount.amount, tolerance, converted=converted)) is not None
        ]
        exhausted = False
        if len(items) >= 2:
            short = short_by(paid.amount, balance.amount, tolerance, converted=converted)
            if short is not None:
                self.reasons.append(
                    _amount_reason(paid, balance, short, "the whole open balance (credit notes netted)")
                )
                name = "whole_balance"
                if netting := _netting(items):
                    self.reasons.append(
                        f"{', '.join(i.number for i in netting)} cancel each other: the payer may have left them"
                    )
                    name = "balance_with_items_netting_to_zero"
                return self._decide(grade(name, doubt=doubt), cid, _settle(items, short), nothing)
            if converted and len(near) == 1:
                # A converted amount is only ever near what it pays: one item within the tolerance says more
                # than a set of items the conversion happens to hit to the cent.
                return self._near_one(near[0], paid, cid, grade("one_item_within_tolerance", doubt=doubt))
            subsets = find_subsets(items, paid.amount)
            exhausted = subsets.exhausted
            if len(subsets.subsets) == 1 and not subsets.cut_short:
                # One set: unique among the items searched, and only a coincidence if many sets of all the
                # items (those left out of the search too) would add up to an amount like this one.
                chosen = list(subsets.subsets[0])
                searched = len(items) - subsets.left_out
                self.reasons.append(
                    f"{paid} is what {', '.join(i.number for i in chosen)} owe together"
                    + (f" (the oldest {searched} of {len(items)} open items searched)" if subsets.left_out else "")
                )
                by_chance = subsets.chance > MAX_SUBSET_CHANCE
                if by_chance:
                    self.reasons.append(
                        f"but with {len(items)} open items some set would add up to it by chance"
                        f" ({subsets.chance:.2g} expected)"
                    )
                if converted:
                    self.reasons.append("but the amount was converted: to the cent means little")
                confidence = grade("subset_of_items", doubt=doubt or by_chance or converted)
                return self._decide(confidence, cid, _settle(chosen, D(0)), nothing)
            if subsets.subsets:
                # Several sets (or one, but the search was cut short): a collector picks; the oldest is proposed.
                first = list(subsets.subsets[0])
                others = [i.item_id for s in subsets.subsets[1:] for i in s if i not in first]
                searched_all = "not every set was searched" if subsets.cut_short else "several sets add up to it"
                self.reasons.append(
                    f"{paid} is what {', '.join(i.number for i in first)} owe together, but {searched_all}"
                )
                return self._decide(
                    grade("several_subsets"),
                    cid,
                    _settle(first, D(0)),
                    nothing,
                    alternatives=tuple(dict.fromkeys(others)),
                )
        if len(near) == 1:
            return self._near_one(near[0], paid, cid, grade("one_item_within_tolerance", doubt=doubt))
        typo_total = _sum(typos, paid.currency)
        if typos and typo_total.amount > 0:
            # The text names these items, only the amount differs: a part, or more than they owe.
            if paid < typo_total:
                self.reasons.append(f"{paid} pays part of the {typo_total} they owe")
                allocations, rest = _in_order(typos, paid), nothing
            else:
                rest = paid - typo_total
                self.reasons.append(f"{paid} is more than the {typo_total} they owe: {rest} stays unallocated")
                allocations = _settle(typos, D(0))
            return self._decide(grade("typo_reference_amount_differs"), cid, allocations, rest)
        self.reasons.append(f"no open item fits {paid}: it is recorded as an unallocated payment of {cid}")
        if exhausted:
            self.reasons.append("but not every set of the open items was searched")
        resembling = self._resembling_number(cid)
        if resembling is not None:
            self.reasons.append(f"but '{resembling[0]}' in the remittance text resembles {resembling[1].number}")
        return self._decide(grade("nothing_fits", doubt=doubt or exhausted or resembling is not None), cid, (), paid)

    def _near_one(self, near: tuple[OpenItem, Decimal], paid: Money, cid: str, confidence: Decimal) -> Proposal:
        item, short = near
        self.reasons.append(_amount_reason(paid, item.open_amount, short, item.number))
        return self._decide(confidence, cid, _settle([item], short), _zero(paid.currency))

    def _resembling_number(self, customer_id: str) -> tuple[str, OpenItem] | None:
        """A number in the text that is nearly one of the customer's items' (paid ones too): two characters off,
        zeros added or dropped, or the item's sequence alone. The payer then meant an item, and money
        recorded as paying nothing is a guess."""
        runs = _digit_runs(self.payment.remittance_text)
        if not runs:
            return None
        for item in self.index.items_of(customer_id):
            if item.entity != self.payment.entity:
                continue
            for number in (item.number, item.reference):
                digits = _loose_digits(number)
                if len(digits) < MIN_DIGITS:
                    continue
                last = _last_group(number)
                for written, run in runs:
                    if run == last or DamerauLevenshtein.distance(run, digits, score_cutoff=2) <= 2:
                        return written, item
        return None

    def _typo_references(self, items: Sequence[OpenItem]) -> list[OpenItem]:
        """The customer's items the text names with one character wrong, or by a short number ("invoice 42")."""
        tokens = text_tokens(self.payment.remittance_text)
        if not tokens or not items:
            return []
        # Runs of up to four tokens, as for the keys ("F 2024 000124"); in text order so that the
        # reasons do not depend on set order.
        runs = ("".join(tokens[i : i + n]) for i in range(len(tokens)) for n in (1, 2, 3, 4) if i + n <= len(tokens))
        candidates = list(dict.fromkeys(runs))
        # What each token offers is worked out once, not once per item: positions are kept so that the first
        # token in the text wins.
        long = _by_length([(n, t) for n, t in enumerate(candidates) if len(t) >= MIN_DIGITS])
        numeric = [(n, t.lstrip("0")) for n, t in enumerate(candidates) if t.isdigit()]
        numeric_long = _by_length([(n, d) for n, d in numeric if len(d) >= MIN_DIGITS])
        short_numbers: dict[str, int] = {}
        for n, d in numeric:
            if len(d) >= 2:
                short_numbers.setdefault(d, n)
        if not any(_DIGIT_GROUP.search(t) for t in candidates):
            # Words only ("Zahlung Rechnungen"): one character away from a number with two digits they are not.
            items = [i for i in items if not _TWO_DIGITS.search(i.number)]
        found: list[OpenItem] = []
        for item in items:
            # The first token naming the item: as its number with one character off, as its digits with one
            # off (the prefix is often dropped or a noise word: "INV-2024-0457" quoted as "2024-0475"), or as
            # its short number. A reading is worked out only if the text has tokens to compare it with.
            readings = (
                _first_within(compact(item.number), long) if long else None,
                _first_within(significant, numeric_long)
                if numeric_long and (significant := digits_key(item.number))
                else None,
                short_numbers.get(_all_digits(item.number)) if short_numbers else None,
            )
            if readings == _NO_READING:
                # Most of the customer's items: the text does not name them, and nothing is left to rank.
                continue
            at, how = min((at, how) for how, at in enumerate(readings) if at is not None)
            found.append(item)
            said = _TYPO_READINGS[how].format(item.number)
            self.reasons.append(f"'{candidates[at]}' in the remittance text is {said}")
        return found

    # --- currencies -------------------------------------------------------------------------------

    def _paid_in(self, items: Sequence[OpenItem]) -> Money | None:
        """The payment in the items' currency: as it is, or converted at the day's rate (None: no rate)."""
        p = self.payment
        currencies = {i.open_amount.currency for i in items}
        if not items or p.amount.currency in currencies:
            return p.amount
        # The currency most of the items are in.
        target = max(sorted(currencies), key=lambda c: sum(1 for i in items if i.open_amount.currency == c))
        rate = self.rates(p.amount.currency, target, p.booking_date) if self.rates else None
        if rate is None:
            self.reasons.append(f"payment in {p.amount.currency}, items in {target}: no rate for {p.booking_date}")
            return None
        self.rate = rate
        converted = convert(p.amount, rate, target)
        self.reasons.append(f"{p.amount} is {converted} at {rate} ({p.booking_date})")
        return converted

    # --- the answer -------------------------------------------------------------------------------

    def _decide(
        self,
        confidence: Decimal,
        customer_id: str,
        allocations: tuple[Allocation, ...],
        unallocated: Money,
        alternatives: tuple[str, ...] = (),
    ) -> Proposal:
        outcome = Outcome.APPLY if confidence >= self.config.auto_apply_at else Outcome.REVIEW
        return self._proposal(outcome, confidence, customer_id, allocations, unallocated, alternatives=alternatives)

    def _proposal(
        self,
        outcome: Outcome,
        confidence: Decimal,
        customer_id: str | None,
        allocations: tuple[Allocation, ...],
        unallocated: Money,
        reasons: list[str] | None = None,
        alternatives: tuple[str, ...] = (),
    ) -> Proposal:
        # By position, in the order of Proposal's fields: keywords cost a microsecond more on every payment.
        return Proposal(
            self.payment.transaction_id,
            outcome,
            confidence.quantize(_CENT),
            customer_id,
            allocations,
            unallocated,
            tuple(reasons if reasons is not None else self.reasons),
            self.rate,
            alternatives,
        )


def _netting(items: Sequence[OpenItem]) -> list[OpenItem]:
    """The invoices and the credit notes cancelling them among ``items`` (see cancelling_pairs)."""
    return [i for pair in cancelling_pairs(items) for i in pair]


def _digit_runs(text: str) -> list[tuple[str, str]]:
    """The text's numbers as written, each with its digits without the leading zeros of each group: runs of
    up to four adjacent tokens (a number split by separators), when they hold at least MIN_DIGITS digits."""
    tokens = _TOKEN.findall(text)
    runs: dict[str, str] = {}
    for start in range(len(tokens)):
        for end in range(start + 1, min(start + 4, len(tokens)) + 1):
            written = " ".join(tokens[start:end])
            digits = _loose_digits(written)
            if len(digits) >= MIN_DIGITS and any(c.isdigit() for c in tokens[start]):
                runs.setdefault(digits, written)
    return [(written, digits) for digits, written in runs.items()]


def _loose_digits(text: str) -> str:
    return "".join(g.lstrip("0") for g in _DIGIT_GROUP.findall(text))


def _last_group(number: str) -> str:
    groups = _DIGIT_GROUP.findall(number)
    last = groups[-1].lstrip("0") if groups else ""
    # A short sequence ("000042") alone in a text is a day or an amount as often as it is this number.
    return last if len(last) >= MIN_DIGITS else "\0"


def _first_within(number: str, tokens: dict[int, list[tuple[int, str]]]) -> int | None:
    """The position of the first of ``tokens`` (by length: position, text) one character or less away from
    ``number``. Only a token one character longer or shorter can be: the others are not compared at all."""
    first: int | None = None
    for length in (len(number) - 1, len(number), len(number) + 1):
        for n, token in tokens.get(length, ()):
            if (first is None or n < first) and DamerauLevenshtein.distance(token, number, score_cutoff=1) <= 1:
                first = n
                break
    return first


@lru_cache(maxsize=64)
def _penalised(grade: str, digits_only: bool, converted: bool) -> tuple[Decimal, Decimal]:
    """A grade's confidences (alone, confirmed) less the penalties for a number found by its digits only and for a
    converted amount: a few grades and flags, worked out once rather than in Decimals for every payment."""
    penalty = (DIGITS_ONLY_PENALTY if digits_only else D(0)) + (FX_PENALTY if converted else D(0))
    alone, confirmed = CONFIDENCE[grade]
    return alone - penalty, confirmed - penalty


@lru_cache(maxsize=1 << 12)
def _number_keys(number: str) -> frozenset[str]:
    return frozenset(item_keys(number))


def _all_digits(number: str) -> str:
    return "".join(_DIGIT_GROUP.findall(number)).lstrip("0")


def _by_length(tokens: list[tuple[int, str]]) -> dict[int, list[tuple[int, str]]]:
    by_length: dict[int, list[tuple[int, str]]] = {}
    for n, token in tokens:
        by_length.setdefault(len(token), []).append((n, token))
    return by_length


def _one_edit_apart(number: str, reference: str | None, other: OpenItem) -> bool:
    """Whether one character typed wrong (replaced, lost, added, two swapped) turns an item's number or reference
    (compacted; None when it has none) into ``other``'s.

    Compacted without a cache: the items compared are a million different ones, and a cache that misses costs
    more than the compacting it would save."""
    if DamerauLevenshtein.distance(number, compact(other.number), score_cutoff=1) <= 1:
        return True
    return bool(
        reference is not None
        and other.reference
        and DamerauLevenshtein.distance(reference, compact(other.reference), score_cutoff=1) <= 1
    )


def _found_how(item: OpenItem, where: str, key: str, exact: bool) -> str:
    return f"{item.number} found in the {where}" + _how_read(item, key, exact)


def _how_read(item: OpenItem, key: str, exact: bool) -> str:
    if exact:
        return ""
    if key in (digits_key(item.number), digits_key(item.reference)):
        return " (digits only)"
    return " (read without its zeros or its prefix)"


# Oldest first, by number on the same day; read in C: every payment sorts items by it.
_age: Callable[[OpenItem], tuple[date, str]] = attrgetter("due_date", "number")


def _sum(items: Sequence[OpenItem], currency: str) -> Money:
    # Decimals first, one Money at the end: this runs for every payment, and a Money checks itself when made.
    if len(items) == 1 and items[0].open_amount.currency == currency:
        return items[0].open_amount
    total = D(0)
    for item in items:
        if item.open_amount.currency != currency:
            raise CurrencyMismatchError(f"cannot add {item.open_amount.currency} to {currency}")
        total += item.open_amount.amount
    return Money(total, currency)


@lru_cache(maxsize=64)
def _zero(currency: str) -> Money:
    return Money.zero(currency)


def _settle(items: Sequence[OpenItem], short: Decimal) -> tuple[Allocation, ...]:
    """Each item paid in full, less what the payment fell short by, written off on the youngest invoice that
    owes more than that; when none does, spread over the invoices from the youngest back, so that no
    allocation turns negative."""
    allocations = [Allocation(i.item_id, i.number, i.open_amount) for i in items]
    if not short:
        return tuple(allocations)
    invoices = [n for n, i in enumerate(items) if i.open_amount.amount > 0]
    carriers = [n for n in invoices if items[n].open_amount.amount > short]
    left = short
    for n in carriers[-1:] or invoices[::-1]:
        if left <= 0:
            break
        item = items[n]
        write_off = Money(min(left, item.open_amount.amount), item.open_amount.currency)
        allocations[n] = Allocation(item.item_id, item.number, item.open_amount - write_off, write_off)
        left -= write_off.amount
    return tuple(allocations)


def _in_order(items: Sequence[OpenItem], paid: Money) -> tuple[Allocation, ...]:
    """A partial payment: credit notes first (they add to what there is to share), then the oldest items."""
    ordered = sorted(items, key=lambda i: (i.open_amount.amount > 0, i.due_date, i.number))
    left = paid
    allocations: list[Allocation] = []
    for item in ordered:
        if item.open_amount.amount <= 0:
            allocations.append(Allocation(item.item_id, item.number, item.open_amount))
            left = left - item.open_amount
            continue
        if left.amount <= 0:
            break
        take = item.open_amount if item.open_amount <= left else left
        allocations.append(Allocation(item.item_id, item.number, take))
        left = left - take
    return tuple(allocations)


def _amount_reason(paid: Money, due: Money, short: Decimal, what: str) -> str:
    if short == 0:
        return f"{_shown(paid)} is exactly what {what} owe"
    return (
        f"{_shown(paid)} settles the {_shown(due)} {what} owe, short by {short} {due.currency} (within the tolerance)"
    )


def _shown(money: Money) -> str:
    """``str(money)`` without making a rounded Money first (this is on every payment's way)."""
    return f"{money.amount.quantize(_QUANTUM[money.minor_units], rounding=ROUND_HALF_UP)} {money.currency}"


_QUANTUM = {places: D(1).scaleb(-places) for places in range(0, 7)}
_CENT = _QUANTUM[2]
