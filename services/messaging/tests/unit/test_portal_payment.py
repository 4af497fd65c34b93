"""The debtor portal's payment QR code: the same code a reminder carries, for the amount the portal shows, read
back by the decoders and from the drawn picture itself."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest
from opendso_messaging.domain.message_payment_qr import CreditorAccount
from opendso_messaging.domain.payment_qr import PaymentQr, PaymentQrKind, decode_pay_by_square, make_creditor_reference
from opendso_messaging.payment_qr_image import QUIET_ZONE, make_symbol
from opendso_messaging.portal_payment import get_payment_qr
from PIL import Image

ACCOUNTS = {
    "FR01": CreditorAccount.checked(
        "FR01", {"name": "Acme SAS", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"}
    ),
    "SK01": CreditorAccount.checked("SK01", {"name": "Acme s.r.o.", "iban": "SK3112000000198742637541"}),
    "CZ01": CreditorAccount.checked("CZ01", {"name": "Acme s.r.o.", "iban": "CZ6508000000192000145399"}),
}


def ask(customer_id: str, amount: str, currency: str = "EUR", language: str = "") -> msg.PaymentQrCode:
    query = msg.GetPaymentQr(customer_id=customer_id, amount=Money(amount=amount, currency=currency), language=language)
    return get_payment_qr(query, ACCOUNTS)


def modules_in(png: bytes, scale: int = 8) -> list[list[bool]]:
    """The dark modules of a drawn QR code, read from the centre of each module of the picture."""
    image = Image.open(io.BytesIO(png)).convert("L")
    size = image.width // scale - 2 * QUIET_ZONE

    def dark(x: int, y: int) -> bool:
        grey = image.getpixel(((QUIET_ZONE + x) * scale + scale // 2, (QUIET_ZONE + y) * scale + scale // 2))
        assert isinstance(grey, int)
        return grey < 128

    return [[dark(x, y) for x in range(size)] for y in range(size)]


def test_a_sepa_entity_gets_the_epc_code_of_the_amount_quoting_the_customers_rf_reference() -> None:
    code = ask("FR01/C-1001", "150.10", language="fr")
    assert code.found and code.kind == "epc"
    lines = code.payload.split("\n")
    assert lines[:8] == ["BCD", "002", "1", "SCT", "AGRIFRPP", "Acme SAS", "FR7630006000011234567890189", "EUR150.1"]
    assert lines[9] == code.reference == make_creditor_reference("C1001")
    assert (code.caption, code.beneficiary_name, code.iban, code.bic) == (
        "Scannez pour payer par virement",
        "Acme SAS",
        "FR7630006000011234567890189",
        "AGRIFRPP",
    )
    assert (code.amount.amount, code.amount.currency) == ("150.10", "EUR")
    assert code.svg.startswith("<svg") and "Scannez pour payer par virement" in code.svg
    # The picture is the symbol of exactly this payload, module for module.
    symbol = make_symbol(PaymentQr(PaymentQrKind.EPC, code.payload))
    assert modules_in(code.png) == [[bool(m) for m in row] for row in symbol.matrix]


def test_slovak_and_czech_entities_get_pay_by_square_and_qr_platba_with_the_variable_symbol() -> None:
    sk = ask("SK01/C-0012345", "99.90")
    assert sk.found and sk.kind == "pay_by_square"
    doc = decode_pay_by_square(sk.payload)
    assert (doc.amount, doc.currency, doc.variable_symbol) == (Decimal("99.9"), "EUR", "12345")
    assert sk.reference == "12345"
    symbol = make_symbol(PaymentQr(PaymentQrKind.PAY_BY_SQUARE, sk.payload))
    assert modules_in(sk.png) == [[bool(m) for m in row] for row in symbol.matrix]

    cz = ask("CZ01/C12345", "1500", "CZK")
    assert cz.found and cz.kind == "spd"
    assert "*AM:1500.00*CC:CZK*" in cz.payload and cz.payload.endswith("*X-VS:12345")


def test_no_code_without_an_account_or_anything_to_pay() -> None:
    assert ask("DE01/C1", "10.00") == msg.PaymentQrCode(found=False)
    assert ask("FR01/C1", "0.00") == msg.PaymentQrCode(found=False)
    assert ask("CZ01/ABC", "10.00", "CZK") == msg.PaymentQrCode(found=False)  # no digits for a variable symbol


@pytest.mark.parametrize(
    ("customer_id", "amount", "currency"),
    [("C1", "1", "EUR"), ("FR01/", "1", "EUR"), ("FR01/C1", "x", "EUR"), ("FR01/C1", "1", "")],
)
def test_a_malformed_question_is_refused(customer_id: str, amount: str, currency: str) -> None:
    with pytest.raises(InvalidRequest):
        ask(customer_id, amount, currency)
    with pytest.raises(InvalidRequest, match="amount is required"):
        get_payment_qr(msg.GetPaymentQr(customer_id="FR01/C1"), ACCOUNTS)
