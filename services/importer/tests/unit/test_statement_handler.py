"""The statement import handler over an in-memory ledger: lines in, one event per new line out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, cast

import pytest
from google.protobuf.message import Message
from opendso.banking.v1 import banking_pb2 as bk
from opendso.common.v1.common_pb2 import EventMeta
from opendso_bus import InvalidRequest
from opendso_bus.envelope import new_meta
from opendso_importer import handlers, statements
from opendso_importer.store import UnitOfWork

DATA = Path(__file__).resolve().parent.parent / "data" / "statements"


class FakeLedger:
    def __init__(self) -> None:
        self.transactions: dict[str, tuple[str, str]] = {}
        self.imports: dict[str, bytes] = {}

    async def known_transactions(self, ids: Any) -> set[str]:
        return {i for i in ids if i in self.transactions}

    async def record_transactions(self, rows: list[tuple[str, str, str]], import_id: str) -> None:
        for tid, entity, statement in rows:
            assert tid not in self.transactions
            self.transactions[tid] = (entity, statement)

    async def statement_import_by_key(self, key: str) -> bytes | None:
        return self.imports.get(key)

    async def record_statement_import(
        self, import_id: str, key: str | None, checksum: str, file_name: str, report: bytes
    ) -> None:
        if key:
            self.imports[key] = report


class FakeUnitOfWork:
    def __init__(self, ledger: FakeLedger) -> None:
        self.ledger = ledger
        self.published: list[Message] = []
        self.committed = False

    def caused_by(self, meta: EventMeta | None = None, *, correlation_id: str = "") -> None:
        pass

    def meta(self, entity: str = "", **kwargs: Any) -> EventMeta:
        return new_meta("importer", entity=entity, **kwargs)

    async def publish(self, message: Message) -> None:
        self.published.append(message)

    async def publish_many(self, messages: list[Message]) -> None:
        self.published.extend(messages)

    async def commit(self) -> None:
        self.committed = True


async def no_upload(name: str) -> bytes:
    raise AssertionError(name)


DEPS = handlers.Deps(today=lambda: dt.date(2026, 11, 24), max_file_bytes=10_000_000, fetch_upload=no_upload)


async def run(
    ledger: FakeLedger, file: str, content: bytes | None = None, **options: Any
) -> tuple[bk.StatementReport, FakeUnitOfWork]:
    uow = FakeUnitOfWork(ledger)
    command = bk.ImportBankStatement(
        file_name=file,
        content=content if content is not None else (DATA / file).read_bytes(),
        entity=options.pop("entity", "FR01"),
        **options,
    )
    return await statements.import_bank_statement(command, cast(UnitOfWork, uow), DEPS), uow


def received(uow: FakeUnitOfWork) -> list[bk.BankTransaction]:
    return [t for m in uow.published if isinstance(m, bk.BankTransactionsReceived) for t in m.transactions]


@pytest.mark.parametrize("file", sorted(p.name for p in DATA.iterdir()))
async def test_every_sample_statement_publishes_each_line_once(file: str) -> None:
    ledger = FakeLedger()
    report, uow = await run(ledger, file)

    lines = received(uow)
    assert not report.file_rejected, report.rejection_reason
    assert report.transactions_published == len(lines) == sum(s.transactions for s in report.statements) > 0
    assert len({t.transaction_id for t in lines}) == len(lines)
    assert all(t.amount.currency and t.booking_date.year for t in lines)
    assert uow.committed

    again, uow2 = await run(ledger, file)
    assert again.transactions_published == 0 and again.transactions_already_known == len(lines)
    assert received(uow2) == []


async def test_credits_are_positive_and_carry_the_counterparty() -> None:
    _, uow = await run(FakeLedger(), "camt053_v08_kbc.xml")

    credits = [t for t in received(uow) if not t.amount.amount.startswith("-")]
    assert credits and all(t.counterparty_name for t in credits)
    assert any(t.remittance_text or t.structured_reference for t in credits)


async def test_a_broken_statement_is_rejected_whole_and_publishes_no_line() -> None:
    content = (DATA / "camt053_v02_commerzbank.xml").read_bytes()
    report, uow = await run(FakeLedger(), "cut.xml", content=content[: len(content) // 2])

    assert report.file_rejected and report.rejection_reason
    assert received(uow) == []
    assert [type(m).__name__ for m in uow.published] == ["BankStatementImported"]


async def test_a_statement_needs_an_entity() -> None:
    with pytest.raises(InvalidRequest, match="entity"):
        await run(FakeLedger(), "mt940_commerzbank.sta", entity="")
