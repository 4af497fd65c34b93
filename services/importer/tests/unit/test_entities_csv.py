"""Reading the organisation's legal entities: headers in eight languages, defaults, and every rejection."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from opendso_importer.domain.column_mapping import normalise_header
from opendso_importer.domain.entities import LatePaymentLaw, LegalEntity, changed_fields
from opendso_importer.domain.entities_csv import FIELDS, EntityRow, group_currency_conflicts, parse_entities
from opendso_importer.domain.tabular import FileRejected
from openpyxl import Workbook

HEADER = "code;name;country;currency;time_zone;holiday_calendar;late_payment_law;group_currency\n"
FR01 = LegalEntity(
    code="FR01",
    name="OpenDSO France SAS",
    country="FR",
    currency="EUR",
    time_zone="Europe/Paris",
    holiday_calendar="FR",
    late_payment_law=LatePaymentLaw.FR,
    group_currency="EUR",
)


def parse(text: str, file: str = "entities.csv") -> tuple[list[LegalEntity], list[tuple[int, str | None]]]:
    parsed = parse_entities(text.encode(), file)
    return [r.entity for r in parsed.entities], [(e.row, e.column) for e in parsed.errors]


# The same entity under each language's headers, as an ERP or a spreadsheet would title them.
LANGUAGES = {
    "en": "Company code;Company name;Country;Currency;Time zone;Holiday calendar;Late payment policy;Group currency",
    "fr": "Code société;Raison sociale;Pays;Devise;Fuseau horaire;Jours fériés;Pénalités de retard;Devise du groupe",
    "de": "Buchungskreis;Firmenname;Land;Währung;Zeitzone;Feiertagskalender;Verzugszinsen;Konzernwährung",
    "cs": "Kód společnosti;Název;Země;Měna;Časové pásmo;Kalendář svátků;Úroky z prodlení;Měna skupiny",
    "sk": "Kód spoločnosti;Obchodné meno;Krajina;Mena;Časové pásmo;Kalendár sviatkov;Úroky z omeškania;Mena skupiny",
    "pl": "Kod spółki;Nazwa;Państwo;Waluta;Strefa czasowa;Kalendarz świąt;Odsetki za opóźnienie;Waluta grupy",
    "ro": "Cod societate;Denumire;Țară;Monedă;Fus orar;Calendar sărbători;Penalități de întârziere;Moneda grupului",
    "tr": "Şirket kodu;Ünvan;Ülke;Para birimi;Saat dilimi;Tatil takvimi;Gecikme faizi;Grup para birimi",
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_headers_in_each_language_read_the_same_entity(language: str) -> None:
    # Calendar and law differ from their defaults, so that a header not recognised shows.
    text = LANGUAGES[language] + "\nFR01;OpenDSO France SAS;FR;EUR;Europe/Paris;MC;EU;EUR\n"

    entities, errors = parse(text)

    assert errors == []
    assert entities == [replace(FR01, holiday_calendar="MC", late_payment_law=LatePaymentLaw.EU)]


def test_no_header_stands_for_two_fields() -> None:
    fields_of: dict[str, set[str]] = {}
    for field, synonyms in FIELDS.items():
        for synonym in (field, *synonyms):
            fields_of.setdefault(normalise_header(synonym), set()).add(field)
    assert {h: f for h, f in fields_of.items() if len(f) > 1} == {}


def test_a_french_export_in_cp1252_with_lower_case_codes_reads_canonical_values() -> None:
    data = ("Société;Raison sociale;Pays;Devise;Fuseau horaire\nfr01;Crème Société SAS;fr;eur;europe/paris\n").encode(
        "cp1252"
    )

    parsed = parse_entities(data, "entités.csv")

    assert parsed.errors == ()
    (row,) = parsed.entities
    # The code is kept as written: customer rows name the entity by it, exactly.
    assert (row.entity.code, row.entity.name, row.row) == ("fr01", "Crème Société SAS", 2)
    assert (row.entity.country, row.entity.currency, row.entity.time_zone) == ("FR", "EUR", "Europe/Paris")


@pytest.mark.parametrize(
    ("country", "law"),
    [("FR", "FR"), ("DE", "DE"), ("GB", "GB"), ("CZ", "CZ"), ("SK", "SK"), ("PL", "PL"), ("RO", "RO"), ("TR", "EU")],
)
def test_the_calendar_defaults_to_the_country_and_the_law_to_the_countrys_else_the_eu_directive(
    country: str, law: str
) -> None:
    entities, errors = parse(f"code;name;country;currency;time_zone\nE1;Entity;{country};EUR;Europe/Paris\n")

    assert errors == []
    (entity,) = entities
    assert (entity.holiday_calendar, entity.late_payment_law, entity.group_currency) == (country, law, None)


def test_a_given_calendar_and_law_override_the_defaults() -> None:
    entities, _ = parse(HEADER + "AT01;OpenDSO Austria GmbH;AT;EUR;Europe/Vienna;de;de;\n")

    (entity,) = entities
    assert (entity.holiday_calendar, entity.late_payment_law) == ("DE", LatePaymentLaw.DE)


GOOD = "FR01;OpenDSO France SAS;FR;EUR;Europe/Paris;FR;FR;EUR"


@pytest.mark.parametrize(
    ("row", "column", "value", "reason"),
    [
        (";Nameless;FR;EUR;Europe/Paris;;;", "code", "", "code is required"),
        ("FR01;;FR;EUR;Europe/Paris;;;", "name", "", "name is required"),
        ("X" * 51 + ";Long;FR;EUR;Europe/Paris;;;", "code", "X" * 51, "longer than 50"),
        ("FR01;" + "N" * 301 + ";FR;EUR;Europe/Paris;;;", "name", "N" * 301, "longer than 300"),
        ("FR01;France;;EUR;Europe/Paris;;;", "country", "", "country is required"),
        ("FR01;France;FRA;EUR;Europe/Paris;;;", "country", "FRA", "ISO 3166 alpha-2"),
        ("FR01;France;FR;;Europe/Paris;;;", "currency", "", "currency is required"),
        ("FR01;France;FR;EUX;Europe/Paris;;;", "currency", "EUX", "ISO 4217"),
        ("FR01;France;FR;XTS;Europe/Paris;;;", "currency", "XTS", "ISO 4217"),
        ("FR01;France;FR;EUR;;;;", "time_zone", "", "time_zone is required"),
        ("FR01;France;FR;EUR;Europe/Pariss;;;", "time_zone", "Europe/Pariss", "IANA"),
        ("FR01;France;FR;EUR;+01:00;;;", "time_zone", "+01:00", "IANA"),
        ("FR01;France;FR;EUR;localtime;;;", "time_zone", "localtime", "IANA"),
        ("FR01;France;FR;EUR;../../etc/passwd;;;", "time_zone", "../../etc/passwd", "IANA"),
        ("FR01;France;FR;EUR;Europe/Paris;XX;;", "holiday_calendar", "XX", "ISO 3166 alpha-2"),
        ("FR01;France;FR;EUR;Europe/Paris;;IT;", "late_payment_law", "IT", "EU, FR, DE, GB, CZ, SK, PL, RO"),
        ("FR01;France;FR;EUR;Europe/Paris;;;EURO", "group_currency", "EURO", "ISO 4217"),
    ],
)
def test_a_bad_value_rejects_its_row_naming_row_column_header_and_value(
    row: str, column: str, value: str, reason: str
) -> None:
    parsed = parse_entities((HEADER + GOOD.replace("FR01", "DE01") + "\n" + row + "\n").encode(), "e.csv")

    assert [r.entity.code for r in parsed.entities] == ["DE01"]
    (error,) = parsed.errors
    assert (error.file, error.row, error.column, error.header, error.value) == ("e.csv", 3, column, column, value)
    assert reason in error.reason


def test_every_problem_of_a_row_is_reported_at_once() -> None:
    _, errors = parse(HEADER + ";;ZZ;EUX;Nowhere/Town;;;\n")

    assert errors == [(2, c) for c in ("code", "name", "country", "currency", "time_zone")]


def test_every_row_of_a_code_listed_twice_is_rejected_even_when_one_is_otherwise_bad() -> None:
    text = HEADER + (
        "FR01;OpenDSO France SAS;FR;EUR;Europe/Paris;;;\n"
        "DE01;OpenDSO GmbH;DE;EUR;Europe/Berlin;;;\n"
        "FR01;OpenDSO France;FR;EUR;Mars/Olympus;;;\n"
    )
    parsed = parse_entities(text.encode(), "e.csv")

    assert [r.entity.code for r in parsed.entities] == ["DE01"]
    duplicates = [e for e in parsed.errors if e.column == "code"]
    assert [(e.row, e.value) for e in duplicates] == [(2, "FR01"), (4, "FR01")]
    assert all("rows 2, 4" in e.reason for e in duplicates)
    assert [(e.row, e.column) for e in parsed.errors if e.column != "code"] == [(4, "time_zone")]


def test_rows_disagreeing_on_the_group_currency_are_all_rejected() -> None:
    text = HEADER + (
        "FR01;OpenDSO France SAS;FR;EUR;Europe/Paris;;;EUR\n"
        "GB01;OpenDSO UK Ltd;GB;GBP;Europe/London;;;GBP\n"
        "DE01;OpenDSO GmbH;DE;EUR;Europe/Berlin;;;eur\n"
        "PL01;OpenDSO Polska;PL;PLN;Europe/Warsaw;;;\n"
    )
    parsed = parse_entities(text.encode(), "e.csv")

    # Which of the two the group reports in cannot be told; an entity giving none is not in the dispute.
    assert [r.entity.code for r in parsed.entities] == ["PL01"]
    assert [(e.row, e.column, e.value) for e in parsed.errors] == [
        (2, "group_currency", "EUR"),
        (3, "group_currency", "GBP"),
        (4, "group_currency", "EUR"),
    ]
    assert "GBP on row 3" in parsed.errors[0].reason
    assert "EUR on rows 2, 4" in parsed.errors[1].reason


def row(entity: LegalEntity, line: int) -> EntityRow:
    return EntityRow(entity, line)


def test_a_group_currency_on_record_is_the_groups_unless_every_entity_holding_it_is_listed_again() -> None:
    de01 = LegalEntity("DE01", "OpenDSO GmbH", "DE", "EUR", "Europe/Berlin", "DE", LatePaymentLaw.DE, "EUR")
    ro01 = LegalEntity("RO01", "OpenDSO Romania", "RO", "RON", "Europe/Bucharest", "RO", LatePaymentLaw.RO, None)
    in_usd = row(replace(FR01, group_currency="USD"), 2)
    recorded = {"DE01": de01, "RO01": ro01}

    accepted, errors = group_currency_conflicts([in_usd, row(FR01, 3)], recorded, "e.csv", "Group currency")

    assert [r.row for r in accepted] == [3]
    (error,) = errors
    assert (error.row, error.column, error.header, error.value) == (2, "group_currency", "Group currency", "USD")
    assert "EUR (recorded entity DE01)" in error.reason

    de01_in_usd = row(replace(de01, group_currency="USD"), 3)
    switched, none = group_currency_conflicts([in_usd, de01_in_usd], recorded, "e.csv")
    assert (len(switched), none) == (2, ())


def test_a_file_without_a_required_column_is_rejected_whole_naming_each_missing_column() -> None:
    with pytest.raises(FileRejected) as rejected:
        parse_entities(b"code;name;currency\nFR01;France;EUR\n", "e.csv")

    assert [(e.row, e.column) for e in rejected.value.errors] == [(1, "country"), (1, "time_zone")]


def test_a_workbook_reads_like_a_csv() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Code", "Name", "Country", "Currency", "Time zone", "Group currency"])
    sheet.append(["FR01", "OpenDSO France SAS", "FR", "EUR", "Europe/Paris", "EUR"])
    sheet.append(["CZ01", "OpenDSO Czechia s.r.o.", "CZ", "CZK", "Europe/Prague", None])
    sheet.append(["SK01", "OpenDSO Slovensko s.r.o.", "SK", "EUR", "Europe/Bratislava", "USD"])
    out = io.BytesIO()
    book.save(out)

    parsed = parse_entities(out.getvalue(), "entities.xlsx")

    assert [(r.entity.code, r.entity.late_payment_law, r.entity.group_currency) for r in parsed.entities] == [
        ("CZ01", "CZ", None)
    ]
    assert [(e.row, e.column, e.header) for e in parsed.errors] == [
        (2, "group_currency", "Group currency"),
        (4, "group_currency", "Group currency"),
    ]


def test_json_records_read_like_rows_and_a_bad_record_is_named_by_its_position() -> None:
    records = [
        {
            "code": "FR01",
            "name": "OpenDSO France SAS",
            "country": "FR",
            "currency": "EUR",
            "time_zone": "Europe/Paris",
            "group_currency": "EUR",
        },
        {"code": "SK01", "name": "OpenDSO Slovensko", "country": "SK", "currency": "EUR", "time_zone": "Bratislava"},
    ]

    parsed = parse_entities(json.dumps({"records": records}).encode(), "entities.json")

    assert [r.entity for r in parsed.entities] == [FR01]
    (error,) = parsed.errors
    assert (error.row, error.column, error.value) == (2, "time_zone", "Bratislava")


def test_a_change_names_the_fields_that_differ_and_treats_no_group_currency_as_none() -> None:
    moved = replace(FR01, time_zone="Europe/Brussels", late_payment_law=LatePaymentLaw.EU)

    assert changed_fields(FR01, moved) == ("time_zone", "late_payment_law")
    assert changed_fields(FR01, FR01) == ()
    assert changed_fields(replace(FR01, group_currency=None), replace(FR01, group_currency="")) == ()
