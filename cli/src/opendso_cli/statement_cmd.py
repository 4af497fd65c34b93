"""`opendso statement`: read a bank statement file the way the importer does, without the system running."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from opendso_importer.domain.statements import (
    Balance,
    Statement,
    StatementError,
    Transaction,
    parse_statements,
    transaction_id,
)

statement_app = typer.Typer(
    help="Bank statements (CAMT.053/052/054, MT940, CSV, XLSX): see what the importer reads from a file.",
    no_args_is_help=True,
)


class StatementFormat(StrEnum):
    auto = "auto"
    camt = "camt"
    mt940 = "mt940"
    csv = "csv"
    xlsx = "xlsx"


@statement_app.callback()
def _statement() -> None:
    """Keep `parse` a sub-command even though it is the only one."""


@statement_app.command()
def parse(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The statement file")],
    format: Annotated[
        StatementFormat, typer.Option("--format", help="The file's format; auto tells it from the content")
    ] = StatementFormat.auto,
) -> None:
    """Print one JSON line per transaction, then one per statement with its balances.

    A file that cannot be read prints why on stderr and exits with code 2.
    """
    try:
        statements = parse_statements(file.read_bytes(), file.name, format.value)
    except StatementError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    for statement in statements:
        for index, tx in enumerate(statement.transactions):
            typer.echo(json.dumps(_transaction_json(statement, tx, index), ensure_ascii=False))
        typer.echo(json.dumps(_statement_json(statement), ensure_ascii=False))


def _transaction_json(statement: Statement, tx: Transaction, index: int) -> dict[str, object]:
    return {
        "transaction_id": transaction_id(statement, tx, index),
        "statement_id": statement.statement_id,
        "booking_date": tx.booking_date.isoformat(),
        "value_date": tx.value_date.isoformat() if tx.value_date else None,
        "amount": str(tx.amount.amount),
        "currency": tx.amount.currency,
        "counterparty_name": tx.counterparty_name,
        "counterparty_iban": tx.counterparty_iban,
        "counterparty_bic": tx.counterparty_bic,
        "remittance_text": tx.remittance_text,
        "end_to_end_id": tx.end_to_end_id,
        "structured_reference": tx.structured_reference,
        "structured_reference_type": tx.structured_reference_type,
        "bank_reference": tx.bank_reference,
        "bank_transaction_code": tx.bank_transaction_code,
        "entry_reference": tx.entry_reference,
    }


def _statement_json(statement: Statement) -> dict[str, object]:
    return {
        "statement": statement.statement_id,
        "format": statement.format,
        "account_iban": statement.account_iban,
        "currency": statement.currency,
        "opening_balance": _balance_json(statement.opening_balance),
        "closing_balance": _balance_json(statement.closing_balance),
        "transactions": len(statement.transactions),
    }


def _balance_json(balance: Balance | None) -> dict[str, str] | None:
    if balance is None:
        return None
    return {"date": balance.date.isoformat(), "amount": str(balance.amount.amount), "currency": balance.amount.currency}
