from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from opendso_importer.domain.statements import Statement, StatementError, Transaction, parse_statements
from opendso_money import Money

DATA = Path(__file__).parents[2] / "data" / "statements"
OWN_IBAN = "DE89370400440532013000"
DEBTOR_IBAN = "DE28500105170005319074"
CREDITOR_IBAN = "DE66701500000001234567"


# --- building documents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    xml: str
    booked: Decimal  # what the entry adds to the balance


def party(version: str, role: str, name: str | None, iban: str | None = None) -> str:
    """A party and its account inside RltdPties: ``Dbtr/Nm`` up to v07, ``Dbtr/Pty/Nm`` from v08."""
    xml = ""
    if name is not None:
        xml += f"<{role}><Nm>{name}</Nm></{role}>" if version < "08" else f"<{role}><Pty><Nm>{name}</Nm></Pty></{role}>"
    if iban is not None:
        xml += f"<{role}Acct><Id><IBAN>{iban}</IBAN></Id></{role}Acct>"
    return xml


def details(
    version: str = "08",
    *,
    party_role: str = "Dbtr",
    name: str | None = "Müller Maschinenbau GmbH",
    iban: str | None = DEBTOR_IBAN,
    other_parties: str = "",
    bic: str | None = "INGDDEFFXXX",
    ustrd: tuple[str, ...] = ("INV-2026-00123 / 00124",),
    strd: str = "",
    end_to_end: str | None = "E2E-2026-0001",
    amount: str | None = None,
    indicator: str | None = None,
    account_servicer_ref: str | None = None,
) -> str:
    """One TxDtls, with the element paths of its message version.

    v02: Dbtr/Nm, BIC, AmtDtls/TxAmt/Amt; v04 to v07: Dbtr/Nm, BICFI, Amt; v08: Dbtr/Pty/Nm, BICFI, Amt.
    """
    old = version in ("02", "03")
    parties = other_parties + party(version, party_role, name, iban)
    agents = ""
    if bic is not None:
        bic_tag = "BIC" if old else "BICFI"
        agent = f"{party_role}Agt"
        agents = f"<RltdAgts><{agent}><FinInstnId><{bic_tag}>{bic}</{bic_tag}></FinInstnId></{agent}></RltdAgts>"
    amount_xml = ""
    if amount is not None:
        amount_xml = (
            f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>'
            if old
            else f'<Amt Ccy="EUR">{amount}</Amt>'
        )
    if indicator is not None:
        amount_xml += f"<CdtDbtInd>{indicator}</CdtDbtInd>"
    refs = ""
    if end_to_end is not None or account_servicer_ref is not None:
        refs = "<Refs>"
        refs += f"<AcctSvcrRef>{account_servicer_ref}</AcctSvcrRef>" if account_servicer_ref else ""
        refs += f"<EndToEndId>{end_to_end}</EndToEndId>" if end_to_end else ""
        refs += "</Refs>"
    remittance = "".join(f"<Ustrd>{line}</Ustrd>" for line in ustrd) + strd
    return f"<TxDtls>{refs}{amount_xml}<RltdPties>{parties}</RltdPties>{agents}<RmtInf>{remittance}</RmtInf></TxDtls>"


def entry(
    amount: str = "100.00",
    indicator: str = "CRDT",
    *tx_details: str,
    version: str = "08",
    status: str = "BOOK",
    booking: str = "<BookgDt><Dt>2026-03-02</Dt></BookgDt>",
    value: str = "<ValDt><Dt>2026-03-02</Dt></ValDt>",
    currency: str = "EUR",
    reference: str = "<AcctSvcrRef>BANK-REF-1</AcctSvcrRef>",
    code: str = "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>",
    extra: str = "",
) -> Entry:
    status_xml = f"<Sts>{status}</Sts>" if version < "08" else f"<Sts><Cd>{status}</Cd></Sts>"
    ntry_details = f"<NtryDtls>{''.join(tx_details)}</NtryDtls>" if tx_details else ""
    xml = (
        f'<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>{status_xml}'
        f"{booking}{value}{reference}{code}{ntry_details}{extra}</Ntry>"
    )
    try:
        signed = Decimal(amount) if indicator == "CRDT" else -Decimal(amount)
    except InvalidOperation:
        signed = Decimal(0)  # a malformed amount, for the tests of rejections
    return Entry(xml, signed if status == "BOOK" else Decimal(0))


def balance(code: str, amount: Decimal, day: str, currency: str = "EUR") -> str:
    indicator = "CRDT" if amount >= 0 else "DBIT"
    return (
        f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{abs(amount)}</Amt>'
        f"<CdtDbtInd>{indicator}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>"
    )


def statement(
    *entries: Entry,
    opening: str | None = "1000.00",
    closing: str | None = None,
    container: str = "Stmt",
    statement_id: str = "STMT-2026-03-02",
    account: str = f"<Acct><Id><IBAN>{OWN_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>",
    opening_code: str = "OPBD",
) -> str:
    balances = ""
    if opening is not None:
        balances += balance(opening_code, Decimal(opening), "2026-03-01")
        computed = Decimal(opening) + sum((e.booked for e in entries), Decimal(0))
        balances += balance("CLBD", Decimal(closing) if closing is not None else computed, "2026-03-02")
    identity = f"<Id>{statement_id}</Id>" if statement_id else ""
    return f"<{container}>{identity}{account}{balances}{''.join(e.xml for e in entries)}</{container}>"


def document(*containers: str, message: str = "053", version: str = "08") -> bytes:
    root = {"053": "BkToCstmrStmt", "054": "BkToCstmrDbtCdtNtfctn"}.get(message, "BkToCstmrAcctRpt")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.{message}.001.'
        f'{version}"><{root}><GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-03-02T18:00:00</CreDtTm></GrpHdr>'
        f"{''.join(containers)}</{root}></Document>"
    ).encode()


def parse(data: bytes) -> list[Statement]:
    return parse_statements(data, "statement.xml")


def only_transaction(data: bytes) -> Transaction:
    (single,) = parse(data)
    (tx,) = single.transactions
    return tx


def rejection(data: bytes) -> StatementError:
    with pytest.raises(StatementError) as caught:
        parse(data)
    assert caught.value.file == "statement.xml"
    return caught.value


# --- the sample files ---------------------------------------------------------------------------------


def test_german_camt053_v02_sample_reads_balances_and_every_line() -> None:
    (stmt,) = parse_statements((DATA / "camt053_v02_commerzbank.xml").read_bytes(), "camt053_v02_commerzbank.xml")

    assert stmt.format == "camt.053.001.02"
    assert stmt.statement_id == "0532013000-2026-03-02"
    assert stmt.account_iban == OWN_IBAN
    assert stmt.currency == "EUR"
    assert stmt.opening_balance is not None and stmt.closing_balance is not None
    assert (stmt.opening_balance.date, stmt.opening_balance.amount) == (date(2026, 2, 27), Money.of("12500.00", "EUR"))
    assert (stmt.closing_balance.date, stmt.closing_balance.amount) == (date(2026, 3, 2), Money.of("19094.93", "EUR"))
    assert [t.amount.amount for t in stmt.transactions] == [
        Decimal(a) for a in ("1190.00", "2450.80", "-845.37", "1300.00", "2000.00", "512.00", "-12.50")
    ]
    first = stmt.transactions[0]
    assert first == Transaction(
        booking_date=date(2026, 3, 2),
        value_date=date(2026, 3, 2),
        amount=Money.of("1190.00", "EUR"),
        counterparty_name="Müller Maschinenbau GmbH",
        counterparty_iban=DEBTOR_IBAN,
        counterparty_bic="INGDDEFFXXX",
        remittance_text="INV-2026-00123 / 00124",
        structured_reference=None,
        structured_reference_type=None,
        end_to_end_id="MM-2026-0311-1",
        bank_reference="2026030212345678",
        bank_transaction_code="PMNT/RCDT/ESCT",
        entry_reference="Stmt[1]/Ntry[1]",
    )


def test_german_camt053_v02_sample_carries_references_and_direct_debit_creditor() -> None:
    (stmt,) = parse_statements((DATA / "camt053_v02_commerzbank.xml").read_bytes(), "camt053_v02_commerzbank.xml")
    scor, direct_debit, _, _, czech, fee = stmt.transactions[1:]

    assert (scor.structured_reference, scor.structured_reference_type, scor.end_to_end_id) == (
        "RF18539007547034",
        "RF",
        None,
    )
    assert (direct_debit.counterparty_name, direct_debit.counterparty_iban) == (
        "Stadtwerke München GmbH",
        CREDITOR_IBAN,
    )
    assert direct_debit.remittance_text == "Strom Februar 2026 Vertrag 4711-0815"
    assert (czech.structured_reference, czech.structured_reference_type) == ("20260042", "CZ_VS")
    assert (fee.counterparty_name, fee.bank_transaction_code) == (None, "NCHG+805+000")
    assert fee.remittance_text == "Entgelt Kontoführung Februar 2026"


def test_camt053_v08_sample_reads_two_statements_and_leaves_the_pending_entry_out() -> None:
    eur, usd = parse_statements((DATA / "camt053_v08_kbc.xml").read_bytes(), "camt053_v08_kbc.xml")

    assert (eur.format, eur.currency, usd.currency) == ("camt.053.001.08", "EUR", "USD")
    assert [t.entry_reference for t in eur.transactions] == [
        "062-0001",
        "062-0002",
        "062-0003",
        "062-0004",
        "062-0006/TxDtls[1]",
        "062-0006/TxDtls[2]",
    ]
    rossi, kowalski, ultimate, supplier, *_ = eur.transactions
    assert (rossi.counterparty_name, rossi.counterparty_bic) == ("Rossi & Figli S.p.A.", "BLOPIT22XXX")
    assert (rossi.structured_reference, rossi.structured_reference_type) == ("RF18539007547034", "RF")
    assert kowalski.remittance_text == "INV-2026-00123"
    assert (kowalski.structured_reference, kowalski.structured_reference_type) == ("RF462026000123", "RF")
    assert ultimate.counterparty_name == "Van der Berg Logistiek B.V."
    assert ultimate.remittance_text == "Factuur INV-2026-00140 deelbetaling"
    assert (supplier.amount, supplier.counterparty_name) == (Money.of("-15000.00", "EUR"), "Schmidt Logistik AG")
    (northwind,) = usd.transactions
    assert (northwind.counterparty_iban, northwind.amount) == (None, Money.of("2500.00", "USD"))


def test_camt054_v04_sample_reads_a_notification_without_balances() -> None:
    (notification,) = parse_statements(
        (DATA / "camt054_v04_ceska_sporitelna.xml").read_bytes(), "camt054_v04_ceska_sporitelna.xml"
    )

    assert notification.format == "camt.054.001.04"
    assert (notification.opening_balance, notification.closing_balance) == (None, None)
    assert (notification.currency, notification.account_iban) == ("CZK", "CZ2908000000002424242424")
    assert [(t.structured_reference, t.structured_reference_type) for t in notification.transactions] == [
        ("20260042", "CZ_VS"),  # from the end-to-end id "/VS20260042/SS/KS0308"
        ("20260051", "CZ_VS"),
        ("20260055", "CZ_VS"),
        ("20260056", "CZ_VS"),
    ]
    assert sum(t.amount.amount for t in notification.transactions) == Decimal("48930.50")


# --- amounts, signs and dates -------------------------------------------------------------------------


def test_a_debit_entry_is_negative_and_a_credit_positive() -> None:
    (stmt,) = parse(document(statement(entry("250.00", "DBIT", details(party_role="Cdtr")), entry("99.99", "CRDT"))))

    assert [t.amount for t in stmt.transactions] == [Money.of("-250.00", "EUR"), Money.of("99.99", "EUR")]


def test_amounts_get_the_currency_minor_units() -> None:
    tx = only_transaction(document(statement(entry("12.5"), closing="1012.50")))

    assert str(tx.amount.amount) == "12.50"


def test_a_booking_date_time_gives_its_date() -> None:
    tx = only_transaction(
        document(statement(entry(booking="<BookgDt><DtTm>2026-03-02T23:59:59.123+01:00</DtTm></BookgDt>")))
    )

    assert tx.booking_date == date(2026, 3, 2)


def test_an_entry_without_booking_date_is_booked_on_its_value_date() -> None:
    tx = only_transaction(document(statement(entry(booking="", value="<ValDt><Dt>2026-03-03</Dt></ValDt>"))))

    assert (tx.booking_date, tx.value_date) == (date(2026, 3, 3), date(2026, 3, 3))


def test_a_negative_opening_balance_is_read_from_its_debit_indicator() -> None:
    (stmt,) = parse(document(statement(entry("300.00"), opening="-200.00")))

    assert stmt.opening_balance is not None and stmt.closing_balance is not None
    assert (stmt.opening_balance.amount.amount, stmt.closing_balance.amount.amount) == (Decimal(-200), Decimal(100))


def test_previous_closing_balance_serves_as_opening_balance() -> None:
    (stmt,) = parse(document(statement(entry("5.00"), opening_code="PRCD")))

    assert stmt.opening_balance is not None
    assert stmt.opening_balance.amount == Money.of("1000.00", "EUR")


def test_statement_currency_comes_from_the_balances_without_acct_ccy() -> None:
    account = f"<Acct><Id><IBAN>{OWN_IBAN}</IBAN></Id></Acct>"

    (stmt,) = parse(document(statement(entry("5.00"), account=account)))

    assert stmt.currency == "EUR"


def test_pending_entries_are_not_transactions() -> None:
    (stmt,) = parse(document(statement(entry("5.00"), entry("70.00", status="PDNG"))))

    assert [t.amount.amount for t in stmt.transactions] == [Decimal("5.00")]


# --- parties: who paid, in v02 and v08 ----------------------------------------------------------------


@pytest.mark.parametrize("version", ["02", "04", "06", "08"])
def test_the_debtor_is_the_counterparty_of_money_received_in_every_version(version: str) -> None:
    data = document(statement(entry("100.00", "CRDT", details(version), version=version)), version=version)

    tx = only_transaction(data)

    assert (tx.counterparty_name, tx.counterparty_iban, tx.counterparty_bic) == (
        "Müller Maschinenbau GmbH",
        DEBTOR_IBAN,
        "INGDDEFFXXX",
    )


@pytest.mark.parametrize("version", ["02", "08"])
def test_the_creditor_is_the_counterparty_of_money_paid_out(version: str) -> None:
    # Banks name both parties; the one on the other side of the payment counts.
    paid_out = details(
        version,
        party_role="Cdtr",
        name="Stadtwerke München GmbH",
        iban=CREDITOR_IBAN,
        other_parties=party(version, "Dbtr", "Acme Antriebstechnik GmbH", OWN_IBAN),
        bic="SSKMDEMMXXX",
    )

    tx = only_transaction(document(statement(entry("80.00", "DBIT", paid_out, version=version)), version=version))

    assert (tx.counterparty_name, tx.counterparty_iban, tx.counterparty_bic) == (
        "Stadtwerke München GmbH",
        CREDITOR_IBAN,
        "SSKMDEMMXXX",
    )


def test_the_debtor_is_the_counterparty_of_money_received_even_when_the_creditor_is_named() -> None:
    received = details(other_parties=party("08", "Cdtr", "Acme Antriebstechnik GmbH", OWN_IBAN))

    tx = only_transaction(document(statement(entry("80.00", "CRDT", received))))

    assert (tx.counterparty_name, tx.counterparty_iban) == ("Müller Maschinenbau GmbH", DEBTOR_IBAN)


def test_either_party_path_is_read_whatever_version_the_namespace_declares() -> None:
    v02_shape = details("02")
    v08_shape = details("08")

    assert "<Dbtr><Nm>" in v02_shape and "<Dbtr><Pty><Nm>" in v08_shape
    in_v02 = only_transaction(document(statement(entry("1.00", "CRDT", v08_shape)), version="02"))
    in_v08 = only_transaction(document(statement(entry("1.00", "CRDT", v02_shape)), version="08"))
    assert in_v02.counterparty_name == in_v08.counterparty_name == "Müller Maschinenbau GmbH"


def test_the_ultimate_debtor_names_the_payer_when_the_debtor_has_no_name() -> None:
    ultimate = "<UltmtDbtr><Pty><Nm>Van der Berg Logistiek B.V.</Nm></Pty></UltmtDbtr>"

    tx = only_transaction(document(statement(entry("1.00", "CRDT", details(name=None, other_parties=ultimate)))))

    assert tx.counterparty_name == "Van der Berg Logistiek B.V."


def test_an_account_without_iban_leaves_the_counterparty_iban_empty() -> None:
    other_account = "<DbtrAcct><Id><Othr><Id>026009593-4471829910</Id></Othr></Id></DbtrAcct>"

    tx = only_transaction(document(statement(entry("1.00", "CRDT", details(iban=None, other_parties=other_account)))))

    assert tx.counterparty_iban is None


# --- references ---------------------------------------------------------------------------------------


def test_unstructured_lines_are_joined_with_one_space() -> None:
    tx_details = details(ustrd=("  INV-2026-00123 ", "and\n   INV-2026-00124", ""))

    assert only_transaction(document(statement(entry("1.00", "CRDT", tx_details)))).remittance_text == (
        "INV-2026-00123 and INV-2026-00124"
    )


def test_a_structured_scor_reference_that_is_not_rf_is_typed_scor() -> None:
    strd = "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>4711-0815</Ref></CdtrRefInf></Strd>"

    tx = only_transaction(document(statement(entry("1.00", "CRDT", details(ustrd=(), strd=strd)))))

    assert (tx.structured_reference, tx.structured_reference_type) == ("4711-0815", "SCOR")


def test_a_structured_reference_starting_with_rf_is_typed_rf() -> None:
    strd = "<Strd><CdtrRefInf><Ref>RF18 5390 0754 7034</Ref></CdtrRefInf></Strd>"

    tx = only_transaction(document(statement(entry("1.00", "CRDT", details(ustrd=(), strd=strd)))))

    assert (tx.structured_reference, tx.structured_reference_type) == ("RF18539007547034", "RF")


def test_a_second_structured_reference_joins_the_remittance_text() -> None:
    strd = (
        "<Strd><CdtrRefInf><Ref>RF462026000123</Ref></CdtrRefInf></Strd>"
        "<Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd>"
    )

    tx = only_transaction(document(statement(entry("1.00", "CRDT", details(ustrd=("two invoices",), strd=strd)))))

    assert tx.structured_reference == "RF462026000123"
    assert tx.remittance_text == "two invoices RF18539007547034"


def test_an_rf_reference_in_the_unstructured_text_becomes_the_structured_reference() -> None:
    tx = only_transaction(document(statement(entry("1.00", "CRDT", details(ustrd=("Zahlung RF18 5390 0754 7034",))))))

    assert (tx.structured_reference, tx.structured_reference_type) == ("RF18539007547034", "RF")


def test_a_variable_symbol_in_the_unstructured_text_becomes_the_structured_reference() -> None:
    tx = only_transaction(document(statement(entry("1.00", "CRDT", details(ustrd=("Faktura VS:20260042",))))))

    assert (tx.structured_reference, tx.structured_reference_type) == ("20260042", "CZ_VS")


def test_notprovided_end_to_end_id_is_no_end_to_end_id() -> None:
    tx = only_transaction(document(statement(entry("1.00", "CRDT", details(end_to_end="NOTPROVIDED")))))

    assert tx.end_to_end_id is None


def test_bank_transaction_code_falls_back_to_the_proprietary_code() -> None:
    code = "<BkTxCd><Prtry><Cd>NTRF+166+931</Cd><Issr>DK</Issr></Prtry></BkTxCd>"

    tx = only_transaction(document(statement(entry("1.00", "CRDT", details(), code=code))))

    assert tx.bank_transaction_code == "NTRF+166+931"


# --- batch bookings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["02", "08"])
def test_a_batch_booking_yields_one_transaction_per_tx_details_with_its_amount(version: str) -> None:
    batch = entry(
        "300.00",
        "CRDT",
        details(version, name="Huber Handels GmbH", amount="100.00", end_to_end="E2E-A", ustrd=("RE 131",)),
        details(version, name="Novák a syn s.r.o.", amount="200.00", end_to_end="E2E-B", ustrd=("VS:20260042",)),
        version=version,
    )

    (stmt,) = parse(document(statement(batch), version=version))

    first, second = stmt.transactions
    assert (first.amount.amount, first.counterparty_name, first.end_to_end_id) == (
        Decimal("100.00"),
        "Huber Handels GmbH",
        "E2E-A",
    )
    assert (second.amount.amount, second.structured_reference) == (Decimal("200.00"), "20260042")
    assert (first.bank_reference, second.bank_reference) == ("BANK-REF-1", "BANK-REF-1")
    assert (first.entry_reference, second.entry_reference) == ("Stmt[1]/Ntry[1]/TxDtls[1]", "Stmt[1]/Ntry[1]/TxDtls[2]")


def test_a_batch_line_keeps_its_own_bank_reference_and_indicator() -> None:
    batch = entry(
        "50.00",
        "DBIT",
        details(party_role="Cdtr", amount="80.00", indicator="DBIT", account_servicer_ref="REF-1"),
        details(amount="30.00", indicator="CRDT", account_servicer_ref="REF-2"),
    )

    (stmt,) = parse(document(statement(batch)))

    assert [(t.amount.amount, t.bank_reference) for t in stmt.transactions] == [
        (Decimal("-80.00"), "REF-1"),
        (Decimal("30.00"), "REF-2"),
    ]


def test_a_batch_without_amounts_per_line_stays_one_transaction_with_all_the_text() -> None:
    batch = entry(
        "300.00",
        "CRDT",
        details(name="Huber Handels GmbH", ustrd=("RE 131",)),
        details(name="Novák a syn s.r.o.", ustrd=("RE 132",)),
    )

    tx = only_transaction(document(statement(batch)))

    assert (tx.amount.amount, tx.remittance_text, tx.counterparty_name) == (Decimal("300.00"), "RE 131 RE 132", None)
    assert tx.counterparty_bic == "INGDDEFFXXX"  # both lines agree on it


def test_a_batch_whose_lines_do_not_add_up_to_the_entry_is_rejected() -> None:
    batch = entry("300.00", "CRDT", details(amount="100.00"), details(amount="150.00"))

    error = rejection(document(statement(batch)))

    assert error.location.startswith("Stmt[1]/Ntry[1]/Amt")
    assert "250.00" in error.reason and "300.00" in error.reason


# --- messages and versions ----------------------------------------------------------------------------


def test_an_unknown_later_version_of_camt053_is_read_like_the_known_ones() -> None:
    (stmt,) = parse(document(statement(entry()), version="13"))

    assert stmt.format == "camt.053.001.13"
    assert len(stmt.transactions) == 1


def test_a_camt054_notification_is_read_from_its_ntfctn() -> None:
    (notification,) = parse(
        document(statement(entry("42.00"), container="Ntfctn", opening=None), message="054", version="02")
    )

    assert (notification.format, notification.transactions[0].amount.amount) == ("camt.054.001.02", Decimal("42.00"))


def test_several_statements_in_one_document_are_read_separately() -> None:
    first = statement(entry("1.00"), statement_id="A")
    second = statement(entry("2.00"), entry("3.00"), statement_id="B")

    statements = parse(document(first, second))

    assert [(s.statement_id, len(s.transactions)) for s in statements] == [("A", 1), ("B", 2)]


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
def test_a_camt052_report_is_read_from_its_rpt_and_only_its_booked_entries_count(version: str) -> None:
    pending = entry("500.00", status="PDNG", version=version)
    information = entry("9999.00", status="INFO", version=version)
    booked = entry("100.00", "CRDT", details(version), version=version)

    (report,) = parse(
        document(statement(booked, pending, information, container="Rpt"), message="052", version=version)
    )

    assert report.format == f"camt.052.001.{version}"
    assert [t.amount for t in report.transactions] == [Money.of("100.00", "EUR")]
    assert report.transactions[0].counterparty_name == "Müller Maschinenbau GmbH"


def test_a_report_s_closing_balance_is_its_interim_booked_one_and_is_not_checked() -> None:
    # An intraday report may list only the entries since the previous report: its balances
    # need not be its opening balance plus its entries.
    balances = balance("OPBD", Decimal("1000.00"), "2026-03-02") + balance("ITBD", Decimal("5000.00"), "2026-03-02")
    report = f"<Rpt><Id>RPT-1</Id><Acct><Id><IBAN>{OWN_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>{balances}"
    report += entry("100.00").xml + "</Rpt>"

    (read,) = parse(document(report, message="052"))

    assert read.opening_balance is not None and read.closing_balance is not None
    assert (read.opening_balance.amount.amount, read.closing_balance.amount.amount) == (1000, 5000)


def test_a_statement_s_interim_balance_is_not_its_closing_balance() -> None:
    balances = balance("OPBD", Decimal("1000.00"), "2026-03-02") + balance("ITBD", Decimal("5000.00"), "2026-03-02")
    stmt = f"<Stmt><Id>S-1</Id><Acct><Id><IBAN>{OWN_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>{balances}"
    stmt += entry("100.00").xml + "</Stmt>"

    (read,) = parse(document(stmt))

    assert read.closing_balance is None


def test_an_account_without_iban_is_known_by_its_other_identification() -> None:
    account = "<Acct><Id><Othr><Id>0532013000</Id></Othr></Id><Ccy>EUR</Ccy></Acct>"

    (stmt,) = parse(document(statement(entry(), account=account)))

    assert (stmt.account_iban, stmt.account_number) == (None, "0532013000")


def test_an_entry_outside_any_statement_is_rejected() -> None:
    data = document(entry().xml, statement(entry()))

    error = rejection(data)

    assert error.location.startswith("Ntry (line ")
    assert "outside any Stmt" in error.reason


def test_another_iso20022_message_is_refused() -> None:
    data = b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><x/></Document>'

    assert "pain.001.001.09 is not supported" in rejection(data).reason


def test_xml_that_is_not_iso20022_is_refused() -> None:
    error = rejection(b'<?xml version="1.0"?><invoice xmlns="urn:example"><total>1</total></invoice>')

    assert (error.location, "not an ISO 20022 message" in error.reason) == ("line 1", True)


def test_external_entities_are_not_resolved() -> None:
    data = document(statement(entry("1.00", "CRDT", details(ustrd=("&secret;",))))).replace(
        b"<Document", b'<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n<Document', 1
    )

    try:
        tx = only_transaction(data)
    except StatementError:
        return  # refusing the file is as good
    assert "root:" not in tx.remittance_text


# --- broken files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_file_is_rejected_with_its_line_and_said_to_be_cut_short(cut: float) -> None:
    data = (DATA / "camt053_v08_kbc.xml").read_bytes()
    truncated = data[: int(len(data) * cut)]

    error = rejection(truncated)

    assert error.location.startswith("line ")
    assert "malformed XML" in error.reason and "truncated?" in error.reason


def test_a_malformed_element_inside_the_file_is_not_said_to_be_cut_short() -> None:
    data = (DATA / "camt053_v08_kbc.xml").read_bytes().replace(b"</Ntry>", b"</Ntri>", 1)

    error = rejection(data)

    assert "malformed XML" in error.reason and "truncated" not in error.reason


def test_closing_balance_that_is_not_opening_plus_transactions_is_rejected() -> None:
    error = rejection(document(statement(entry("100.00"), entry("50.00", "DBIT"), closing="1060.00")))

    assert error.location == "Stmt[1]/Bal"
    assert "1060.00" in error.reason and "1050.00" in error.reason
    assert str(error) == f"statement.xml: Stmt[1]/Bal: {error.reason}"


def test_a_statement_without_balances_is_not_checked() -> None:
    (stmt,) = parse(document(statement(entry("100.00"), opening=None)))

    assert (stmt.opening_balance, stmt.closing_balance) == (None, None)


@pytest.mark.parametrize(
    ("broken", "location", "reason"),
    [
        (entry("12,50"), "Stmt[1]/Ntry[1]/Amt", "not an amount: '12,50'"),
        (entry("-12.50"), "Stmt[1]/Ntry[1]/Amt", "not an amount: '-12.50'"),
        (entry("12.50", currency="EURO"), "Stmt[1]/Ntry[1]/Amt", "invalid currency"),
        (entry("12.50", "CRED"), "Stmt[1]/Ntry[1]/CdtDbtInd", "neither CRDT nor DBIT"),
        (entry(booking="<BookgDt><Dt>2026-02-30</Dt></BookgDt>"), "Stmt[1]/Ntry[1]/BookgDt/Dt", "not a date"),
        (entry(booking="", value=""), "Stmt[1]/Ntry[1]/BookgDt", "without a booking or value date"),
        (
            entry("1.00", "CRDT", details(iban="DE28500105170005319075")),
            "Stmt[1]/Ntry[1]/NtryDtls/TxDtls/RltdPties/DbtrAcct/Id/IBAN",
            "invalid IBAN",
        ),
        (
            entry("1.00", "CRDT", details(bic="INGD-DEFF")),
            "Stmt[1]/Ntry[1]/NtryDtls/TxDtls/RltdAgts/DbtrAgt/FinInstnId/BICFI",
            "invalid BIC",
        ),
        (entry("1.00", currency="USD"), "Stmt[1]/Ntry[1]/Amt", "amount in USD, the account is in EUR"),
    ],
)
def test_a_malformed_value_names_the_entry_element_and_why(broken: Entry, location: str, reason: str) -> None:
    good = entry("1.00")
    data = document(statement(Entry(broken.xml, Decimal(0)), good, closing="1001.00"))

    error = rejection(data)

    assert error.location.startswith(location), error
    assert reason in error.reason


def test_a_malformed_value_in_a_later_entry_names_that_entry() -> None:
    data = document(statement(entry("1.00"), entry("2.00"), Entry(entry("x").xml, Decimal(0)), closing="1003.00"))

    error = rejection(data)

    assert error.location.startswith("Stmt[1]/Ntry[3]/Amt (line ")


def test_a_missing_entry_amount_is_rejected() -> None:
    data = document(
        statement(Entry(entry().xml.replace('<Amt Ccy="EUR">100.00</Amt>', ""), Decimal(0)), closing="1000")
    )

    assert rejection(data).reason == "missing amount"


def test_an_invalid_account_iban_is_rejected() -> None:
    account = "<Acct><Id><IBAN>DE89370400440532013001</IBAN></Id><Ccy>EUR</Ccy></Acct>"

    error = rejection(document(statement(entry(), account=account)))

    assert error.location.startswith("Stmt[1]/Acct/Id/IBAN")


def test_a_statement_without_id_is_rejected() -> None:
    assert rejection(document(statement(entry(), statement_id=""))).reason == "missing statement id"


def test_a_document_without_statements_is_rejected() -> None:
    assert "no Stmt element" in rejection(document()).reason


def test_a_statement_with_no_currency_anywhere_is_rejected() -> None:
    account = f"<Acct><Id><IBAN>{OWN_IBAN}</IBAN></Id></Acct>"

    error = rejection(document(statement(opening=None, account=account)))

    assert "cannot tell the account currency" in error.reason
