"""Checking a template when it is saved, choosing the template a message uses, custom fields and the
formatting of amounts and dates in the template's language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from opendso_messaging.domain.builtin_templates import builtin_templates
from opendso_messaging.domain.template_rules import BODY_LIMITS, check_for_save, effective_template
from opendso_messaging.domain.templates import (
    ItemLine,
    MessageContext,
    Template,
    TemplateError,
    TemplateProblem,
    render,
)
from opendso_money import Money

NNBSP = "\u202f"
NBSP = "\xa0"


def template(
    body: str, subject: str = "Reminder", channel: str = "email", language: str = "en", code: str = "custom_note"
) -> Template:
    return Template(code=code, channel=channel, language=language, subject=subject, body=body)


def context(language: str = "en", currency: str = "EUR", **custom: str) -> MessageContext:
    return MessageContext(
        customer_name="Dupont SARL",
        account_number="C-042",
        contact_name="Marie Dupont",
        language=language,
        company_name="Acme SA",
        collector_name="Jean Martin",
        collector_email="jean.martin@acme.example",
        portal_link="https://portal.acme.example/s/abc",
        today=date(2025, 3, 14),
        items=(
            ItemLine(
                number="INV-001",
                issue_date=date(2025, 1, 10),
                due_date=date(2025, 2, 9),
                open_amount=Money(Decimal("1234.50"), currency),
                days_overdue=33,
            ),
        ),
        custom=custom,
    )


def problems_of(tpl: Template, channels: dict[str, str] | None = None) -> list[TemplateProblem]:
    return list(check_for_save(tpl, channels).problems)


# --- Checks at save -----------------------------------------------------------------------------------


def test_every_built_in_template_passes_the_checks_made_at_save() -> None:
    for tpl in builtin_templates():
        assert problems_of(tpl) == [], f"{tpl.code} ({tpl.language})"


def test_an_unknown_hashtag_is_refused_at_save_with_the_closest_known_one_and_its_place() -> None:
    [problem] = problems_of(template("Dear #ContactName,\n\nyou owe #TotalOverdeu."))

    assert (problem.field, problem.hashtag, problem.line, problem.column) == ("body", "TotalOverdeu", 3, 9)
    assert problem.reason == "unknown hashtag (did you mean #TotalOverdue?)"


def test_every_problem_is_listed_at_once_in_field_then_position_order() -> None:
    tpl = template("#Nope and {{ customer_name }}\n<b>#Amount</b>", subject="  ", code="Bad Code")

    problems = problems_of(tpl)

    assert [(p.field, p.line, p.column) for p in problems] == [
        ("code", 0, 0),
        ("subject", 0, 0),
        ("body", 1, 1),
        ("body", 1, 11),
        ("body", 2, 1),
        ("body", 2, 4),
        ("body", 2, 11),
    ]
    assert problems[1].reason == "an e-mail needs a subject"
    assert problems[3].text == "{{ customer_name }}"
    assert problems[3].reason.endswith("(write #CustomerName)")
    assert problems[4].text == "<b>"


def test_an_unclosed_placeholder_is_reported_as_unbalanced() -> None:
    [problem] = problems_of(template("Hello {{CustomerName\nbye"))

    assert (problem.text, problem.line, problem.column) == ("{{", 1, 7)
    assert problem.reason.startswith("unbalanced {{: no closing }}")
    assert str(problem) == "'{{' in body at line 1, column 7: " + problem.reason


def test_an_sms_longer_than_1600_characters_is_refused_at_the_first_character_past_the_limit() -> None:
    body = "x" * 1000 + "\n" + "y" * 700

    [problem] = problems_of(template(body, subject="", channel="sms"))

    assert BODY_LIMITS["sms"] == 1600
    assert (problem.field, problem.line, problem.column) == ("body", 2, 600)
    assert problem.reason == "1701 characters, over the sms limit of 1600"


def test_an_sms_needs_no_subject_but_an_email_does() -> None:
    assert problems_of(template("Pay #TotalDue", subject="", channel="sms")) == []
    assert [p.reason for p in problems_of(template("Pay #TotalDue", subject=""))] == ["an e-mail needs a subject"]


def test_a_subject_on_two_lines_is_refused() -> None:
    [problem] = problems_of(template("Body", subject="Line one\nline two"))

    assert (problem.field, problem.line, problem.column, problem.reason) == (
        "subject",
        1,
        9,
        "a subject is one line",
    )


def test_an_unknown_channel_and_language_are_named() -> None:
    reasons = [p.reason for p in problems_of(template("Hi", channel="pigeon", language="xx_QQ"))]

    assert reasons == [
        "unknown channel 'pigeon' (known: email, letter, sms, voice, whatsapp)",
        "'xx_QQ' is not a language such as fr, de or fr_CH",
    ]


def test_a_code_keeps_one_channel_across_its_languages() -> None:
    [problem] = problems_of(template("Hi", channel="sms", language="de"), {"en": "email", "fr": "email"})

    assert problem.field == "channel"
    assert "already a template for email in en, email in fr" in problem.reason


# --- Custom fields ------------------------------------------------------------------------------------


def test_any_custom_field_is_accepted_at_save_and_listed_as_used() -> None:
    checked = check_for_save(
        template("Region #CustomerField_region, #CustomerField_vat_id, #CustomerField_region", subject="For #Today")
    )

    assert checked.problems == ()
    assert checked.custom_fields == ("region", "vat_id")


def test_the_custom_field_prefix_without_a_name_is_refused() -> None:
    [problem] = problems_of(template("Region: #CustomerField_"))

    assert problem.reason.startswith("a custom field needs its name after #CustomerField_")


def test_a_custom_field_the_send_does_not_carry_fails_the_rendering_naming_it() -> None:
    with pytest.raises(TemplateError, match="#CustomerField_vat_id in body at line 1, column 5"):
        render(template("VAT #CustomerField_vat_id"), context(region="North"))


def test_a_custom_field_the_send_carries_is_rendered_even_when_empty() -> None:
    rendered = render(template("VAT [#CustomerField_vat_id]"), context(vat_id=""))

    assert rendered.text == "VAT []"


# --- Which template a message uses --------------------------------------------------------------------


def test_a_stored_template_wins_over_the_built_in_one_of_its_language() -> None:
    edited = template("Edited", code="first_reminder", language="fr")

    assert effective_template([edited], "first_reminder", "fr") == edited


def test_a_language_with_no_stored_template_uses_the_built_in_one_before_the_stored_english() -> None:
    edited_en = template("Edited", code="first_reminder", language="en")

    chosen = effective_template([edited_en], "first_reminder", "de")

    assert (chosen.language, chosen.body == edited_en.body) == ("de", False)


def test_a_regional_reader_gets_the_stored_template_of_the_base_language() -> None:
    edited = template("Edited", code="first_reminder", language="fr")

    assert effective_template([edited], "first_reminder", "fr-CH") == edited


def test_an_unknown_language_falls_back_to_english_and_an_unknown_code_is_named() -> None:
    assert effective_template([], "first_reminder", "it").language == "en"
    with pytest.raises(KeyError, match="no template with code 'nope'"):
        effective_template([], "nope", "en")


def test_a_template_only_stored_is_found() -> None:
    own = template("Own text", code="custom_note", language="cs")

    assert effective_template([own], "custom_note", "cs_CZ") == own


# --- Amounts and dates in the template's language ------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("fr", "EUR", f"1{NNBSP}234,50{NBSP}€ / 14 mars 2025 / 9 févr. 2025"),
        ("de", "EUR", f"1.234,50{NBSP}€ / 14.03.2025 / 09.02.2025"),
        ("cs", "CZK", f"1{NBSP}234,50{NBSP}Kč / 14. 3. 2025 / 9. 2. 2025"),
    ],
)
def test_amounts_and_dates_are_formatted_for_the_template_language(language: str, currency: str, expected: str) -> None:
    tpl = template("#TotalOverdue / #Today / #OldestDueDate", language=language)

    assert render(tpl, context(language, currency)).text == expected


def test_the_items_table_in_czech_formats_amounts_and_dates_the_czech_way() -> None:
    text = render(template("#ItemsTable", language="cs"), context("cs", "CZK")).text

    assert f"1{NBSP}234,50{NBSP}Kč" in text
    assert "9. 2. 2025" in text
