"""Message templates with #hashtags, and their rendering into plain text and HTML.

A template is plain text a credit manager writes in the editor: no markup, only
hashtags such as ``#CustomerName`` or ``#ItemsTable`` that are replaced by the
customer's data when a message is rendered.

Hashtag syntax
    ``#`` followed by a name ``[A-Za-z][A-Za-z0-9_]*``. When the name runs on
    into more letters, the longest known name that starts it wins and the rest
    stays as text (``#TotalDues`` is ``#TotalDue`` then ``s``). ``#`` followed
    by anything else is ordinary text, so ``invoice #123`` is left alone, and
    ``##`` writes a literal ``#`` (``##TotalDue`` renders as ``#TotalDue``).

Custom customer fields
    A custom field is written ``#CustomerField_<name>``, for instance
    ``#CustomerField_region`` for the field ``region``. The prefix keeps custom
    fields apart from the built-in hashtags, so a hashtag added to the product
    later can never change the meaning of a template that uses a custom field
    of the same name. Field names are letters, digits and underscores.

    Saving a template accepts any custom field (``check_hashtags``) and lists
    those it uses, since which fields customers have is only known at send
    time: the SendMessage command carries the customer's fields
    (``custom_fields``, every field the tenant defines, "" when the customer
    has none), and a template naming a field the command lacks fails that
    message visibly (``MessageFailed`` naming the field) rather than sending a
    reminder with a hole in it.

Formatting
    Amounts and dates are formatted by Babel for the reader's locale. The
    reader's language (``MessageContext.language``) is used when it is the
    template's language or a regional variant of it (``fr_CH`` for a ``fr``
    template); otherwise, as when an Italian customer receives the English
    fallback template, the template's language is used, so that month names
    and table headers match the words around them. An unknown locale is
    formatted as English.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from opendso_money import Money

KNOWN_HASHTAGS: frozenset[str] = frozenset(
    {
        "CustomerName",
        "AccountNumber",
        "ContactName",
        "TotalDue",
        "TotalOverdue",
        "OldestDueDate",
        "ItemsTable",
        "PortalLink",
        "CollectorName",
        "CollectorEmail",
        "CompanyName",
        "LatePenalty",
        "RecoveryCost",
        "Today",
    }
)

CUSTOM_FIELD_PREFIX = "CustomerField_"

_ITEMS_TABLE = "ItemsTable"
_PORTAL_LINK = "PortalLink"
_TOKEN = re.compile(r"##|#([A-Za-z][A-Za-z0-9_]*)")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]+")
_SAFE_LINK = re.compile(r"https?://", re.IGNORECASE)
_FALLBACK_LANGUAGE = "en"


# --- Model ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """What a credit manager wrote for one message code, channel and language."""

    code: str
    channel: str
    language: str
    subject: str
    body: str
    # E-mail only: what the message carries besides its text (the statement PDF, the items' invoice PDFs).
    attach_statement: bool = False
    attach_invoices: bool = False


@dataclass(frozen=True)
class ItemLine:
    """One open item as the debtor sees it in a reminder."""

    number: str
    issue_date: date
    due_date: date
    open_amount: Money
    days_overdue: int


@dataclass(frozen=True)
class MessageContext:
    """Everything a template may refer to, for one customer on one day.

    ``custom`` holds the customer's custom fields by name (without the
    ``CustomerField_`` prefix); pass every field the tenant defines, with an
    empty value when the customer has none, since a hashtag naming a field
    absent from ``custom`` is an error.
    """

    customer_name: str
    account_number: str
    contact_name: str
    language: str
    company_name: str
    collector_name: str
    collector_email: str
    portal_link: str
    today: date
    items: tuple[ItemLine, ...]
    total_due: tuple[Money, ...] = ()
    late_penalty: tuple[Money, ...] = ()
    recovery_cost: tuple[Money, ...] = ()
    custom: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def __post_init__(self) -> None:
        # A frozen context must not change under the renderer because the
        # caller kept a reference to the list or dict it passed in.
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "total_due", tuple(self.total_due))
        object.__setattr__(self, "late_penalty", tuple(self.late_penalty))
        object.__setattr__(self, "recovery_cost", tuple(self.recovery_cost))
        object.__setattr__(self, "custom", MappingProxyType(dict(self.custom)))


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready for a provider: one subject line, a text body and an HTML document."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class TemplateProblem:
    """One misuse of a hashtag, located so the editor can point at it (line and column from 1)."""

    field: str
    hashtag: str
    line: int
    column: int
    reason: str
    # What is at fault as written when it is not a hashtag (``{{name}}``, ``<b>``); "" for a whole field.
    text: str = ""

    def __str__(self) -> str:
        # Problems with a whole field (an empty subject) have no hashtag to name.
        what = f"#{self.hashtag}" if self.hashtag else repr(self.text) if self.text else ""
        what = f"{what} in {self.field}" if what else self.field
        return f"{what} at line {self.line}, column {self.column}: {self.reason}"


class TemplateError(ValueError):
    """A template refers to hashtags that cannot be rendered; ``problems`` lists every one."""

    def __init__(self, template: Template, problems: Sequence[TemplateProblem]) -> None:
        self.template = template
        self.problems = tuple(problems)
        details = "; ".join(str(p) for p in self.problems)
        super().__init__(f"template {template.code!r} ({template.language}): {details}")


# --- Parsing and validation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tag:
    name: str


_Piece = str | _Tag


def _known_names(custom_fields: Iterable[str]) -> frozenset[str]:
    custom = {CUSTOM_FIELD_PREFIX + name for name in custom_fields if _FIELD_NAME.fullmatch(name)}
    return KNOWN_HASHTAGS | custom


def _normalise_newlines(text: str) -> str:
    # Browsers post textareas with CRLF; lines and columns must count the same either way.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _longest_known_prefix(run: str, known: frozenset[str]) -> str | None:
    for end in range(len(run), 0, -1):
        if run[:end] in known:
            return run[:end]
    return None


def _parse(
    field_name: str, text: str, known: frozenset[str], *, any_custom: bool = False
) -> tuple[list[_Piece], list[TemplateProblem]]:
    pieces: list[_Piece] = []
    problems: list[TemplateProblem] = []
    position = 0
    for match in _TOKEN.finditer(text):
        pieces.append(text[position : match.start()])
        position = match.end()
        run = match.group(1)
        if run is None:
            pieces.append("#")
            continue
        name = _longest_known_prefix(run, known)
        if name is None and any_custom and run.startswith(CUSTOM_FIELD_PREFIX) and run != CUSTOM_FIELD_PREFIX:
            # When a template is saved the customers' fields are not known: the whole run names the field.
            name = run
        if name is None:
            line, column = _line_and_column(text, match.start())
            problems.append(TemplateProblem(field_name, run, line, column, _unknown_reason(run, known)))
            pieces.append(match.group(0))
            continue
        if field_name == "subject" and name == _ITEMS_TABLE:
            line, column = _line_and_column(text, match.start())
            problems.append(TemplateProblem(field_name, name, line, column, "a table cannot go in the subject"))
        pieces.append(_Tag(name))
        pieces.append(run[len(name) :])
    pieces.append(text[position:])
    return [p for p in pieces if p != ""], problems


def _line_and_column(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _unknown_reason(run: str, known: frozenset[str]) -> str:
    if run == CUSTOM_FIELD_PREFIX:
        return f"a custom field needs its name after #{CUSTOM_FIELD_PREFIX}, e.g. #{CUSTOM_FIELD_PREFIX}region"
    close = difflib.get_close_matches(run, sorted(known), n=1, cutoff=0.75)
    hint = f" (did you mean #{close[0]}?)" if close else ""
    return f"unknown hashtag{hint}"


# A batch renders the same few templates thousands of times: each is parsed once per set of custom fields.
# Templates and field sets are immutable, and an edited template is another key.
@lru_cache(maxsize=256)
def _parse_template(template: Template, known: frozenset[str]) -> tuple[tuple[_Piece, ...], tuple[_Piece, ...]]:
    subject, subject_problems = _parse("subject", _normalise_newlines(template.subject), known)
    body, body_problems = _parse("body", _normalise_newlines(template.body), known)
    problems = subject_problems + body_problems
    if problems:
        raise TemplateError(template, problems)
    return tuple(subject), tuple(body)


def validate_template(template: Template, custom_fields: Collection[str] = ()) -> None:
    """Raise ``TemplateError`` naming every hashtag the template cannot use, and where.

    ``custom_fields`` are the tenant's custom customer field names, usable as
    ``#CustomerField_<name>``. ``#ItemsTable`` is refused in the subject.
    """
    _parse_template(template, _known_names(custom_fields))


def check_hashtags(template: Template) -> tuple[list[TemplateProblem], tuple[str, ...]]:
    """Every hashtag problem of a template being saved, and the custom fields it uses, in order of use.

    Any ``#CustomerField_<name>`` is accepted: which fields a customer has is only known when a message is
    sent, and a send whose command lacks a field the template uses fails naming it.
    """
    problems: list[TemplateProblem] = []
    used: dict[str, None] = {}
    for field_name, text in (("subject", template.subject), ("body", template.body)):
        pieces, found = _parse(field_name, _normalise_newlines(text), KNOWN_HASHTAGS, any_custom=True)
        problems += found
        for piece in pieces:
            if isinstance(piece, _Tag) and piece.name.startswith(CUSTOM_FIELD_PREFIX):
                used[piece.name.removeprefix(CUSTOM_FIELD_PREFIX)] = None
    return problems, tuple(used)


# --- Rendering -----------------------------------------------------------------------------------------


_TABLE_HEADERS: dict[str, tuple[str, str, str, str, str]] = {
    "en": ("Invoice", "Issue date", "Due date", "Days overdue", "Open amount"),
    "fr": ("Facture", "Date d'émission", "Échéance", "Jours de retard", "Montant dû"),
    "de": ("Rechnung", "Rechnungsdatum", "Fällig am", "Tage überfällig", "Offener Betrag"),
}
# Days overdue and amount read best right-aligned, like in a ledger.
_RIGHT_ALIGNED = (False, False, False, True, True)


def _parse_locale(language: str) -> Locale | None:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


@lru_cache(maxsize=256)
def _choose_locale(template_language: str, reader_language: str) -> Locale:
    written = _parse_locale(template_language) or Locale.parse(_FALLBACK_LANGUAGE)
    reader = _parse_locale(reader_language)
    if reader is not None and reader.language == written.language:
        return reader
    return written


def _per_currency(amounts: Iterable[Money]) -> list[Money]:
    """Totals per currency, in the order each currency first appears."""
    totals: dict[str, Money] = {}
    for amount in amounts:
        totals[amount.currency] = totals[amount.currency] + amount if amount.currency in totals else amount
    return list(totals.values())


# Babel is most of a render, and a run of reminders repeats the same dates, day counts and often amounts:
# formatted values are kept (Locale objects hash by their identifiers, so equal locales share entries).
@lru_cache(maxsize=8192)
def _format_money(amount: str, currency: str, locale: Locale) -> str:
    return format_currency(Decimal(amount), currency, locale=locale)


@lru_cache(maxsize=4096)
def _format_date(day: date, locale: Locale) -> str:
    return format_date(day, format="medium", locale=locale)


@lru_cache(maxsize=4096)
def _format_count(count: int, locale: Locale) -> str:
    return format_decimal(count, locale=locale)


class _Formatter:
    """The values of a context's hashtags, formatted for one locale."""

    def __init__(self, ctx: MessageContext, locale: Locale) -> None:
        self.ctx = ctx
        self.locale = locale
        self._rows: list[tuple[str, ...]] | None = None

    def _default_currency(self) -> str | None:
        ctx = self.ctx
        amounts = [*(i.open_amount for i in ctx.items), *ctx.total_due, *ctx.late_penalty, *ctx.recovery_cost]
        currency: str | None = amounts[0].currency if amounts else None
        return currency

    def money(self, amount: Money) -> str:
        # Round half-up like the ledger does; Babel alone would round half-even.
        rounded = amount.rounded()
        # Keyed by the amount as written: equal Decimals such as -0 and 0 need not print alike.
        return _format_money(str(rounded.amount), rounded.currency, self.locale)

    def totals(self, amounts: Iterable[Money]) -> str:
        """Amounts summed per currency and joined with " + ".

        Currencies whose total is zero are left out. When nothing is left, the
        answer is zero in the context's first currency (the first item's, else
        the first given total's), or a bare localised "0" when the context has
        no amount at all: an empty string would read as a missing value.
        """
        non_zero = [t for t in _per_currency(amounts) if not t.is_zero()]
        if non_zero:
            return " + ".join(self.money(t) for t in non_zero)
        currency = self._default_currency()
        if currency is None:
            return format_decimal(Decimal(0), locale=self.locale)
        return self.money(Money.zero(currency))

    def date(self, day: date) -> str:
        return _format_date(day, self.locale)

    def scalar(self, name: str) -> str:
        ctx = self.ctx
        if name.startswith(CUSTOM_FIELD_PREFIX):
            return ctx.custom[name.removeprefix(CUSTOM_FIELD_PREFIX)]
        match name:
            case "CustomerName":
                return ctx.customer_name
            case "AccountNumber":
                return ctx.account_number
            case "ContactName":
                return ctx.contact_name
            case "CompanyName":
                return ctx.company_name
            case "CollectorName":
                return ctx.collector_name
            case "CollectorEmail":
                return ctx.collector_email
            case "PortalLink":
                return ctx.portal_link
            case "TotalDue":
                return self.totals(ctx.total_due or [i.open_amount for i in ctx.items])
            case "TotalOverdue":
                return self.totals(i.open_amount for i in ctx.items if i.days_overdue > 0)
            case "LatePenalty":
                return self.totals(ctx.late_penalty)
            case "RecoveryCost":
                return self.totals(ctx.recovery_cost)
            case "OldestDueDate":
                # No items means nothing is due: there is no date to give.
                return self.date(min(i.due_date for i in ctx.items)) if ctx.items else ""
            case "Today":
                return self.date(ctx.today)
            case "ItemsTable":
                return self.text_table()
        raise AssertionError(f"hashtag #{name} has no value")  # unreachable: names are checked when parsed

    def table_headers(self) -> tuple[str, ...]:
        return _TABLE_HEADERS.get(self.locale.language, _TABLE_HEADERS["en"])

    def table_rows(self) -> list[tuple[str, ...]]:
        # Formatted once: the text and the HTML body show the same rows, and Babel is most of a render.
        if self._rows is None:
            self._rows = self._format_rows()
        return self._rows

    def _format_rows(self) -> list[tuple[str, ...]]:
        # Oldest due date first: the most urgent invoice is the first one read.
        items = sorted(self.ctx.items, key=lambda i: (i.due_date, i.number))
        return [
            (
                i.number,
                self.date(i.issue_date),
                self.date(i.due_date),
                # A blank reads better than 0 or a negative count for an item not yet due.
                _format_count(i.days_overdue, self.locale) if i.days_overdue > 0 else "",
                self.money(i.open_amount),
            )
            for i in items
        ]

    def text_table(self) -> str:
        headers = self.table_headers()
        rows = self.table_rows()
        widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

        def line(cells: Sequence[str]) -> str:
            padded = (
                cell.rjust(width) if right else cell.ljust(width)
                for cell, width, right in zip(cells, widths, _RIGHT_ALIGNED, strict=True)
            )
            return "  ".join(padded).rstrip()

        separator = "  ".join("-" * width for width in widths)
        return "\n".join([line(headers), separator, *(line(row) for row in rows)])

    def html_table(self) -> str:
        head = "".join(_cell("th", h, r) for h, r in zip(self.table_headers(), _RIGHT_ALIGNED, strict=True))
        body = "\n".join(
            "<tr>" + "".join(_cell("td", v, r) for v, r in zip(row, _RIGHT_ALIGNED, strict=True)) + "</tr>"
            for row in self.table_rows()
        )
        return (
            '<table style="border-collapse:collapse">\n'
            f"<thead><tr>{head}</tr></thead>\n"
            f"<tbody>\n{body}\n</tbody>\n"
            "</table>"
        )

    def html_link(self) -> str:
        url = self.ctx.portal_link
        # Only web links become anchors: a "javascript:" link must stay inert text.
        if _SAFE_LINK.match(url):
            escaped = html.escape(url, quote=True)
            return f'<a href="{escaped}">{escaped}</a>'
        return html.escape(url)


# Table cells and the template's own lines repeat from one message to the next (headers, dates, amounts,
# the words around the hashtags): each is escaped once.
@lru_cache(maxsize=8192)
def _cell(tag: str, value: str, right: bool) -> str:
    align = "right" if right else "left"
    return f'<{tag} style="padding:4px 8px;text-align:{align}">{html.escape(value)}</{tag}>'


@lru_cache(maxsize=4096)
def _escaped_lines(text: str) -> tuple[str, ...]:
    return tuple(html.escape(line) for line in text.split("\n"))


def _render_text(pieces: Sequence[_Piece], values: _Formatter) -> str:
    return "".join(p if isinstance(p, str) else values.scalar(p.name) for p in pieces)


class _HtmlBody:
    """Builds paragraphs from escaped text: a blank line starts a paragraph, a newline is a <br>."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.paragraph: list[str] = []
        self.line: list[str] = []

    def add_text(self, text: str) -> None:
        first, *others = _escaped_lines(text)
        self.line.append(first)
        for following in others:
            self.end_line()
            self.line.append(following)

    def add_inline(self, markup: str) -> None:
        self.line.append(markup)

    def add_block(self, markup: str) -> None:
        self.end_line()
        self.end_paragraph()
        self.blocks.append(markup)

    def end_line(self) -> None:
        line = "".join(self.line)
        self.line = []
        if line.strip():
            self.paragraph.append(line)
        else:
            self.end_paragraph()

    def end_paragraph(self) -> None:
        if self.paragraph:
            self.blocks.append("<p>" + "<br>\n".join(self.paragraph) + "</p>")
        self.paragraph = []

    def markup(self) -> str:
        self.end_line()
        self.end_paragraph()
        return "\n".join(self.blocks)


def _render_html(subject: str, pieces: Sequence[_Piece], values: _Formatter) -> str:
    body = _HtmlBody()
    for piece in pieces:
        if isinstance(piece, str):
            body.add_text(piece)
        elif piece.name == _ITEMS_TABLE:
            body.add_block(values.html_table())
        elif piece.name == _PORTAL_LINK:
            body.add_inline(values.html_link())
        else:
            body.add_text(values.scalar(piece.name))
    lang = html.escape(str(values.locale).replace("_", "-"), quote=True)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>{html.escape(subject)}</title>\n"
        "</head>\n"
        "<body>\n"
        f"{body.markup()}\n"
        "</body>\n"
        "</html>\n"
    )


def render(template: Template, ctx: MessageContext) -> RenderedMessage:
    """Render ``template`` for ``ctx`` as a one-line subject, a plain-text body and an HTML document.

    Raises ``TemplateError`` when the template uses a hashtag the context
    cannot fill, including a custom field missing from ``ctx.custom``. The
    HTML escapes every character of the template and of the data, so neither
    can inject markup.
    """
    subject_pieces, body_pieces = _parse_template(template, _known_names(ctx.custom))
    values = _Formatter(ctx, _choose_locale(template.language, ctx.language))
    # A value with a line break (a pasted customer name) must not break the subject header.
    subject = " ".join(_render_text(subject_pieces, values).split())
    return RenderedMessage(
        subject=subject,
        text=_render_text(body_pieces, values),
        html=_render_html(subject, body_pieces, values),
    )


def choose_template(templates: Iterable[Template], code: str, language: str, fallback: str = "en") -> Template:
    """The template for ``code`` in ``language``, else in its base language, else in ``fallback``.

    ``fr_CH`` (or ``fr-CH``) finds ``fr_CH`` first, then ``fr``. Raises
    ``KeyError`` naming the code when it is unknown, or when it exists in
    neither language nor the fallback.
    """
    by_language = {t.language.replace("-", "_").lower(): t for t in templates if t.code == code}
    if not by_language:
        raise KeyError(f"no template with code {code!r}")
    wanted = language.replace("-", "_").lower()
    for candidate in (wanted, wanted.split("_")[0], fallback.replace("-", "_").lower()):
        if candidate in by_language:
            return by_language[candidate]
    raise KeyError(
        f"template {code!r} exists in {', '.join(sorted(by_language))}, not in {language!r} nor {fallback!r}"
    )
