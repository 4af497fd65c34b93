from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from opendso_messaging.domain.templates import (
    KNOWN_HASHTAGS,
    ItemLine,
    MessageContext,
    Template,
    TemplateError,
    render,
    validate_template,
)
from opendso_money import Money

# Babel separates thousands with a narrow no-break space in French and puts a
# no-break space before the currency sign in French and German.
NNBSP = "\u202f"
NBSP = "\xa0"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def item(number: str, amount: Money, days_overdue: int, due: date = date(2025, 2, 9)) -> ItemLine:
    return ItemLine(
        number=number,
        issue_date=date(2025, 1, 10),
        due_date=due,
        open_amount=amount,
        days_overdue=days_overdue,
    )


def context(language: str = "en", items: tuple[ItemLine, ...] | None = None, **changes: object) -> MessageContext:
    ctx = MessageContext(
        customer_name="Dupont SARL",
        account_number="C-042",
        contact_name="Marie Dupont",
        language=language,
        company_name="Acme SA",
        collector_name="Jean Martin",
        collector_email="jean.martin@acme.example",
        portal_link="https://portal.acme.example/s/abc",
        today=date(2025, 3, 14),
        items=items if items is not None else (item("INV-001", eur("1200.00"), 33),),
    )
    return replace(ctx, **changes)  # type: ignore[arg-type]


def template(body: str, subject: str = "Reminder", language: str = "en") -> Template:
    return Template(code="test", channel="email", language=language, subject=subject, body=body)


def body_of(body: str, ctx: MessageContext | None = None, language: str = "en") -> str:
    return render(template(body, language=language), ctx or context(language)).text


# --- Validation ------------------------------------------------------------------------------------------


def test_a_template_using_only_known_hashtags_is_valid() -> None:
    body = " ".join(f"#{name}" for name in sorted(KNOWN_HASHTAGS))

    validate_template(template(body, subject="Account #AccountNumber, #CustomerName"))


def test_an_unknown_hashtag_is_named_with_its_field_line_and_column() -> None:
    with pytest.raises(TemplateError) as error:
        validate_template(template("Hello,\n  see #Balance now"))

    assert "#Balance in body at line 2, column 7" in str(error.value)
    [problem] = error.value.problems
    assert (problem.field, problem.hashtag, problem.line, problem.column) == ("body", "Balance", 2, 7)


def test_every_unknown_hashtag_is_reported_not_only_the_first() -> None:
    with pytest.raises(TemplateError) as error:
        validate_template(template("#Foo then #CustomerName then\n#Bar", subject="About #Baz"))

    message = str(error.value)
    assert "#Baz in subject at line 1, column 7" in message
    assert "#Foo in body at line 1, column 1" in message
    assert "#Bar in body at line 2, column 1" in message
    assert "CustomerName" not in message


def test_a_misspelt_hashtag_suggests_the_known_one() -> None:
    with pytest.raises(TemplateError, match=r"did you mean #CustomerName\?"):
        validate_template(template("Dear #CustmerName"))


def test_lines_and_columns_are_the_same_for_a_template_saved_with_crlf() -> None:
    with pytest.raises(TemplateError, match="line 3, column 5"):
        validate_template(template("Hello,\r\n\r\nSee #Nope"))


def test_the_items_table_is_refused_in_the_subject() -> None:
    with pytest.raises(TemplateError, match="#ItemsTable in subject at line 1, column 11"):
        validate_template(template("Fine", subject="Invoices: #ItemsTable"))


def test_a_custom_field_is_written_with_the_customer_field_prefix() -> None:
    tpl = template("Region: #CustomerField_region.")

    validate_template(tpl, custom_fields=["region"])
    rendered = render(tpl, context(custom={"region": "North-East"}))

    assert rendered.text == "Region: North-East."


def test_a_custom_field_the_tenant_does_not_define_is_unknown() -> None:
    with pytest.raises(TemplateError, match="#CustomerField_sector in body"):
        validate_template(template("#CustomerField_sector"), custom_fields=["region"])


def test_a_custom_field_name_alone_is_not_a_hashtag() -> None:
    with pytest.raises(TemplateError, match="#region in body"):
        validate_template(template("#region"), custom_fields=["region"])


# --- Hashtag syntax -------------------------------------------------------------------------------------


def test_a_hash_followed_by_a_digit_is_left_alone() -> None:
    assert body_of("About invoice #123 and # alone and a final #") == ("About invoice #123 and # alone and a final #")


def test_a_double_hash_renders_as_a_single_hash() -> None:
    assert body_of("Write ##TotalDue to show the total; ##1 is fine too.") == (
        "Write #TotalDue to show the total; #1 is fine too."
    )


def test_a_double_hash_before_a_hashtag_keeps_the_hashtag() -> None:
    assert body_of("Tag: ###CustomerName") == "Tag: #Dupont SARL"


def test_the_longest_known_name_wins_and_the_rest_is_text() -> None:
    ctx = context(custom={"region": "North", "region_code": "N1"})

    assert body_of("#CustomerNames / #CustomerField_region_code / #CustomerField_regions", ctx) == (
        "Dupont SARLs / N1 / Norths"
    )


def test_an_unknown_hashtag_at_render_time_raises() -> None:
    with pytest.raises(TemplateError, match="#Nope in body"):
        render(template("#Nope"), context())


def test_a_custom_field_missing_from_the_context_raises_at_render_time() -> None:
    with pytest.raises(TemplateError, match="#CustomerField_region in body"):
        render(template("#CustomerField_region"), context(custom={}))


# --- Amounts and dates ----------------------------------------------------------------------------------


def test_english_amounts_and_dates() -> None:
    assert body_of("#TotalOverdue on #Today") == "€1,200.00 on Mar 14, 2025"


def test_french_amounts_and_dates() -> None:
    assert body_of("#TotalOverdue le #Today", language="fr") == f"1{NNBSP}200,00{NBSP}€ le 14 mars 2025"


def test_german_amounts_and_dates() -> None:
    assert body_of("#TotalOverdue am #Today", language="de") == f"1.200,00{NBSP}€ am 14.03.2025"


def test_a_regional_reader_gets_regional_formatting_in_a_template_of_the_same_language() -> None:
    assert body_of("#TotalOverdue", context("de_AT"), language="de") == f"€{NBSP}1.200,00"


def test_a_reader_given_a_template_in_another_language_gets_its_formatting() -> None:
    # An Italian customer reading the English fallback must not get Italian month names in English prose.
    assert body_of("#Today", context("it"), language="en") == "Mar 14, 2025"


def test_an_unknown_language_is_formatted_as_english() -> None:
    assert body_of("#TotalOverdue", context("xx"), language="xx") == "€1,200.00"


def test_several_currencies_are_summed_each_and_joined_with_a_plus() -> None:
    items = (
        item("INV-001", eur("1000.00"), 33),
        item("INV-002", usd("300"), 11),
        item("INV-003", eur("200.00"), 5),
    )

    assert body_of("#TotalOverdue", context("fr", items), language="fr") == (f"1{NNBSP}200,00{NBSP}€ + 300,00{NBSP}$US")


def test_total_overdue_counts_only_overdue_items_and_total_due_counts_all() -> None:
    items = (item("INV-001", eur("100"), 10), item("INV-002", eur("50"), 0), item("INV-003", eur("25"), -3))

    assert body_of("#TotalOverdue / #TotalDue", context(items=items)) == "€100.00 / €175.00"


def test_a_total_due_given_in_the_context_wins_over_the_items() -> None:
    ctx = context(total_due=(eur("5000"), usd("10")))

    assert body_of("#TotalDue", ctx) == "€5,000.00 + $10.00"


def test_a_currency_whose_items_cancel_out_is_left_out_of_a_total() -> None:
    items = (item("INV-001", eur("100"), 10), item("INV-002", usd("40"), 10), item("CN-001", usd("-40"), 10))

    assert body_of("#TotalOverdue", context(items=items)) == "€100.00"


def test_nothing_overdue_is_zero_in_the_first_items_currency() -> None:
    items = (item("INV-001", usd("80"), 0), item("INV-002", eur("20"), 0))

    assert body_of("#TotalOverdue", context("de", items), language="de") == f"0,00{NBSP}$"


def test_a_context_without_any_amount_shows_a_bare_zero() -> None:
    assert body_of("[#TotalDue] [#LatePenalty] [#OldestDueDate]", context(items=())) == "[0] [0] []"


def test_penalty_and_recovery_cost_are_formatted_like_totals() -> None:
    ctx = context("fr", late_penalty=(eur("12.34"),), recovery_cost=(eur("40"),))

    assert body_of("#LatePenalty et #RecoveryCost", ctx, language="fr") == f"12,34{NBSP}€ et 40,00{NBSP}€"


def test_amounts_are_rounded_half_up_like_the_ledger() -> None:
    ctx = context(items=(item("INV-001", eur("0.125"), 3),))

    assert body_of("#TotalOverdue", ctx) == "€0.13"


def test_the_oldest_due_date_is_the_earliest_of_the_items() -> None:
    items = (
        item("INV-002", eur("1"), 1, due=date(2025, 3, 1)),
        item("INV-001", eur("1"), 40, due=date(2025, 1, 31)),
    )

    assert body_of("#OldestDueDate", context("fr", items), language="fr") == "31 janv. 2025"


def test_the_plain_contact_fields_are_copied_as_they_are() -> None:
    text = body_of("#ContactName, #CustomerName (#AccountNumber) #CollectorName #CollectorEmail #CompanyName")

    assert text == "Marie Dupont, Dupont SARL (C-042) Jean Martin jean.martin@acme.example Acme SA"


# --- Items table ----------------------------------------------------------------------------------------


def test_the_text_items_table_is_aligned_in_columns_with_english_headers() -> None:
    items = (
        item("INV-0001", eur("1200.00"), 33),
        item("INV-2", usd("5"), 0, due=date(2025, 3, 31)),
    )

    assert body_of("#ItemsTable", context(items=items)) == (
        "Invoice   Issue date    Due date      Days overdue  Open amount\n"
        "--------  ------------  ------------  ------------  -----------\n"
        "INV-0001  Jan 10, 2025  Feb 9, 2025             33    €1,200.00\n"
        "INV-2     Jan 10, 2025  Mar 31, 2025                      $5.00"
    )


def test_the_items_table_contains_each_invoice_number_and_amount() -> None:
    items = (item("F-1", eur("1500.50"), 3), item("F-2", usd("99.99"), 1), item("F-3", eur("7"), 0))

    text = body_of("#ItemsTable", context("fr", items), language="fr")

    for number, amount in [
        ("F-1", f"1{NNBSP}500,50{NBSP}€"),
        ("F-2", f"99,99{NBSP}$US"),
        ("F-3", f"7,00{NBSP}€"),
    ]:
        assert number in text
        assert amount in text


def test_the_items_table_lists_the_oldest_due_date_first() -> None:
    items = (
        item("LATE", eur("1"), 1, due=date(2025, 3, 10)),
        item("EARLY", eur("1"), 30, due=date(2025, 2, 10)),
    )

    text = body_of("#ItemsTable", context(items=items))

    assert text.index("EARLY") < text.index("LATE")


def test_the_items_table_headers_are_in_french_and_german() -> None:
    assert body_of("#ItemsTable", context("fr"), language="fr").startswith(
        "Facture  Date d'émission  Échéance      Jours de retard  Montant dû"
    )
    assert body_of("#ItemsTable", context("de"), language="de").startswith(
        "Rechnung  Rechnungsdatum  Fällig am   Tage überfällig  Offener Betrag"
    )


def test_the_items_table_headers_are_english_for_other_languages() -> None:
    assert body_of("#ItemsTable", context("it"), language="it").startswith("Invoice")


def test_the_html_items_table_is_a_real_table_with_escaped_cells() -> None:
    items = (item("<b>INV</b>", eur("10"), 2),)

    html = render(template("#ItemsTable"), context(items=items)).html

    assert "<table" in html and "<thead>" in html and "<tbody>" in html
    assert ">Invoice</th>" in html
    assert ">&lt;b&gt;INV&lt;/b&gt;</td>" in html
    assert ">€10.00</td>" in html
    assert "<b>INV" not in html


# --- HTML -----------------------------------------------------------------------------------------------


def test_a_malicious_customer_name_cannot_inject_markup_into_the_html() -> None:
    ctx = context(customer_name='<script>alert("x")</script>', custom={"note": "<img src=x onerror=y>"})
    tpl = template("Dear #CustomerName, #CustomerField_note", subject="For #CustomerName")

    rendered = render(tpl, ctx)

    assert "<script>" not in rendered.html
    assert "<img" not in rendered.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in rendered.html
    assert "<title>For &lt;script&gt;" in rendered.html
    assert rendered.text == 'Dear <script>alert("x")</script>, <img src=x onerror=y>'


def test_the_template_text_itself_is_not_markup() -> None:
    html = render(template("Pay <b>now</b> & thanks"), context()).html

    assert "<p>Pay &lt;b&gt;now&lt;/b&gt; &amp; thanks</p>" in html


def test_the_html_is_a_whole_document_with_paragraphs_and_line_breaks() -> None:
    html = render(template("Dear #ContactName,\n\nLine one\nline two\n\n\nBye"), context("fr")).html

    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta charset="utf-8">' in html
    assert "<title>Reminder</title>" in html
    assert "<p>Dear Marie Dupont,</p>\n<p>Line one<br>\nline two</p>\n<p>Bye</p>" in html
    assert html.rstrip().endswith("</body>\n</html>")


def test_the_html_table_stands_between_paragraphs() -> None:
    html = render(template("Before\n#ItemsTable\nAfter"), context()).html

    assert "<p>Before</p>\n<table" in html
    assert "</table>\n<p>After</p>" in html


def test_the_portal_link_is_an_anchor_in_html_and_plain_in_text() -> None:
    ctx = context(portal_link="https://portal.acme.example/s/a?b=1&c=2")

    rendered = render(template("See #PortalLink"), ctx)

    assert rendered.text == "See https://portal.acme.example/s/a?b=1&c=2"
    url = "https://portal.acme.example/s/a?b=1&amp;c=2"
    assert f'<p>See <a href="{url}">{url}</a></p>' in rendered.html


def test_a_portal_link_that_is_not_a_web_address_is_not_made_clickable() -> None:
    html = render(template("See #PortalLink"), context(portal_link="javascript:alert(1)")).html

    assert "<a " not in html
    assert "<p>See javascript:alert(1)</p>" in html


# --- Subject --------------------------------------------------------------------------------------------


def test_the_subject_is_rendered_with_hashtags_on_one_line() -> None:
    ctx = context(customer_name="Dupont\nSARL")

    rendered = render(template("x", subject="Account #AccountNumber: #CustomerName, #TotalOverdue"), ctx)

    assert rendered.subject == "Account C-042: Dupont SARL, €1,200.00"


def test_the_context_does_not_change_when_the_callers_dict_does() -> None:
    custom = {"region": "North"}
    ctx = context(custom=custom)

    custom["region"] = "South"

    assert body_of("#CustomerField_region", ctx) == "North"
