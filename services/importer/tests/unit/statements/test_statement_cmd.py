import datetime as dt
import json
from pathlib import Path

from opendso_cli.statement_cmd import statement_app
from openpyxl import Workbook
from typer.testing import CliRunner

DATA = Path(__file__).parents[2] / "data" / "statements"


def run(*args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(statement_app, list(args))
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def test_parse_prints_one_line_per_transaction_then_one_per_statement() -> None:
    code, lines, _ = run("parse", str(DATA / "camt053_v02_commerzbank.xml"))

    assert code == 0
    *transactions, summary = lines
    assert len(transactions) == 7
    assert transactions[0] | {"transaction_id": "…"} == {
        "transaction_id": "…",
        "statement_id": "0532013000-2026-03-02",
        "booking_date": "2026-03-02",
        "value_date": "2026-03-02",
        "amount": "1190.00",
        "currency": "EUR",
        "counterparty_name": "Müller Maschinenbau GmbH",
        "counterparty_iban": "DE28500105170005319074",
        "counterparty_bic": "INGDDEFFXXX",
        "remittance_text": "INV-2026-00123 / 00124",
        "end_to_end_id": "MM-2026-0311-1",
        "structured_reference": None,
        "structured_reference_type": None,
        "bank_reference": "2026030212345678",
        "bank_transaction_code": "PMNT/RCDT/ESCT",
        "entry_reference": "Stmt[1]/Ntry[1]",
    }
    assert transactions[2]["amount"] == "-845.37"
    assert summary == {
        "statement": "0532013000-2026-03-02",
        "format": "camt.053.001.02",
        "account_iban": "DE89370400440532013000",
        "currency": "EUR",
        "opening_balance": {"date": "2026-02-27", "amount": "12500.00", "currency": "EUR"},
        "closing_balance": {"date": "2026-03-02", "amount": "19094.93", "currency": "EUR"},
        "transactions": 7,
    }


def test_each_statement_of_a_file_follows_its_own_transactions() -> None:
    code, lines, _ = run("parse", "--format", "mt940", str(DATA / "mt940_commerzbank.sta"))

    assert code == 0
    assert ["statement" in line for line in lines] == [False] * 3 + [True] + [False] * 4 + [True]
    assert lines[3]["closing_balance"] == {"date": "2026-03-02", "amount": "13356.63", "currency": "EUR"}


def test_a_statement_without_balances_prints_null_balances() -> None:
    code, lines, _ = run("parse", str(DATA / "csv_fio_cz.csv"))

    assert code == 0
    assert (lines[-1]["opening_balance"], lines[-1]["closing_balance"], lines[-1]["transactions"]) == (None, None, 3)


def test_a_bad_file_exits_with_2_and_says_why_on_stderr(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes((DATA / "camt053_v08_kbc.xml").read_bytes()[:2000])

    code, lines, stderr = run("parse", str(broken))

    assert (code, lines) == (2, [])
    assert stderr.startswith("broken.xml: line ")
    assert "malformed XML" in stderr


def test_the_wrong_format_for_a_file_exits_with_2() -> None:
    code, lines, stderr = run("parse", "--format", "mt940", str(DATA / "camt054_v04_ceska_sporitelna.xml"))

    assert (code, lines) == (2, [])
    assert "no :20: statement reference" in stderr


def test_an_unknown_format_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(statement_app, ["parse", "--format", "ods", str(DATA / "csv_fio_cz.csv")])

    assert result.exit_code == 2


def test_an_excel_export_is_read_with_its_format_named_or_told(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["Buchungstag", "Betrag", "Währung", "Verwendungszweck"])
    book.active.append([dt.date(2026, 3, 2), 1190.5, "EUR", "RE 2026-00123"])
    export = tmp_path / "umsaetze.xlsx"
    book.save(export)

    named, told = run("parse", "--format", "xlsx", str(export)), run("parse", str(export))

    assert named == told
    code, (transaction, summary), _ = named
    assert (code, transaction["amount"], transaction["entry_reference"]) == (0, "1190.50", "row 2")
    assert (summary["format"], summary["transactions"]) == ("xlsx", 1)
