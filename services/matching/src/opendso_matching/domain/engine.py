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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from opendso_money import Money
from rapidfuzz.distance import DamerauLevenshtein

from opendso_matching.domain.amounts import Tolerance, convert, find_subsets, short_by
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
    "subset_of_items": (D("0.82"), D("0.92")),
    "one_item_within_tolerance": (D("0.80"), D("0.90")),
    "nothing_fits": (D("0.70"), D("0.90")),
}
# Subtracted when the evidence is weaker than its grade assumes.
DIGITS_ONLY_PENALTY = D("0.02")
FX_PENALTY = D("0.01")
CONFLICT_CAP = D("0.60")


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


@dataclass
class _Named:
    """What the references name: open items (in the order named, with how each was found), items already
    paid, and credit notes found only through their reference, which is the number of a named invoice."""

    items: list[OpenItem]
    how: dict[str, str]
    paid: list[OpenItem]
    related: list[OpenItem]


@dataclass
class _Customer:
    customer_id: str
    # "iban", "name" or "" (only the references say it)
    by: str
    reason: str


class _Matcher:
    def __init__(self, payment: Payment, index: MatchIndex, config: MatchConfig, rates: RateLookup | None) -> None:
        self.payment = payment
        self.index = index
        self.config = config
        self.rates = rates
        self.reasons: list[str] = []
        self.rate: Decimal | None = None

    # --- the decision ---------------------------------------------------------------------------

    def run(self) -> Proposal:
        p = self.payment
        if p.amount.amount <= 0:
            return self._proposal(Outcome.IGNORED, D(0), None, (), p.amount, ["money paid out, not a customer payment"])
        named = self._referenced_items()
        iban_customer = self._iban_customer()
        names = self._name_matches()
        if named.items:
            return self._by_references(named, iban_customer, names)
        if named.paid:
            # Quoting a paid item is no ground for applying the money to some other item of the customer.
            return self._already_paid(named.paid, iban_customer)
        customer = iban_customer or self._named_customer(names)
        if customer is None:
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
        keys: list[tuple[str, str]] = []
        if p.structured_reference:
            scheme = p.structured_reference_type or "structured"
            keys.append((compact(p.structured_reference), f"{scheme} reference {p.structured_reference}"))
            digits = digits_key(p.structured_reference)
            if digits is not None:
                keys.append((digits, f"{scheme} reference {p.structured_reference}"))
        keys.extend((key, "remittance text") for key in text_keys(p.remittance_text))
        found: dict[str, OpenItem] = {}
        how: dict[str, str] = {}
        paid: dict[str, OpenItem] = {}
        # A credit note's reference is often the number of the invoice it credits: quoting the invoice
        # finds the credit note too, which the payer did not name.
        by_reference: dict[str, tuple[OpenItem, str]] = {}
        for key, where in keys:
            for item in self.index.items_by_key(key):
                if item.entity != p.entity or item.item_id in paid:
                    continue
                if not item.is_open:
                    paid[item.item_id] = item
                    self.reasons.append(f"{item.number} is named in the {where} but is already paid")
                    continue
                exact = key == compact(item.number) or bool(item.reference and key == compact(item.reference))
                found_how = f"{item.number} found in the {where}" + ("" if exact else " (digits only)")
                if item.item_id in found:
                    # A longer run of the text yields the digits of a number before the number itself is
                    # read ("INV F2024000123"): the item is named exactly if any key says so.
                    if exact:
                        how[item.item_id] = found_how
                    continue
                if item.open_amount.amount < 0 and key not in item_keys(item.number):
                    earlier = by_reference.get(item.item_id)
                    if earlier is None or exact:
                        by_reference[item.item_id] = (item, found_how)
                    continue
                found[item.item_id] = item
                how[item.item_id] = found_how
        numbers = {compact(i.number) for i in (*found.values(), *paid.values())}
        related: list[OpenItem] = []
        for item_id, (item, found_how) in by_reference.items():
            if item_id in found:
                continue
            if compact(item.reference) in numbers:
                related.append(item)
            else:
                found[item_id] = item
                how[item_id] = found_how
        return _Named(list(found.values()), how, list(paid.values()), related)

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

    def _by_references(
        self, named: _Named, iban_customer: _Customer | None, names: list[tuple[str, float, str]]
    ) -> Proposal:
        how = named.how
        customers = {i.customer_id for i in named.items}
        chosen: str | None = None
        if len(customers) == 1:
            chosen = next(iter(customers))
        else:
            for candidate in (iban_customer.customer_id if iban_customer else None, names[0][0] if names else None):
                if candidate in customers:
                    chosen = candidate
                    break
            if chosen is None:
                self.reasons.append("the references name items of several customers: " + ", ".join(sorted(customers)))
                return self._proposal(Outcome.REVIEW, D("0.40"), None, (), self.payment.amount)
            self.reasons.append(f"the references name several customers; {chosen} is the payer's")
        items = sorted((i for i in named.items if i.customer_id == chosen), key=_age)
        self.reasons.extend(how[i.item_id] for i in items)
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
        name_score = next((score for cid, score, _ in names if cid == chosen), None)
        if name_score is not None and name_score >= self.config.strong_name:
            corroborated = True
            self.reasons.append(f"counterparty name '{self.payment.counterparty_name}' fits ({name_score:.0f})")
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
        digits_only = all(how[i.item_id].endswith("(digits only)") for i in items)
        related = [i for i in named.related if i.customer_id == chosen and i.open_amount.currency == paid.currency]
        taken = {i.item_id for i in (*items, *related)}
        credits = [
            i
            for i in self.index.open_items_of(chosen)
            if i.open_amount.amount < 0
            and i.entity == self.payment.entity
            and i.open_amount.currency == paid.currency
            and i.item_id not in taken
        ]
        grade, allocations, rest = self._fit_referenced(items, paid, sorted(related, key=_age), credits)
        confidence = CONFIDENCE[grade][1 if corroborated else 0]
        if digits_only:
            confidence -= DIGITS_ONLY_PENALTY
        if self.rate is not None:
            confidence -= FX_PENALTY
        if conflict:
            confidence = min(confidence, CONFLICT_CAP)
        return self._decide(confidence, chosen, allocations, rest)

    def _fit_referenced(
        self, items: list[OpenItem], paid: Money, related: list[OpenItem], credits: list[OpenItem]
    ) -> tuple[str, tuple[Allocation, ...], Money]:
        """How the payment fits the named items. ``related`` are credit notes on them the payer did not name,
        ``credits`` the customer's other open credit notes."""
        total = _sum(items, paid.currency)
        converted = self.rate is not None
        short = short_by(paid.amount, total.amount, self.config.tolerance, converted=converted)
        if short is not None:
            self.reasons.append(_amount_reason(paid, total, short, "the named items"))
            grade = "reference_exact_amount" if short == 0 else "reference_within_tolerance"
            return grade, _settle(items, short), Money.zero(paid.currency)
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
                    Money.zero(paid.currency),
                )
        if len(items) > 1:
            for item in items:
                if item.open_amount == paid:
                    self.reasons.append(f"{paid} is exactly what {item.number} still owes")
                    return "reference_subset", _settle([item], D(0)), Money.zero(paid.currency)
            subsets = find_subsets(items, paid.amount)
            if subsets.unique is not None:
                chosen = subsets.unique
                self.reasons.append(f"{paid} is what {', '.join(i.number for i in chosen)} owe together")
                return "reference_subset", _settle(list(chosen), D(0)), Money.zero(paid.currency)
        # A payer also nets a credit note it does not name: only to the cent and only one credit note
        # can do it, since a partial payment may come close by chance.
        netting = [c for c in credits if total.amount + c.open_amount.amount == paid.amount]
        if len(netting) == 1 and paid.amount > 0:
            credit = netting[0]
            self.reasons.append(f"{paid} is exactly what the named items owe less the credit note {credit.number}")
            return (
                "reference_credit_netted",
                _settle(sorted([*items, credit], key=_age), D(0)),
                Money.zero(paid.currency),
            )
        if total.amount <= 0:
            # Credit notes outweigh what is named: settling them would leave more unallocated than was paid.
            self.reasons.append(f"the named items owe nothing in total ({total}): {paid} stays unallocated")
            return "reference_nothing_owed", (), paid
        if paid.amount < total.amount:
            allocations = _in_order(items, paid)
            self.reasons.append(f"{paid} pays part of the {total} the named items owe")
            grade = "reference_partial_one" if len(items) == 1 else "reference_partial_several"
            return grade, allocations, Money.zero(paid.currency)
        rest = paid - total
        self.reasons.append(f"{paid} is more than the {total} the named items owe: {rest} stays unallocated")
        return "reference_overpaid", _settle(items, D(0)), rest

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
        p = self.payment
        if not p.counterparty_name:
            return []
        found = []
        for m in self.index.names.best(p.counterparty_name, cutoff=self.config.name_cutoff):
            customer = self.index.customer(m.customer_id)
            if customer is None or customer.entity == p.entity:
                found.append((m.customer_id, m.score, m.matched))
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
        strong = customer.by == "iban"
        level = 1 if strong else 0
        cid = customer.customer_id
        items = sorted((i for i in self.index.open_items_of(cid) if i.entity == self.payment.entity), key=_age)
        paid = self._paid_in(items) if items else self.payment.amount
        if paid is None:
            return self._proposal(Outcome.REVIEW, D("0.50"), cid, (), self.payment.amount)
        items = [i for i in items if i.open_amount.currency == paid.currency]
        fx = FX_PENALTY if self.rate is not None else D(0)
        typos = self._typo_references(items)
        if typos:
            total = _sum(typos, paid.currency)
            short = short_by(paid.amount, total.amount, self.config.tolerance, converted=self.rate is not None)
            if short is not None:
                self.reasons.append(_amount_reason(paid, total, short, "those items"))
                confidence = CONFIDENCE["typo_reference"][level] - fx
                return self._decide(confidence, cid, _settle(typos, short), Money.zero(paid.currency))
            self.reasons.append(f"{paid} is not what {', '.join(i.number for i in typos)} owe ({total})")
        invoices = [i for i in items if i.open_amount.amount > 0]
        exact = [i for i in invoices if i.open_amount == paid]
        if len(exact) == 1:
            self.reasons.append(f"{paid} is exactly what {exact[0].number} owes, the only item of that amount")
            confidence = CONFIDENCE["one_item_amount"][level] - fx
            return self._decide(confidence, cid, _settle(exact, D(0)), Money.zero(paid.currency))
        if len(exact) > 1:
            self.reasons.append(
                f"{paid} is what each of {', '.join(i.number for i in exact)} owes: the oldest is proposed"
            )
            confidence = CONFIDENCE["same_amount_several_items"][level] - fx
            return self._decide(
                confidence,
                cid,
                _settle(exact[:1], D(0)),
                Money.zero(paid.currency),
                alternatives=tuple(i.item_id for i in exact[1:]),
            )
        if len(items) >= 2:
            balance = _sum(items, paid.currency)
            short = short_by(paid.amount, balance.amount, self.config.tolerance, converted=self.rate is not None)
            if short is not None:
                self.reasons.append(
                    _amount_reason(paid, balance, short, "the whole open balance (credit notes netted)")
                )
                confidence = CONFIDENCE["whole_balance"][level] - fx
                return self._decide(confidence, cid, _settle(items, short), Money.zero(paid.currency))
            subsets = find_subsets(items, paid.amount)
            if subsets.unique is not None:
                chosen = list(subsets.unique)
                self.reasons.append(f"{paid} is what {', '.join(i.number for i in chosen)} owe together")
                confidence = CONFIDENCE["subset_of_items"][level] - fx
                return self._decide(confidence, cid, _settle(chosen, D(0)), Money.zero(paid.currency))
            if subsets.subsets:
                # Several sets (or one, but not every item searched): a collector picks; the oldest is proposed.
                first = list(subsets.subsets[0])
                others = [i.item_id for s in subsets.subsets[1:] for i in s if i not in first]
                searched = "not every item was searched" if subsets.exhausted else "several sets add up to it"
                self.reasons.append(f"{paid} is what {', '.join(i.number for i in first)} owe together, but {searched}")
                confidence = CONFIDENCE["several_subsets"][level] - fx
                return self._decide(
                    confidence,
                    cid,
                    _settle(first, D(0)),
                    Money.zero(paid.currency),
                    alternatives=tuple(dict.fromkeys(others)),
                )
        near = [
            (i, s)
            for i in invoices
            if (
                s := short_by(paid.amount, i.open_amount.amount, self.config.tolerance, converted=self.rate is not None)
            )
            is not None
        ]
        if len(near) == 1:
            item, short = near[0]
            self.reasons.append(_amount_reason(paid, item.open_amount, short, item.number))
            confidence = CONFIDENCE["one_item_within_tolerance"][level] - fx
            return self._decide(confidence, cid, _settle([item], short), Money.zero(paid.currency))
        typo_total = _sum(typos, paid.currency)
        if typos and typo_total.amount > 0:
            # The text names these items, only the amount differs: a part, or more than they owe.
            if paid < typo_total:
                self.reasons.append(f"{paid} pays part of the {typo_total} they owe")
                allocations, rest = _in_order(typos, paid), Money.zero(paid.currency)
            else:
                rest = paid - typo_total
                self.reasons.append(f"{paid} is more than the {typo_total} they owe: {rest} stays unallocated")
                allocations = _settle(typos, D(0))
            confidence = CONFIDENCE["typo_reference_amount_differs"][level] - fx
            return self._decide(confidence, cid, allocations, rest)
        self.reasons.append(f"no open item fits {paid}: it is recorded as an unallocated payment of {cid}")
        confidence = CONFIDENCE["nothing_fits"][level] - fx
        return self._decide(confidence, cid, (), paid)

    def _typo_references(self, items: Sequence[OpenItem]) -> list[OpenItem]:
        """The customer's items the text names with one character wrong, or by a short number ("invoice 42")."""
        tokens = text_tokens(self.payment.remittance_text)
        if not tokens or not items:
            return []
        # Runs of up to four tokens, as for the keys ("F 2024 000124"); in text order so that the
        # reasons do not depend on set order.
        runs = ("".join(tokens[i : i + n]) for i in range(len(tokens)) for n in (1, 2, 3, 4) if i + n <= len(tokens))
        candidates = list(dict.fromkeys(runs))
        found: list[OpenItem] = []
        for item in items:
            number = compact(item.number)
            number_digits = "".join(c for c in number if c.isdigit()).lstrip("0")
            # The prefix is often dropped or a noise word ("INV-2024-0457" quoted as "2024-0475"): the
            # digits are compared too.
            significant = digits_key(item.number)
            for token in candidates:
                if len(token) >= MIN_DIGITS and DamerauLevenshtein.distance(token, number, score_cutoff=1) <= 1:
                    found.append(item)
                    self.reasons.append(f"'{token}' in the remittance text is {item.number} with one character off")
                    break
                token_digits = token.lstrip("0") if token.isdigit() else ""
                if (
                    significant is not None
                    and len(token_digits) >= MIN_DIGITS
                    and DamerauLevenshtein.distance(token_digits, significant, score_cutoff=1) <= 1
                ):
                    found.append(item)
                    self.reasons.append(
                        f"'{token}' in the remittance text is the number of {item.number} with one digit off"
                    )
                    break
                if token.isdigit() and len(token.lstrip("0")) >= 2 and token.lstrip("0") == number_digits:
                    found.append(item)
                    self.reasons.append(f"'{token}' in the remittance text is the number of {item.number}")
                    break
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
        return Proposal(
            transaction_id=self.payment.transaction_id,
            outcome=outcome,
            confidence=confidence.quantize(D("0.01")),
            customer_id=customer_id,
            allocations=allocations,
            unallocated=unallocated,
            reasons=tuple(reasons if reasons is not None else self.reasons),
            rate=self.rate,
            alternatives=alternatives,
        )


def _age(item: OpenItem) -> tuple[date, str]:
    return item.due_date, item.number


def _sum(items: Sequence[OpenItem], currency: str) -> Money:
    total = Money.zero(currency)
    for item in items:
        total = total + item.open_amount
    return total


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
        return f"{paid} is exactly what {what} owe"
    return f"{paid} settles the {due} {what} owe, short by {short} {due.currency} (within the tolerance)"
