from __future__ import annotations

import json
from pathlib import Path

from opendso_cli.main import app
from typer.testing import CliRunner

HEADER = "entity;account_number;customer_name;item_number;issue_date;due_date;amount;currency\n"


def test_a_clean_file_checks_with_exit_code_zero(tmp_path: Path) -> None:
    file = tmp_path / "ar.csv"
    file.write_text(HEADER + "FR01;C1;Dupont;F-1;2026-10-01;2026-10-31;100,00;EUR\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["import", "check", str(file)])

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["rows_read"], report["items"], report["rows_rejected"]) == (1, 1, 0)


def test_a_bad_row_is_reported_with_its_row_and_column_and_exit_code_one(tmp_path: Path) -> None:
    file = tmp_path / "ar.csv"
    file.write_text(
        HEADER + "FR01;C1;Dupont;F-1;2026-10-01;2026-10-31;100,00;EUR\nFR01;C2;Martin;F-2;2026-10-01;someday;5;EUR\n",
        encoding="utf-8",
    )

    result = CliRunner().invoke(app, ["import", "check", str(file)])

    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "due_date")]


def test_a_file_without_the_required_columns_is_rejected_whole(tmp_path: Path) -> None:
    file = tmp_path / "ar.csv"
    file.write_text("name;city\nDupont;Paris\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["import", "check", str(file)])

    assert result.exit_code == 2
    assert json.loads(result.output)["file_rejected"] is True
