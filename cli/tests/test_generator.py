"""The receivables generator: deterministic, always importable, realistic enough to exercise every feature."""

from __future__ import annotations

import hashlib
import inspect
import io
import itertools
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from opendso_cli.demo import HEADER
from opendso_cli.generator import (
    DEFAULT_ENTITIES,
    GeneratorConfig,
    generate_rows,
    items_for_bench,
    write_csv,
)
from opendso_importer.domain.receivables_csv import ParsedFile, parse_receivables_csv

TODAY = date(2026, 3, 16)
CONFIG = GeneratorConfig(seed=1234, customers=700, today=TODAY)
COLUMN = {name: index for index, name in enumerate(HEADER)}


def csv_bytes(config: GeneratorConfig, *, delimiter: str = ";", decimal_comma: bool = True) -> bytes:
    out = io.BytesIO()
    write_csv(config, out, delimiter=delimiter, decimal_comma=decimal_comma)
    return out.getvalue()


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    return list(generate_rows(CONFIG))


@pytest.fixture(scope="module")
def parsed() -> ParsedFile:
    return parse_receivables_csv(csv_bytes(CONFIG), "generated.csv")


def test_same_seed_gives_the_same_bytes() -> None:
    assert csv_bytes(CONFIG) == csv_bytes(GeneratorConfig(seed=1234, customers=700, today=TODAY))


def test_another_seed_gives_other_bytes() -> None:
    assert csv_bytes(CONFIG) != csv_bytes(GeneratorConfig(seed=1235, customers=700, today=TODAY))


def test_same_seed_gives_the_same_bytes_in_another_process_with_another_hash_seed() -> None:
    script = (
        "import hashlib, io, datetime;"
        "from opendso_cli.generator import GeneratorConfig, write_csv;"
        "out = io.BytesIO();"
        "write_csv(GeneratorConfig(seed=1234, customers=700, today=datetime.date(2026, 3, 16)), out);"
        "print(hashlib.sha256(out.getvalue()).hexdigest())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == hashlib.sha256(csv_bytes(CONFIG)).hexdigest()


def test_every_row_parses_without_errors(rows: list[list[str]], parsed: ParsedFile) -> None:
    assert len(rows) > 2000
    assert parsed.errors == ()
    assert parsed.rows_read == len(rows)
    assert len(parsed.items) == len(rows)
    assert len(parsed.customers) == CONFIG.customers


@pytest.mark.parametrize(
    ("delimiter", "decimal_comma"),
    [(";", True), (";", False), (",", True), (",", False), ("\t", True), ("|", False)],
)
def test_every_delimiter_and_decimal_separator_parses(delimiter: str, decimal_comma: bool) -> None:
    config = GeneratorConfig(seed=5, customers=150, today=TODAY)
    data = csv_bytes(config, delimiter=delimiter, decimal_comma=decimal_comma)
    parsed = parse_receivables_csv(data, "generated.csv")
    assert parsed.errors == ()
    assert len(parsed.items) == sum(1 for _ in generate_rows(config))


def test_the_file_is_utf8_with_the_canonical_header() -> None:
    text = csv_bytes(GeneratorConfig(seed=3, customers=50, today=TODAY)).decode("utf-8")
    assert text.splitlines()[0] == ";".join(HEADER)


def test_write_csv_to_a_path_returns_the_rows_written(tmp_path: Path) -> None:
    config = GeneratorConfig(seed=9, customers=40, today=TODAY)
    target = tmp_path / "receivables.csv"
    written = write_csv(config, target)
    assert written == sum(1 for _ in generate_rows(config))
    assert target.read_bytes() == csv_bytes(config)


def test_rows_follow_the_header(rows: list[list[str]]) -> None:
    assert all(len(row) == len(HEADER) for row in rows)
    assert {row[COLUMN["item_type"]] for row in rows} == {"invoice", "credit_note", "unallocated_payment"}


def test_account_numbers_are_unique_per_entity_and_name_one_customer(rows: list[list[str]]) -> None:
    customer_columns = [COLUMN[c] for c in ("customer_name", "email", "language", "country", "contact_name")]
    customers: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        key = (row[COLUMN["entity"]], row[COLUMN["account_number"]])
        assert re.fullmatch(r"C\d{6}", key[1])
        customers.setdefault(key, [row[i] for i in customer_columns])
        assert customers[key] == [row[i] for i in customer_columns]
    assert len(customers) == CONFIG.customers


def test_item_numbers_are_unique_and_follow_a_yearly_sequence_in_date_order(rows: list[list[str]]) -> None:
    numbers = [(row[COLUMN["entity"]], row[COLUMN["item_number"]]) for row in rows]
    assert len(set(numbers)) == len(numbers)
    by_sequence: dict[tuple[str, str, int], list[tuple[int, date]]] = {}
    for row in rows:
        entity, number = row[COLUMN["entity"]], row[COLUMN["item_number"]]
        match = re.fullmatch(rf"{entity}-(CN-|PAY-)?(\d{{4}})-(\d{{6,}})", number)
        assert match is not None, number
        issued = date.fromisoformat(row[COLUMN["issue_date"]])
        assert int(match.group(2)) == issued.year
        by_sequence.setdefault((entity, match.group(1) or "", issued.year), []).append((int(match.group(3)), issued))
    for documents in by_sequence.values():
        dates = [issued for _, issued in sorted(documents)]
        assert dates == sorted(dates)


def test_open_amount_has_the_sign_of_amount_and_never_exceeds_it(parsed: ParsedFile) -> None:
    for item in parsed.items:
        amount, open_amount = item.amount.amount, item.open_amount.amount
        assert amount == amount.quantize(Decimal("0.01"))
        if item.kind == "invoice":
            assert 0 < open_amount <= amount
        else:
            assert amount <= open_amount < 0
    partly_paid = [i for i in parsed.items if i.kind == "invoice" and i.open_amount != i.amount]
    credit_notes = [i for i in parsed.items if i.kind == "credit_note"]
    assert 0.02 < len(partly_paid) / len(parsed.items) < 0.2
    assert 0.01 < len(credit_notes) / len(parsed.items) < 0.1


def test_credit_notes_point_at_an_earlier_invoice_of_the_same_customer(rows: list[list[str]]) -> None:
    invoices = {
        (row[COLUMN["entity"]], row[COLUMN["item_number"]]): row
        for row in rows
        if row[COLUMN["item_type"]] == "invoice"
    }
    referenced = 0
    for row in rows:
        if row[COLUMN["item_type"]] != "credit_note" or not row[COLUMN["reference"]]:
            continue
        invoice = invoices[(row[COLUMN["entity"]], row[COLUMN["reference"]])]
        assert invoice[COLUMN["account_number"]] == row[COLUMN["account_number"]]
        assert invoice[COLUMN["issue_date"]] <= row[COLUMN["issue_date"]]
        assert abs(Decimal(row[COLUMN["amount"]])) <= Decimal(invoice[COLUMN["amount"]])
        referenced += 1
    assert referenced > 0


def test_items_are_issued_in_the_last_twelve_months_some_due_some_not(parsed: ParsedFile) -> None:
    assert all(TODAY - timedelta(days=365) < item.issue_date <= TODAY for item in parsed.items)
    assert all(item.issue_date <= item.due_date for item in parsed.items)
    invoices = [item for item in parsed.items if item.kind == "invoice"]
    overdue = Counter(
        "not due" if days <= 0 else "late" if days <= 60 else "very late"
        for days in ((TODAY - item.due_date).days for item in invoices)
    )
    assert overdue["not due"] > overdue["late"] > overdue["very late"] > len(invoices) * 0.03


def test_amounts_have_a_realistic_median_per_currency(parsed: ParsedFile) -> None:
    by_currency: dict[str, list[Decimal]] = {}
    for item in parsed.items:
        if item.kind == "invoice":
            by_currency.setdefault(item.amount.currency, []).append(item.amount.amount)
    medians = {currency: sorted(amounts)[len(amounts) // 2] for currency, amounts in by_currency.items()}
    assert 600 < medians["EUR"] < 2400
    assert 15_000 < medians["CZK"] < 60_000


def test_languages_countries_and_currencies_are_mixed(parsed: ParsedFile, rows: list[list[str]]) -> None:
    assert {c.language for c in parsed.customers} >= {"fr", "de", "cs", "sk", "pl", "en", "ro", "tr"}
    assert {c.entity for c in parsed.customers} == {e.code for e in DEFAULT_ENTITIES}
    assert {i.amount.currency for i in parsed.items} >= {"EUR", "CZK", "PLN", "GBP", "RON", "TRY"}
    entity_currency = {e.code: e.currency for e in DEFAULT_ENTITIES}
    foreign = {
        (row[COLUMN["entity"]], row[COLUMN["account_number"]])
        for row in rows
        if row[COLUMN["currency"]] != entity_currency[row[COLUMN["entity"]]]
    }
    assert 0.03 < len(foreign) / CONFIG.customers < 0.2


def test_e_mail_addresses_are_on_the_company_domain_and_never_a_real_one(parsed: ParsedFile) -> None:
    emails = [c.email for c in parsed.customers if c.email]
    assert len(emails) > CONFIG.customers * 0.9
    assert all(email.endswith(".example") for email in emails)
    assert len({email.split("@")[1] for email in emails}) > CONFIG.customers * 0.5


def test_items_for_bench_yields_exactly_the_rows_asked_for() -> None:
    for n in (0, 1, 9, 10, 11, 1234):
        rows = list(items_for_bench(n, today=TODAY))
        assert len(rows) == n
        assert len({(r[COLUMN["entity"]], r[COLUMN["account_number"]]) for r in rows}) == (max(1, n // 10) if n else 0)


def test_items_for_bench_is_lazy() -> None:
    rows = items_for_bench(10_000_000, today=TODAY)
    first = list(itertools.islice(rows, 10))
    assert inspect.isgenerator(rows)
    assert len(first) == 10
    assert all(len(row) == len(HEADER) for row in first)


def test_items_for_bench_parses_without_errors() -> None:
    data = io.StringIO()
    data.write(";".join(HEADER) + "\n")
    for row in items_for_bench(3000, seed=11, today=TODAY):
        data.write(";".join(row) + "\n")
    parsed = parse_receivables_csv(data.getvalue().encode("utf-8"), "bench.csv")
    assert parsed.errors == ()
    assert len(parsed.items) == 3000


@pytest.mark.parametrize(
    "options",
    [
        {"late_payer_share": 0.8, "chronic_late_share": 0.3},
        {"credit_note_share": 1.5},
        {"invoices_per_customer": (5, 2)},
        {"invoices_per_customer": (0, 3)},
        {"customers": 10, "items": 5},
        {"entities": ()},
    ],
)
def test_config_refuses_impossible_settings(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        GeneratorConfig(**options)  # type: ignore[arg-type]
