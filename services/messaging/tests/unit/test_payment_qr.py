from __future__ import annotations

import base64
import binascii
import lzma
import struct
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import segno
from opendso_messaging.domain.payment_qr import (
    EPC_MAX_BYTES,
    BankAccount,
    PayBySquareDocument,
    PaymentQr,
    PaymentQrError,
    PaymentQrKind,
    PaymentRequest,
    build_epc,
    build_pay_by_square,
    build_payment_qr,
    build_spd,
    choose_payment_qr,
    decode_pay_by_square,
    deserialize_pay_by_square,
    encode_pay_by_square,
    make_creditor_reference,
    pay_by_square_document,
    serialize_pay_by_square,
    spd_value,
)
from opendso_messaging.payment_qr_image import make_symbol, render_png, render_svg
from opendso_money import Money

SK_IBAN = "SK9611000000002918599669"
CZ_IBAN = "CZ5855000000001265098001"
DE_IBAN = "DE71110220330123456789"
CH_IBAN = "CH9300762011623852957"
TR_IBAN = "TR330006100519786457841326"


def request(**overrides: Any) -> PaymentRequest:
    fields: dict[str, Any] = {
        "beneficiary_name": "OpenDSO Demo GmbH",
        "iban": DE_IBAN,
        "amount": Money.of("123.45", "EUR"),
    }
    fields.update(overrides)
    return PaymentRequest(**fields)


def refused(field: str, **overrides: Any) -> PaymentQrError:
    with pytest.raises(PaymentQrError) as caught:
        request(**overrides)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    return caught.value


# --- Request: IBAN, BIC, references, symbols, text -----------------------------------------------------------


def test_iban_is_normalised_without_spaces_in_upper_case() -> None:
    assert request(iban="de71 1102 2033 0123 4567 89").iban == DE_IBAN


@pytest.mark.parametrize(
    ("iban", "problem"),
    [
        ("DE71110220330123456788", "mod-97"),
        ("DE7111022033012345678", "a DE IBAN has 22"),
        ("QQ71110220330123456789", "does not issue IBANs"),
        ("71-110220330", "is not an IBAN"),
        ("   ", "is empty"),
    ],
)
def test_a_bad_iban_is_refused_naming_the_field(iban: str, problem: str) -> None:
    assert problem in refused("iban", iban=iban).problem


def test_bic_is_normalised_and_must_have_the_iso_9362_shape() -> None:
    assert request(bic="bhbl de hh xxx").bic == "BHBLDEHHXXX"
    assert request(bic="BPOTBEB1").bic == "BPOTBEB1"
    for bad in ("BHBLDEHHXX", "BHB1DEHH", "BHBLDEHHXXXX"):
        refused("bic", bic=bad)


def test_creditor_reference_is_normalised_and_checked_mod_97() -> None:
    assert request(creditor_reference="rf18 5390 0754 7034").creditor_reference == "RF18539007547034"
    assert "mod-97" in refused("creditor_reference", creditor_reference="RF19539007547034").problem
    assert "ISO 11649" in refused("creditor_reference", creditor_reference="RF18-5390").problem
    refused("creditor_reference", creditor_reference="RF18" + "1" * 22)


def test_make_creditor_reference_gives_the_iso_11649_example_check_digits() -> None:
    assert make_creditor_reference("5390 0754 7034") == "RF18539007547034"
    made = make_creditor_reference("INV2025000042")
    assert request(creditor_reference=made).creditor_reference == made
    with pytest.raises(PaymentQrError, match="reference: "):
        make_creditor_reference("INV/2025/42")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("variable_symbol", "12345678901"),
        ("variable_symbol", "12A"),
        ("specific_symbol", "12345678901"),
        ("constant_symbol", "03081"),
    ],
)
def test_payment_symbols_must_be_digits_within_their_length(field: str, value: str) -> None:
    refused(field, **{field: value})


def test_payment_symbols_keep_their_leading_zeros() -> None:
    made = request(variable_symbol="0012345678", constant_symbol="0308", specific_symbol="1 234")
    assert (made.variable_symbol, made.constant_symbol, made.specific_symbol) == ("0012345678", "0308", "1234")


def test_amount_must_be_positive_and_in_whole_minor_units() -> None:
    refused("amount", amount=Money.of("0", "EUR"))
    refused("amount", amount=Money.of("-5", "EUR"))
    assert "round it first" in refused("amount", amount=Money.of("12.345", "EUR")).problem


def test_text_fields_refuse_control_characters_that_would_break_the_separators() -> None:
    refused("remittance_text", remittance_text="invoice 1\ninvoice 2")
    refused("beneficiary_name", beneficiary_name="ACME\tGmbH")


def test_text_fields_have_the_largest_limit_any_standard_allows() -> None:
    assert request(beneficiary_name="N" * 70).beneficiary_name == "N" * 70
    assert "at most 70" in refused("beneficiary_name", beneficiary_name="N" * 71).problem
    refused("beneficiary_name", beneficiary_name="  ")
    refused("remittance_text", remittance_text="x" * 141)
    refused("beneficiary_address_line_1", beneficiary_address_line_1="x" * 71)


# --- EPC069-12 ---------------------------------------------------------------------------------------------


def test_epc_reproduces_the_guideline_example_line_by_line() -> None:
    red_cross = PaymentRequest(
        beneficiary_name="Red Cross of Belgium",
        iban="BE72000000001616",
        bic="BPOTBEB1",
        amount=Money.of("1", "EUR"),
        remittance_text="Urgency fund",
    )
    payload = build_epc(red_cross, purpose="CHAR", information="Sample EPC QR code", version="001").payload
    assert payload.split("\n") == [
        "BCD",
        "001",
        "1",
        "SCT",
        "BPOTBEB1",
        "Red Cross of Belgium",
        "BE72000000001616",
        "EUR1",
        "CHAR",
        "",
        "Urgency fund",
        "Sample EPC QR code",
    ]


def test_epc_version_002_with_a_creditor_reference_ends_on_the_last_populated_line() -> None:
    franz = PaymentRequest(
        beneficiary_name="Franz Mustermänn",
        iban=DE_IBAN,
        bic="BHBLDEHHXXX",
        amount=Money.of("12.30", "EUR"),
        creditor_reference="RF18 5390 0754 7034",
    )
    payload = build_epc(franz, purpose="GDDS").payload
    assert payload == (
        "BCD\n002\n1\nSCT\nBHBLDEHHXXX\nFranz Mustermänn\nDE71110220330123456789\nEUR12.3\nGDDS\nRF18539007547034"
    )


def test_epc_amount_is_written_with_a_dot_and_at_most_two_decimals() -> None:
    assert build_epc(request(amount=Money.of("12.34", "EUR"))).payload.split("\n")[7] == "EUR12.34"
    assert build_epc(request(amount=Money.of("100.00", "EUR"))).payload.split("\n")[7] == "EUR100"
    assert build_epc(request(amount=Money.of("999999999.99", "EUR"))).payload.split("\n")[7] == "EUR999999999.99"
    with pytest.raises(PaymentQrError, match=r"^amount: .*999999999\.99"):
        build_epc(request(amount=Money.of("1000000000", "EUR")))


def test_epc_carries_the_reference_or_the_text_never_both() -> None:
    lines = build_epc(request(creditor_reference="RF18539007547034", remittance_text="Invoice 42")).payload.split("\n")
    assert lines[9:] == ["RF18539007547034"]
    lines = build_epc(request(remittance_text="Invoice 42")).payload.split("\n")
    assert lines[9:] == ["", "Invoice 42"]


def test_epc_without_a_creditor_reference_writes_the_symbols_as_slovak_and_czech_banks_read_them() -> None:
    made = request(variable_symbol="2025042", specific_symbol="77", constant_symbol="0308", remittance_text="Inv 42")
    assert build_epc(made).payload.split("\n")[10] == "/VS/2025042/SS/77/KS/0308 Inv 42"
    with pytest.raises(PaymentQrError, match=r"^remittance_text: .*140"):
        build_epc(replace(made, remittance_text="x" * 140))


def test_epc_refuses_other_currencies_naming_the_amount() -> None:
    with pytest.raises(PaymentQrError, match=r"^amount: currency CZK .*only EUR"):
        build_epc(request(amount=Money.of("100", "CZK")))


def test_epc_needs_the_bic_for_version_001_and_outside_the_eea() -> None:
    with pytest.raises(PaymentQrError, match=r"^bic: .*001"):
        build_epc(request(), version="001")
    with pytest.raises(PaymentQrError, match=r"^bic: .*outside the EEA"):
        build_epc(request(iban=CH_IBAN))
    assert build_epc(request(iban=CH_IBAN, bic="UBSWCHZH80A")).payload.split("\n")[4] == "UBSWCHZH80A"
    assert build_epc(request()).payload.split("\n")[4] == ""


def test_epc_refuses_an_account_outside_sepa_and_unknown_versions() -> None:
    with pytest.raises(PaymentQrError, match=r"^iban: .*SEPA"):
        build_epc(request(iban=TR_IBAN, bic="TGBATRIS"))
    with pytest.raises(PaymentQrError, match=r"^iban: .*SEPA"):
        build_epc(request(iban=TR_IBAN))
    with pytest.raises(PaymentQrError, match=r"^version: "):
        build_epc(request(), version="003")


def test_epc_purpose_and_information_have_their_own_limits() -> None:
    with pytest.raises(PaymentQrError, match=r"^purpose: "):
        build_epc(request(), purpose="GOODS")
    with pytest.raises(PaymentQrError, match=r"^information: .*70"):
        build_epc(request(), information="i" * 71)
    assert build_epc(request(), information="i" * 70).payload.endswith("\n" + "i" * 70)


def test_epc_payload_over_331_utf8_bytes_is_refused() -> None:
    # 70 + 140 characters of two-byte letters are within the field limits but
    # well over the 331 bytes a version 13 symbol holds.
    heavy = request(beneficiary_name="Ž" * 70, remittance_text="ř" * 140)
    with pytest.raises(PaymentQrError, match=rf"^payload: .*at most {EPC_MAX_BYTES}"):
        build_epc(heavy)


# --- Czech QR Platba (SPD) ---------------------------------------------------------------------------------


def test_spd_reproduces_the_qr_platba_specification_example() -> None:
    example = PaymentRequest(
        beneficiary_name="Prodejce s.r.o.",
        iban="CZ2806000000000168540115",
        amount=Money.of("450", "CZK"),
        variable_symbol="1234567890",
        remittance_text="Platba za zboží",
    )
    assert build_spd(example, recipient_name=False).payload == (
        "SPD*1.0*ACC:CZ2806000000000168540115*AM:450.00*CC:CZK*MSG:PLATBA ZA ZBOZI*X-VS:1234567890"
    )


def test_spd_reproduces_a_czech_bank_example_with_a_due_date() -> None:
    example = PaymentRequest(
        beneficiary_name="Prodejce s.r.o.",
        iban="CZ7801000000000000000123",
        amount=Money.of("799.50", "CZK"),
        variable_symbol="9562231077",
        due_date=date(2022, 10, 1),
    )
    assert build_spd(example, recipient_name=False).payload == (
        "SPD*1.0*ACC:CZ7801000000000000000123*AM:799.50*CC:CZK*DT:20221001*X-VS:9562231077"
    )


def test_spd_carries_every_field_in_a_fixed_order() -> None:
    full = request(
        iban=CZ_IBAN,
        bic="RZBCCZPP",
        amount=Money.of("480.5", "CZK"),
        beneficiary_name="Dodavatel a.s.",
        due_date=date(2025, 3, 31),
        creditor_reference="RF18539007547034",
        remittance_text="Faktura 42",
        variable_symbol="42",
        constant_symbol="0308",
        specific_symbol="7",
    )
    assert build_spd(full).payload == (
        "SPD*1.0*ACC:CZ5855000000001265098001+RZBCCZPP*AM:480.50*CC:CZK*RN:DODAVATEL A.S.*DT:20250331"
        "*MSG:RF18539007547034 FAKTURA 42*X-VS:42*X-KS:0308*X-SS:7"
    )


def test_spd_values_escape_the_separator_and_leave_only_printable_ascii() -> None:
    assert spd_value("Sleva 10 % *akce*") == "SLEVA 10 %25 %2AAKCE%2A"
    assert spd_value("Žluťoučký kůň") == "ZLUTOUCKY KUN"
    assert spd_value("50 €") == "50 %E2%82%AC"
    payload = build_spd(request(iban=CZ_IBAN, amount=Money.of("1", "CZK"), remittance_text="a*b"))
    assert "*MSG:A%2AB" in payload.payload
    assert payload.payload.count("*") == 6  # header, version and the four separators, none from the value


def test_spd_recipient_name_is_shortened_to_35_characters_without_splitting_an_escape() -> None:
    long_name = request(iban=CZ_IBAN, amount=Money.of("1", "CZK"), beneficiary_name="A" * 33 + "€ s.r.o.")
    rn = next(p for p in build_spd(long_name).payload.split("*") if p.startswith("RN:"))
    assert rn == "RN:" + "A" * 33


def test_spd_message_over_60_characters_is_refused_naming_the_text() -> None:
    ok = request(iban=CZ_IBAN, amount=Money.of("1", "CZK"), remittance_text="m" * 60)
    assert "*MSG:" + "M" * 60 in build_spd(ok).payload
    with pytest.raises(PaymentQrError, match=r"^remittance_text: .*60"):
        build_spd(replace(ok, remittance_text="m" * 61))


def test_spd_takes_czk_or_eur_and_at_most_ten_amount_characters() -> None:
    assert "*AM:99.90*CC:EUR" in build_spd(request(iban=CZ_IBAN, amount=Money.of("99.9", "EUR"))).payload
    with pytest.raises(PaymentQrError, match=r"^amount: currency PLN"):
        build_spd(request(iban=CZ_IBAN, amount=Money.of("1", "PLN")))
    assert "*AM:9999999.99*" in build_spd(request(iban=CZ_IBAN, amount=Money.of("9999999.99", "CZK"))).payload
    with pytest.raises(PaymentQrError, match=r"^amount: .*10 characters"):
        build_spd(request(iban=CZ_IBAN, amount=Money.of("10000000", "CZK")))


# --- Slovak PAY by square ----------------------------------------------------------------------------------

# Published by square strings with the data they hold (the by square "pay"
# examples also used as fixtures by the xseman/bysquare implementation).
JOHN_DOE_QR = (
    "0004I0006UC5LT8E21H3IC1K9R40P82GJL22NTU0586BBEOEKDMQSVUUBAOP1C0FFE14UJA1F1LJMV0"
    "FONE35J05TRC77FTIMV87NKNANNOFJB684000"
)
JOHN_DOE_DATA = "2015001\t1\t1\t25.3\tEUR\t\t\t\t\t\t\t1\tSK4523585719461382368397\t\t0\t0\tJohn Doe\t\t"
JANE_DOE_QR = (
    "00054000DG4GL2L1JL66N01P4GCBG05KQEPULNMP9EB7MEE935VG4P4B1BDBN7MV4GU13R7DMGU9O93QEI2KQJLPTFFU7GJNP6QL0UADVHOQ3B"
    "0OP0OO5P4L58M918PG00"
)


def unpack(qr_text: str) -> tuple[bytes, int, bytes]:
    """Header, declared length and decompressed body of a by square string, read independently of the module."""
    raw = base64.b32hexdecode(qr_text + "=" * (-len(qr_text) % 8))
    decompressor = lzma.LZMADecompressor(
        format=lzma.FORMAT_RAW,
        filters=[{"id": lzma.FILTER_LZMA1, "lc": 3, "lp": 0, "pb": 2, "dict_size": 128 * 1024}],
    )
    length = struct.unpack("<H", raw[2:4])[0]
    return raw[:2], length, decompressor.decompress(raw[4:], max_length=length)


def test_pay_by_square_decodes_the_published_examples() -> None:
    john = decode_pay_by_square(JOHN_DOE_QR)
    assert john == PayBySquareDocument(
        amount=Decimal("25.3"),
        currency="EUR",
        accounts=(BankAccount("SK4523585719461382368397"),),
        invoice_id="2015001",
        beneficiary_name="John Doe",
    )
    jane = decode_pay_by_square(JANE_DOE_QR)
    assert (jane.amount, jane.note, jane.beneficiary_name) == (Decimal("45.55"), "bendzín", "Jane Doe")
    assert jane.accounts == (BankAccount("SK2738545237537948273958"),)


def test_pay_by_square_serialises_a_request_exactly_as_the_published_example() -> None:
    doc = pay_by_square_document(
        PaymentRequest(
            beneficiary_name="John Doe", iban="SK45 2358 5719 4613 8236 8397", amount=Money.of("25.30", "EUR")
        )
    )
    assert serialize_pay_by_square(replace(doc, invoice_id="2015001")) == JOHN_DOE_DATA
    assert unpack(JOHN_DOE_QR)[2][4:] == JOHN_DOE_DATA.encode()


def test_pay_by_square_round_trips_every_field() -> None:
    full = PaymentRequest(
        beneficiary_name="Dodávateľ, s.r.o.",
        iban=SK_IBAN,
        bic="TATRSKBX",
        amount=Money.of("1234.50", "EUR"),
        creditor_reference="RF18539007547034",
        variable_symbol="2025000042",
        constant_symbol="0308",
        specific_symbol="1234567890",
        remittance_text="Faktúra 2025/42 \u2013 upomienka",
        due_date=date(2025, 6, 30),
        beneficiary_address_line_1="Hlavná 1",
        beneficiary_address_line_2="811 01 Bratislava",
    )
    qr = build_pay_by_square(full)
    assert qr.kind is PaymentQrKind.PAY_BY_SQUARE
    decoded = decode_pay_by_square(qr.payload)
    assert decoded == pay_by_square_document(full)
    assert decoded.amount == Decimal("1234.5")
    assert decoded.due_date == date(2025, 6, 30)
    assert decoded.originator_reference == "RF18539007547034"
    assert decoded.note == "Faktúra 2025/42 \u2013 upomienka"


def test_pay_by_square_header_length_and_crc_follow_the_specification() -> None:
    doc = pay_by_square_document(request(iban=SK_IBAN, variable_symbol="123", remittance_text="Invoice 42"))
    qr_text = encode_pay_by_square(doc)
    assert set(qr_text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUV")
    assert "=" not in qr_text
    header, length, body = unpack(qr_text)
    assert header == b"\x00\x00"  # pay type, version nibble, pay document type, reserved
    data = serialize_pay_by_square(doc).encode("utf-8")
    assert length == 4 + len(data)
    assert body == struct.pack("<I", binascii.crc32(data)) + data


def test_pay_by_square_refuses_a_damaged_code() -> None:
    raw = bytearray(base64.b32hexdecode(JOHN_DOE_QR + "=" * (-len(JOHN_DOE_QR) % 8)))

    def encoded(data: bytes) -> str:
        return base64.b32hexencode(data).decode().rstrip("=")

    with pytest.raises(PaymentQrError, match=r"^payload: CRC32"):
        # A different data payload under the published CRC.
        _, _, body = unpack(JOHN_DOE_QR)
        tampered = body[:4] + body[4:].replace(b"25.3", b"35.3")
        compressed = lzma.compress(
            tampered,
            format=lzma.FORMAT_RAW,
            filters=[{"id": lzma.FILTER_LZMA1, "lc": 3, "lp": 0, "pb": 2, "dict_size": 128 * 1024}],
        )
        decode_pay_by_square(encoded(bytes(raw[:4]) + compressed))
    with pytest.raises(PaymentQrError, match=r"^header: .*type"):
        decode_pay_by_square(encoded(b"\x10" + bytes(raw[1:])))
    with pytest.raises(PaymentQrError, match=r"^header: .*version"):
        decode_pay_by_square(encoded(b"\x05" + bytes(raw[1:])))
    with pytest.raises(PaymentQrError, match=r"^payload: decompresses to"):
        decode_pay_by_square(encoded(bytes(raw[:2]) + b"\xff\x00" + bytes(raw[4:])))
    with pytest.raises(PaymentQrError, match=r"^payload: is not base32hex"):
        decode_pay_by_square("0004WXYZ")


def test_pay_by_square_reads_1_0_0_documents_without_beneficiary_fields() -> None:
    doc = deserialize_pay_by_square("\t1\t1\t10\tEUR\t20250131\t123\t\t\t\t\t1\t" + SK_IBAN + "\t\t0\t0")
    assert (doc.amount, doc.due_date, doc.variable_symbol, doc.beneficiary_name) == (
        Decimal("10"),
        date(2025, 1, 31),
        "123",
        "",
    )


def test_pay_by_square_refuses_what_it_does_not_model_naming_the_field() -> None:
    base = ["", "1", "1", "10", "EUR", "", "", "", "", "", "", "1", SK_IBAN, "", "0", "0"]
    for index, value, field in (
        (1, "2", "payload"),
        (2, "2", "payload"),
        (3, "ten", "amount"),
        (5, "20251332", "due_date"),
        (11, "0", "iban"),
        (14, "1", "payload"),
    ):
        fields = list(base)
        fields[index] = value
        with pytest.raises(PaymentQrError) as caught:
            deserialize_pay_by_square("\t".join(fields))
        assert caught.value.field == field


def test_pay_by_square_is_for_euro() -> None:
    with pytest.raises(PaymentQrError, match=r"^amount: currency CZK"):
        build_pay_by_square(request(iban=SK_IBAN, amount=Money.of("10", "CZK")))


# --- Chooser -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer_country", "iban", "currency", "bic", "kind", "reason"),
    [
        ("SK", SK_IBAN, "EUR", None, PaymentQrKind.PAY_BY_SQUARE, "PAY by square"),
        ("sk", DE_IBAN, "EUR", None, PaymentQrKind.PAY_BY_SQUARE, "PAY by square"),
        ("CZ", CZ_IBAN, "CZK", None, PaymentQrKind.SPD, "QR Platba"),
        ("CZ", SK_IBAN, "CZK", None, None, "not a domestic payment"),
        ("CZ", DE_IBAN, "EUR", None, PaymentQrKind.EPC, "EPC"),
        ("DE", DE_IBAN, "EUR", None, PaymentQrKind.EPC, "EPC"),
        ("FR", SK_IBAN, "EUR", None, PaymentQrKind.EPC, "EPC"),
        ("PL", DE_IBAN, "PLN", None, None, "no payment QR standard for a PLN"),
        ("SK", CZ_IBAN, "CZK", None, None, "no payment QR standard for a CZK"),
        ("US", DE_IBAN, "EUR", None, None, "US is not in SEPA"),
        ("DE", TR_IBAN, "EUR", "TGBATRIS", None, "account TR is not in SEPA"),
        ("CH", DE_IBAN, "EUR", None, None, "needs the BIC"),
        ("CH", DE_IBAN, "EUR", "BHBLDEHHXXX", PaymentQrKind.EPC, "EPC"),
    ],
)
def test_chooser_picks_the_standard_the_debtors_bank_reads(
    customer_country: str, iban: str, currency: str, bic: str | None, kind: PaymentQrKind | None, reason: str
) -> None:
    choice = choose_payment_qr(customer_country, request(iban=iban, amount=Money.of("10", currency), bic=bic))
    assert choice.kind is kind
    assert reason in choice.reason


def test_every_chosen_standard_builds_for_its_debtor() -> None:
    for country, iban, currency in (("SK", SK_IBAN, "EUR"), ("CZ", CZ_IBAN, "CZK"), ("AT", DE_IBAN, "EUR")):
        made = request(iban=iban, amount=Money.of("10", currency), variable_symbol="42")
        kind = choose_payment_qr(country, made).kind
        assert kind is not None
        assert build_payment_qr(kind, made).kind is kind


# --- Rendering ---------------------------------------------------------------------------------------------


def samples() -> list[PaymentQr]:
    return [
        build_epc(request(creditor_reference="RF18539007547034")),
        build_spd(request(iban=CZ_IBAN, amount=Money.of("450", "CZK"), variable_symbol="1234567890")),
        build_pay_by_square(request(iban=SK_IBAN, variable_symbol="123")),
    ]


@pytest.mark.parametrize("qr", samples(), ids=lambda qr: qr.kind.value)
def test_symbols_use_error_correction_m_and_encode_exactly_the_payload(qr: PaymentQr) -> None:
    symbol = make_symbol(qr)
    assert symbol.error == "M"
    assert symbol.designator.endswith("-M")
    # Same matrix as segno gives for the payload's UTF-8 bytes in the same mode:
    # the symbol holds the payload, nothing added or changed.
    reference = segno.make(
        qr.payload.encode("utf-8") if symbol.mode == "byte" else qr.payload,
        error="M",
        mode=symbol.mode,
        micro=False,
        boost_error=False,
    )
    assert symbol.version == reference.version
    assert symbol.matrix == reference.matrix
    other = segno.make(qr.payload + "0", error="M", micro=False, boost_error=False)
    assert other.matrix != symbol.matrix


def test_ascii_payloads_use_the_compact_alphanumeric_mode() -> None:
    epc, spd, by_square = samples()
    assert make_symbol(epc).mode == "byte"  # mixed case: the EPC payload is UTF-8 text
    assert make_symbol(spd).mode == "alphanumeric"
    assert make_symbol(by_square).mode == "alphanumeric"


def test_the_largest_epc_payload_fits_version_13_at_level_m() -> None:
    # 331 bytes is exactly the byte capacity of version 13-M; one more needs version 14.
    full = request(beneficiary_name="N" * 70, bic="BHBLDEHHXXX", remittance_text="t" * 140)
    room = EPC_MAX_BYTES - len(build_epc(full).payload.encode()) - 1  # the information line and its separator
    largest = build_epc(full, information="i" * room)
    assert len(largest.payload.encode()) == EPC_MAX_BYTES
    assert make_symbol(largest).version == 13
    assert segno.make(largest.payload + "x", error="M", boost_error=False, micro=False).version == 14


def test_png_is_a_png_of_the_symbol_size_with_its_quiet_zone() -> None:
    qr = samples()[0]
    png = render_png(qr, scale=5)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    side = (17 + 4 * int(make_symbol(qr).version) + 2 * 4) * 5
    assert (width, height) == (side, side)


def test_svg_is_inline_markup_with_a_title_and_an_opaque_background() -> None:
    qr = samples()[2]
    svg = render_svg(qr, scale=3, title="Zaplaťte QR kódom")
    assert svg.startswith("<svg")
    root = ET.fromstring(svg)  # HTML5 needs no xmlns on an inline <svg>
    assert root.tag == "svg"
    side = (17 + 4 * int(make_symbol(qr).version) + 2 * 4) * 3
    assert (root.get("width"), root.get("height")) == (str(side), str(side))
    assert root.findtext("title") == "Zaplaťte QR kódom"
    assert any(el.get("fill") == "#fff" for el in root.iter())
