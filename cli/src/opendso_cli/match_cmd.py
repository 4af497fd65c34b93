"""`opendso match`: apply a bank statement to an ERP file's open items offline, as the matching service would.

Both files are read by the importer's own parsers, so what works here works on upload. Lines are
matched in the statement's order; an applied line reduces its items before the next line is looked
at, as the service books it. Nothing is stored: run it again and it starts from the file.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from opendso_cli.statement_cmd import StatementFormat

if TYPE_CHECKING:
    from opendso_importer.domain.receivables_csv import ParsedFile
    from opendso_importer.domain.tabular import RowError
    from opendso_matching.domain.index import MatchIndex
    from opendso_matching.domain.model import Payment, Proposal
    from opendso_money import Money

_IBAN_COLUMNS = ("iban",)
_CUSTOMER_COLUMNS = ("account_number", "account", "customer_id")


def match_command(
    items: Annotated[
        Path,
        typer.Option(exists=True, dir_okay=False, readable=True, help="Customers and open items (CSV, XLSX, JSON)"),
    ],
    statement: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, readable=True, help="Bank statement (CAMT, MT940, CSV)")
    ],
    entity: Annotated[
        str | None, typer.Option(help="The entity the account belongs to; needed when the items file holds several")
    ] = None,
    iban_map: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            readable=True,
            help="CSV of IBANs already confirmed for customers: columns iban and account_number (and entity)",
        ),
    ] = None,
    statement_format: Annotated[
        StatementFormat, typer.Option("--statement-format", help="The statement's format; auto tells it")
    ] = StatementFormat.auto,
) -> None:
    """Propose (and apply) each statement line to the open items; print one JSON line per transaction.

    A summary goes to stderr. A file that cannot be read prints why (file, row) on stderr and exits
    with code 2; rows of the items file that are rejected are reported and left out.
    """
    from opendso_importer.domain.receivables_csv import FileRejected, parse_receivables
    from opendso_importer.domain.statements import StatementError, parse_statements, transaction_id
    from opendso_matching.domain.engine import match
    from opendso_matching.domain.model import Outcome, Payment

    try:
        parsed = parse_receivables(items.read_bytes(), items.name)
    except FileRejected as rejected:
        _fail(*(_row_error(e) for e in rejected.errors))
    for error in parsed.errors:
        typer.echo(f"{_row_error(error)} (row left out)", err=True)
    chosen = _entity(parsed, entity)
    try:
        statements = parse_statements(statement.read_bytes(), statement.name, statement_format.value)
    except StatementError as exc:
        _fail(str(exc))
    index = _index(parsed, chosen)
    if iban_map is not None:
        _learn_ibans(index, iban_map, chosen)

    outcomes: Counter[str] = Counter()
    items_paid = 0
    for stmt in statements:
        for position, tx in enumerate(stmt.transactions):
            payment = Payment(
                transaction_id=transaction_id(stmt, tx, position),
                entity=chosen,
                booking_date=tx.booking_date,
                amount=tx.amount,
                counterparty_name=tx.counterparty_name or "",
                counterparty_iban=tx.counterparty_iban or "",
                remittance_text=tx.remittance_text,
                structured_reference=tx.structured_reference or "",
                structured_reference_type=tx.structured_reference_type or "",
            )
            proposal = match(payment, index)
            if proposal.outcome is Outcome.APPLY:
                for allocation in proposal.allocations:
                    settled = allocation.amount
                    if allocation.write_off is not None:
                        settled = settled + allocation.write_off
                    index.reduce(allocation.item_id, settled)
                items_paid += len(proposal.allocations)
            outcomes[proposal.outcome.value] += 1
            typer.echo(json.dumps(_line(payment, proposal), ensure_ascii=False))
    summary = {
        "summary": True,
        "entity": chosen,
        "transactions": sum(outcomes.values()),
        **{outcome.value: outcomes[outcome.value] for outcome in Outcome},
        "items_paid": items_paid,
        "item_rows_rejected": len({e.row for e in parsed.errors}),
    }
    typer.echo(json.dumps(summary), err=True)


def _fail(*messages: str) -> NoReturn:
    for message in messages:
        typer.echo(message, err=True)
    raise typer.Exit(2)


def _row_error(error: RowError) -> str:
    where = f"row {error.row}" if error.row else "file"
    column = f" {error.column}:" if error.column else ""
    return f"{error.file}: {where}:{column} {error.reason}"


def _entity(parsed: ParsedFile, entity: str | None) -> str:
    found = sorted({i.entity for i in parsed.items} | {c.entity for c in parsed.customers})
    if entity is not None:
        if entity not in found:
            _fail(f"{parsed.file}: no customer or item of entity {entity!r} (entities: {', '.join(found) or 'none'})")
        return entity
    if len(found) != 1:
        _fail(
            f"{parsed.file}: holds entities {', '.join(found)}: say which one the statement's account is of "
            "with --entity"
            if found
            else f"{parsed.file}: no customer or item to match against"
        )
    return found[0]


def _index(parsed: ParsedFile, entity: str) -> MatchIndex:
    from opendso_matching.domain.index import MatchIndex
    from opendso_matching.domain.model import Customer, OpenItem

    index = MatchIndex()
    for row in parsed.customers:
        if row.entity == entity:
            index.add_customer(Customer(f"{entity}/{row.account_number}", entity, row.name, row.account_number))
    for item in parsed.items:
        if item.entity != entity:
            continue
        index.add_item(
            OpenItem(
                item_id=f"{entity}/{item.kind}/{item.number}",
                customer_id=f"{entity}/{item.account_number}",
                entity=entity,
                number=item.number,
                kind=str(item.kind),
                due_date=item.due_date,
                open_amount=item.open_amount,
                reference=item.reference or "",
            )
        )
    return index


def _learn_ibans(index: MatchIndex, file: Path, entity: str) -> None:
    """IBANs confirmed earlier. A row naming an account the items file does not have is skipped with a warning
    (the customer may owe nothing today); a row that cannot be read stops the run."""
    from opendso_importer.domain.statements.model import normalise_iban

    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _fail(f"{file.name}: file: not UTF-8 ({exc.reason} at byte {exc.start})")
    lines = text.splitlines()
    if not lines:
        _fail(f"{file.name}: file: empty")
    delimiter = max(";,\t|", key=lines[0].count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader)]
    iban_at = next((header.index(c) for c in _IBAN_COLUMNS if c in header), None)
    customer_at = next((header.index(c) for c in _CUSTOMER_COLUMNS if c in header), None)
    entity_at = header.index("entity") if "entity" in header else None
    if iban_at is None or customer_at is None:
        _fail(f"{file.name}: row 1: needs the columns iban and account_number (found: {', '.join(header)})")
    for row_number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) <= max(iban_at, customer_at, entity_at or 0):
            _fail(f"{file.name}: row {row_number}: {len(cells)} columns, the header has {len(header)}")
        if entity_at is not None and cells[entity_at].strip() != entity:
            continue
        account = cells[customer_at].strip()
        customer_id = account if "/" in account else f"{entity}/{account}"
        try:
            iban = normalise_iban(cells[iban_at])
        except ValueError as exc:
            _fail(f"{file.name}: row {row_number}: iban: {exc}")
        if index.customer(customer_id) is None:
            typer.echo(
                f"{file.name}: row {row_number}: no customer {customer_id} in the items file (row skipped)", err=True
            )
            continue
        index.add_iban(iban, customer_id)


def _line(payment: Payment, proposal: Proposal) -> dict[str, object]:
    return {
        "transaction_id": payment.transaction_id,
        "booking_date": payment.booking_date.isoformat(),
        "amount": _amount(payment.amount),
        "currency": payment.amount.currency,
        "counterparty": payment.counterparty_name or None,
        "outcome": proposal.outcome.value,
        "confidence": str(proposal.confidence),
        "customer_id": proposal.customer_id,
        "allocations": [
            {
                "item_id": a.item_id,
                "item_number": a.item_number,
                "amount": _amount(a.amount),
                "currency": a.amount.currency,
                "write_off": None if a.write_off is None else _amount(a.write_off),
            }
            for a in proposal.allocations
        ],
        "unallocated": _amount(proposal.unallocated),
        "unallocated_currency": proposal.unallocated.currency,
        "rate": None if proposal.rate is None else str(proposal.rate),
        "reasons": list(proposal.reasons),
    }


def _amount(money: Money) -> str:
    """The amount with the currency's decimals ("0.00", not "0"), unless that would hide a finer one."""
    rounded = money.rounded()
    return str(rounded.amount if rounded == money else money.amount)
