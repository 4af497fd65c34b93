"""How a rendered template becomes a letter: the text before and after the items table, the table itself.

An e-mail prints ``#ItemsTable`` as aligned plain text; on paper, in a
proportional font, that alignment is lost, so a letter prints the items as a
real table instead: the template's body is split at its first
``#ItemsTable``, each part rendered on its own, and the table built from the
items (number, due date, amount) formatted for the reader's language with
Babel. A template without ``#ItemsTable`` makes a letter without a table.

Pure: no I/O; the handler stores the layout as JSON and the dispatcher builds
the letter from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency

from opendso_messaging.domain.templates import ItemLine, MessageContext, Template, render

# "##" writes a literal "#", so "##ItemsTable" is text: scanning pairs first, left to right, as the
# template parser does, tells the two apart.
_ITEMS_TABLE_OR_ESCAPE = re.compile(r"##|#ItemsTable")
_FALLBACK = "en"

_HEADINGS: dict[str, tuple[str, str, str]] = {
    "en": ("Invoice", "Due date", "Amount due"),
    "fr": ("Facture", "Échéance", "Montant dû"),
    "de": ("Rechnung", "Fällig am", "Offener Betrag"),
    "cs": ("Faktura", "Splatnost", "Dlužná částka"),
    "sk": ("Faktúra", "Splatnosť", "Dlžná suma"),
    "pl": ("Faktura", "Termin płatności", "Kwota do zapłaty"),
    "ro": ("Factură", "Scadență", "Sumă datorată"),
}
# Amounts read best right-aligned, like in a ledger.
ALIGN = ("L", "L", "R")


@dataclass(frozen=True)
class LetterLayout:
    """A letter's printed parts: its date (empty when the text dates itself), the text around the table."""

    date: str
    body: str
    closing: str
    headings: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "date": self.date,
                "body": self.body,
                "closing": self.closing,
                "headings": list(self.headings),
                "rows": [list(r) for r in self.rows],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> LetterLayout:
        """The layout stored by :meth:`to_json`; ``ValueError`` naming what is missing when it is not one."""
        try:
            data = json.loads(text)
            return cls(
                date=str(data["date"]),
                body=str(data["body"]),
                closing=str(data["closing"]),
                headings=tuple(str(h) for h in data["headings"]),
                rows=tuple(tuple(str(c) for c in row) for row in data["rows"]),
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"the stored letter layout is not readable ({exc!r}): {text[:80]!r}") from exc


def reader_locale(template_language: str, reader_language: str) -> Locale:
    # As the template renderer chooses: the reader's variant of the template's language, else the template's.
    def parse(language: str) -> Locale | None:
        try:
            return Locale.parse(language.replace("-", "_"))
        except (ValueError, TypeError, UnknownLocaleError):
            return None

    written = parse(template_language) or Locale.parse(_FALLBACK)
    reader = parse(reader_language)
    return reader if reader is not None and reader.language == written.language else written


def split_at_items_table(template: Template) -> tuple[Template, Template] | None:
    """The template's body before and after its first ``#ItemsTable``; None when it prints no table."""
    for match in _ITEMS_TABLE_OR_ESCAPE.finditer(template.body):
        if match.group(0) != "##":
            return (
                replace(template, body=template.body[: match.start()]),
                replace(template, body=template.body[match.end() :]),
            )
    return None


def letter_layout(template: Template, ctx: MessageContext) -> LetterLayout:
    """The letter ``template`` makes for ``ctx``: its text around a table of the items, formatted with Babel."""
    locale = reader_locale(template.language, ctx.language)
    # A template that prints #Today dates the letter itself; a second date at the top would repeat it.
    date = "" if "#Today" in template.body else format_date(ctx.today, format="long", locale=locale)
    parts = split_at_items_table(template)
    if parts is None:
        return LetterLayout(date=date, body=render(template, ctx).text, closing="")
    before, after = parts
    return LetterLayout(
        date=date,
        body=render(before, ctx).text,
        closing=render(after, ctx).text,
        headings=items_headings(locale),
        rows=item_rows(ctx.items, locale),
    )


def items_headings(locale: Locale) -> tuple[str, ...]:
    """The items table's column headings in ``locale``'s language (English when it has none)."""
    return _HEADINGS.get(locale.language, _HEADINGS[_FALLBACK])


def item_rows(items: Iterable[ItemLine], locale: Locale) -> tuple[tuple[str, ...], ...]:
    """The items table's rows (number, due date, amount), oldest due first, formatted for ``locale``."""
    return tuple(
        (
            i.number,
            format_date(i.due_date, format="medium", locale=locale),
            # Half-up like the ledger; Babel alone would round half-even.
            format_currency(i.open_amount.rounded().amount, i.open_amount.currency, locale=locale),
        )
        for i in sorted(items, key=lambda i: (i.due_date, i.number))
    )


def country_name(code: str, language: str) -> str:
    """The country's name for an envelope (capitals, as the postal services ask), in ``language``; the code
    itself when Babel does not know it."""
    try:
        locale = Locale.parse(language.replace("-", "_") or _FALLBACK)
    except (ValueError, TypeError, UnknownLocaleError):
        locale = Locale.parse(_FALLBACK)
    code = code.upper()
    # CLDR names "ZZ" "Unknown Region": on an envelope the code is more useful than that.
    name = locale.territories.get(code, code) if code != "ZZ" else code
    return str(name).upper()
