"""`opendso match`: a statement applied to an items file offline, one JSON line per transaction."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from opendso_cli.bank_generator import BankConfig, generate_bank_set, ledger_customers, statement_csv
from opendso_cli.demo import HEADER
from opendso_cli.generator import DEFAULT_ENTITIES, GeneratorConfig, generate_rows
from opendso_cli.main import app
from typer.testing import CliRunner, Result

ITEMS_HEADER = "entity;account_number;customer_name;item_number;item_type;issue_date;due_date;amount;currency\n"
ITEMS = (
    "FR01;C1;Boulangerie Dupont SARL;F-2026-0001;invoice;2026-10-01;2026-10-31;1200,00;EUR\n"
    "FR01;C1;Boulangerie Dupont SARL;F-2026-0002;invoice;2026-10-05;2026-11-04;845,50;EUR\n"
    "FR01;C2;Müller Maschinenbau GmbH;F-2026-0003;invoice;2026-10-02;2026-11-01;15000,00;EUR\n"
    "FR01;C2;Müller Maschinenbau GmbH;F-2026-0004;invoice;2026-10-03;2026-11-02;300,00;EUR\n"
)
STATEMENT_HEADER = "booking_date;amount;currency;counterparty_name;counterparty_iban;remittance_text;end_to_end_id\n"
MUELLER_IBAN = "DE89370400440532013000"
STATEMENT = (
    "2026-11-25;1200.00;EUR;BOULANGERIE DUPONT SARL;;Facture F-2026-0001;E1\n"
    # The same invoice paid again: it was applied a line ago, so it must not be paid twice.
    "2026-11-26;1200.00;EUR;BOULANGERIE DUPONT SARL;;Facture F-2026-0001;E2\n"
    f"2026-11-26;300.00;EUR;;{MUELLER_IBAN};;E3\n"
    "2026-11-27;77.00;EUR;Jean Inconnu;;Loyer novembre;E4\n"
    "2026-11-27;-50.00;EUR;Banque Populaire;;Frais de tenue de compte;E5\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["match", *(str(a) for a in args)])


def json_lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def summary(result: Result) -> dict[str, Any]:
    last = result.stderr.strip().splitlines()[-1]
    parsed: dict[str, Any] = json.loads(last)
    return parsed


def test_each_transaction_gets_one_json_line_with_its_proposal(tmp_path: Path) -> None:
    items = write(tmp_path, "items.csv", ITEMS_HEADER + ITEMS)
    statement = write(tmp_path, "bank.csv", STATEMENT_HEADER + STATEMENT)

    result = run("--items", items, "--statement", statement)

    assert result.exit_code == 0, result.output
    first, again, by_iban, stranger, fees = json_lines(result)
    assert first["outcome"] == "apply"
    assert first["customer_id"] == "FR01/C1"
    assert first["allocations"] == [
        {
            "item_id": "FR01/invoice/F-2026-0001",
            "item_number": "F-2026-0001",
            "amount": "1200.00",
            "currency": "EUR",
            "write_off": None,
        }
    ]
    assert (first["amount"], first["currency"], first["booking_date"]) == ("1200.00", "EUR", "2026-11-25")
    assert first["counterparty"] == "BOULANGERIE DUPONT SARL"
    assert Decimal(first["confidence"]) >= Decimal("0.90")
    assert first["unallocated"] == "0.00"
    assert any("F-2026-0001" in reason for reason in first["reasons"])
    assert "F-2026-0001" not in [a["item_number"] for a in again["allocations"]]
    # Without the IBAN map nobody knows whose account this is.
    assert by_iban["customer_id"] is None
    assert by_iban["outcome"] == "suspense"
    assert (stranger["outcome"], stranger["customer_id"], stranger["unallocated"]) == ("suspense", None, "77.00")
    assert fees["outcome"] == "ignored"
    assert len({line["transaction_id"] for line in (first, again, by_iban, stranger, fees)}) == 5
    assert summary(result) == {
        "summary": True,
        "entity": "FR01",
        "transactions": 5,
        "apply": sum(line["outcome"] == "apply" for line in json_lines(result)),
        "review": sum(line["outcome"] == "review" for line in json_lines(result)),
        "suspense": 2,
        "ignored": 1,
        "items_paid": sum(len(line["allocations"]) for line in json_lines(result) if line["outcome"] == "apply"),
        "item_rows_rejected": 0,
    }


def test_an_iban_map_names_the_customer_of_a_line_without_name_or_reference(tmp_path: Path) -> None:
    items = write(tmp_path, "items.csv", ITEMS_HEADER + ITEMS)
    statement = write(tmp_path, "bank.csv", STATEMENT_HEADER + STATEMENT)
    ibans = write(
        tmp_path, "ibans.csv", "IBAN,Account_Number\nDE89 3704 0044 0532 0130 00,C2\nFR7630006000011234567890189,C9\n"
    )

    result = run("--items", items, "--statement", statement, "--iban-map", ibans)

    assert result.exit_code == 0, result.output
    by_iban = json_lines(result)[2]
    assert by_iban["customer_id"] == "FR01/C2"
    assert [a["item_id"] for a in by_iban["allocations"]] == ["FR01/invoice/F-2026-0004"]
    assert "ibans.csv: row 3: no customer FR01/C9" in result.stderr


def test_an_iban_map_with_a_bad_iban_stops_with_its_row(tmp_path: Path) -> None:
    items = write(tmp_path, "items.csv", ITEMS_HEADER + ITEMS)
    statement = write(tmp_path, "bank.csv", STATEMENT_HEADER + STATEMENT)
    ibans = write(tmp_path, "ibans.csv", "iban;account_number\nDE00370400440532013000;C2\n")

    result = run("--items", items, "--statement", statement, "--iban-map", ibans)

    assert result.exit_code == 2
    assert "ibans.csv: row 2: iban:" in result.stderr
    assert result.stdout == ""


def test_the_entity_must_be_chosen_when_the_items_hold_several(tmp_path: Path) -> None:
    other = "DE01;C7;Schmidt Logistik GmbH;R-2026-0001;invoice;2026-10-01;2026-10-31;99,00;EUR\n"
    items = write(tmp_path, "items.csv", ITEMS_HEADER + ITEMS + other)
    statement = write(tmp_path, "bank.csv", STATEMENT_HEADER + STATEMENT)

    undecided = run("--items", items, "--statement", statement)
    chosen = run("--items", items, "--statement", statement, "--entity", "FR01")
    unknown = run("--items", items, "--statement", statement, "--entity", "XX01")

    assert undecided.exit_code == 2
    assert "DE01, FR01" in undecided.stderr and "--entity" in undecided.stderr
    assert chosen.exit_code == 0, chosen.output
    assert json_lines(chosen)[0]["customer_id"] == "FR01/C1"
    assert unknown.exit_code == 2
    assert "'XX01'" in unknown.stderr


def test_an_unreadable_statement_exits_with_code_2_and_says_where(tmp_path: Path) -> None:
    items = write(tmp_path, "items.csv", ITEMS_HEADER + ITEMS)
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(b"%PDF-1.7 not a statement")
    broken = write(tmp_path, "broken.csv", STATEMENT_HEADER + "2026-11-25;twelve;EUR;X;;F-2026-0001;E1\n")

    for statement, where in ((pdf, "statement.pdf: line 1"), (broken, "broken.csv: line 2")):
        result = run("--items", items, "--statement", statement)
        assert result.exit_code == 2
        assert where in result.stderr
        assert result.stdout == ""


def test_an_items_file_without_its_columns_exits_with_code_2_and_a_bad_row_is_left_out(tmp_path: Path) -> None:
    statement = write(tmp_path, "bank.csv", STATEMENT_HEADER + STATEMENT)
    no_columns = write(tmp_path, "names.csv", "name;city\nDupont;Paris\n")
    bad_row = write(
        tmp_path, "items.csv", ITEMS_HEADER + ITEMS + "FR01;C3;Martin;F-2026-0009;invoice;2026-10-01;someday;5;EUR\n"
    )

    rejected = run("--items", no_columns, "--statement", statement)
    partly = run("--items", bad_row, "--statement", statement)

    assert rejected.exit_code == 2
    assert rejected.stderr.startswith("names.csv: ")
    assert partly.exit_code == 0, partly.output
    assert "items.csv: row 6: due_date:" in partly.stderr
    assert summary(partly)["item_rows_rejected"] == 1
    assert len(json_lines(partly)) == 5


def test_a_generated_statement_is_read_whole_and_no_item_is_paid_beyond_what_it_owes(tmp_path: Path) -> None:
    today = date(2026, 11, 24)
    rows = list(
        generate_rows(GeneratorConfig(seed=5, customers=40, items=400, today=today, entities=DEFAULT_ENTITIES[:1]))
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows)
    items = write(tmp_path, "items.csv", out.getvalue())
    bank = generate_bank_set(ledger_customers(rows), BankConfig(seed=2, lines=60, customers=40, today=today))
    statement = tmp_path / "bank.csv"
    statement.write_bytes(statement_csv(bank.lines))

    result = run("--items", items, "--statement", statement)

    assert result.exit_code == 0, result.output
    lines = json_lines(result)
    assert len(lines) == len(bank.lines) == summary(result)["transactions"]
    owed = {f"{r[0]}/{r[8]}/{r[7]}": Decimal(r[12]) for r in rows}
    settled: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line["outcome"] != "apply":
            continue
        assert line["customer_id"] is not None
        for allocation in line["allocations"]:
            settled[allocation["item_id"]] += Decimal(allocation["amount"]) + Decimal(allocation["write_off"] or 0)
    assert settled, "some lines are applied"
    for item_id, amount in settled.items():
        assert abs(amount) <= abs(owed[item_id]), item_id
