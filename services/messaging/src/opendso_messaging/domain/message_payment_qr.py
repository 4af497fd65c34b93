"""The payment QR code a reminder (e-mail or letter) carries: what to pay, into which account, quoting what.

The amount is the sum of the message's open items (one currency only: a
transfer has one); the reference is what the matching service keys on: an
ISO 11649 ``RF`` creditor reference made of the customer's account number, or,
for a Czech or Slovak account, the variable symbol made of its digits. The
standard (EPC, QR Platba, PAY by square) is chosen by
``payment_qr.choose_payment_qr``. Anything that does not fit gives no code,
never a failed message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from opendso_money import Money

from opendso_messaging.domain.payment_qr import (
    PaymentQr,
    PaymentQrError,
    PaymentQrKind,
    PaymentRequest,
    build_payment_qr,
    choose_payment_qr,
    decode_pay_by_square,
    make_creditor_reference,
    normalise_bic,
    normalise_iban,
)

# Accounts whose banks read the Czech/Slovak variable symbol rather than an RF reference.
SYMBOL_COUNTRIES = frozenset({"CZ", "SK"})
QR_CID = "payment-qr"

CAPTIONS: dict[str, str] = {
    "en": "Scan to pay by bank transfer",
    "fr": "Scannez pour payer par virement",
    "de": "Scannen, um per Überweisung zu bezahlen",
    "nl": "Scan om te betalen per overschrijving",
    "es": "Escanee para pagar por transferencia",
    "it": "Scansiona per pagare con bonifico",
    "cs": "Naskenujte pro platbu převodem",
    "sk": "Naskenujte na úhradu prevodom",
}
REFERENCE_LABELS: dict[str, str] = {
    "en": "Payment reference to quote",
    "fr": "Référence de paiement à indiquer",
    "de": "Bitte angeben (Zahlungsreferenz)",
    "nl": "Te vermelden betalingsreferentie",
    "es": "Referencia de pago a indicar",
    "it": "Riferimento di pagamento da indicare",
    "cs": "Variabilní symbol / reference platby",
    "sk": "Variabilný symbol / referencia platby",
}


def _language(language: str) -> str:
    return (language or "en").split("-")[0].split("_")[0].lower()


def caption(language: str) -> str:
    return CAPTIONS.get(_language(language), CAPTIONS["en"])


def reference_label(language: str) -> str:
    return REFERENCE_LABELS.get(_language(language), REFERENCE_LABELS["en"])


@dataclass(frozen=True, slots=True)
class CreditorAccount:
    """The entity's own account debtors pay into (the ``bank_accounts`` setting)."""

    name: str
    iban: str
    bic: str | None = None
    country: str = ""

    @classmethod
    def checked(cls, entity: str, value: dict[str, str]) -> CreditorAccount:
        """The account from its setting, normalised; ``ValueError`` naming the entity and the field."""

        def field(name: str) -> str:
            return str(value.get(name) or "").strip()

        try:
            if not field("name"):
                raise PaymentQrError("name", "is empty")
            iban = normalise_iban(field("iban"))
            bic = normalise_bic(field("bic")) if field("bic") else None
        except PaymentQrError as exc:
            raise ValueError(f"bank_accounts[{entity!r}].{exc.field}: {exc.problem}") from None
        country = (field("country") or iban[:2]).upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise ValueError(f"bank_accounts[{entity!r}].country: {country!r} is not an ISO 3166 country code")
        return cls(name=field("name"), iban=iban, bic=bic, country=country)


def amount_to_pay(amounts: Iterable[Money]) -> Money | None:
    """The sum of the open amounts; None when there is nothing to pay or several currencies."""
    items = list(amounts)
    if not items or len({m.currency for m in items}) != 1:
        return None
    total = items[0]
    for m in items[1:]:
        total = total + m
    return total if total.amount > 0 else None


def payment_request(account: CreditorAccount, account_number: str, amount: Money) -> PaymentRequest | None:
    """The transfer asked for; None when the customer's account number cannot become a reference."""
    try:
        if account.country in SYMBOL_COUNTRIES:
            digits = re.sub(r"[^0-9]", "", account_number)[-10:].lstrip("0")
            if not digits:
                return None
            return PaymentRequest(
                beneficiary_name=account.name,
                iban=account.iban,
                bic=account.bic,
                amount=amount,
                variable_symbol=digits,
            )
        return PaymentRequest(
            beneficiary_name=account.name,
            iban=account.iban,
            bic=account.bic,
            amount=amount,
            # Letters and digits only ("C-1001" -> "C1001"): the compact key the matching service reads too.
            creditor_reference=make_creditor_reference(re.sub(r"[^A-Za-z0-9]", "", account_number)),
        )
    except PaymentQrError:
        return None


def payment_qr_for(account: CreditorAccount, account_number: str, amounts: Iterable[Money]) -> PaymentQr | None:
    """The payment QR code for a message to the customer ``account_number`` about ``amounts``, or None.

    The debtor's country is not known to the messaging service: the account's country stands for it.
    """
    amount = amount_to_pay(amounts)
    if amount is None:
        return None
    request = payment_request(account, account_number, amount)
    if request is None:
        return None
    choice = choose_payment_qr(account.country, request)
    if choice.kind is None:
        return None
    try:
        return build_payment_qr(choice.kind, request)
    except PaymentQrError:
        return None


def reference_in(qr: PaymentQr) -> str:
    """The reference the payer quotes, read back from the payload ("" when it carries none)."""
    try:
        if qr.kind is PaymentQrKind.EPC:
            lines = qr.payload.split("\n")
            return lines[9] if len(lines) > 9 and lines[9] else (lines[10] if len(lines) > 10 else "")
        if qr.kind is PaymentQrKind.SPD:
            fields = dict(p.split(":", 1) for p in qr.payload.split("*")[2:] if ":" in p)
            return fields.get("X-VS") or fields.get("MSG", "")
        doc = decode_pay_by_square(qr.payload)
        return doc.variable_symbol or doc.originator_reference
    except (PaymentQrError, ValueError):
        return ""


__all__ = [
    "CAPTIONS",
    "QR_CID",
    "CreditorAccount",
    "amount_to_pay",
    "caption",
    "payment_qr_for",
    "payment_request",
    "reference_in",
    "reference_label",
]
