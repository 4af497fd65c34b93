"""Realistic receivables: an ERP's open-items export for a group of legal entities.

Used by the demo, the tests and the benchmarks. Everything comes from the seed
(one ``random.Random`` and one Faker per locale, seeded from it), so the same
configuration gives the same bytes; pass ``today`` explicitly when the bytes
must also match on another day.

The model, and why:

* Each customer belongs to one entity, is invoiced in one currency (the
  entity's, or for ``foreign_currency_share`` of them a foreign customer's),
  has payment terms usual in the entity's country and a payment-behaviour
  profile: on time, late (10-30 days) or chronically late (60+ days).
* The export holds open items only; paid invoices are simply absent. A
  customer who pays ``d`` days after the due date leaves open exactly the
  invoices issued in the last ``terms + d`` days, so its open items' issue
  dates are spread over that window: on-time payers have mostly items not yet
  due, chronic late payers items months overdue. We sample those dates
  directly instead of simulating every paid invoice. A few items
  (``disputed_share``) stay open whatever the habits: disputes, lost invoices.
* Invoice numbers are a yearly sequence per entity and kind, in issue-date
  order, as an ERP numbers them: each day of the year owns a block of numbers
  as large as the day's expected invoicing, so numbers rise with the date and
  the paid invoices leave gaps. This needs no look-ahead, so rows stream in
  constant memory (counters per entity and day, one customer at a time).
* Amounts are log-normal around a median usual for the currency, scaled by a
  per-customer size, in the currency's minor units (never floats on output).
"""

from __future__ import annotations

import csv
import io
import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

from faker import Faker
from faker.config import AVAILABLE_LOCALES
from opendso_money import Money

from opendso_cli.demo import HEADER


@dataclass(frozen=True)
class Entity:
    """A legal entity of the group: its code is the ``entity`` column."""

    code: str
    country: str
    currency: str
    language: str


DEFAULT_ENTITIES: tuple[Entity, ...] = (
    Entity("FR01", "FR", "EUR", "fr"),
    Entity("DE01", "DE", "EUR", "de"),
    Entity("CZ01", "CZ", "CZK", "cs"),
    Entity("PL01", "PL", "PLN", "pl"),
    Entity("GB01", "GB", "GBP", "en"),
    Entity("RO01", "RO", "RON", "ro"),
    Entity("TR01", "TR", "TRY", "tr"),
    Entity("SK01", "SK", "EUR", "sk"),
)


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. Shares are probabilities between 0 and 1.

    ``invoices_per_customer`` is the inclusive range of open items (rows) per
    customer, skewed towards few as in real ledgers. With ``items`` set, the
    file has exactly that many rows: the counts then vary around
    ``items / customers`` (at least one each) and the range is not used.
    Customers are on-time payers unless drawn as late (``late_payer_share``)
    or chronically late (``chronic_late_share``); each profile pays a number
    of days after the due date drawn from its ``*_delay_days`` range.
    """

    seed: int = 42
    customers: int = 2000
    entities: tuple[Entity, ...] = DEFAULT_ENTITIES
    invoices_per_customer: tuple[int, int] = (1, 12)
    items: int | None = None
    today: date = field(default_factory=date.today)
    late_payer_share: float = 0.30
    chronic_late_share: float = 0.12
    on_time_delay_days: tuple[int, int] = (-7, 3)
    late_delay_days: tuple[int, int] = (10, 30)
    chronic_delay_days: tuple[int, int] = (60, 150)
    # Items left open whatever the customer's habits (disputed, lost, awaiting a credit note).
    disputed_share: float = 0.03
    # Invoices partly paid (open < amount); on-time payers half as often, chronic late payers twice.
    partial_payment_share: float = 0.08
    credit_note_share: float = 0.04
    unallocated_payment_share: float = 0.01
    # Customers abroad, invoiced in a currency other than their entity's.
    foreign_currency_share: float = 0.10
    missing_email_share: float = 0.03
    # Domains under the reserved ".example" TLD, so a demo can never mail a real company.
    safe_email_domains: bool = True

    def __post_init__(self) -> None:
        shares = {
            "late_payer_share": self.late_payer_share,
            "chronic_late_share": self.chronic_late_share,
            "disputed_share": self.disputed_share,
            "partial_payment_share": self.partial_payment_share,
            "credit_note_share": self.credit_note_share,
            "unallocated_payment_share": self.unallocated_payment_share,
            "foreign_currency_share": self.foreign_currency_share,
            "missing_email_share": self.missing_email_share,
        }
        for name, share in shares.items():
            if not 0 <= share <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {share}")
        if self.late_payer_share + self.chronic_late_share > 1:
            raise ValueError("late_payer_share + chronic_late_share must not exceed 1")
        if self.credit_note_share + self.unallocated_payment_share > 1:
            raise ValueError("credit_note_share + unallocated_payment_share must not exceed 1")
        for name, (low, high) in {
            "invoices_per_customer": self.invoices_per_customer,
            "on_time_delay_days": self.on_time_delay_days,
            "late_delay_days": self.late_delay_days,
            "chronic_delay_days": self.chronic_delay_days,
        }.items():
            if low > high:
                raise ValueError(f"{name} must be (low, high) with low <= high, got {(low, high)}")
        if self.invoices_per_customer[0] < 1:
            raise ValueError("invoices_per_customer must start at 1 or more: a customer without items is not exported")
        if self.customers < 0:
            raise ValueError(f"customers must not be negative, got {self.customers}")
        if not self.entities:
            raise ValueError("at least one entity is needed")
        if len({e.code for e in self.entities}) != len(self.entities):
            raise ValueError("entity codes must be unique")
        if self.items is not None:
            if self.items < self.customers:
                raise ValueError(f"items ({self.items}) must be at least customers ({self.customers}): one item each")
            if self.items > 0 and self.customers == 0:
                raise ValueError("items need at least one customer")


def generate_rows(config: GeneratorConfig) -> Iterator[list[str]]:
    """Yield one row per open item, in the column order of ``opendso_cli.demo.HEADER``.

    Rows are grouped by customer, oldest item first; amounts have a decimal
    point and no thousands separator, dates are ISO. Every row parses with
    ``parse_receivables_csv``; account numbers are unique per entity and item
    numbers per entity and kind. Lazy, in constant memory.
    """
    return _Generator(config).rows()


def write_csv(
    config: GeneratorConfig, out: BinaryIO | Path, *, delimiter: str = ";", decimal_comma: bool = True
) -> int:
    """Write the header and the generated rows as UTF-8 CSV; return the number of data rows."""
    if isinstance(out, Path):
        with out.open("wb") as stream:
            return _write(config, stream, delimiter, decimal_comma)
    return _write(config, out, delimiter, decimal_comma)


def items_for_bench(n_items: int, seed: int = 7, today: date | None = None) -> Iterator[list[str]]:
    """Exactly ``n_items`` rows over ``n_items // 10`` customers (at least one), lazily."""
    customers = max(1, n_items // 10) if n_items > 0 else 0
    config = GeneratorConfig(seed=seed, customers=customers, items=n_items, today=today or date.today())
    return generate_rows(config)


# --- writing --------------------------------------------------------------------------------------------

_AMOUNT_COLUMNS = (HEADER.index("amount"), HEADER.index("open_amount"))


def _write(config: GeneratorConfig, stream: BinaryIO, delimiter: str, decimal_comma: bool) -> int:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=False)
    try:
        writer = csv.writer(text, delimiter=delimiter, lineterminator="\n")
        writer.writerow(HEADER)
        written = 0
        for row in generate_rows(config):
            if decimal_comma:
                for index in _AMOUNT_COLUMNS:
                    row[index] = row[index].replace(".", ",")
            writer.writerow(row)
            written += 1
        text.flush()
    finally:
        text.detach()  # the caller's stream stays open
    return written


# --- what is usual where ------------------------------------------------------------------------------

_LOCALES = {
    "FR": "fr_FR",
    "DE": "de_DE",
    "CZ": "cs_CZ",
    "SK": "sk_SK",
    "PL": "pl_PL",
    "GB": "en_GB",
    "RO": "ro_RO",
    "TR": "tr_TR",
    "US": "en_US",
}
_TLDS = {"GB": "co.uk", "TR": "com.tr", "US": "com"}

# Payment terms (days, weight) as agreed in each country: 14 days is common in
# Central Europe, French law caps terms at 60 days, Turkish terms run long.
_TERMS: dict[str, tuple[tuple[int, int], ...]] = {
    "FR": ((30, 3), (45, 4), (60, 3)),
    "DE": ((14, 2), (30, 6), (60, 2)),
    "CZ": ((14, 5), (30, 4), (60, 1)),
    "SK": ((14, 4), (30, 5), (60, 1)),
    "PL": ((14, 3), (30, 5), (60, 2)),
    "GB": ((30, 7), (45, 1), (60, 2)),
    "RO": ((30, 5), (45, 2), (60, 3)),
    "TR": ((30, 3), (60, 4), (90, 3)),
}
_DEFAULT_TERMS = ((30, 6), (45, 2), (60, 2))
# Share of customers whose terms run to the end of the month ("45 jours fin de mois").
_END_OF_MONTH_SHARE = {"FR": 0.5, "GB": 0.3}

# Median invoice amount in major units: about 1,200 EUR everywhere.
MEDIAN_AMOUNTS: dict[str, int] = {
    "EUR": 1200,
    "GBP": 1000,
    "USD": 1300,
    "CHF": 1150,
    "CZK": 30000,
    "PLN": 5000,
    "RON": 6000,
    "TRY": 45000,
    "HUF": 470000,
    "SEK": 13500,
    "NOK": 14000,
    "DKK": 9000,
    "JPY": 190000,
}
_DEFAULT_MEDIAN = 1000

# Legal forms (weight) in the country's language, by how often they occur.
_LEGAL_FORMS: dict[str, tuple[tuple[str, int], ...]] = {
    "FR": (("SAS", 45), ("SARL", 35), ("SA", 12), ("EURL", 5), ("SNC", 3)),
    "DE": (("GmbH", 65), ("GmbH & Co. KG", 15), ("AG", 8), ("KG", 6), ("OHG", 3), ("UG (haftungsbeschränkt)", 3)),
    "CZ": (("s.r.o.", 80), ("a.s.", 15), ("v.o.s.", 3), ("k.s.", 2)),
    "SK": (("s.r.o.", 82), ("a.s.", 13), ("v.o.s.", 3), ("k.s.", 2)),
    "PL": (("Sp. z o.o.", 70), ("S.A.", 12), ("Sp.j.", 10), ("Sp.k.", 5), ("s.c.", 3)),
    "GB": (("Ltd", 80), ("Limited", 8), ("PLC", 5), ("LLP", 7)),
    "RO": (("SRL", 85), ("SA", 12), ("SNC", 3)),
    "TR": (("Ltd. Şti.", 70), ("A.Ş.", 30)),
    "US": (("Inc.", 55), ("LLC", 35), ("Corp.", 10)),
}
# Trade words (placed before or after the family name) as company names use them.
_TRADES: dict[str, tuple[bool, tuple[str, ...]]] = {
    "FR": (True, ("Transports", "Boulangerie", "Menuiserie", "Garage", "Imprimerie", "Plomberie", "Bâtiment")),
    "DE": (False, ("Maschinenbau", "Logistik", "Bau", "Elektrotechnik", "Metallbau", "Handel", "Druckerei")),
    "CZ": (True, ("Stavby", "Auto", "Elektro", "Kovo", "Agro", "Dřevo")),
    "SK": (True, ("Stavby", "Auto", "Elektro", "Kovo", "Agro", "Drevo")),
    "PL": (True, ("Transport", "Elektro", "Auto-Serwis", "Handel", "Usługi Budowlane")),
    "GB": (False, ("Engineering", "Logistics", "Construction", "Supplies", "Foods", "Electrical")),
    "RO": (False, ("Construct", "Trans", "Impex", "Com", "Prod", "Agro")),
    "TR": (False, ("İnşaat", "Tekstil", "Gıda", "Otomotiv", "Lojistik", "Makina", "Elektrik")),  # noqa: RUF001
    "US": (False, ("Industries", "Logistics", "Supply")),
}
# Faker's prefixes for foundations, associations and cooperatives: dropped, our debtors are businesses.
_NON_COMMERCIAL_PREFIXES = ("Fundacja ", "Stowarzyszenie ", "Spółdzielnia ")

# Accounts-payable mailboxes by language.
_MAILBOXES: dict[str, tuple[str, ...]] = {
    "fr": ("comptabilite", "compta", "fournisseurs", "factures"),
    "de": ("buchhaltung", "kreditoren", "rechnungen", "rechnungswesen"),
    "cs": ("ucetni", "fakturace", "uctarna"),
    "sk": ("uctovnictvo", "fakturacia", "uctaren"),
    "pl": ("ksiegowosc", "faktury", "rozliczenia"),
    "ro": ("contabilitate", "facturi", "financiar"),
    "tr": ("muhasebe", "finans", "fatura"),
    "en": ("accounts", "accounts.payable", "ap", "finance", "invoices"),
}
_SLUG_STOPWORDS = frozenset({"and", "et", "und", "i", "a", "ve", "syn", "fils", "sons", "si", "of", "the"})

_FOLD = str.maketrans(
    {"ß": "ss", "ł": "l", "Ł": "L", "\u0131": "i", "\u0130": "I", "đ": "d", "Đ": "D", "ø": "o", "æ": "ae"}
)
_GERMAN_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})

_ON_TIME, _LATE, _CHRONIC = "on_time", "late", "chronic"
_PARTIAL_FACTOR = {_ON_TIME: 0.5, _LATE: 1.0, _CHRONIC: 2.0}
_INVOICE, _CREDIT_NOTE, _PAYMENT = "invoice", "credit_note", "unallocated_payment"
_NUMBER_PREFIX = {_INVOICE: "", _CREDIT_NOTE: "CN-", _PAYMENT: "PAY-"}

_WINDOW_DAYS = 365  # issue dates over the last twelve months, today included
_WEEKEND_SHARE = 0.03  # documents dated on a Saturday or Sunday
_CUSTOMER_SIZE_SIGMA = 0.8
_ITEM_SIGMA = 0.75
_COUNT_SKEW = 1.6  # > 1: most customers have few open items


def _locale_for(country: str, language: str) -> str:
    locale = _LOCALES.get(country)
    if locale is not None:
        return locale
    candidate = f"{language}_{country}"
    return candidate if candidate in AVAILABLE_LOCALES else "en_US"


def _ascii(text: str, language: str) -> str:
    if language == "de":
        text = text.translate(_GERMAN_FOLD)
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return text.encode("ascii", "ignore").decode("ascii")


def _words(text: str, language: str) -> list[str]:
    cleaned = "".join(c if c.isalnum() else " " for c in _ascii(text, language).lower())
    return cleaned.split()


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...] | tuple[tuple[int, int], ...]) -> str | int:
    total = sum(weight for _, weight in choices)
    pick = rng.random() * total
    for value, weight in choices:
        pick -= weight
        if pick < 0:
            return value
    return choices[-1][0]


def _format_minor(value: int, exponent: int) -> str:
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 10**exponent)
    return f"{sign}{whole}.{fraction:0{exponent}d}" if exponent else f"{sign}{whole}"


def _mean_count(low: int, high: int) -> float:
    """Expected value of ``_Generator._count`` in range mode."""
    span = high - low + 1
    power = 1 / _COUNT_SKEW
    return low + sum(j * (math.pow((j + 1) / span, power) - math.pow(j / span, power)) for j in range(span))


# --- state ----------------------------------------------------------------------------------------------


class _Sequence:
    """Document numbers of one kind in one entity: a yearly sequence in issue-date order.

    Day ``n`` of a year owns numbers ``n * per_day + 1 .. (n + 1) * per_day``;
    unused numbers are the invoices already paid. A full day (rare: blocks
    are sized well above the expected load) hands its document to the nearest
    earlier day with room, so numbers stay unique and in date order.
    """

    def __init__(self, code: str, kind: str, per_day: int, first_day: date, today: date) -> None:
        self.prefix = f"{code}-{_NUMBER_PREFIX[kind]}"
        self.per_day = per_day
        self.width = max(6, len(str(366 * per_day)))
        self.first_day = first_day
        self.today = today
        self.used: dict[date, int] = {}

    def take(self, day: date) -> tuple[date, str]:
        day = self._day_with_room(day)
        count = self.used.get(day, 0)
        self.used[day] = count + 1
        sequence = (day - date(day.year, 1, 1)).days * self.per_day + count + 1
        return day, f"{self.prefix}{day.year}-{sequence:0{self.width}d}"

    def _day_with_room(self, day: date) -> date:
        if self.used.get(day, 0) < self.per_day:
            return day
        earlier = [self.first_day + timedelta(days=i) for i in range((day - self.first_day).days - 1, -1, -1)]
        later = [day + timedelta(days=i) for i in range(1, (self.today - day).days + 1)]
        for candidate in earlier + later:
            if self.used.get(candidate, 0) < self.per_day:
                return candidate
        raise RuntimeError(f"no document number left for {self.prefix}: more items than twelve months can hold")


@dataclass(frozen=True)
class _CompanyWords:
    """What Faker's company provider of one locale puts around a name."""

    suffixes: tuple[str, ...]
    prefixes: tuple[str, ...]
    real_companies: frozenset[str]


@dataclass
class _EntityState:
    entity: Entity
    next_account: int
    sequences: dict[str, _Sequence]


@dataclass(frozen=True)
class _Customer:
    entity: Entity
    account: str
    name: str
    email: str
    language: str
    country: str
    contact: str
    currency: str
    exponent: int
    median_minor: int
    terms: int
    end_of_month: bool
    profile: str
    window: int  # days from issue to payment: open items were issued within it
    size: float

    def columns(self) -> list[str]:
        return [
            self.entity.code,
            self.account,
            self.name,
            self.email,
            self.language,
            self.country,
            self.contact,
        ]


@dataclass
class _Item:
    kind: str
    issue: date
    number: str
    due: date
    amount: int = 0
    open_amount: int = 0
    reference: str = ""


# --- the generator --------------------------------------------------------------------------------------


class _Generator:
    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.today = config.today
        self.first_day = config.today - timedelta(days=_WINDOW_DAYS - 1)
        self.rng = random.Random(config.seed)
        self.fakers: dict[str, Faker] = {}
        self.company_words: dict[str, _CompanyWords] = {}
        self.exponents: dict[str, int] = {}

    def rows(self) -> Iterator[list[str]]:
        config = self.config
        states = [self._entity_state(entity) for entity in config.entities]
        remaining = config.items
        for index in range(config.customers):
            state = self.rng.choice(states)
            customer = self._customer(state)
            if remaining is None:
                count = self._count()
            else:
                count = self._exact_count(remaining, config.customers - index)
                remaining -= count
            columns = customer.columns()
            for item in self._items(customer, state, count):
                yield [
                    *columns,
                    item.number,
                    item.kind,
                    item.issue.isoformat(),
                    item.due.isoformat(),
                    _format_minor(item.amount, customer.exponent),
                    _format_minor(item.open_amount, customer.exponent),
                    customer.currency,
                    item.reference,
                ]

    # -- entities and customers

    def _entity_state(self, entity: Entity) -> _EntityState:
        sequences = {
            kind: _Sequence(entity.code, kind, self._per_day(entity, share), self.first_day, self.today)
            for kind, share in self._kind_shares().items()
        }
        return _EntityState(entity, 100_000 + self.rng.randrange(1, 1000), sequences)

    def _kind_shares(self) -> dict[str, float]:
        config = self.config
        invoices = 1 - config.credit_note_share - config.unallocated_payment_share
        return {_INVOICE: invoices, _CREDIT_NOTE: config.credit_note_share, _PAYMENT: config.unallocated_payment_share}

    def _per_day(self, entity: Entity, share: float) -> int:
        """Numbers a day's block needs: the expected documents issued on a working day, with room to spare.

        Open items are densest among the newest (every profile still owes its
        last invoices), so the load of the most recent day bounds every day's.
        """
        config = self.config
        mean_count = (
            config.items / config.customers
            if config.items and config.customers
            else _mean_count(*config.invoices_per_customer)
        )
        on_time = 1 - config.late_payer_share - config.chronic_late_share
        terms = _TERMS.get(entity.country, _DEFAULT_TERMS)
        total_weight = sum(weight for _, weight in terms)
        inverse_window = 0.0
        for profile_share, (low, high) in (
            (on_time, config.on_time_delay_days),
            (config.late_payer_share, config.late_delay_days),
            (config.chronic_late_share, config.chronic_delay_days),
        ):
            for days, weight in terms:
                delays = range(low, high + 1)
                mean = sum(1 / min(_WINDOW_DAYS, max(1, days + delay)) for delay in delays) / len(delays)
                inverse_window += profile_share * weight / total_weight * mean
        per_item = (1 - config.disputed_share) * inverse_window + config.disputed_share / _WINDOW_DAYS
        load = config.customers / len(config.entities) * mean_count * per_item * share * 7 / 5
        return math.ceil(1.3 * load + 5 * math.sqrt(load) + 3)

    def _faker(self, locale: str) -> Faker:
        fake = self.fakers.get(locale)
        if fake is None:
            fake = Faker(locale)
            fake.seed_instance(f"{self.config.seed}/{locale}")
            self.fakers[locale] = fake
            suffixes: set[str] = set()
            prefixes: set[str] = set()
            real: set[str] = set()
            for provider in fake.get_providers():
                suffixes.update(str(s) for s in getattr(provider, "company_suffixes", ()))
                prefixes.update(str(s) for s in getattr(provider, "company_prefixes", ()))
                real.update(str(s) for s in getattr(provider, "large_companies", ()))
            self.company_words[locale] = _CompanyWords(
                suffixes=tuple(sorted(suffixes, key=lambda s: (-len(s), s))),  # longest first
                prefixes=tuple(sorted(prefixes)),
                real_companies=frozenset(real),
            )
        return fake

    def _exponent(self, currency: str) -> int:
        exponent = self.exponents.get(currency)
        if exponent is None:
            exponent = self.exponents[currency] = Money.zero(currency).minor_units
        return exponent

    def _customer(self, state: _EntityState) -> _Customer:
        rng, config, entity = self.rng, self.config, state.entity
        state.next_account += 1 if rng.random() < 0.85 else rng.randint(2, 9)  # gaps: closed accounts
        account = f"C{state.next_account:06d}"

        country, language, currency = entity.country, entity.language, entity.currency
        if rng.random() < config.foreign_currency_share:
            country, native, currency = self._foreign(entity)
            language = native if rng.random() < 0.5 else "en"  # foreign buyers often correspond in English
        locale = _locale_for(country, language)
        fake = self._faker(locale)
        name, slug_words = self._company_name(fake, locale, country)
        native_language = locale[:2]

        if rng.random() < 0.5:
            first, last = fake.first_name_female(), fake.last_name_female()
        else:
            first, last = fake.first_name_male(), fake.last_name_male()
        contact = f"{first} {last}"

        slug = "-".join(slug_words[:3])[:40].strip("-") or f"customer{account[1:]}"
        tld = _TLDS.get(country, country.lower())
        domain = f"{slug}.{tld}.example" if config.safe_email_domains else f"{slug}.{tld}"
        roll = rng.random()
        if roll < config.missing_email_share:
            email = ""
        elif roll < config.missing_email_share + (1 - config.missing_email_share) * 0.4:
            person = [w for w in _words(f"{first} {last}", native_language) if w]
            local = rng.choice([".".join(person), f"{person[0][0]}.{'.'.join(person[1:])}"]) if len(person) > 1 else ""
            email = f"{local or rng.choice(_MAILBOXES.get(native_language, _MAILBOXES['en']))}@{domain}"
        else:
            email = f"{rng.choice(_MAILBOXES.get(native_language, _MAILBOXES['en']))}@{domain}"

        terms = int(_weighted(rng, _TERMS.get(entity.country, _DEFAULT_TERMS)))
        end_of_month = rng.random() < _END_OF_MONTH_SHARE.get(entity.country, 0.0)
        roll = rng.random()
        if roll < config.late_payer_share:
            profile, delays = _LATE, config.late_delay_days
        elif roll < config.late_payer_share + config.chronic_late_share:
            profile, delays = _CHRONIC, config.chronic_delay_days
        else:
            profile, delays = _ON_TIME, config.on_time_delay_days
        # End-of-month terms add half a month on average between issue and due date.
        window = max(1, terms + (15 if end_of_month else 0) + rng.randint(*delays))
        exponent = self._exponent(currency)
        median_minor = MEDIAN_AMOUNTS.get(currency, _DEFAULT_MEDIAN) * int(10**exponent)
        return _Customer(
            entity=entity,
            account=account,
            name=name,
            email=email,
            language=language,
            country=country,
            contact=contact,
            currency=currency,
            exponent=exponent,
            median_minor=median_minor,
            terms=terms,
            end_of_month=end_of_month,
            profile=profile,
            window=window,
            size=rng.lognormvariate(0, _CUSTOMER_SIZE_SIGMA),
        )

    def _foreign(self, entity: Entity) -> tuple[str, str, str]:
        """A foreign customer's (country, language, currency): euro buyers for non-euro entities and vice versa."""
        if entity.currency != "EUR":
            candidates = [e for e in self.config.entities if e.currency == "EUR" and e.country != entity.country]
            fallback = ("DE", "de", "EUR")
        else:
            candidates = [e for e in self.config.entities if e.currency != "EUR" and e.country != entity.country]
            fallback = ("US", "en", "USD")
        if not candidates:
            return fallback
        other = self.rng.choice(candidates)
        return other.country, other.language, other.currency

    def _company_name(self, fake: Faker, locale: str, country: str) -> tuple[str, list[str]]:
        """A company name in the locale with a legal form of its country, and the words for its domain."""
        rng, words = self.rng, self.company_words[locale]
        base = fake.company()
        for _ in range(10):
            if base not in words.real_companies:
                break
            base = fake.company()  # some locales list real companies: never make one a bad payer
        for suffix in words.suffixes:
            if base.endswith(" " + suffix):
                base = base[: -len(suffix) - 1].rstrip(" ,")
                break
        for prefix in _NON_COMMERCIAL_PREFIXES:
            base = base.removeprefix(prefix)
        language = locale[:2]
        slug_words = [w for w in _words(base, language) if w not in _SLUG_STOPWORDS]
        trade = _TRADES.get(country)
        has_prefix = base.startswith(tuple(f"{p} " for p in words.prefixes))
        if trade is not None and not has_prefix and rng.random() < 0.35:
            before, trades = trade
            word = rng.choice(trades)
            base = f"{word} {base}" if before else f"{base} {word}"
            trade_words = _words(word, language)
            slug_words = trade_words + slug_words if before else slug_words + trade_words
        forms = _LEGAL_FORMS.get(country)
        if forms is None:
            return base, slug_words
        return f"{base} {_weighted(rng, forms)}", slug_words

    # -- items

    def _count(self) -> int:
        low, high = self.config.invoices_per_customer
        return min(high, low + int((high - low + 1) * self.rng.random() ** _COUNT_SKEW))

    def _exact_count(self, remaining: int, customers_left: int) -> int:
        if customers_left <= 1:
            return remaining
        target = remaining / customers_left
        # 1 + exponential: most customers owe a few items, a few big accounts dozens.
        count = 1 + int(self.rng.expovariate(1 / (target - 1))) if target > 1 else 1
        return max(1, min(count, math.ceil(20 * target), remaining - (customers_left - 1)))

    def _items(self, customer: _Customer, state: _EntityState, count: int) -> list[_Item]:
        rng, config = self.rng, self.config
        items: list[_Item] = []
        for _ in range(count):
            roll = rng.random()
            if roll < config.credit_note_share:
                kind = _CREDIT_NOTE
            elif roll < config.credit_note_share + config.unallocated_payment_share:
                kind = _PAYMENT
            else:
                kind = _INVOICE
            issue, number = state.sequences[kind].take(self._issue_date(customer))
            items.append(_Item(kind, issue, number, issue))
        # Oldest first, as the ERP lists them; credit notes can then point at an earlier invoice.
        items.sort(key=lambda item: (item.issue, item.number))
        invoices: list[_Item] = []
        for item in items:
            if item.kind == _INVOICE:
                self._invoice(customer, item)
                invoices.append(item)
            elif item.kind == _CREDIT_NOTE:
                self._credit_note(customer, item, invoices)
            else:  # an unallocated payment is due, like a credit note, from the day it arrived
                item.amount = item.open_amount = -self._amount(customer, 1.0)
        return items

    def _issue_date(self, customer: _Customer) -> date:
        rng = self.rng
        day = self.today
        for _ in range(10):
            if rng.random() < self.config.disputed_share:
                age = rng.randrange(_WINDOW_DAYS)
            else:
                age = rng.randint(0, min(_WINDOW_DAYS - 1, max(0, customer.window + rng.randint(-3, 3))))
            day = self.today - timedelta(days=age)
            if day.weekday() < 5 or rng.random() < _WEEKEND_SHARE:
                return day
        # Still a weekend after ten draws (a window of a few days): the Friday before, or the Monday after.
        friday = day - timedelta(days=day.weekday() - 4)
        return friday if friday >= self.first_day else friday + timedelta(days=3)

    def _amount(self, customer: _Customer, scale: float) -> int:
        value = customer.median_minor * scale * customer.size * self.rng.lognormvariate(0, _ITEM_SIGMA)
        floor = max(int(10**customer.exponent), customer.median_minor // 200)
        return max(floor, min(round(value), customer.median_minor * 300))

    def _invoice(self, customer: _Customer, item: _Item) -> None:
        rng = self.rng
        due = item.issue + timedelta(days=customer.terms)
        if customer.end_of_month:
            due = date(due.year, due.month, 1) + timedelta(days=32)
            due = date(due.year, due.month, 1) - timedelta(days=1)
        item.due = due
        item.amount = self._amount(customer, 1.0)
        item.open_amount = item.amount
        partial = self.config.partial_payment_share * _PARTIAL_FACTOR[customer.profile]
        if item.amount >= 10 and rng.random() < partial:
            item.open_amount = rng.randint(math.ceil(item.amount * 0.1), math.floor(item.amount * 0.9))
        item.reference = self._reference(customer, item)

    def _credit_note(self, customer: _Customer, item: _Item, earlier_invoices: list[_Item]) -> None:
        rng = self.rng
        # due_date stays the issue date: a credit note can be used at once
        if earlier_invoices:
            credited = rng.choice(earlier_invoices)
            item.reference = credited.number
            share = 1.0 if rng.random() < 0.3 else rng.uniform(0.05, 0.5)
            amount = max(1, round(credited.amount * share))
        else:
            amount = self._amount(customer, 0.25)
        item.amount = -amount
        item.open_amount = item.amount
        if amount >= 10 and rng.random() < 0.2:  # partly used against a later invoice
            item.open_amount = -rng.randint(math.ceil(amount * 0.2), math.floor(amount * 0.9))

    def _reference(self, customer: _Customer, item: _Item) -> str:
        """The CZ/SK variable symbol (the invoice number's digits), elsewhere the buyer's order number, if any."""
        rng = self.rng
        if customer.entity.country in ("CZ", "SK"):
            number_year, sequence = item.number.rsplit("-", 2)[-2:]
            symbol = f"{number_year}{sequence}"
            return symbol if len(symbol) <= 10 else f"{number_year[2:]}{sequence}"[-10:]
        if rng.random() < 0.5:
            return ""
        year = item.issue.year
        match customer.country:
            case "DE":
                return f"45{rng.randrange(10**8):08d}"  # SAP purchase orders
            case "FR":
                return f"BC{year}-{rng.randint(1, 9999):04d}"
            case "PL":
                return f"ZAM/{rng.randint(1, 999)}/{year}"
            case "RO":
                return f"CMD {rng.randint(100, 9999)}"
            case "TR":
                return f"SIP-{rng.randint(10000, 99999)}"
            case _:
                return f"PO{rng.randint(10000, 99999)}"
