"""The importer's handler for bank statements: a CAMT, MT940 or CSV file becomes
one BankTransactionReceived event per new line, for the matching service."""

from __future__ import annotations

import hashlib
import uuid

from opendso.banking.v1 import banking_pb2 as bk
from opendso_bus import InvalidRequest
from opendso_contracts.convert import date_to_proto, money_to_proto

from opendso_importer.domain.statements import Balance, Statement, StatementError, parse_statements, transaction_id
from opendso_importer.handlers import Deps
from opendso_importer.store import UnitOfWork

FORMATS = ("auto", "camt", "mt940", "csv")


def _balance(balance: Balance | None) -> bk.Balance | None:
    if balance is None:
        return None
    return bk.Balance(date=date_to_proto(balance.date), amount=money_to_proto(balance.amount))


def _summary(statement: Statement) -> bk.StatementSummary:
    summary = bk.StatementSummary(
        statement_id=statement.statement_id,
        account_iban=statement.account_iban or "",
        currency=statement.currency,
        transactions=len(statement.transactions),
    )
    opening, closing = _balance(statement.opening_balance), _balance(statement.closing_balance)
    if opening is not None:
        summary.opening_balance.CopyFrom(opening)
    if closing is not None:
        summary.closing_balance.CopyFrom(closing)
    return summary


async def import_bank_statement(command: bk.ImportBankStatement, uow: UnitOfWork, deps: Deps) -> bk.StatementReport:
    """Parse a statement file and publish its lines not seen before; a broken file publishes nothing."""
    if not command.file_name:
        raise InvalidRequest("file_name is required")
    if not command.entity:
        raise InvalidRequest("entity is required: the legal entity whose bank account the statement is for")
    fmt = command.format or "auto"
    if fmt not in FORMATS:
        raise InvalidRequest(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if command.object_name:
        command.content = await deps.fetch_upload(command.object_name)
    if len(command.content) > deps.max_file_bytes:
        raise InvalidRequest(
            f"{command.file_name}: {len(command.content)} bytes is over the limit of {deps.max_file_bytes}"
        )
    if command.idempotency_key:
        earlier = await uow.ledger.statement_import_by_key(command.idempotency_key)
        if earlier is not None:
            replay = bk.StatementReport.FromString(earlier)
            replay.replayed = True
            return replay
    uow.caused_by(None, correlation_id=command.correlation_id)
    import_id = str(uuid.uuid4())
    report = bk.StatementReport(import_id=import_id, file_name=command.file_name)
    try:
        statements = parse_statements(command.content, command.file_name, fmt)
    except StatementError as exc:
        report.file_rejected = True
        report.rejection_reason = str(exc)
        statements = []
    lines: list[bk.BankTransaction] = []
    seen: list[tuple[str, str, str]] = []
    for statement in statements:
        report.format = statement.format
        report.statements.append(_summary(statement))
        ids = [transaction_id(statement, tx, i) for i, tx in enumerate(statement.transactions)]
        known = await uow.ledger.known_transactions(ids)
        for tid, tx in zip(ids, statement.transactions, strict=True):
            if tid in known:
                report.transactions_already_known += 1
                continue
            known.add(tid)  # the same line twice in one file is one payment
            seen.append((tid, command.entity, statement.statement_id))
            lines.append(
                bk.BankTransaction(
                    transaction_id=tid,
                    entity=command.entity,
                    account_iban=statement.account_iban or "",
                    statement_id=statement.statement_id,
                    booking_date=date_to_proto(tx.booking_date),
                    value_date=date_to_proto(tx.value_date) if tx.value_date else None,
                    amount=money_to_proto(tx.amount),
                    counterparty_name=tx.counterparty_name or "",
                    counterparty_iban=tx.counterparty_iban or "",
                    counterparty_bic=tx.counterparty_bic or "",
                    remittance_text=tx.remittance_text,
                    structured_reference=tx.structured_reference or "",
                    structured_reference_type=tx.structured_reference_type or "",
                    end_to_end_id=tx.end_to_end_id or "",
                    bank_reference=tx.bank_reference or "",
                    bank_transaction_code=tx.bank_transaction_code or "",
                )
            )
    report.transactions_published = len(lines)
    await uow.ledger.record_transactions(seen, import_id)
    # A thousand lines to a message: a large statement is a hundred messages, not a hundred thousand.
    await uow.publish_many(
        [
            bk.BankTransactionsReceived(meta=uow.meta(entity=command.entity), transactions=lines[i : i + 1000])
            for i in range(0, len(lines), 1000)
        ]
    )
    await uow.ledger.record_statement_import(
        import_id,
        command.idempotency_key or None,
        hashlib.sha256(command.content).hexdigest(),
        command.file_name,
        report.SerializeToString(),
    )
    await uow.publish(bk.BankStatementImported(meta=uow.meta(entity=command.entity), report=report))
    await uow.commit()
    return report
