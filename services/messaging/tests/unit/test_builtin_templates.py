from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from opendso_messaging.domain.builtin_templates import builtin_templates, find_template
from opendso_messaging.domain.templates import (
    ItemLine,
    MessageContext,
    Template,
    choose_template,
    render,
    validate_template,
)
from opendso_money import Money

CODES = ("friendly_reminder", "first_reminder", "second_reminder")
LANGUAGES = ("en", "fr", "de")
# Babel's spellings of the overdue total below, per language.
OVERDUE_TOTAL = {
    "en": "€2,450.75 + $300.00",
    "fr": "2\u202f450,75\xa0€ + 300,00\xa0$US",
    "de": "2.450,75\xa0€ + 300,00\xa0$",
}


def context(language: str) -> MessageContext:
    return MessageContext(
        customer_name="Société Générale d'Équipement",
        account_number="C-042",
        contact_name="Marie Dupont",
        language=language,
        company_name="Acme SA",
        collector_name="Jean Martin",
        collector_email="jean.martin@acme.example",
        portal_link="https://portal.acme.example/s/abc",
        today=date(2025, 3, 14),
        items=(
            ItemLine("INV-1001", date(2025, 1, 10), date(2025, 2, 9), Money(Decimal("2450.75"), "EUR"), 33),
            ItemLine("INV-1002", date(2025, 2, 1), date(2025, 3, 3), Money(Decimal("300"), "USD"), 11),
        ),
        late_penalty=(Money(Decimal("18.20"), "EUR"),),
        recovery_cost=(Money(Decimal("80"), "EUR"),),
    )


def test_there_is_one_email_template_per_code_and_language() -> None:
    templates = builtin_templates()

    assert sorted((t.code, t.language) for t in templates) == sorted(
        (code, language) for code in CODES for language in LANGUAGES
    )
    assert {t.channel for t in templates} == {"email"}


@pytest.mark.parametrize("tpl", builtin_templates(), ids=lambda t: f"{t.code}-{t.language}")
def test_every_builtin_template_validates(tpl: Template) -> None:
    validate_template(tpl)


@pytest.mark.parametrize("tpl", builtin_templates(), ids=lambda t: f"{t.code}-{t.language}")
def test_every_builtin_template_uses_the_essential_hashtags(tpl: Template) -> None:
    # The friendly reminder goes out before the due date: it speaks of the total due.
    total = "#TotalDue" if tpl.code == "friendly_reminder" else "#TotalOverdue"
    for hashtag in ("#CustomerName", total, "#ItemsTable", "#PortalLink"):
        assert hashtag in tpl.body


@pytest.mark.parametrize("tpl", builtin_templates(), ids=lambda t: f"{t.code}-{t.language}")
def test_every_builtin_template_renders_the_customers_data_in_its_language(tpl: Template) -> None:
    rendered = render(tpl, context(tpl.language))

    for text in (rendered.text, rendered.html.replace("&#x27;", "'")):
        assert "Société Générale d'Équipement" in text
        assert OVERDUE_TOTAL[tpl.language] in text
        assert "INV-1001" in text and "INV-1002" in text
        assert "https://portal.acme.example/s/abc" in text
    assert "C-042" in rendered.subject
    assert "#" not in rendered.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_friendly_reminder_before_the_due_date_quotes_the_amount_falling_due(language: str) -> None:
    upcoming = ItemLine("INV-7", date(2025, 3, 1), date(2025, 3, 19), Money(Decimal("99.50"), "EUR"), -5)
    ctx = MessageContext(**{**context(language).__dict__, "items": (upcoming,)})

    text = render(find_template("friendly_reminder", language), ctx).text

    assert {"en": "€99.50", "fr": "99,50\xa0€", "de": "99,50\xa0€"}[language] in text
    assert "0.00" not in text and "0,00" not in text


def test_a_language_without_builtin_templates_falls_back_to_english() -> None:
    assert find_template("first_reminder", "it").language == "en"


def test_a_regional_language_finds_its_base_language() -> None:
    assert find_template("first_reminder", "fr_CH").language == "fr"
    assert find_template("first_reminder", "de-AT").language == "de"


def test_the_fallback_language_can_be_chosen() -> None:
    assert find_template("friendly_reminder", "it", fallback="fr").language == "fr"


def test_an_unknown_code_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="final_demand"):
        find_template("final_demand", "en")


def test_a_code_missing_in_the_language_and_the_fallback_is_a_key_error() -> None:
    only_french = [Template("letter", "email", "fr", "Objet", "Corps")]

    with pytest.raises(KeyError, match=r"'letter' exists in fr"):
        choose_template(only_french, "letter", "de")
