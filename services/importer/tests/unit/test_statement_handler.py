"""The statement import handler over an in-memory ledger: lines in, one event per new line out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from google.protobuf.message import Message
from opendso.banking.v1 import banking_pb2 as bk
from opendso.common.v1.common_pb2 import EventMeta
from opendso_bus import InvalidRequest
from opendso_bus.envelope import new_meta
from opendso_importer import handlers, statements
from opendso_importer.domain.statements.samples import build_large_camt
from opendso_importer.parallel_reading import ReadingPool
from opendso_importer.store import UnitOfWork
from openpyxl import Workbook

DATA = Path(__file__).resolve().parent.parent / "data" / "statements"


class FakeLedger:
    def __init__(self) -> None:
        self.transactions: dict[str, tuple[str, str]] = {}
        self.imports: dict[str, bytes] = {}

    async def known_transactions(self, ids: Any) -> set[str]:
        return {i for i in ids if i in self.transactions}

    async def record_transactions(self, entity: str, statement_id: str, ids: list[str], import_id: str) -> None:
        for tid in ids:
            assert tid not in self.transactions
            self.transactions[tid] = (entity, statement_id)

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


async def no_upload(name: str, into: Path) -> None:
    raise AssertionError(name)


DEPS = handlers.Deps(today=lambda: dt.date(2026, 11, 24), max_file_bytes=10_000_000, fetch_upload=no_upload)


async def run(
    ledger: FakeLedger, file: str, content: bytes | None = None, **options: Any
) -> tuple[bk.StatementReport, FakeUnitOfWork]:
    uow = FakeUnitOfWork(ledger)
    deps = options.pop("deps", DEPS)
    command = bk.ImportBankStatement(
        file_name=file,
        content=content if content is not None else (DATA / file).read_bytes(),
        entity=options.pop("entity", "FR01"),
        **options,
    )
    return await statements.import_bank_statement(command, cast(UnitOfWork, uow), deps), uow


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


@pytest.fixture(scope="module")
def pool() -> Iterator[ReadingPool]:
    reading = ReadingPool(2, from_bytes=0)
    reading.warm()
    yield reading
    reading.close()


@pytest.mark.parametrize("file", [*sorted(p.name for p in DATA.glob("camt*.xml")), "large.xml"])
async def test_a_statement_read_by_the_reading_pool_publishes_what_one_read_in_process_does(
    pool: ReadingPool, file: str
) -> None:
    # 11,000 entries: three jobs for the workers.
    content = build_large_camt(11_000) if file == "large.xml" else None

    pooled, pooled_uow = await run(FakeLedger(), file, content, deps=dataclasses.replace(DEPS, reading=pool))
    alone, alone_uow = await run(FakeLedger(), file, content)

    assert received(pooled_uow) == received(alone_uow)
    assert len(received(alone_uow)) == alone.transactions_published > 0
    pooled.import_id = alone.import_id = ""
    assert pooled == alone


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


async def test_lines_of_the_intraday_report_are_not_published_again_with_the_end_of_day_statement() -> None:
    ledger = FakeLedger()
    intraday, uow = await run(ledger, "camt052_v08_intraday_deutsche_bank.xml")

    assert (intraday.format, intraday.transactions_published) == ("camt.052.001.08", 3)
    end_of_day, uow2 = await run(ledger, "camt053_v08_end_of_day_deutsche_bank.xml")

    assert (end_of_day.transactions_published, end_of_day.transactions_already_known) == (2, 3)
    assert sorted(t.amount.amount for t in received(uow2)) == ["-3400.00", "500.00"]
    assert {t.transaction_id for t in received(uow)}.isdisjoint(t.transaction_id for t in received(uow2))


async def test_the_end_of_day_statement_first_leaves_nothing_new_in_the_intraday_report() -> None:
    ledger = FakeLedger()
    await run(ledger, "camt053_v08_end_of_day_deutsche_bank.xml")

    late_report, uow = await run(ledger, "camt052_v08_intraday_deutsche_bank.xml")

    assert (late_report.transactions_published, late_report.transactions_already_known) == (0, 3)
    assert received(uow) == []


async def test_a_line_in_two_statements_of_one_file_is_published_once() -> None:
    data = (DATA / "camt053_v08_end_of_day_deutsche_bank.xml").read_text()
    start, end = data.index("    <Stmt>"), data.index("    </Stmt>") + len("    </Stmt>\n")
    twice = data[:end] + data[start:end].replace("0202051-2026-063", "0202051-2026-063-COPY") + data[end:]

    report, uow = await run(FakeLedger(), "twice.xml", content=twice.encode())

    assert (report.transactions_published, report.transactions_already_known) == (5, 5)
    assert len(received(uow)) == 5


async def test_a_large_statement_is_published_a_thousand_lines_to_a_message() -> None:
    report, uow = await run(FakeLedger(), "large.xml", content=build_large_camt(2500))

    batches = [m for m in uow.published if isinstance(m, bk.BankTransactionsReceived)]
    assert [len(m.transactions) for m in batches] == [1000, 1000, 500]
    assert len({m.meta.event_id for m in batches}) == 3
    assert report.transactions_published == 2500


async def test_an_excel_export_is_imported_like_its_csv() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Umsätze Girokonto", "IBAN: DE89 3704 0044 0532 0130 00"])
    sheet.append(["Buchungstag", "Auftraggeber/Empfänger", "Verwendungszweck", "Betrag", "Währung"])
    sheet.append([dt.date(2026, 3, 2), "Müller Maschinenbau GmbH", "RE 2026-00123", 1190, "EUR"])
    sheet.append([dt.date(2026, 3, 2), "Stadtwerke", "Strom 02/2026", -245.8, "EUR"])
    content = io.BytesIO()
    book.save(content)

    report, uow = await run(FakeLedger(), "umsaetze.xlsx", content=content.getvalue())

    assert (report.format, report.transactions_published) == ("xlsx", 2)
    assert [t.amount.amount for t in received(uow)] == ["1190.00", "-245.80"]
    assert received(uow)[0].account_iban == "DE89370400440532013000"


async def test_an_unknown_format_name_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="xlsx"):
        await run(FakeLedger(), "mt940_commerzbank.sta", format="xls")
