"""Generated statements for tests and benchmarks: big enough to show how parsing scales.

The output is deterministic: the same ``n`` gives the same bytes.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from opendso_importer.domain.statements.model import make_money

ACCOUNT_IBAN = "DE89370400440532013000"
_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
_OPENING = Decimal("25000.00")
_DAY = date(2026, 3, 2)
_DEBTORS = (
    ("Müller Maschinenbau GmbH", "DE", "50010517", "COBADEFFXXX"),
    ("Société Générale de Transports SARL", "FR", "3000600001", "SOGEFRPPXXX"),
    ("Novák a syn s.r.o.", "CZ", "0800", "GIBACZPXXXX"),
    ("Van der Berg Logistiek B.V.", "NL", "ABNA", "ABNANL2AXXX"),
    ("Rossi & Figli S.p.A.", "IT", "X0306909606", "BCITITMMXXX"),
    ("Kowalski Sp. z o.o.", "PL", "10901014", "WBKPPLPPXXX"),
)


def iban(country: str, bban: str) -> str:
    """The IBAN of a domestic account (BBAN), with its ISO 13616 mod-97 check digits."""
    digits = "".join(str(int(c, 36)) for c in f"{bban}{country}00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def _bban(country: str, bank: str, number: int) -> str:
    """A domestic account number of the right length for the country."""
    lengths = {"DE": 18, "FR": 23, "CZ": 20, "NL": 14, "IT": 23, "PL": 24}
    return bank + str(number).rjust(lengths[country] - len(bank), "0")


def large_camt_amount(i: int) -> Decimal:
    """The signed amount of entry ``i`` in :func:`build_large_camt`: mostly receipts, every seventh a payment."""
    value = Decimal(10_000 + (i * 7919) % 990_000) / 100
    return -value if i % 7 == 0 else value


def build_large_camt(n: int) -> bytes:
    """A camt.053.001.08 statement with ``n`` booked entries whose balances add up."""
    total = sum((large_camt_amount(i) for i in range(n)), Decimal(0))
    closing = _OPENING + total
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<Document xmlns="{_NAMESPACE}"><BkToCstmrStmt>',
        "<GrpHdr><MsgId>BENCH-2026-03-02</MsgId><CreDtTm>2026-03-02T18:00:00</CreDtTm></GrpHdr>",
        "<Stmt><Id>BENCH-STMT-1</Id><CreDtTm>2026-03-02T18:00:00</CreDtTm>",
        f"<Acct><Id><IBAN>{ACCOUNT_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>",
        _balance("OPBD", _OPENING, _DAY - timedelta(days=1)),
        _balance("CLBD", closing, _DAY),
    ]
    debtor_ibans = [
        iban(country, _bban(country, bank, 1_000_003 + k)) for k, (_, country, bank, _) in enumerate(_DEBTORS)
    ]
    for i in range(n):
        parts.append(_entry(i, debtor_ibans))
    parts.append("</Stmt></BkToCstmrStmt></Document>\n")
    return "".join(parts).encode()


def _balance(code: str, amount: Decimal, day: date) -> str:
    indicator = "CRDT" if amount >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="EUR">{make_money(abs(amount), "EUR").amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
    )


def _entry(i: int, debtor_ibans: list[str]) -> str:
    amount = large_camt_amount(i)
    name, _, _, bic = _DEBTORS[i % len(_DEBTORS)]
    counterparty_iban = debtor_ibans[i % len(_DEBTORS)]
    credit = amount >= 0
    party, agent = ("Dbtr", "DbtrAgt") if credit else ("Cdtr", "CdtrAgt")
    family = "RCDT" if credit else "ICDT"
    return (
        f"<Ntry><NtryRef>{i + 1}</NtryRef>"
        f'<Amt Ccy="EUR">{make_money(abs(amount), "EUR").amount}</Amt>'
        f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{_DAY.isoformat()}</Dt></BookgDt><ValDt><Dt>{_DAY.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>2026030200{i:08d}</AcctSvcrRef>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>E2E-{i:08d}</EndToEndId></Refs>"
        f"<RltdPties><{party}><Pty><Nm>{_xml(name)}</Nm></Pty></{party}>"
        f"<{party}Acct><Id><IBAN>{counterparty_iban}</IBAN></Id></{party}Acct></RltdPties>"
        f"<RltdAgts><{agent}><FinInstnId><BICFI>{bic}</BICFI></FinInstnId></{agent}></RltdAgts>"
        f"<RmtInf><Ustrd>INV-2026-{i:06d}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
