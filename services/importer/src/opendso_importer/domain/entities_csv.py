"""The organisation's legal entities from a set-up sheet (CSV, XLSX or JSON records).

One row per entity: its code (what customer and item rows hold in ``entity``),
name, country, currency and time zone; optionally its holiday calendar (default:
its country), late-payment law (default: its country's where we know it, else
the EU directive) and the group's reporting currency.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from opendso_importer.domain.column_mapping import normalise_header
from opendso_importer.domain.entities import (
    ISO_4217,
    LatePaymentLaw,
    LegalEntity,
    default_late_payment_law,
)
from opendso_importer.domain.receivables_csv import ISO_3166_ALPHA2
from opendso_importer.domain.tabular import FileRejected, RowError, read_table

# Header synonyms for each field, in the languages the receivables import reads:
# English, French, German, Czech, Slovak, Polish, Romanian, Turkish.
FIELDS: Mapping[str, tuple[str, ...]] = {
    "code": (
        "code",
        "entity",
        "entity_code",
        "company code",
        "code société",
        "société",
        "code entité",
        "entité",
        "buchungskreis",
        "gesellschaft",
        "gesellschaftscode",
        "kód společnosti",
        "společnost",
        "účetní jednotka",
        "kód spoločnosti",
        "spoločnosť",
        "účtovná jednotka",
        "kod spółki",
        "spółka",
        "cod societate",
        "societate",
        "entitate",
        "şirket kodu",
        "şirket",
    ),
    "name": (
        "name",
        "entity_name",
        "company name",
        "legal name",
        "nom",
        "raison sociale",
        "dénomination",
        "firmenname",
        "bezeichnung",
        "název",
        "název společnosti",
        "obchodní firma",
        "názov",
        "obchodné meno",
        "nazwa",
        "nazwa spółki",
        "denumire",
        "nume",
        "ünvan",
        "şirket adı",  # noqa: RUF001 - Turkish dotless i
    ),
    "country": (
        "country",
        "country code",
        "pays",
        "code pays",
        "land",
        "ländercode",
        "země",
        "stát",
        "krajina",
        "štát",
        "kraj",
        "państwo",
        "țară",
        "ţară",
        "ülke",
        "ülke kodu",
    ),
    "currency": (
        "currency",
        "functional currency",
        "local currency",
        "devise",
        "monnaie",
        "devise fonctionnelle",
        "währung",
        "hauswährung",
        "měna",
        "funkční měna",
        "mena",
        "waluta",
        "waluta funkcjonalna",
        "monedă",
        "monedă funcțională",
        "para birimi",
        "döviz",
    ),
    "time_zone": (
        "time_zone",
        "timezone",
        "tz",
        "fuseau horaire",
        "zeitzone",
        "časové pásmo",
        "strefa czasowa",
        "fus orar",
        "saat dilimi",
    ),
    "holiday_calendar": (
        "holiday_calendar",
        "holidays",
        "public holidays",
        "calendar",
        "calendrier",
        "jours fériés",
        "calendrier des jours fériés",
        "feiertagskalender",
        "feiertage",
        "kalender",
        "kalendář",
        "kalendář svátků",
        "svátky",
        "kalendár sviatkov",
        "sviatky",
        "kalendarz",
        "kalendarz świąt",
        "święta",
        "calendar sărbători",
        "sărbători legale",
        "takvim",
        "tatil takvimi",
        "resmi tatiller",
    ),
    "late_payment_law": (
        "late_payment_law",
        "late payment policy",
        "late payment",
        "pénalités de retard",
        "intérêts de retard",
        "verzugszinsen",
        "verzugsregelung",
        "zahlungsverzug",
        "úroky z prodlení",
        "prodlení",
        "úroky z omeškania",
        "omeškanie",
        "odsetki za opóźnienie",
        "odsetki ustawowe",
        "penalități de întârziere",
        "dobânzi penalizatoare",
        "gecikme faizi",
        "temerrüt faizi",
    ),
    "group_currency": (
        "group_currency",
        "reporting currency",
        "consolidation currency",
        "devise du groupe",
        "devise de consolidation",
        "konzernwährung",
        "berichtswährung",
        "měna skupiny",
        "konsolidační měna",
        "mena skupiny",
        "waluta grupy",
        "waluta sprawozdawcza",
        "moneda grupului",
        "moneda de raportare",
        "grup para birimi",
        "raporlama para birimi",
    ),
}
_BY_HEADER = {normalise_header(s): f for f, synonyms in FIELDS.items() for s in synonyms}
REQUIRED = ("code", "name", "country", "currency", "time_zone")
# The widths of the columns customer rows and the entity table hold them in.
MAX_CODE = 50
MAX_NAME = 300

# Records a reason against a field of the row being read.
_Problem = Callable[[str, str], None]


@dataclass(frozen=True)
class EntityRow:
    entity: LegalEntity
    row: int


@dataclass(frozen=True)
class ParsedEntities:
    file: str
    entities: tuple[EntityRow, ...]
    errors: tuple[RowError, ...]
    rows_read: int
    # Field -> its column's title as written in the file, for the fields the file has.
    headers: Mapping[str, str]


def parse_entities(data: bytes, file: str) -> ParsedEntities:
    """Read an entities file; a bad row is reported (row, field, header, value, reason) and the others still read.

    Every row of a code listed more than once is rejected, as is every row whose
    group currency disagrees with another row's.
    """
    table = read_table(data, file)
    columns: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        field = _BY_HEADER.get(normalise_header(header))
        if field is not None and field not in columns:
            columns[field] = index
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise FileRejected(
            tuple(
                RowError(file, table.header_row, f, f"required column {f!r} not found among {list(table.headers)}")
                for f in missing
            )
        )
    read: list[EntityRow] = []
    errors: list[RowError] = []
    rows_of_code: dict[str, list[int]] = defaultdict(list)
    rows_read = 0
    for line, cells in table.rows:
        rows_read += 1
        values = {f: (cells[i].strip() if i < len(cells) else "") for f, i in columns.items()}
        if values["code"]:
            rows_of_code[values["code"]].append(line)
        row = _read_row(file, line, values, table.headers, columns)
        if isinstance(row, list):
            errors.extend(row)
        else:
            read.append(row)
    # Two rows for one code leave no way to tell which is meant, so neither is taken; a row rejected
    # for another reason still counts, since fixing it must not silently pick one of the two.
    headers = {f: table.headers[i] for f, i in columns.items()}
    duplicated = {code: lines for code, lines in rows_of_code.items() if len(lines) > 1}
    for code, lines in duplicated.items():
        reason = f"entity {code!r} is on {_listing('row', lines)}: list each entity once"
        errors.extend(RowError(file, line, "code", reason, headers["code"], code) for line in lines)
    accepted, conflicts = group_currency_conflicts(
        [r for r in read if r.entity.code not in duplicated], {}, file, headers.get("group_currency")
    )
    errors.extend(conflicts)
    return ParsedEntities(file, accepted, tuple(sorted(errors, key=lambda e: e.row)), rows_read, headers)


def group_currency_conflicts(
    rows: Sequence[EntityRow], recorded: Mapping[str, LegalEntity], file: str, header: str | None = None
) -> tuple[tuple[EntityRow, ...], tuple[RowError, ...]]:
    """The rows that keep the group to one reporting currency, and an error for each row that would not.

    ``recorded`` are the entities already on record; those the rows list again count as the rows
    say. A group currency on record is the group's: a row giving another is rejected. With none on
    record, rows disagreeing among themselves are all rejected, there being no telling which is right.
    """
    listed = {r.entity.code for r in rows}
    on_record: dict[str, list[str]] = defaultdict(list)
    for code in sorted(recorded):
        currency = recorded[code].group_currency
        if code not in listed and currency:
            on_record[currency].append(code)
    in_file: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        if r.entity.group_currency:
            in_file[r.entity.group_currency].append(r.row)
    accepted: list[EntityRow] = []
    errors: list[RowError] = []
    for r in rows:
        given = r.entity.group_currency
        reason = None
        if given and on_record and set(on_record) != {given}:
            group = "; ".join(f"{c} ({_listing('recorded entity', codes)})" for c, codes in on_record.items())
            reason = f"group currency {given}, but the group reports in {group}: a group has one reporting currency"
        elif given and not on_record and len(in_file) > 1:
            others = "; ".join(f"{c} on {_listing('row', lines)}" for c, lines in in_file.items() if c != given)
            reason = f"group currency {given}, but {others}: a group has one reporting currency"
        if reason is None:
            accepted.append(r)
        else:
            errors.append(RowError(file, r.row, "group_currency", reason, header, given))
    return tuple(accepted), tuple(errors)


def _listing(noun: str, names: Sequence[object]) -> str:
    """How a reason names rows or entities: "row 3", "rows 2, 4", "recorded entities DE01, PL01"."""
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{noun if len(names) == 1 else plural} {', '.join(map(str, names))}"


@functools.cache
def _time_zones() -> dict[str, str]:
    """IANA names by their case-folded spelling, so that "europe/paris" finds "Europe/Paris"."""
    # Not places: "localtime" is whatever the server is set to, "Factory" a placeholder for unset clocks.
    return {name.casefold(): name for name in zoneinfo.available_timezones() if name not in ("localtime", "Factory")}


def time_zone(value: str) -> str | None:
    """The IANA name ``value`` spells (case aside) if zoneinfo knows and can load it, else None."""
    name = _time_zones().get(value.casefold())
    if name is None:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _read_row(
    file: str, line: int, values: dict[str, str], headers: tuple[str, ...], columns: dict[str, int]
) -> EntityRow | list[RowError]:
    """One entity, or every problem of its row."""
    problems: list[RowError] = []

    def problem(field: str, reason: str) -> None:
        problems.append(RowError(file, line, field, reason, header=headers[columns[field]], value=values[field]))

    for required in REQUIRED:
        if not values[required]:
            problem(required, f"{required} is required")
    code, name = values["code"], values["name"]
    if len(code) > MAX_CODE:
        problem("code", f"entity code longer than {MAX_CODE} characters")
    if len(name) > MAX_NAME:
        problem("name", f"name longer than {MAX_NAME} characters")
    country = _country(values["country"], "country", problem)
    currency = _currency(values["currency"], "currency", problem)
    zone = None
    if values["time_zone"]:
        zone = time_zone(values["time_zone"])
        if zone is None:
            reason = f"unknown time zone {values['time_zone']!r}: expected an IANA name such as Europe/Paris"
            problem("time_zone", reason)
    calendar = _country(values.get("holiday_calendar", ""), "holiday_calendar", problem) or country
    law = None
    raw_law = values.get("late_payment_law", "")
    if raw_law:
        try:
            law = LatePaymentLaw(raw_law.upper())
        except ValueError:
            problem(
                "late_payment_law",
                f"unknown late-payment law {raw_law!r}: one of {', '.join(LatePaymentLaw)}",
            )
    group_currency = _currency(values.get("group_currency", ""), "group_currency", problem)
    if problems or country is None or currency is None or zone is None or calendar is None:
        return problems
    entity = LegalEntity(
        code=code,
        name=name,
        country=country,
        currency=currency,
        time_zone=zone,
        holiday_calendar=calendar,
        late_payment_law=law or default_late_payment_law(country),
        group_currency=group_currency,
    )
    return EntityRow(entity, line)


def _country(value: str, field: str, problem: _Problem) -> str | None:
    if not value:
        return None
    if value.upper() not in ISO_3166_ALPHA2:
        problem(field, f"unknown country {value!r}: expected an ISO 3166 alpha-2 code such as FR")
        return None
    return value.upper()


def _currency(value: str, field: str, problem: _Problem) -> str | None:
    if not value:
        return None
    if value.upper() not in ISO_4217:
        problem(field, f"unknown currency {value!r}: expected an ISO 4217 code such as EUR")
        return None
    return value.upper()
