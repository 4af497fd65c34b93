"""The account statement's layout: the letter's items table, then one total per currency, in the reader's words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opendso_messaging.domain.statement import Statement, statement_file_name, statement_for
from opendso_messaging.domain.templates import ItemLine, MessageContext, Template
from opendso_money import Money


def context(language: str = "fr", account: str = "C/42") -> MessageContext:
    def line(number: str, due: dt.date, amount: str, currency: str) -> ItemLine:
        return ItemLine(number, due - dt.timedelta(days=30), due, Money(Decimal(amount), currency), 10)

    return MessageContext(
        customer_name="Dupont SARL",
        account_number=account,
        contact_name="Marie",
        language=language,
        company_name="Acme",
        collector_name="Claire",
        collector_email="claire@acme.example",
        portal_link="https://portal.example/x",
        today=dt.date(2026, 11, 25),
        items=(
            line("F2", dt.date(2026, 10, 31), "100.005", "EUR"),
            line("F1", dt.date(2026, 9, 30), "50.10", "EUR"),
            line("U1", dt.date(2026, 10, 1), "20.00", "USD"),
        ),
    )


TEMPLATE = Template("first_reminder", "email", "fr", "Relance", "Bonjour\n#ItemsTable\n", attach_statement=True)


def test_the_items_come_oldest_first_then_one_total_per_currency_in_the_readers_language() -> None:
    statement = statement_for(TEMPLATE, context())

    assert statement.title == "Relevé de compte C/42"
    assert statement.recipient == ("Dupont SARL", "Compte C/42")
    assert statement.layout.headings == ("Facture", "Échéance", "Montant dû")
    rows = [tuple(c.replace("\u202f", " ").replace("\xa0", " ") for c in r) for r in statement.layout.rows]
    assert rows == [
        ("F1", "30 sept. 2026", "50,10 €"),
        ("U1", "1 oct. 2026", "20,00 $US"),
        ("F2", "31 oct. 2026", "100,01 €"),
        # Each item rounded half-up as printed, then added: the total matches the lines above it.
        ("Total EUR", "", "150,11 €"),
        ("Total USD", "", "20,00 $US"),
    ]


def test_the_file_name_is_safe_and_dated() -> None:
    assert statement_for(TEMPLATE, context()).file_name == "statement-C_42-2026-11-25.pdf"
    assert statement_file_name("", "2026-11-25") == "statement-account-2026-11-25.pdf"


def test_a_statement_survives_its_stored_json() -> None:
    statement = statement_for(TEMPLATE, context("en"))

    assert Statement.from_json(statement.to_json()) == statement
