"""`opendso import check FILE`: validate an ERP file offline, print its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

import_app = typer.Typer(help="ERP files of customers and open items.", no_args_is_help=True)


@import_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV, XLSX or JSON records")],
) -> None:
    """Parse and validate FILE as the importer would, and print its report as JSON; imports nothing.

    Exit code 0 when every row is valid, 1 when some rows are rejected, 2 when the whole file is.
    """
    from opendso_importer.domain.receivables_csv import FileRejected, parse_receivables

    try:
        parsed = parse_receivables(file.read_bytes(), file.name)
    except FileRejected as rejected:
        typer.echo(
            json.dumps(
                {"file": file.name, "file_rejected": True, "errors": [e.__dict__ for e in rejected.errors]},
                ensure_ascii=False,
                indent=2,
            )
        )
        raise typer.Exit(2) from None
    rejected_rows = sorted({e.row for e in parsed.errors})
    typer.echo(
        json.dumps(
            {
                "file": file.name,
                "rows_read": parsed.rows_read,
                "customers": len(parsed.customers),
                "items": len(parsed.items),
                "rows_rejected": len(rejected_rows),
                "errors": [e.__dict__ for e in parsed.errors],
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        )
    )
    if rejected_rows:
        raise typer.Exit(1)
