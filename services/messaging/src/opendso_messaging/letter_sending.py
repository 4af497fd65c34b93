"""A queued letter, as the dispatcher hands it to a :class:`~opendso_messaging.providers.LetterSender`.

The handler rendered the template and laid the letter out (``letter_layout``);
this only puts the stored parts together with the return address.
"""

from __future__ import annotations

import json
from typing import Any

from opendso_messaging.domain.letter_layout import ALIGN, LetterLayout, country_name
from opendso_messaging.domain.message_payment_qr import caption, reference_in, reference_label
from opendso_messaging.domain.payment_qr import PaymentQr, PaymentQrError, PaymentQrKind
from opendso_messaging.payment_qr_image import render_png
from opendso_messaging.providers import Letter, LetterTable, PostalAddress
from opendso_messaging.store import MessageRecord


def letter_from(record: MessageRecord, sender: PostalAddress, sender_country: str = "") -> Letter:
    """The letter of a queued message; ``ValueError`` naming the message when its row cannot make one.

    The recipient's country is printed, as its name in the letter's language, only for a letter going
    abroad (a country other than ``sender_country``): a domestic address carries no country line.
    """
    try:
        layout = LetterLayout.from_json(record.letter_layout)
        lines = [str(line) for line in json.loads(record.postal_lines or "[]")]
    except (ValueError, TypeError) as exc:
        raise ValueError(f"letter {record.message_key!r}: {exc}") from exc
    country = record.postal_country.upper()
    if country and country != sender_country.upper():
        lines.append(country_name(country, record.language))
    try:
        recipient = PostalAddress(record.postal_name, tuple(lines))
    except ValueError as exc:
        raise ValueError(f"letter {record.message_key!r} to {record.customer_id}: {exc}") from exc
    table = (
        LetterTable(
            headings=layout.headings, rows=layout.rows, align=ALIGN if len(layout.headings) == len(ALIGN) else ()
        )
        if layout.headings
        else None
    )
    return Letter(
        letter_id=record.message_id,
        sender=sender,
        recipient=recipient,
        date=layout.date,
        subject=record.subject,
        body=layout.body,
        table=table,
        closing=layout.closing,
        registered=record.registered,
        message_key=record.message_key,
        **_payment_qr(record),
    )


def _payment_qr(record: MessageRecord) -> dict[str, Any]:
    """The letter's payment QR code and its caption (with the reference to quote); none when it has none."""
    if not (record.payment_qr_kind and record.payment_qr_payload):
        return {}
    qr = PaymentQr(PaymentQrKind(record.payment_qr_kind), record.payment_qr_payload)
    try:
        png = render_png(qr)
    except PaymentQrError as exc:
        raise ValueError(f"letter {record.message_key!r}: payment QR code: {exc}") from exc
    reference = reference_in(qr)
    text = caption(record.language) + (f". {reference_label(record.language)}: {reference}" if reference else "")
    return {"payment_qr_png": png, "qr_caption": text}
