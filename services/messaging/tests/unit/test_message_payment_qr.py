"""The payment QR code a reminder carries: the amount (one currency), the reference, the standard."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from opendso_messaging.domain.letter_layout import LetterLayout
from opendso_messaging.domain.message_payment_qr import (
    CreditorAccount,
    amount_to_pay,
    caption,
    payment_qr_for,
    reference_in,
)
from opendso_messaging.domain.payment_qr import PaymentQrKind, decode_pay_by_square, make_creditor_reference
from opendso_messaging.letter_sending import letter_from
from opendso_messaging.providers import PostalAddress
from opendso_messaging.settings import Settings
from opendso_messaging.store import MessageRecord
from opendso_money import Money

FR = CreditorAccount.checked("FR01", {"name": "Acme SAS", "iban": "FR7630006000011234567890189", "country": "FR"})
SK = CreditorAccount.checked("SK01", {"name": "Acme s.r.o.", "iban": "SK3112000000198742637541"})
CZ = CreditorAccount.checked("CZ01", {"name": "Acme s.r.o.", "iban": "CZ6508000000192000145399"})


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_the_amount_is_the_sum_of_the_open_items_in_one_currency_only() -> None:
    assert amount_to_pay([eur("120.00"), eur("30.50")]) == eur("150.50")
    assert amount_to_pay([eur("120.00"), Money.of("10", "USD")]) is None
    assert amount_to_pay([]) is None
    assert amount_to_pay([eur("10"), eur("-10")]) is None  # nothing left to pay


def test_a_sepa_account_gets_an_epc_code_quoting_the_rf_reference_of_the_customer_account() -> None:
    qr = payment_qr_for(FR, "C-1001", [eur("120.00"), eur("30.50")])
    assert qr is not None and qr.kind is PaymentQrKind.EPC
    lines = qr.payload.split("\n")
    assert lines[6:8] == ["FR7630006000011234567890189", "EUR150.5"]
    assert lines[9] == make_creditor_reference("C1001") == reference_in(qr)
    assert payment_qr_for(FR, "C1001", [eur("1"), Money.of("1", "USD")]) is None
    assert payment_qr_for(FR, "", [eur("1")]) is None  # no account number, no reference, no code


def test_czech_and_slovak_accounts_quote_the_account_digits_as_variable_symbol() -> None:
    sk = payment_qr_for(SK, "C-0012345", [eur("99.90")])
    assert sk is not None and sk.kind is PaymentQrKind.PAY_BY_SQUARE
    doc = decode_pay_by_square(sk.payload)
    assert (doc.amount, doc.variable_symbol, doc.originator_reference) == (Decimal("99.9"), "12345", "")
    assert reference_in(sk) == "12345"
    cz = payment_qr_for(CZ, "C12345", [Money.of("1500", "CZK")])
    assert cz is not None and cz.kind is PaymentQrKind.SPD
    assert "*AM:1500.00*CC:CZK*" in cz.payload and cz.payload.endswith("*X-VS:12345")
    assert payment_qr_for(CZ, "ABC", [Money.of("1500", "CZK")]) is None  # no digits


def test_bad_bank_accounts_are_refused_at_start_naming_entity_and_field() -> None:
    with pytest.raises(ValueError, match=r"bank_accounts\['FR01'\]\.iban"):
        Settings(bank_accounts={"FR01": {"name": "Acme", "iban": "FR7630006000011234567890188", "country": "FR"}})
    with pytest.raises(ValueError, match=r"bank_accounts\['BE01'\]\.bic"):
        Settings(bank_accounts={"BE01": {"name": "Acme", "iban": "BE68539007547034", "bic": "NOPE"}})
    ok = Settings(bank_accounts={"FR01": {"name": "Acme", "iban": "FR76 3000 6000 0112 3456 7890 189"}})
    assert ok.creditor_accounts()["FR01"].iban == "FR7630006000011234567890189"


def test_captions_follow_the_language() -> None:
    assert caption("en") == "Scan to pay by bank transfer"
    assert caption("de-DE").startswith("Scannen")
    assert caption("xx") == caption("en")


def test_a_letter_with_a_stored_code_gets_its_png_and_caption() -> None:
    qr = payment_qr_for(FR, "C1001", [eur("150.50")])
    assert qr is not None
    record = MessageRecord(
        message_key="k1",
        message_id="m1",
        customer_id="FR01/C1001",
        task_id="t1",
        channel="letter",
        recipient="Dupont SARL",
        subject="Relance",
        text="",
        provider="",
        provider_ref="",
        sent_at=None,
        language="fr",
        postal_name="Dupont SARL",
        postal_lines=json.dumps(["1 rue de la Paix", "75002 Paris"]),
        postal_country="FR",
        letter_layout=LetterLayout(date="25/11/2026", body="Madame,", closing="").to_json(),
        payment_qr_kind=qr.kind.value,
        payment_qr_payload=qr.payload,
    )
    letter = letter_from(record, PostalAddress("Acme SAS", ("1 avenue", "75001 Paris")), "FR")
    assert letter.payment_qr_png is not None and letter.payment_qr_png.startswith(b"\x89PNG")
    assert "Scannez pour payer" in letter.qr_caption and make_creditor_reference("C1001") in letter.qr_caption
    bare = letter_from(
        MessageRecord(**{**record.__dict__, "payment_qr_kind": "", "payment_qr_payload": ""}),
        PostalAddress("Acme SAS", ("1 avenue", "75001 Paris")),
    )
    assert bare.payment_qr_png is None and bare.qr_caption == ""
