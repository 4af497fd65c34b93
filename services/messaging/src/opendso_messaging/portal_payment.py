"""The debtor portal's payment QR code: the code e-mails and letters carry, for the amount the portal shows.

The QR code is made here, not in the gateway, because the entity's bank account (a setting of this service)
and the encoders live here: the portal shows the same code, quoting the same reference, as the reminder the
debtor received, so a payment made from either comes back matched. The gateway asks only under the customer
its portal link names; the answer depends on nothing but that customer, the amount and the entity's account.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import InvalidOperation

from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest
from opendso_contracts.convert import money_from_proto, money_to_proto

from opendso_messaging.domain.message_payment_qr import (
    CreditorAccount,
    caption,
    payment_qr_for,
    reference_in,
    reference_label,
)
from opendso_messaging.domain.payment_qr import PaymentQrError
from opendso_messaging.payment_qr_image import render_png, render_svg


def get_payment_qr(query: msg.GetPaymentQr, accounts: Mapping[str, CreditorAccount]) -> msg.PaymentQrCode:
    """The code for ``query``; ``found = false`` when the entity has no account or nothing can be encoded."""
    entity, _, account_number = query.customer_id.partition("/")
    if not entity or not account_number:
        raise InvalidRequest(f"customer_id must be ENTITY/ACCOUNT, got {query.customer_id!r}")
    if not query.HasField("amount"):
        raise InvalidRequest("amount is required")
    try:
        amount = money_from_proto(query.amount)
    except (ValueError, InvalidOperation):
        raise InvalidRequest(
            f"amount: {query.amount.amount!r} {query.amount.currency!r} is not an amount of money"
        ) from None
    account = accounts.get(entity)
    if account is None:
        return msg.PaymentQrCode(found=False)
    # Nothing due, an amount or account number a standard cannot carry: no code rather than a wrong one.
    qr = payment_qr_for(account, account_number, [amount])
    if qr is None:
        return msg.PaymentQrCode(found=False)
    try:
        png = render_png(qr)
        svg = render_svg(qr, title=caption(query.language))
    except PaymentQrError:
        return msg.PaymentQrCode(found=False)
    return msg.PaymentQrCode(
        found=True,
        kind=qr.kind.value,
        payload=qr.payload,
        reference=reference_in(qr),
        png=png,
        svg=svg,
        caption=caption(query.language),
        reference_label=reference_label(query.language),
        beneficiary_name=account.name,
        iban=account.iban,
        bic=account.bic or "",
        amount=money_to_proto(amount),
    )
