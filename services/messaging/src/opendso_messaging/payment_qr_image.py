"""Payment QR codes as pictures: SVG text for HTML (portal, e-mail) and PNG bytes for PDF letters.

The payloads come from ``opendso_messaging.domain.payment_qr``; this module
only draws them, so the payload rules are tested without any imaging code and
a different renderer could replace segno without touching them.

Every symbol is drawn at error correction level M, which EPC069-12 requires
and QR Platba recommends for print, and segno is told not to raise it even
when a higher level would fit in the same size: readers of those standards
expect M. Text is encoded as UTF-8 bytes, the character set the EPC payload
declares in its third line (SPD and PAY by square payloads are ASCII, which
segno puts in the compact alphanumeric mode when their characters allow).
"""

from __future__ import annotations

import io

import segno

from opendso_messaging.domain.payment_qr import PaymentQr, PaymentQrError, PaymentQrKind

ERROR_CORRECTION = "M"
# EPC069-12 caps the symbol at version 13 (its 331-byte limit is that version's
# capacity at level M); the payload check already guarantees it, this is the seatbelt.
EPC_MAX_VERSION = 13
# The quiet zone the QR specification asks for; printers and e-mail clients
# crop anything tighter badly.
QUIET_ZONE = 4


def make_symbol(qr: PaymentQr) -> segno.QRCode:
    """The QR symbol for ``qr`` at level M, UTF-8, never boosted to a higher level, never a Micro QR."""
    symbol = segno.make(qr.payload, error=ERROR_CORRECTION, encoding="utf-8", micro=False, boost_error=False)
    if qr.kind is PaymentQrKind.EPC and int(symbol.version) > EPC_MAX_VERSION:
        raise PaymentQrError("payload", f"needs QR version {symbol.version}, EPC allows at most {EPC_MAX_VERSION}")
    return symbol


def render_svg(qr: PaymentQr, *, scale: int = 4, title: str = "Payment QR code") -> str:
    """An inline ``<svg>`` element (no XML declaration) to place in an HTML page.

    ``title`` is read out by screen readers. The light modules are painted
    white rather than left transparent, so a dark-mode mail client or page
    cannot turn the code into light-on-dark, which many scanners cannot read.
    """
    return make_symbol(qr).svg_inline(scale=scale, border=QUIET_ZONE, title=title, dark="#000", light="#fff")


def render_png(qr: PaymentQr, *, scale: int = 8) -> bytes:
    """PNG bytes for a PDF letter, ``scale`` pixels a module; the PDF sets the printed size.

    The default keeps the modules sharp when a letter places the image at
    2-3 cm, the size payment QR codes are usually printed at.
    """
    buffer = io.BytesIO()
    make_symbol(qr).save(buffer, kind="png", scale=scale, border=QUIET_ZONE, dark="#000", light="#fff")
    return buffer.getvalue()


__all__ = ["EPC_MAX_VERSION", "ERROR_CORRECTION", "QUIET_ZONE", "make_symbol", "render_png", "render_svg"]
