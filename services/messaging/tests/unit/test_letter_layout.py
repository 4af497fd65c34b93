"""A rendered template laid out as a letter: its text split around a real items table, formatted with Babel;
and the settings that choose where letters go."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from opendso_messaging.app import letter_return_address, letter_sender
from opendso_messaging.domain.letter_layout import LetterLayout, country_name, letter_layout, split_at_items_table
from opendso_messaging.domain.templates import ItemLine, MessageContext, Template
from opendso_messaging.settings import Settings
from opendso_money import Money
from pydantic import ValidationError

TODAY = dt.date(2026, 11, 25)


def context(language: str = "de") -> MessageContext:
    return MessageContext(
        customer_name="Müller GmbH",
        account_number="C9",
        contact_name="Frau Müller",
        language=language,
        company_name="Acme",
        collector_name="Claire",
        collector_email="claire@acme.example",
        portal_link="https://portal.example/C9",
        today=TODAY,
        items=(
            ItemLine("R-2", dt.date(2026, 10, 1), dt.date(2026, 10, 31), Money(Decimal("1234.565"), "EUR"), 25),
            ItemLine("R-1", dt.date(2026, 9, 1), dt.date(2026, 9, 30), Money(Decimal("80"), "EUR"), 56),
        ),
    )


def template(body: str, language: str = "de") -> Template:
    return Template(code="notice", channel="letter", language=language, subject="Mahnung #AccountNumber", body=body)


def test_the_text_around_the_items_table_becomes_the_body_and_the_closing() -> None:
    layout = letter_layout(template("Sehr geehrte #ContactName,\n\n#ItemsTable\n\nMit freundlichen Grüßen"), context())

    assert layout.body == "Sehr geehrte Frau Müller,\n\n"
    assert layout.closing == "\n\nMit freundlichen Grüßen"
    assert layout.headings == ("Rechnung", "Fällig am", "Offener Betrag")
    # Oldest due date first; German dates and amounts, rounded half-up to the cent.
    assert layout.rows == (
        ("R-1", "30.09.2026", "80,00\xa0€"),
        ("R-2", "31.10.2026", "1.234,57\xa0€"),
    )
    assert layout.date == "25. November 2026"


def test_a_template_that_dates_itself_gets_no_second_date() -> None:
    assert letter_layout(template("#Today\n#ItemsTable"), context()).date == ""


def test_an_escaped_items_table_is_text_and_the_next_one_is_the_table() -> None:
    parts = split_at_items_table(template("Write ##ItemsTable to print:\n#ItemsTable\nend"))

    assert parts is not None
    before, after = parts
    assert before.body == "Write ##ItemsTable to print:\n"
    assert after.body == "\nend"


def test_a_template_without_items_table_makes_a_letter_without_table() -> None:
    layout = letter_layout(template("Bitte zahlen Sie #TotalOverdue."), context())

    assert layout.headings == () and layout.rows == ()
    assert layout.body == "Bitte zahlen Sie 1.314,57\xa0€."


def test_a_reader_of_another_language_gets_the_templates_formatting() -> None:
    # An Italian customer receiving the German template: the table must match the German words around it.
    layout = letter_layout(template("#ItemsTable"), context(language="it"))

    assert layout.headings[0] == "Rechnung" and layout.rows[0][1] == "30.09.2026"


def test_the_layout_survives_its_json_and_a_damaged_one_is_named() -> None:
    layout = letter_layout(template("A\n#ItemsTable\nB"), context())

    assert LetterLayout.from_json(layout.to_json()) == layout
    with pytest.raises(ValueError, match="letter layout is not readable"):
        LetterLayout.from_json('{"date": ""}')


def test_a_country_is_printed_by_its_name_in_capitals() -> None:
    assert country_name("be", "fr") == "BELGIQUE"
    assert country_name("DE", "en") == "GERMANY"
    assert country_name("ZZ", "en") == "ZZ"
    assert country_name("AA", "en") == "AA"


def test_letters_for_a_real_provider_need_its_place_and_a_return_address() -> None:
    with pytest.raises(ValidationError, match="OPENDSO_MESSAGING_LETTER_S3_BUCKET"):
        Settings(letter_provider="s3", letter_sender_lines=["Acme", "1 rue de la Paix"])
    with pytest.raises(ValidationError, match="OPENDSO_MESSAGING_LETTER_FOLDER"):
        Settings(letter_provider="disk", letter_sender_lines=["Acme", "1 rue de la Paix"])
    with pytest.raises(ValidationError, match="OPENDSO_MESSAGING_LETTER_SENDER_LINES"):
        Settings(letter_provider="disk", letter_folder=Path("/srv/print"))
    assert Settings(letter_provider="disk", letter_folder=Path("/srv/print"), letter_sender_lines=["A", "B"])


def test_the_letter_provider_setting_chooses_where_letters_are_stored(tmp_path: Path) -> None:
    lines = ["Acme SAS", "1 rue de la Paix", "75002 Paris"]
    local = letter_sender(Settings(outbox_dir=tmp_path))
    disk = letter_sender(Settings(letter_provider="disk", letter_folder=tmp_path, letter_sender_lines=lines))
    s3 = letter_sender(
        Settings(
            letter_provider="s3", letter_s3_bucket="print-shop", letter_s3_region="eu-west-1", letter_sender_lines=lines
        )
    )

    assert (local.name, disk.name, s3.name) == ("local", "disk", "s3")
    assert letter_return_address(Settings(letter_sender_lines=lines)) == tuple(lines)
    # Local mode without a return address still prints one, saying what to set.
    assert "OPENDSO_MESSAGING_LETTER_SENDER_LINES" in letter_return_address(Settings())[1]
