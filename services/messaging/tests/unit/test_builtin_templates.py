from __future__ import annotations

import re
from dataclasses import replace
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

CHANNELS = {
    "friendly_reminder": "email",
    "gentle_reminder": "email",
    "first_reminder": "email",
    "second_reminder": "email",
    "overdue_notice": "email",
    "firm_reminder": "email",
    "formal_notice_letter": "letter",
    "formal_notice_email": "email",
    "key_account_reminder": "email",
    "key_account_follow_up": "email",
    "dispute_acknowledgement": "email",
    "promise_to_pay_confirmation": "email",
    "payment_plan_confirmation": "email",
}
# Sent when a collector puts items in a status; the items need not be overdue.
CONFIRMATIONS = ("dispute_acknowledgement", "promise_to_pay_confirmation", "payment_plan_confirmation")
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


def test_there_is_one_template_per_code_and_language_on_its_channel() -> None:
    templates = builtin_templates()

    assert sorted((t.code, t.language, t.channel) for t in templates) == sorted(
        (code, language, channel) for code, channel in CHANNELS.items() for language in LANGUAGES
    )


@pytest.mark.parametrize("tpl", builtin_templates(), ids=lambda t: f"{t.code}-{t.language}")
def test_every_builtin_template_validates(tpl: Template) -> None:
    validate_template(tpl)


@pytest.mark.parametrize("tpl", builtin_templates(), ids=lambda t: f"{t.code}-{t.language}")
def test_every_builtin_template_uses_the_essential_hashtags(tpl: Template) -> None:
    # The friendly reminder goes out before the due date, and a confirmation may cover items not yet
    # due: they speak of the total due.
    total = "#TotalDue" if tpl.code in ("friendly_reminder", *CONFIRMATIONS) else "#TotalOverdue"
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


# What each confirmation must tell the customer: their reminders for these items stop.
REMINDERS_PAUSED = {
    "dispute_acknowledgement": {
        "en": "paused our reminders for these invoices",
        "fr": "suspendu nos relances pour ces factures",
        "de": "Zahlungserinnerungen für diese Rechnungen ausgesetzt",
    },
    "promise_to_pay_confirmation": {
        "en": "paused our reminders for these invoices",
        "fr": "suspendons nos relances pour ces factures",
        "de": "keine Zahlungserinnerungen",
    },
    "payment_plan_confirmation": {
        "en": "no reminder for these invoices",
        "fr": "aucune relance pour ces factures",
        "de": "keine Zahlungserinnerung",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", CONFIRMATIONS)
def test_a_confirmation_quotes_items_not_yet_due_and_says_reminders_stop(code: str, language: str) -> None:
    upcoming = ItemLine("INV-7", date(2025, 3, 1), date(2025, 3, 19), Money(Decimal("99.50"), "EUR"), -5)
    ctx = MessageContext(**{**context(language).__dict__, "items": (upcoming,)})

    text = render(find_template(code, language), ctx).text

    assert {"en": "€99.50", "fr": "99,50\xa0€", "de": "99,50\xa0€"}[language] in text
    assert "INV-7" in text
    assert REMINDERS_PAUSED[code][language] in text


# The letter's eight days run from its own date; the e-mail copy goes out a day later and
# points back to the letter, so the debtor is given a single deadline.
LETTER_DEADLINE = {
    "en": "within eight days of the date of this letter",
    "fr": "dans un délai de huit jours à compter de la date du présent courrier",
    "de": "innerhalb von acht Tagen ab dem Datum dieses Schreibens",
}
COPY_DEADLINE = {
    "en": "within eight days of the date of our letter",
    "fr": "dans un délai de huit jours à compter de la date de notre courrier",
    "de": "innerhalb von acht Tagen ab dem Datum unseres Schreibens",
}
COURTS = {"en": "through the courts", "fr": "par voie judiciaire", "de": "auf gerichtlichem Weg"}
INTEREST_AND_COMPENSATION = {
    "en": ("late-payment interest", "fixed compensation for recovery costs"),
    "fr": ("pénalités de retard", "indemnité forfaitaire pour frais de recouvrement"),
    "de": ("Verzugszinsen", "Verzugspauschale"),
}
_HASHTAG = re.compile(r"#([A-Za-z]\w*)")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_formal_notice_letter_is_dated_and_gives_eight_days_to_pay_the_overdue_amount(language: str) -> None:
    text = render(find_template("formal_notice_letter", language), context(language)).text

    assert {"en": "Mar 14, 2025", "fr": "Le 14 mars 2025", "de": "14.03.2025"}[language] == text.splitlines()[0]
    assert OVERDUE_TOTAL[language] in text
    assert LETTER_DEADLINE[language] in text
    assert COURTS[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_formal_notice_email_keeps_the_deadline_of_the_letter(language: str) -> None:
    text = render(find_template("formal_notice_email", language), context(language)).text

    assert OVERDUE_TOTAL[language] in text
    assert COPY_DEADLINE[language] in text
    assert LETTER_DEADLINE[language] not in text
    assert COURTS[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", ["firm_reminder", "formal_notice_letter", "formal_notice_email"])
def test_the_firm_messages_mention_interest_and_the_recovery_compensation(code: str, language: str) -> None:
    text = render(find_template(code, language), context(language)).text

    for words in INTEREST_AND_COMPENSATION[language]:
        assert words.lower() in text.lower()


@pytest.mark.parametrize("tpl", builtin_templates(), ids=lambda t: f"{t.code}-{t.language}")
def test_no_builtin_template_prints_an_amount_the_send_command_does_not_carry(tpl: Template) -> None:
    # SendMessage has no penalty amounts, so the messaging handler renders with none.
    as_sent = replace(context(tpl.language), late_penalty=(), recovery_cost=())

    text = render(tpl, as_sent).text

    assert re.search(r"(?<!\d)0[.,]00(?!\d)", text) is None, text


@pytest.mark.parametrize("code", sorted(CHANNELS))
def test_the_translations_of_a_template_use_the_same_hashtags(code: str) -> None:
    def hashtags(language: str) -> set[str]:
        tpl = find_template(code, language)
        # Formal French and German letters greet "Madame, Monsieur" rather than a name.
        return {*_HASHTAG.findall(tpl.subject), *_HASHTAG.findall(tpl.body)} - {"ContactName"}

    assert hashtags("fr") == hashtags("en")
    assert hashtags("de") == hashtags("en")


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
