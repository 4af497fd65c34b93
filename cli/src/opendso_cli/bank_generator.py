"""Labelled bank lines against generated receivables: the matching engine's benchmark set.

Given the customers and open items of :mod:`opendso_cli.generator` (rows grouped by customer, as
``generate_rows`` and ``items_for_bench`` yield them), :func:`generate_bank_set` writes what a month
of bank statements would hold for that ledger: each line is the domain's :class:`Payment` plus its
:class:`Truth`, what it really pays (items, amounts, write-offs), for whom, and what is left over.
The truth is what a careful collector would book, not what the engine is expected to find: a
payment nobody could attribute still has its true customer.

The mix (:data:`DEFAULT_MIX`, shares of payment *events*; a partial payment is two or three lines,
a duplicate two):

========================  ====  ========================================================================
scenario                  %     what the payer sends
========================  ====  ========================================================================
clean                     24    the invoice number as printed (CZ/SK: the variable symbol), exact amount
noisy_reference           12    the number with words before it, other separators, lower case, zeros
                                dropped or added, the entity prefix left out, or the buyer's own order
                                number instead (see :data:`_NOISE`)
typo                       5    the number with one character wrong (replaced, swapped, lost, doubled)
no_reference               9    exact amount of one invoice, only a name and/or an IBAN to go by
several_listed             6    two to five invoices (now and then a credit note) listed, their total
several_unlisted           4    the oldest two to four invoices, their total, not listed
partial                    4    one invoice paid in two or three instalments, or one part and no more
overpayment                3    more than the invoice: rounded up, or with late interest
credit_netted              4    an invoice less a credit note, both listed, the invoice only, or neither
whole_balance              2    the customer's whole balance, credit notes and payments on account netted
short_paid                 4    an invoice less a few cents to two units (fees, rounding): written off
foreign_currency           5    invoices paid in another currency (the payer's bank rate within 1.2 %
                                of :data:`RATES`, below it: the difference is written off)
on_account                 2    a round advance that pays nothing open: stays on the customer's account
duplicate                  1    an invoice paid twice: the second line is the customer's money, unallocated
suspense                   5    nobody's: rent, refunds, tax, unknown payers, invoice-like numbers
paid_out                   2    money paid out (suppliers, bank charges): not for cash application
========================  ====  ========================================================================

Across the customer scenarios, the counterparty name is as held, as a bank writes it (SEPA
characters, upper case, often cut at 35), without or with another legal form, abbreviated, with a
typo, a contact person's, a payment provider's or parent's, or missing (:data:`NAME_STYLES`). Most
lines carry the payer's IBAN; the index knows it for ``known_iban_share`` of the customers, as if
from earlier confirmations (:attr:`BankSet.known_ibans`), and a learned alias for half the customers
paying under a person's name. Remittance texts are cut at 140 characters as SEPA does, and a
quarter carry a date, an amount or the customer number as noise.

The truth assumes every earlier line was booked as its truth says: a second instalment's truth is
what it pays, whatever became of the first, and a duplicate's is nothing once the first was booked.

Streaming: customers are read once, one at a time (a million items never sit in memory here); the
lines themselves (100,000 of them) are kept, then sorted by booking date. Deterministic: one
``random.Random`` from ``seed``.
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from types import MappingProxyType

from opendso_matching.domain.model import Allocation, Customer, OpenItem, Payment, Proposal
from opendso_money import Money

from opendso_cli.demo import HEADER
from opendso_cli.generator import DEFAULT_ENTITIES, MEDIAN_AMOUNTS

D = Decimal
CENT = D("0.01")
_COLUMN = {name: index for index, name in enumerate(HEADER)}


class Scenario(StrEnum):
    CLEAN = "clean"
    NOISY_REFERENCE = "noisy_reference"
    TYPO = "typo"
    NO_REFERENCE = "no_reference"
    SEVERAL_LISTED = "several_listed"
    SEVERAL_UNLISTED = "several_unlisted"
    PARTIAL = "partial"
    OVERPAYMENT = "overpayment"
    CREDIT_NETTED = "credit_netted"
    WHOLE_BALANCE = "whole_balance"
    SHORT_PAID = "short_paid"
    FOREIGN_CURRENCY = "foreign_currency"
    ON_ACCOUNT = "on_account"
    DUPLICATE = "duplicate"
    SUSPENSE = "suspense"
    PAID_OUT = "paid_out"


DEFAULT_MIX: Mapping[Scenario, int] = MappingProxyType(
    {
        Scenario.CLEAN: 24,
        Scenario.NOISY_REFERENCE: 12,
        Scenario.TYPO: 5,
        Scenario.NO_REFERENCE: 9,
        Scenario.SEVERAL_LISTED: 6,
        Scenario.SEVERAL_UNLISTED: 4,
        Scenario.PARTIAL: 4,
        Scenario.OVERPAYMENT: 3,
        Scenario.CREDIT_NETTED: 4,
        Scenario.WHOLE_BALANCE: 2,
        Scenario.SHORT_PAID: 4,
        Scenario.FOREIGN_CURRENCY: 5,
        Scenario.ON_ACCOUNT: 2,
        Scenario.DUPLICATE: 1,
        Scenario.SUSPENSE: 5,
        Scenario.PAID_OUT: 2,
    }
)
_NOBODY = (Scenario.SUSPENSE, Scenario.PAID_OUT)

# Counterparty names (weight): how the payer's name reaches us.
NAME_STYLES: tuple[tuple[str, int], ...] = (
    ("as_held", 25),
    ("bank", 33),
    ("no_legal_form", 10),
    ("abbreviated", 5),
    ("typo", 8),
    ("contact_person", 5),
    ("other_payer", 4),
    ("missing", 10),
)

# Units of each currency for one euro: the rate table the truth of converted payments is computed
# with, and the one the engine is given (see RateTable).
RATES: Mapping[str, Decimal] = MappingProxyType(
    {
        "EUR": D("1"),
        "CZK": D("25.12"),
        "PLN": D("4.268"),
        "GBP": D("0.8493"),
        "RON": D("4.9768"),
        "TRY": D("45.62"),
        "USD": D("1.0815"),
    }
)


@dataclass(frozen=True)
class RateTable:
    """The day's rates, the same every day of the benchmark: (from, to, on) -> units of ``to`` per ``from``."""

    per_eur: Mapping[str, Decimal] = field(default_factory=lambda: RATES)

    def rate(self, source: str, target: str, on: date) -> Decimal | None:
        if source == target:
            return D(1)
        from_eur, to_eur = self.per_eur.get(source), self.per_eur.get(target)
        if from_eur is None or to_eur is None:
            return None
        return (to_eur / from_eur).quantize(D("0.000001"))


@dataclass(frozen=True)
class BankConfig:
    """What to generate. ``customers`` is how many customers the rows hold (``items // 10`` for
    ``items_for_bench``): the lines are spread over them as they stream by. ``today`` is the ledger's
    date; lines are booked in the ``days`` after it."""

    seed: int = 11
    lines: int = 1000
    customers: int = 100
    today: date = field(default_factory=date.today)
    days: int = 20
    mix: Mapping[Scenario, int] = field(default_factory=lambda: DEFAULT_MIX)
    known_iban_share: float = 0.4
    iban_on_line_share: float = 0.85
    entity_currencies: Mapping[str, str] = field(default_factory=lambda: {e.code: e.currency for e in DEFAULT_ENTITIES})

    def __post_init__(self) -> None:
        if self.lines < 0 or self.customers < 0:
            raise ValueError("lines and customers must not be negative")
        if not 0 <= self.known_iban_share <= 1 or not 0 <= self.iban_on_line_share <= 1:
            raise ValueError("shares must be between 0 and 1")
        if any(weight < 0 for weight in self.mix.values()) or not any(self.mix.values()):
            raise ValueError("the mix needs non-negative weights, some positive")


@dataclass(frozen=True, slots=True)
class LedgerCustomer:
    """One customer of the generated ledger with its items, as the index and the generator see them."""

    customer: Customer
    country: str
    language: str
    contact: str
    currency: str
    items: tuple[OpenItem, ...]


@dataclass(frozen=True, slots=True)
class TrueAllocation:
    item_id: str
    amount: Money
    # The short-paid rest the payment settles anyway, in the item's currency.
    write_off: Money | None = None

    @property
    def settled(self) -> Money:
        return self.amount if self.write_off is None else self.amount + self.write_off


@dataclass(frozen=True, slots=True)
class Truth:
    """What a line really is. ``paid`` is its amount in the items' currency (converted at ``rate`` when the
    payer paid in another one): the allocations' amounts and ``unallocated`` add up to it."""

    scenario: Scenario
    # Which form of the scenario ("zeros_dropped", "three_parts", ...) and how the payer's name came.
    variant: str
    name_style: str
    customer_id: str | None
    allocations: tuple[TrueAllocation, ...]
    paid: Money
    unallocated: Money
    rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BankLine:
    payment: Payment
    truth: Truth


@dataclass(frozen=True)
class BankSet:
    """The lines in booking order, and what the index learned before them."""

    lines: tuple[BankLine, ...]
    # (IBAN, customer id): counterparties confirmed earlier.
    known_ibans: tuple[tuple[str, str], ...]
    # (customer id, name): names customers were seen paying under.
    aliases: tuple[tuple[str, str], ...]
    rates: RateTable
    customers: int
    items: int


# --- reading the generated ledger ------------------------------------------------------------------------


def item_from_row(row: Sequence[str]) -> OpenItem:
    entity, kind, number = row[_COLUMN["entity"]], row[_COLUMN["item_type"]], row[_COLUMN["item_number"]]
    return OpenItem(
        item_id=f"{entity}/{kind}/{number}",
        customer_id=f"{entity}/{row[_COLUMN['account_number']]}",
        entity=entity,
        number=number,
        kind=kind,
        due_date=date.fromisoformat(row[_COLUMN["due_date"]]),
        open_amount=Money(D(row[_COLUMN["open_amount"]]), row[_COLUMN["currency"]]),
        reference=row[_COLUMN["reference"]],
    )


def ledger_customers(rows: Iterable[Sequence[str]]) -> Iterator[LedgerCustomer]:
    """The rows' customers with their items, one at a time; the rows must come grouped by customer."""
    current: list[Sequence[str]] = []
    for row in rows:
        if current and (row[0], row[1]) != (current[0][0], current[0][1]):
            yield _ledger_customer(current)
            current = []
        current.append(row)
    if current:
        yield _ledger_customer(current)


def _ledger_customer(rows: list[Sequence[str]]) -> LedgerCustomer:
    first = rows[0]
    entity, account = first[_COLUMN["entity"]], first[_COLUMN["account_number"]]
    return LedgerCustomer(
        customer=Customer(f"{entity}/{account}", entity, first[_COLUMN["customer_name"]], account),
        country=first[_COLUMN["country"]],
        language=first[_COLUMN["language"]],
        contact=first[_COLUMN["contact_name"]],
        currency=first[_COLUMN["currency"]],
        items=tuple(item_from_row(row) for row in rows),
    )


# --- judging a proposal ---------------------------------------------------------------------------------


class Verdict(StrEnum):
    CORRECT = "correct"
    WRONG_CUSTOMER = "wrong customer"
    # Nothing allocated although the line pays items: the money sits on the right customer's account.
    LEFT_ON_ACCOUNT = "left on account"
    # The right items plus (or less) some that net to zero, a fully credited invoice and its credit note: no
    # money goes astray, but the payer did not settle those.
    ZERO_SUM_ITEMS = "items netting to zero"
    WRONG_ITEMS = "wrong items"
    WRONG_AMOUNTS = "wrong amounts"
    WRONG_UNALLOCATED = "wrong unallocated"


def judge(truth: Truth, proposal: Proposal) -> Verdict:
    """Whether a proposal books the line as its truth says.

    Right means: the same customer, the same items, each settled by the same amount (cash plus write-off),
    the same total write-off and the same unallocated rest. Which of several items carries a write-off
    is the engine's convention, not a fact of the payment, so it is not compared.
    """
    if proposal.customer_id != truth.customer_id:
        return Verdict.WRONG_CUSTOMER
    if truth.allocations and not proposal.allocations:
        return Verdict.LEFT_ON_ACCOUNT
    proposed = {a.item_id: _settled(a) for a in proposal.allocations}
    expected = {a.item_id: a.settled for a in truth.allocations}
    if proposed.keys() != expected.keys():
        extra = sum((m.amount for i, m in proposed.items() if i not in expected), D(0))
        missing = sum((m.amount for i, m in expected.items() if i not in proposed), D(0))
        common_right = all(proposed[i] == m for i, m in expected.items() if i in proposed)
        if common_right and extra == missing == 0 and proposal.unallocated == truth.unallocated:
            return Verdict.ZERO_SUM_ITEMS
        return Verdict.WRONG_ITEMS
    if proposed != expected:
        return Verdict.WRONG_AMOUNTS
    if _write_offs(a.write_off for a in proposal.allocations) != _write_offs(a.write_off for a in truth.allocations):
        return Verdict.WRONG_AMOUNTS
    if proposal.unallocated != truth.unallocated:
        return Verdict.WRONG_UNALLOCATED
    return Verdict.CORRECT


def _settled(allocation: Allocation) -> Money:
    return allocation.amount if allocation.write_off is None else allocation.amount + allocation.write_off


def _write_offs(values: Iterable[Money | None]) -> Decimal:
    return sum((v.amount for v in values if v is not None), D(0))


# --- a statement file for `opendso match` -------------------------------------------------------------------

STATEMENT_HEADER = (
    "booking_date",
    "amount",
    "currency",
    "counterparty_name",
    "counterparty_iban",
    "remittance_text",
    "variable_symbol",
    "structured_reference",
    "end_to_end_id",
)


def statement_csv(lines: Iterable[BankLine]) -> bytes:
    """The lines as an online-banking CSV export the importer reads (one line per row, the transaction id as
    end-to-end id)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(STATEMENT_HEADER)
    for line in lines:
        p = line.payment
        czech = p.structured_reference_type == "CZ_VS"
        writer.writerow(
            [
                p.booking_date.isoformat(),
                str(p.amount.amount),
                p.amount.currency,
                p.counterparty_name,
                p.counterparty_iban,
                p.remittance_text,
                p.structured_reference if czech else "",
                "" if czech else p.structured_reference,
                p.transaction_id,
            ]
        )
    return out.getvalue().encode("utf-8")


# --- generating -----------------------------------------------------------------------------------------


def generate_bank_set(customers: Iterable[LedgerCustomer], config: BankConfig) -> BankSet:
    """Bank lines for ``customers`` (read once, in order), about ``config.lines`` of them (exactly, unless the
    customers run out of items to pay), in booking order with ids ``TX0000001``..."""
    return _BankGenerator(config).run(customers)


@dataclass(slots=True)
class _Draft:
    booking_date: date
    order: float
    entity: str
    amount: Money
    name: str
    iban: str
    text: str
    structured: str
    structured_type: str
    truth: Truth


@dataclass(frozen=True, slots=True)
class _Payer:
    name: str
    iban: str
    style: str


@dataclass(frozen=True, slots=True)
class _Reference:
    text: str
    structured: str = ""
    structured_type: str = ""
    variant: str = "as_printed"


# How a payer quotes a number, by weight (see _noisy_number).
_NOISE: tuple[tuple[str, int], ...] = (
    ("prefix_word", 26),
    ("separators", 22),
    ("lower_case", 8),
    ("zeros_dropped", 9),
    ("zeros_added", 5),
    ("no_entity_prefix", 12),
    ("buyer_reference", 18),
)
_PREFIXES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "fr": ("Facture", "Fact.", "FACTURE N°", "Règlement facture", "Fa"),
        "de": ("Rechnung", "RE", "Rg.-Nr.", "Rechnungsnr.", "Zahlung Rechnung"),
        "cs": ("Faktura", "Fa č.", "Úhrada faktury"),
        "sk": ("Faktúra", "Úhrada FA", "Fa"),
        "pl": ("Faktura", "FV", "Zapłata za fakturę"),
        "ro": ("Factura", "Plata factura", "Contravaloare factura"),
        "tr": ("Fatura", "Fatura no", "Ödeme fatura"),
        "en": ("Invoice", "INV", "Inv no.", "Payment of invoice", "Ref"),
    }
)
_AND: Mapping[str, str] = MappingProxyType(
    {"fr": "et", "de": "und", "cs": "a", "sk": "a", "pl": "i", "ro": "si", "tr": "ve", "en": "and"}
)
_PARTIAL_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "fr": "Acompte facture",
        "de": "Teilzahlung Rechnung",
        "cs": "Částečná úhrada fa",
        "sk": "Čiastočná úhrada fa",
        "pl": "Częściowa zapłata FV",
        "ro": "Plata partiala factura",
        "tr": "Kismi odeme fatura",
        "en": "Part payment invoice",
    }
)
_GENERIC_TEXTS: tuple[str, ...] = (
    "",
    "Zahlung",
    "Sammelüberweisung",
    "Paiement factures",
    "Règlement fournisseur",
    "Úhrada faktur",
    "Platba",
    "Zapłata za faktury",
    "Plata facturi",
    "Ödeme",
    "Payment",
    "Invoices October",
    "Supplier payment run",
)
_BALANCE_TEXTS: tuple[str, ...] = (
    "Saldo",
    "Kontoausgleich",
    "Solde compte",
    "Balance",
    "Vyrovnání salda",
    "Saldo konta",
)
_ADVANCE_TEXTS: tuple[str, ...] = ("Anzahlung", "Vorauszahlung", "Acompte", "Advance payment", "Záloha", "Zaliczka", "")
_NETTING: Mapping[str, str] = MappingProxyType(
    {
        "fr": "moins avoir",
        "de": "abzgl. Gutschrift",
        "cs": "minus dobropis",
        "sk": "minus dobropis",
        "pl": "minus korekta",
        "ro": "minus storno",
        "tr": "eksi iade",
        "en": "less credit note",
    }
)
_OTHER_PAYERS: tuple[str, ...] = (
    "PAYPAL EUROPE S.A R.L. ET CIE S.C.A",
    "STRIPE TECHNOLOGY EUROPE LTD",
    "ADYEN N.V.",
    "Creditreform Inkasso GmbH",
    "EUROFACTOR AG",
    "Coface Finanz GmbH",
)
_NOBODY_NAMES: tuple[str, ...] = (
    "Stadtwerke Nord",
    "Finanzamt Mitte",
    "ALLIANZ VERSICHERUNGS-AG",
    "Hausverwaltung Becker",
    "AMAZON EU S.A R.L.",
    "Urzad Skarbowy",
    "DGFIP",
    "HMRC",
    "Orange Polska",
    "Vodafone GmbH",
    "Leasing Partner SE",
    "Lidl Stiftung",
)
_FIRST_NAMES: tuple[str, ...] = ("Jan", "Anna", "Pierre", "Marie", "Lukas", "Eva", "Piotr", "Ayse", "Mihai", "John")
_LAST_NAMES: tuple[str, ...] = ("Novotny", "Schmidt", "Lefevre", "Kowalczyk", "Popescu", "Yildiz", "Brown", "Horak")
_NOBODY_TEXTS: tuple[str, ...] = (
    "Miete November",
    "Rückerstattung",
    "Erstattung Steuer",
    "Remboursement",
    "Refund order 55120931",
    "Gutschrift Bonus",
    "Zinsen",
    "Transfer",
    "",
    "Vratka preplatku",
    "Invoice 2026-88231",
    "INV 7781203",
)
_PAID_OUT_TEXTS: tuple[str, ...] = ("Kontoführung", "Frais bancaires", "Lieferant 4711 Rechnung 2026-118", "Salary", "")

# Bank codes a few big banks use, and the account length, per country (IBAN = country, check, bank, account).
_BANKS: Mapping[str, tuple[tuple[str, ...], int]] = MappingProxyType(
    {
        "DE": (("37040044", "50010517", "10020030", "70020270"), 10),
        "FR": (("3000600001", "3000400003", "1027800002"), 13),
        "CZ": (("0800", "0100", "0300", "2010"), 16),
        "SK": (("0900", "1100", "0200"), 16),
        "PL": (("10901014", "10205561", "11402004"), 16),
        "GB": (("NWBK601613", "BARC200000", "HBUK401276"), 8),
        "RO": (("RNCB", "BTRL", "INGB"), 16),
        "TR": (("000100", "000620", "000460"), 16),
    }
)
_SEPA_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/-?:().,'+ ")
_FOLD = str.maketrans(
    {"ß": "ss", "ł": "l", "Ł": "L", "\u0131": "i", "\u0130": "I", "đ": "d", "Đ": "D", "ø": "o", "æ": "ae"}
)
_LEGAL_FORM_ENDINGS: tuple[str, ...] = (
    " GmbH & Co. KG",
    " UG (haftungsbeschränkt)",
    " Sp. z o.o.",
    " Ltd. Şti.",
    " GmbH",
    " s.r.o.",
    " a.s.",
    " v.o.s.",
    " k.s.",
    " S.A.",
    " Sp.j.",
    " Sp.k.",
    " s.c.",
    " SARL",
    " EURL",
    " SAS",
    " SNC",
    " SRL",
    " Ltd",
    " Limited",
    " PLC",
    " LLP",
    " A.Ş.",
    " Inc.",
    " LLC",
    " Corp.",
    " AG",
    " KG",
    " OHG",
    " SA",
)
_LONG_LEGAL_FORMS: Mapping[str, str] = MappingProxyType(
    {
        " Sp. z o.o.": " SPOLKA Z OGRANICZONA ODPOWIEDZIALNOSCIA",
        " s.r.o.": " spol. s r.o.",
        " GmbH": " Gesellschaft mit beschränkter Haftung",
        " Ltd": " Limited",
        " SARL": " S.A.R.L.",
    }
)


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    total = sum(weight for _, weight in choices)
    pick = rng.random() * total
    for value, weight in choices:
        pick -= weight
        if pick < 0:
            return value
    return choices[-1][0]


def _money(minor: int, currency: str) -> Money:
    return Money(D(minor).scaleb(-2), currency)


def _minor(money: Money) -> int:
    return int(money.amount.scaleb(2))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode("ascii")


def _age(item: OpenItem) -> tuple[date, str]:
    return item.due_date, item.number


def _iban(country: str, bban: str) -> str:
    """ISO 13616: the check digits make the rearranged number 1 modulo 97."""
    digits = "".join(str(int(c, 36)) for c in f"{bban}{country}00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


class _BankGenerator:
    def __init__(self, config: BankConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.rates = RateTable()
        self.drafts: list[_Draft] = []
        self.known_ibans: list[tuple[str, str]] = []
        self.aliases: list[tuple[str, str]] = []
        self.accounts = 0
        self.entities: dict[str, str] = {}
        total = sum(config.mix.values())
        nobody = sum(config.mix.get(s, 0) for s in _NOBODY)
        self.nobody_lines = round(config.lines * nobody / total)
        self.customer_lines = config.lines - self.nobody_lines
        self.customer_mix = [(s.value, w) for s, w in config.mix.items() if s not in _NOBODY and w > 0]
        # Lines per event: instalments come 1.9 at a time on average (see _partial), duplicates two.
        weights = dict(self.customer_mix)
        events = sum(weights.values()) or 1
        self.lines_per_event = (
            events + weights.get(Scenario.PARTIAL.value, 0) * 0.9 + weights.get(Scenario.DUPLICATE.value, 0)
        ) / events

    # -- the run

    def run(self, customers: Iterable[LedgerCustomer]) -> BankSet:
        config, rng = self.config, self.rng
        seen = items = 0
        for ledger in customers:
            seen += 1
            items += len(ledger.items)
            entity = ledger.customer.entity
            self.entities.setdefault(entity, config.entity_currencies.get(entity, ledger.currency))
            iban = self._customer_iban(ledger)
            if iban and rng.random() < config.known_iban_share:
                self.known_ibans.append((iban, ledger.customer.customer_id))
            left = self.customer_lines - len(self.drafts)
            if left <= 0:
                continue
            expected = left / max(1, config.customers - seen + 1) / self.lines_per_event
            events = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
            if events:
                self._customer_events(ledger, iban, events, left)
        # Customers fewer than announced, or out of items: the rest is nobody's money.
        self.nobody_lines += max(0, self.customer_lines - len(self.drafts))
        for n in range(self.nobody_lines):
            self._nobody(paid_out=n % 7 == 0 and config.mix.get(Scenario.PAID_OUT, 0) > 0)
        self.drafts.sort(key=lambda d: (d.booking_date, d.order))
        lines = tuple(
            BankLine(
                Payment(
                    transaction_id=f"TX{n:07d}",
                    entity=d.entity,
                    booking_date=d.booking_date,
                    amount=d.amount,
                    counterparty_name=d.name,
                    counterparty_iban=d.iban,
                    remittance_text=d.text,
                    structured_reference=d.structured,
                    structured_reference_type=d.structured_type,
                ),
                d.truth,
            )
            for n, d in enumerate(self.drafts, start=1)
        )
        return BankSet(lines, tuple(self.known_ibans), tuple(self.aliases), self.rates, seen, items)

    def _customer_events(self, ledger: LedgerCustomer, iban: str, events: int, budget: int) -> None:
        """``events`` payments of the customer, in at most ``budget`` lines."""
        rng = self.rng
        used: set[str] = set()
        for event in range(events):
            if budget <= 0:
                break
            scenario = Scenario(_weighted(rng, self.customer_mix))
            if scenario in (Scenario.PARTIAL, Scenario.DUPLICATE) and budget < 3:
                scenario = Scenario.CLEAN
            if scenario is Scenario.WHOLE_BALANCE and event > 0:
                scenario = Scenario.CLEAN
            day = self.config.today + timedelta(days=rng.randint(1, self.config.days))
            payer = self._payer(ledger, iban)
            made = self._event(scenario, ledger, used, payer, day)
            if made is None and scenario is not Scenario.CLEAN:
                made = self._event(Scenario.CLEAN, ledger, used, payer, day)
            if made is None:
                made = self._on_account(ledger, used, payer, day, "nothing_open")
            budget -= made
            if scenario is Scenario.WHOLE_BALANCE and made:
                break

    def _event(
        self, scenario: Scenario, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date
    ) -> int | None:
        """Add the scenario's lines; how many, or None when the customer's items do not allow it."""
        match scenario:
            case Scenario.CLEAN:
                return self._one_invoice(ledger, used, payer, day, scenario, noisy=False)
            case Scenario.NOISY_REFERENCE:
                return self._one_invoice(ledger, used, payer, day, scenario, noisy=True)
            case Scenario.TYPO:
                return self._typo(ledger, used, payer, day)
            case Scenario.NO_REFERENCE:
                return self._no_reference(ledger, used, payer, day)
            case Scenario.SEVERAL_LISTED:
                return self._several(ledger, used, payer, day, listed=True)
            case Scenario.SEVERAL_UNLISTED:
                return self._several(ledger, used, payer, day, listed=False)
            case Scenario.PARTIAL:
                return self._partial(ledger, used, payer, day)
            case Scenario.OVERPAYMENT:
                return self._overpayment(ledger, used, payer, day)
            case Scenario.CREDIT_NETTED:
                return self._credit_netted(ledger, used, payer, day)
            case Scenario.WHOLE_BALANCE:
                return self._whole_balance(ledger, used, payer, day)
            case Scenario.SHORT_PAID:
                return self._short_paid(ledger, used, payer, day)
            case Scenario.FOREIGN_CURRENCY:
                return self._foreign_currency(ledger, used, payer, day)
            case Scenario.ON_ACCOUNT:
                return self._on_account(ledger, used, payer, day, "advance")
            case Scenario.DUPLICATE:
                return self._duplicate(ledger, used, payer, day)
        return None

    # -- the customer's side

    def _customer_iban(self, ledger: LedgerCustomer) -> str:
        """The customer's account, the same on every line: a few big banks per country, accounts numbered."""
        bank = _BANKS.get(ledger.country)
        if bank is None:  # a US customer pays by wire without an IBAN
            return ""
        self.accounts += 1
        codes, length = bank
        account = str(self.accounts).rjust(length, "0")
        return _iban(ledger.country, self.rng.choice(codes) + account)

    def _payer(self, ledger: LedgerCustomer, iban: str) -> _Payer:
        rng = self.rng
        style = _weighted(rng, NAME_STYLES)
        name = ledger.customer.name
        if style == "as_held":
            shown = name
        elif style == "bank":
            shown = _bank_name(name)
            if rng.random() < 0.5:
                shown = shown[:35].rstrip()
        elif style == "no_legal_form":
            base = _without_legal_form(name)
            longer = next((long for short, long in _LONG_LEGAL_FORMS.items() if name.endswith(short)), None)
            shown = base + longer if longer is not None and rng.random() < 0.5 else base
            if rng.random() < 0.5:
                shown = _bank_name(shown)
        elif style == "abbreviated":
            shown = _abbreviated(name, rng)
        elif style == "typo":
            shown = _name_typo(name, rng)
        elif style == "contact_person":
            shown = ledger.contact or name
            if ledger.contact and rng.random() < 0.5:
                self.aliases.append((ledger.customer.customer_id, ledger.contact))
        elif style == "other_payer":
            words = _without_legal_form(name).split()
            shown = rng.choice(_OTHER_PAYERS) if rng.random() < 0.7 else f"{words[0] if words else name} Holding"
        else:
            shown = ""
        line_iban = iban if rng.random() < self.config.iban_on_line_share else ""
        if style == "other_payer" and line_iban:
            line_iban = _iban("DE", "50010517" + str(9_000_000_000 + rng.randrange(10**6)))
        return _Payer(shown, line_iban, style)

    def _free_invoices(self, ledger: LedgerCustomer, used: set[str]) -> list[OpenItem]:
        found = [i for i in ledger.items if i.kind == "invoice" and i.open_amount.amount > 0 and i.item_id not in used]
        found.sort(key=_age)
        return found

    def _reference(self, item: OpenItem, ledger: LedgerCustomer, *, noisy: bool) -> _Reference:
        """How the payer names one item: as printed, or with the noise of _NOISE."""
        rng = self.rng
        language = ledger.language if ledger.language in _PREFIXES else "en"
        czech = ledger.customer.entity.startswith(("CZ", "SK")) and item.reference.isdigit()
        if not noisy:
            if czech and rng.random() < 0.7:
                text = f"{rng.choice(_PREFIXES[language])} {item.number}" if rng.random() < 0.3 else ""
                return _Reference(text, item.reference, "CZ_VS", "variable_symbol")
            if rng.random() < 0.5:
                return _Reference(item.number)
            return _Reference(f"{rng.choice(_PREFIXES[language])} {item.number}")
        variant = _weighted(rng, _NOISE)
        if variant == "buyer_reference" and not item.reference:
            variant = "prefix_word"
        number = item.number
        if variant == "buyer_reference":
            if czech:
                return _Reference(f"VS {item.reference}", variant="variable_symbol_in_text")
            text = item.reference
        elif variant == "separators":
            text = number.replace("-", rng.choice(("/", " ", ".", "", "_")))
        elif variant == "lower_case":
            text = f"{rng.choice(_PREFIXES[language]).lower()} {number.lower()}"
        elif variant == "zeros_dropped":
            head, _, sequence = number.rpartition("-")
            text = f"{head}-{sequence.lstrip('0') or '0'}"
        elif variant == "zeros_added":
            head, _, sequence = number.rpartition("-")
            text = f"{head}-00{sequence}"
        elif variant == "no_entity_prefix":
            text = number.split("-", 1)[1]
            if rng.random() < 0.5:
                text = text.replace("-", "")
        else:
            text = number
        if variant != "lower_case" and rng.random() < 0.6:
            text = f"{rng.choice(_PREFIXES[language])} {text}"
        return _Reference(text, variant=variant)

    def _noise(self, text: str, ledger: LedgerCustomer, day: date, amount: Money) -> str:
        """A date, an amount or the customer number next to the reference, as payers add them; cut as SEPA does."""
        rng = self.rng
        if rng.random() < 0.25:
            roll = rng.random()
            if roll < 0.4:
                extra = (day - timedelta(days=rng.randint(1, 5))).strftime(rng.choice(("%d.%m.%Y", "%Y-%m-%d")))
            elif roll < 0.7:
                extra = f"{amount.amount:,.2f}"
                if ledger.language != "en":
                    extra = extra.replace(",", " ").replace(".", ",").replace(" ", ".")
                extra = f"{extra} {amount.currency}"
            else:
                extra = f"Kd-Nr {ledger.customer.account_number}"
            text = f"{text} {extra}".strip()
        return text[:140].rstrip()

    def _add(
        self,
        ledger: LedgerCustomer | None,
        payer: _Payer,
        day: date,
        amount: Money,
        text: str,
        truth: Truth,
        reference: _Reference | None = None,
        entity: str | None = None,
    ) -> None:
        structured = reference.structured if reference else ""
        structured_type = reference.structured_type if reference else ""
        if ledger is not None:
            text = self._noise(text, ledger, day, amount)
        self.drafts.append(
            _Draft(
                booking_date=day,
                order=self.rng.random(),
                entity=entity or (ledger.customer.entity if ledger else ""),
                amount=amount,
                name=payer.name,
                iban=payer.iban,
                text=text,
                structured=structured,
                structured_type=structured_type,
                truth=truth,
            )
        )

    def _truth(
        self,
        scenario: Scenario,
        variant: str,
        payer: _Payer,
        ledger: LedgerCustomer,
        allocations: Sequence[TrueAllocation],
        paid: Money,
        rate: Decimal | None = None,
    ) -> Truth:
        allocated = sum((a.amount.amount for a in allocations), D(0))
        unallocated = Money(paid.amount - allocated, paid.currency)
        return Truth(
            scenario, variant, payer.style, ledger.customer.customer_id, tuple(allocations), paid, unallocated, rate
        )

    # -- the scenarios

    def _one_invoice(
        self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date, scenario: Scenario, *, noisy: bool
    ) -> int | None:
        invoices = self._free_invoices(ledger, used)
        if not invoices:
            return None
        item = self.rng.choice(invoices)
        used.add(item.item_id)
        reference = self._reference(item, ledger, noisy=noisy)
        truth = self._truth(
            scenario,
            reference.variant,
            payer,
            ledger,
            [TrueAllocation(item.item_id, item.open_amount)],
            item.open_amount,
        )
        self._add(ledger, payer, day, item.open_amount, reference.text, truth, reference)
        return 1

    def _typo(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date) -> int | None:
        rng = self.rng
        invoices = self._free_invoices(ledger, used)
        if not invoices:
            return None
        item = rng.choice(invoices)
        used.add(item.item_id)
        language = ledger.language if ledger.language in _PREFIXES else "en"
        czech = ledger.customer.entity.startswith(("CZ", "SK")) and item.reference.isdigit()
        if czech and rng.random() < 0.5:
            wrong, how = _typo_in(item.reference, rng)
            reference = _Reference("", wrong, "CZ_VS", f"variable_symbol_{how}")
        else:
            head, _, sequence = item.number.rpartition("-")
            wrong, how = _typo_in(sequence, rng)
            text = f"{head}-{wrong}"
            if rng.random() < 0.6:
                text = f"{rng.choice(_PREFIXES[language])} {text}"
            reference = _Reference(text, variant=how)
        allocations = [TrueAllocation(item.item_id, item.open_amount)]
        truth = self._truth(Scenario.TYPO, reference.variant, payer, ledger, allocations, item.open_amount)
        self._add(ledger, payer, day, item.open_amount, reference.text, truth, reference)
        return 1

    def _no_reference(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date) -> int | None:
        rng = self.rng
        invoices = self._free_invoices(ledger, used)
        if not invoices:
            return None
        item = rng.choice(invoices)
        used.add(item.item_id)
        # Something must point at the customer: a recognisable name, its IBAN, or both.
        customer_iban = payer.iban if payer.style != "other_payer" else ""
        roll = rng.random()
        if roll < 0.35 or not customer_iban:
            name = ledger.customer.name if rng.random() < 0.5 else _bank_name(ledger.customer.name)
            payer = _Payer(name, "", "as_held" if name == ledger.customer.name else "bank")
            variant = "name_only"
        elif roll < 0.65:
            payer = _Payer("", customer_iban, "missing")
            variant = "iban_only"
        else:
            variant = "name_and_iban"
        allocations = [TrueAllocation(item.item_id, item.open_amount)]
        truth = self._truth(Scenario.NO_REFERENCE, variant, payer, ledger, allocations, item.open_amount)
        self._add(ledger, payer, day, item.open_amount, rng.choice(_GENERIC_TEXTS), truth)
        return 1

    def _several(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date, *, listed: bool) -> int | None:
        rng = self.rng
        invoices = self._free_invoices(ledger, used)
        if len(invoices) < 2:
            return None
        # Payers settle the oldest first.
        chosen: list[OpenItem] = invoices[: rng.randint(2, min(5 if listed else 4, len(invoices)))]
        variant = "listed" if listed else "unlisted"
        credits = [
            i for i in ledger.items if i.open_amount.amount < 0 and i.kind == "credit_note" and i.item_id not in used
        ]
        total = sum((i.open_amount.amount for i in chosen), D(0))
        if listed and credits and rng.random() < 0.15:
            credit = rng.choice(credits)
            if total + credit.open_amount.amount > 0:
                chosen.append(credit)
                total += credit.open_amount.amount
                variant = "listed_with_credit_note"
        used.update(i.item_id for i in chosen)
        paid = Money(total, ledger.currency)
        language = ledger.language if ledger.language in _PREFIXES else "en"
        if listed:
            numbers = [i.number for i in chosen]
            joined = ", ".join(numbers[:-1]) + f" {_AND[language]} {numbers[-1]}"
            text = f"{rng.choice(_PREFIXES[language])} {joined}" if rng.random() < 0.7 else " ".join(numbers)
        else:
            text = rng.choice(_GENERIC_TEXTS)
        allocations = [TrueAllocation(i.item_id, i.open_amount) for i in chosen]
        truth = self._truth(
            Scenario.SEVERAL_LISTED if listed else Scenario.SEVERAL_UNLISTED, variant, payer, ledger, allocations, paid
        )
        self._add(ledger, payer, day, paid, text, truth)
        return 1

    def _partial(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date) -> int | None:
        rng = self.rng
        invoices = [i for i in self._free_invoices(ledger, used) if _minor(i.open_amount) >= 2000]
        if not invoices:
            return None
        item = rng.choice(invoices)
        used.add(item.item_id)
        total = _minor(item.open_amount)
        roll = rng.random()
        count, variant = (1, "one_part") if roll < 0.3 else (2, "two_parts") if roll < 0.8 else (3, "three_parts")
        parts: list[int] = []
        left = total
        for n in range(count):
            if n == count - 1 and count > 1:
                parts.append(left)
                break
            share = rng.uniform(0.25, 0.7) if count < 3 else rng.uniform(0.2, 0.45)
            part = int(total * share)
            # People pay round instalments when the amount is large enough to bother.
            step = 10_000 if total >= 200_000 else 1_000 if total >= 20_000 else 100
            part = max(step, part - part % step)
            part = min(part, left - 100)
            if part <= 0:
                break
            parts.append(part)
            left -= part
        if len(parts) < count:
            parts, variant = [total], "one_part_in_full"
            count = 1
        language = ledger.language if ledger.language in _PREFIXES else "en"
        reference = self._reference(item, ledger, noisy=rng.random() < 0.2)
        words = _PARTIAL_WORDS[language] if rng.random() < 0.6 else ""
        text = f"{words} {reference.text}".strip() if reference.text else words
        for n, part in enumerate(parts):
            paid = _money(part, ledger.currency)
            truth = self._truth(
                Scenario.PARTIAL,
                f"{variant}_{n + 1}",
                payer,
                ledger,
                [TrueAllocation(item.item_id, paid)],
                paid,
            )
            self._add(ledger, payer, day + timedelta(days=n * rng.randint(2, 6)), paid, text, truth, reference)
        return count

    def _overpayment(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date) -> int | None:
        rng = self.rng
        invoices = self._free_invoices(ledger, used)
        if not invoices:
            return None
        item = rng.choice(invoices)
        used.add(item.item_id)
        due = _minor(item.open_amount)
        if rng.random() < 0.6:
            step = 10_000 if due >= 100_000 else 1_000
            paid_minor = due - due % step + step
            variant = "rounded_up"
        else:
            paid_minor = due + max(300, due * rng.randint(1, 3) // 100)
            variant = "late_interest"
        paid = _money(paid_minor, ledger.currency)
        reference = self._reference(item, ledger, noisy=rng.random() < 0.3)
        truth = self._truth(
            Scenario.OVERPAYMENT, variant, payer, ledger, [TrueAllocation(item.item_id, item.open_amount)], paid
        )
        self._add(ledger, payer, day, paid, reference.text, truth, reference)
        return 1

    def _credit_netted(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date) -> int | None:
        rng = self.rng
        credits = [
            i for i in ledger.items if i.kind == "credit_note" and i.open_amount.amount < 0 and i.item_id not in used
        ]
        invoices = self._free_invoices(ledger, used)
        if not credits or not invoices:
            return None
        credit = rng.choice(credits)
        target = next(
            (i for i in invoices if i.number == credit.reference and i.open_amount > -credit.open_amount), None
        )
        if target is None:
            bigger = [i for i in invoices if i.open_amount > -credit.open_amount]
            if not bigger:
                return None
            target = rng.choice(bigger)
        used.update((credit.item_id, target.item_id))
        paid = target.open_amount + credit.open_amount
        language = ledger.language if ledger.language in _PREFIXES else "en"
        roll = rng.random()
        if roll < 0.5:
            text = f"{rng.choice(_PREFIXES[language])} {target.number} {_NETTING[language]} {credit.number}"
            variant = "both_listed"
        elif roll < 0.8:
            text = f"{rng.choice(_PREFIXES[language])} {target.number}"
            variant = "invoice_only" if target.number == credit.reference else "invoice_only_other_invoice"
        else:
            text = rng.choice(_GENERIC_TEXTS)
            variant = "unlisted"
        allocations = [
            TrueAllocation(target.item_id, target.open_amount),
            TrueAllocation(credit.item_id, credit.open_amount),
        ]
        truth = self._truth(Scenario.CREDIT_NETTED, variant, payer, ledger, allocations, paid)
        self._add(ledger, payer, day, paid, text, truth)
        return 1

    def _whole_balance(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date) -> int | None:
        items = [i for i in ledger.items if i.is_open and i.item_id not in used]
        balance = sum((i.open_amount.amount for i in items), D(0))
        if len(items) < 2 or balance <= 0 or len(used) > 0:
            return None
        used.update(i.item_id for i in items)
        paid = Money(balance, ledger.currency)
        variant = "with_credits" if any(i.open_amount.amount < 0 for i in items) else "invoices_only"
        allocations = [TrueAllocation(i.item_id, i.open_amount) for i in items]
        truth = self._truth(Scenario.WHOLE_BALANCE, variant, payer, ledger, allocations, paid)
        self._add(ledger, payer, day, paid, self.rng.choice(_BALANCE_TEXTS), truth)
        return 1

    def _short_paid(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date) -> int | None:
        rng = self.rng
        invoices = [i for i in self._free_invoices(ledger, used) if _minor(i.open_amount) > 1000]
        if not invoices:
            return None
        item = rng.choice(invoices)
        used.add(item.item_id)
        short = _money(rng.randint(1, 195), ledger.currency)
        paid = item.open_amount - short
        reference = self._reference(item, ledger, noisy=rng.random() < 0.3)
        allocations = [TrueAllocation(item.item_id, paid, short)]
        truth = self._truth(Scenario.SHORT_PAID, "fee_or_rounding", payer, ledger, allocations, paid)
        self._add(ledger, payer, day, paid, reference.text, truth, reference)
        return 1

    def _foreign_currency(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date) -> int | None:
        rng = self.rng
        home = self.config.entity_currencies.get(ledger.customer.entity, ledger.currency)
        currency = home if home != ledger.currency else "EUR" if ledger.currency != "EUR" else None
        invoices = self._free_invoices(ledger, used)
        if currency is None or not invoices:
            return None
        rate = self.rates.rate(currency, ledger.currency, day)
        if rate is None:
            return None
        chosen = invoices[:2] if len(invoices) >= 2 and rng.random() < 0.3 else [rng.choice(invoices)]
        used.update(i.item_id for i in chosen)
        total = sum((i.open_amount.amount for i in chosen), D(0))
        # The payer's bank converts at up to 1.2 % better than our rate: we receive a little less.
        advantage = D(rng.randint(0, 120)) / 10_000
        sent = (total * (1 - advantage) / rate).quantize(CENT, rounding=ROUND_DOWN)
        if sent <= 0:
            return None
        # What a bank credits: at the rate, rounded half-up to the cent (Money.rounded).
        converted = Money(sent * rate, ledger.currency).rounded().amount
        short = total - converted
        allocations = [TrueAllocation(i.item_id, i.open_amount) for i in chosen]
        if short:
            newest = max(range(len(chosen)), key=lambda n: _age(chosen[n]))
            item = chosen[newest]
            allocations[newest] = TrueAllocation(
                item.item_id, item.open_amount - Money(short, ledger.currency), Money(short, ledger.currency)
            )
        paid = Money(converted, ledger.currency)
        if rng.random() < 0.8:
            references = [self._reference(i, ledger, noisy=False).text or i.number for i in chosen]
            text = " ".join(references)
            variant = "referenced"
        else:
            text = rng.choice(_GENERIC_TEXTS)
            variant = "unreferenced"
        truth = self._truth(Scenario.FOREIGN_CURRENCY, variant, payer, ledger, allocations, paid, rate)
        self._add(ledger, payer, day, Money(sent, currency), text, truth)
        return 1

    def _on_account(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date, variant: str) -> int:
        rng = self.rng
        median = MEDIAN_AMOUNTS.get(ledger.currency, 1000)
        open_minor = [_minor(i.open_amount) for i in ledger.items if i.is_open]
        balance = sum(open_minor)
        amount = 0
        for _ in range(20):
            amount = rng.choice((1, 2, 5, 10)) * median // 2 * 100
            # Nothing open (nor the balance) may come within the tolerance of it, or it would pay that.
            if all(abs(amount - value) > 500 for value in (*open_minor, balance)):
                break
        paid = _money(amount, ledger.currency)
        truth = self._truth(Scenario.ON_ACCOUNT, variant, payer, ledger, [], paid)
        self._add(ledger, payer, day, paid, rng.choice(_ADVANCE_TEXTS), truth)
        return 1

    def _duplicate(self, ledger: LedgerCustomer, used: set[str], payer: _Payer, day: date) -> int | None:
        rng = self.rng
        invoices = self._free_invoices(ledger, used)
        if not invoices:
            return None
        item = rng.choice(invoices)
        used.add(item.item_id)
        reference = self._reference(item, ledger, noisy=False)
        first = self._truth(
            Scenario.DUPLICATE,
            "first",
            payer,
            ledger,
            [TrueAllocation(item.item_id, item.open_amount)],
            item.open_amount,
        )
        self._add(ledger, payer, day, item.open_amount, reference.text, first, reference)
        again = self._truth(Scenario.DUPLICATE, "paid_again", payer, ledger, [], item.open_amount)
        self._add(
            ledger, payer, day + timedelta(days=rng.randint(1, 5)), item.open_amount, reference.text, again, reference
        )
        return 2

    def _nobody(self, *, paid_out: bool) -> None:
        rng = self.rng
        entity = rng.choice(sorted(self.entities)) if self.entities else "FR01"
        currency = self.entities.get(entity, "EUR")
        median = MEDIAN_AMOUNTS.get(currency, 1000) * 100
        minor = max(100, round(median * rng.lognormvariate(-0.5, 1.0)))
        day = self.config.today + timedelta(days=rng.randint(1, self.config.days))
        if paid_out:
            name = rng.choice(_NOBODY_NAMES) if rng.random() < 0.7 else ""
            payer = _Payer(name, "", "as_held" if name else "missing")
            amount = _money(-minor, currency)
            scenario, variant, text = Scenario.PAID_OUT, "payment_out", rng.choice(_PAID_OUT_TEXTS)
        else:
            roll = rng.random()
            if roll < 0.45:
                name = rng.choice(_NOBODY_NAMES)
                variant = "unknown_company"
            elif roll < 0.8:
                name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
                variant = "private_person"
            else:
                name = ""
                variant = "no_details"
            iban = _iban("DE", "10020030" + str(8_000_000_000 + rng.randrange(10**6))) if name else ""
            payer = _Payer(name, iban, "as_held" if name else "missing")
            amount = _money(minor, currency)
            scenario, text = Scenario.SUSPENSE, rng.choice(_NOBODY_TEXTS)
        truth = Truth(scenario, variant, payer.style, None, (), amount, amount)
        self._add(None, payer, day, amount, text, truth, entity=entity)


# --- names -----------------------------------------------------------------------------------------------


def _bank_name(name: str) -> str:
    """The name as a SEPA bank carries it: ASCII upper case, characters outside the SEPA set as spaces."""
    folded = _fold(name).upper()
    return " ".join("".join(c if c in _SEPA_CHARACTERS else " " for c in folded).split())


def _without_legal_form(name: str) -> str:
    for ending in _LEGAL_FORM_ENDINGS:
        if name.endswith(ending):
            return name[: -len(ending)].rstrip(" ,")
    return name


def _abbreviated(name: str, rng: random.Random) -> str:
    words = _without_legal_form(name).split()
    long_words = [n for n, w in enumerate(words) if len(w) > 6]
    if long_words:
        n = rng.choice(long_words)
        words[n] = words[n][:4] + "."
    elif len(words) > 1:
        words = words[:-1]
    return _bank_name(" ".join(words)) if rng.random() < 0.5 else " ".join(words)


def _name_typo(name: str, rng: random.Random) -> str:
    letters = [n for n, c in enumerate(name) if c.isalpha()]
    if not letters:
        return name
    n = rng.choice(letters)
    replacement = rng.choice("aeiourstnl".replace(name[n].lower(), ""))
    return name[:n] + (replacement.upper() if name[n].isupper() else replacement) + name[n + 1 :]


def _typo_in(digits: str, rng: random.Random) -> tuple[str, str]:
    """One character wrong in a run of digits: replaced, two neighbours swapped, one lost or doubled."""
    n = rng.randrange(len(digits))
    roll = rng.random()
    if roll < 0.45:
        new = rng.choice("0123456789".replace(digits[n], ""))
        return digits[:n] + new + digits[n + 1 :], "typo_replaced"
    if roll < 0.75 and len(digits) > 1:
        n = min(n, len(digits) - 2)
        if digits[n] != digits[n + 1]:
            return digits[:n] + digits[n + 1] + digits[n] + digits[n + 2 :], "typo_swapped"
    if roll < 0.9 and len(digits) > 1:
        return digits[:n] + digits[n + 1 :], "typo_lost"
    return digits[:n] + digits[n] + digits[n:], "typo_doubled"
