"""A large CAMT file's entries read by the reading pool's workers give what reading it in one process gives."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from opendso_importer import statement_reading
from opendso_importer.domain.statements import StatementError, parse_statements
from opendso_importer.domain.statements.camt import split_camt
from opendso_importer.domain.statements.samples import build_large_camt
from opendso_importer.parallel_reading import ReadingPool
from opendso_importer.statement_reading import read_statements

DATA = Path(__file__).parents[2] / "data" / "statements"
OWN_IBAN = "DE89370400440532013000"
USD_IBAN = "DE02100100100006820101"
DEBTOR_IBAN = "DE28500105170005319074"
CREDITOR_IBAN = "DE66701500000001234567"
RF = "RF18539007547034"


@pytest.fixture(scope="module")
def pool() -> Iterator[ReadingPool]:
    reading = ReadingPool(2, from_bytes=0)
    reading.warm()
    yield reading
    reading.close()


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The file must be read in parts: reading it whole in this process instead fails the test."""

    def whole(*args: object, **kwargs: object) -> None:
        raise AssertionError("read whole, not in parts")

    monkeypatch.setattr(statement_reading, "parse_statements", whole)


def tx_details(
    amount: str | None, *, ccy: str = "EUR", indicator: str | None = None, role: str = "Dbtr", extra: str = ""
) -> str:
    amount_xml = f'<Amt Ccy="{ccy}">{amount}</Amt>' if amount is not None else ""
    amount_xml += f"<CdtDbtInd>{indicator}</CdtDbtInd>" if indicator else ""
    iban = DEBTOR_IBAN if role == "Dbtr" else CREDITOR_IBAN
    return (
        f"<TxDtls><Refs><EndToEndId>E2E-{amount}-{role}</EndToEndId></Refs>{amount_xml}"
        f"<RltdPties><{role}><Pty><Nm>Huber &amp; Söhne GmbH</Nm></Pty></{role}>"
        f"<{role}Acct><Id><IBAN>{iban}</IBAN></Id></{role}Acct></RltdPties>"
        f"<RltdAgts><{role}Agt><FinInstnId><BICFI>INGDDEFFXXX</BICFI></FinInstnId></{role}Agt></RltdAgts>"
        f"<RmtInf><Ustrd>RE {amount}</Ustrd>{extra}</RmtInf></TxDtls>"
    )


def ntry(
    amount: str, indicator: str = "CRDT", *details: str, ccy: str = "EUR", status: str = "BOOK", more: str = ""
) -> str:
    ntry_details = f"<NtryDtls>{''.join(details)}</NtryDtls>" if details else ""
    return (
        f'<Ntry>{more}<Amt Ccy="{ccy}">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd><Sts><Cd>{status}</Cd></Sts>'
        "<BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><DtTm>2026-03-03T10:00:00</DtTm></ValDt>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"{ntry_details}</Ntry>\n"
    )


def stmt(
    statement_id: str, iban: str, ccy: str, opening: str, closing: str, entries: list[str], after: str = ""
) -> str:
    def bal(code: str, amount: str) -> str:
        return (
            f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="{ccy}">{amount}</Amt>'
            f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>"
        )

    return (
        f"<Stmt><Id>{statement_id}</Id><Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{ccy}</Ccy></Acct>"
        f"{bal('OPBD', opening)}{bal('CLBD', closing)}\n{''.join(entries)}{after}</Stmt>\n"
    )


def document(*statements: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-03-02T18:00:00</CreDtTm></GrpHdr>\n"
        f"{''.join(statements)}</BkToCstmrStmt></Document>\n"
    ).encode()


def every_shape() -> bytes:
    """Two EUR statements and a USD one, with every kind of entry the CAMT tests read."""
    strd = f"<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{RF}</Ref></CdtrRefInf></Strd>"
    scor = "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>4711</Ref></CdtrRefInf></Strd>"
    eur = [
        ntry("300.00", "CRDT", tx_details("100.00"), tx_details("200.00", extra=scor)),  # a batch, split
        ntry("50.00", "CRDT", tx_details(None), tx_details(None)),  # a batch without amounts: one line
        ntry("40.00", "DBIT", tx_details("40.00", role="Cdtr"), more="<RvslInd>true</RvslInd>"),  # a reversal
        ntry("25.00", "CRDT", tx_details("25.00", extra=strd)),  # a structured RF reference
        ntry("9.99", "CRDT", status="PDNG"),  # pending: no line
        ntry("2.50", "DBIT", more="<NtryRef>FEE-1</NtryRef>").replace(
            "</Ntry>", "<AddtlNtryInf>Kontoführung   März</AddtlNtryInf></Ntry>"
        ),  # a fee: no details
        ntry("10.00", "CRDT", tx_details("10.00", ccy="EUR", extra="<AddtlRmtInf>VS:20260042</AddtlRmtInf>")),
    ]
    usd = [
        ntry("2500.00", "CRDT", tx_details("2500.00", ccy="USD"), ccy="USD"),  # foreign currency
        ntry("100.00", "CRDT", tx_details("60.00", ccy="USD"), tx_details("40.00", ccy="USD"), ccy="USD"),
    ]
    # The second EUR batch's lines are in CHF, not the account's currency: the entry stays one line.
    chf = ntry("70.00", "CRDT", tx_details("65.00", ccy="CHF"), tx_details("5.00", ccy="CHF"))
    return document(
        stmt("EUR-1", OWN_IBAN, "EUR", "1000.00", "1342.50", eur),
        stmt("USD-1", USD_IBAN, "USD", "0.00", "2600.00", usd, after="<AddtlStmtInf>end</AddtlStmtInf>"),
        stmt("EUR-2", OWN_IBAN, "EUR", "1342.50", "1412.50", [chf]),
    )


async def test_every_entry_shape_reads_the_same_in_the_workers_as_in_one_process(
    pool: ReadingPool, no_fallback: None
) -> None:
    data = every_shape()

    # Two entries a job: jobs end inside statements and at their ends.
    in_parts = await read_statements(pool, data, "mixed.xml", "auto", entries_per_job=2)

    whole = parse_statements(data, "mixed.xml")
    assert in_parts == whole
    assert [len(s.transactions) for s in whole] == [7, 3, 1]  # the batch split, the pending entry left out
    assert whole[0].transactions[4].structured_reference == RF
    assert sum((t.amount.amount for t in whole[1].transactions), Decimal(0)) == Decimal("2600.00")


@pytest.mark.parametrize("sample", sorted(p.name for p in DATA.glob("camt*.xml")))
async def test_the_bank_samples_read_the_same_in_the_workers_as_in_one_process(
    pool: ReadingPool, no_fallback: None, sample: str
) -> None:
    data = (DATA / sample).read_bytes()

    in_parts = await read_statements(pool, data, sample, "camt", entries_per_job=1)

    assert in_parts == parse_statements(data, sample)


async def test_a_large_statement_is_read_by_the_workers_in_jobs(pool: ReadingPool, no_fallback: None) -> None:
    data = build_large_camt(2000)
    parts = split_camt(data, "large.xml", 300)
    assert parts is not None and len(parts.jobs) == 7

    in_parts = await read_statements(pool, data, "large.xml", entries_per_job=300)

    assert in_parts == parse_statements(data, "large.xml")


NAMESPACE = b"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


@pytest.mark.parametrize(
    "changes",
    [
        # A prefix for the message's namespace, used inside the entries.
        [(b'<Document xmlns="', b'<Document xmlns:c="' + NAMESPACE + b'" xmlns="'), (b"Ustrd>", b"c:Ustrd>")],
        # Part of an entry in another namespace: not read, either way.
        [(b"<RmtInf>", b'<RmtInf xmlns="urn:other">')],
        # The message's namespace declared again inside an entry.
        [(b"<RmtInf>", b'<RmtInf xmlns="' + NAMESPACE + b'">')],
    ],
)
async def test_namespaces_declared_anywhere_read_the_same_in_the_workers(
    pool: ReadingPool, no_fallback: None, changes: list[tuple[bytes, bytes]]
) -> None:
    data = every_shape()
    for old, new in changes:
        data = data.replace(old, new)

    in_parts = await read_statements(pool, data, "ns.xml", entries_per_job=2)

    assert in_parts == parse_statements(data, "ns.xml")


def broken(kind: str) -> bytes:
    data = every_shape()
    if kind == "amount":
        return data.replace(b'<Amt Ccy="USD">100.00</Amt>', b'<Amt Ccy="USD">1O0.00</Amt>')
    if kind == "currency":
        return data.replace(b'<Amt Ccy="EUR">25.00</Amt><CdtDbtInd>', b'<Amt Ccy="GBP">25.00</Amt><CdtDbtInd>', 1)
    if kind == "balance":
        return data.replace(b"2600.00", b"2600.01")
    if kind == "nested":
        return data.replace(b"<RvslInd>true</RvslInd>", b"<Ntry></Ntry>")
    if kind == "truncated":
        return data[: len(data) * 2 // 3]
    return data.replace(b"<Ntry>", b"<Ntry><NtryRef>1</NtryRef></Ntry>", 1)  # a stray end tag follows


@pytest.mark.parametrize("kind", ["amount", "currency", "balance", "nested", "truncated", "stray end tag"])
async def test_a_broken_file_is_refused_in_the_same_words_either_way(pool: ReadingPool, kind: str) -> None:
    data = broken(kind)
    with pytest.raises(StatementError) as whole:
        parse_statements(data, "broken.xml")

    with pytest.raises(StatementError) as in_parts:
        await read_statements(pool, data, "broken.xml", entries_per_job=2)

    assert str(in_parts.value) == str(whole.value)


@pytest.mark.parametrize(
    ("change", "plain"),
    [
        ((b"<GrpHdr>", b"<!-- <Ntry> --><GrpHdr>"), False),
        ((b"<GrpHdr>", b"<?pi x?><GrpHdr>"), False),
        ((b'encoding="UTF-8"', b'encoding="ISO-8859-1"'), False),
        ((b"<Ntry>", b'<Ntry xmlns:x="urn:x">'), False),
        ((b"<GrpHdr>", b"<GrpHdr>"), True),
    ],
)
async def test_only_a_plain_document_is_cut_up_and_any_other_reads_whole(
    pool: ReadingPool, change: tuple[bytes, bytes], plain: bool
) -> None:
    data = every_shape().replace(*change)

    assert (split_camt(data, "x.xml", 2) is not None) is plain
    assert await read_statements(pool, data, "x.xml", entries_per_job=2) == parse_statements(data, "x.xml")
