"""The account statement an e-mail carries as a PDF: the items the message is about, with totals per currency.

It is laid out as a letter (``letter_layout``) so the letter renderer prints it: the same items table, in the
same order and formatting as the letter shows, followed by one total line per currency (amounts in different
currencies are never added together). Pure: the handler stores it as JSON with the message, the dispatcher
renders it when it builds the e-mail.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency

from opendso_messaging.domain.letter_layout import LetterLayout, item_rows, items_headings, reader_locale
from opendso_messaging.domain.templates import MessageContext, Template

# (title, account label, total label) per language; English for the others.
_WORDS: dict[str, tuple[str, str, str]] = {
    "en": ("Statement of account", "Account", "Total"),
    "fr": ("Relevé de compte", "Compte", "Total"),
    "de": ("Kontoauszug", "Konto", "Summe"),
    "cs": ("Výpis z účtu", "Účet", "Celkem"),
    "sk": ("Výpis z účtu", "Účet", "Spolu"),
    "pl": ("Wyciąg z konta", "Konto", "Razem"),
    "ro": ("Extras de cont", "Cont", "Total"),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Statement:
    """A statement ready to print: its title, the attachment's file name, whom it is for (the lines of the
    address block: the customer, the account) and its letter layout."""

    title: str
    file_name: str
    recipient: tuple[str, ...]
    layout: LetterLayout

    def to_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "file_name": self.file_name,
            "recipient": list(self.recipient),
            "layout": json.loads(self.layout.to_json()),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Statement:
        """The statement stored by :meth:`to_json`; ``ValueError`` when it is not one."""
        try:
            return cls(
                title=str(data["title"]),
                file_name=str(data["file_name"]),
                recipient=tuple(str(line) for line in data["recipient"]),  # type: ignore[attr-defined]
                layout=LetterLayout.from_json(json.dumps(data["layout"])),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"the stored statement is not readable ({exc!r})") from exc


def statement_file_name(account_number: str, ctx_day: str) -> str:
    """``statement-<account>-<date>.pdf``, safe as a file name on every system and in a MIME header."""
    account = _UNSAFE.sub("_", account_number).strip("._")[:60] or "account"
    return f"statement-{account}-{ctx_day}.pdf"


def statement_for(template: Template, ctx: MessageContext) -> Statement:
    """The statement of ``ctx``'s items in the reader's language, with one total per currency."""
    locale = reader_locale(template.language, ctx.language)
    title, account_label, total_label = _WORDS.get(locale.language, _WORDS["en"])
    totals: dict[str, Decimal] = {}
    for item in ctx.items:
        money = item.open_amount.rounded()
        totals[money.currency] = totals.get(money.currency, Decimal(0)) + money.amount
    total_rows = tuple(
        (f"{total_label} {currency}", "", format_currency(amount, currency, locale=locale))
        for currency, amount in sorted(totals.items())
    )
    who = f"{account_label} {ctx.account_number}" if ctx.account_number else ""
    layout = LetterLayout(
        date=format_date(ctx.today, format="long", locale=locale),
        body="",
        closing="",
        headings=items_headings(locale),
        rows=item_rows(ctx.items, locale) + total_rows,
    )
    return Statement(
        title=f"{title} {ctx.account_number}".strip(),
        file_name=statement_file_name(ctx.account_number, ctx.today.isoformat()),
        recipient=tuple(line for line in (ctx.customer_name, who) if line),
        layout=layout,
    )
