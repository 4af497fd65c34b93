"""Which penalty items an invoice's history calls for: compensation once, interest per period on what was
outstanding, nothing twice, exemptions, minimum and a customer's own law."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from opendso_money import Money
from opendso_scenario.domain.penalties import compute, get_law
from opendso_scenario.domain.penalties.issuing import (
    InvoiceHistory,
    Issued,
    PenaltyItem,
    PenaltyKind,
    PenaltySettings,
    PenaltyTerms,
    SettingsBook,
    accrued,
    resolve_terms,
    to_issue,
)

DUE = dt.date(2026, 1, 31)
FR = PenaltyTerms(law="FR", issue_items=True)
# FR: ECB refinancing rate of 1 Jan 2026 (2.15 %) + 10 points.
RATE = Decimal("12.15")


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def invoice(amount: str = "1000.00", *payments: tuple[dt.date, str], paid_on: dt.date | None = None) -> InvoiceHistory:
    return InvoiceHistory("FR01/invoice/F-1", "F-1", DUE, eur(amount), tuple((d, eur(a)) for d, a in payments), paid_on)


def interest(principal: str, days: int) -> Decimal:
    return (Decimal(principal) * RATE * days / Decimal(36500)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def after(issued: Issued, items: tuple[PenaltyItem, ...]) -> Issued:
    """What is issued once ``items`` are."""
    for item in items:
        if item.kind is PenaltyKind.COMPENSATION:
            issued = Issued(True, issued.interest_to)
        else:
            issued = Issued(issued.compensation, item.period_to)
    return issued


def test_the_compensation_is_issued_once_per_invoice() -> None:
    first = to_issue(invoice(), FR, Issued(), dt.date(2026, 2, 10))
    [compensation] = [i for i in first if i.kind is PenaltyKind.COMPENSATION]
    assert compensation.amount == eur("40.00")
    assert compensation.period_from == compensation.period_to == dt.date(2026, 2, 1)
    assert "L441-10" in compensation.basis

    later = to_issue(invoice(), FR, Issued(compensation=True), dt.date(2026, 4, 10))
    assert [i.kind for i in later] == [PenaltyKind.INTEREST]


def test_nothing_is_due_before_the_first_day_of_delay_or_for_an_invoice_paid_on_time() -> None:
    assert to_issue(invoice(), FR, Issued(), DUE) == ()
    assert to_issue(invoice(paid_on=DUE), FR, Issued(), dt.date(2026, 3, 10)) == ()


def test_interest_is_issued_per_month_on_what_was_outstanding_each_day() -> None:
    # 400 paid on 15 February: 1,000 outstanding from 1 to 15 February, 600 from 16 to 28 February.
    history = invoice("1000.00", (dt.date(2026, 2, 15), "400.00"))
    items = to_issue(history, FR, Issued(compensation=True), dt.date(2026, 3, 5))
    [february] = items
    assert (february.period_from, february.period_to) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert february.amount.amount == interest("1000", 15) + interest("600", 13)
    assert [r.period for r in february.rates] == ["2026-H1"] and february.rates[0].rate == RATE
    assert february.key == "FR01/invoice/F-1|interest|2026-02-28"


def test_interest_already_due_is_kept_after_a_partial_payment() -> None:
    before = invoice("1000.00")
    issued = after(Issued(), to_issue(before, FR, Issued(), dt.date(2026, 3, 1)))
    assert issued.interest_to == dt.date(2026, 2, 28)
    # 600 paid in March: February's interest on 1,000 stays issued; March runs on 1,000 then 400.
    paid_down = before.observe(eur("400.00"), dt.date(2026, 3, 10))
    assert paid_down.payments == ((dt.date(2026, 3, 10), eur("600.00")),)
    [march] = to_issue(paid_down, FR, issued, dt.date(2026, 4, 2))
    assert (march.period_from, march.period_to) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert march.amount.amount == interest("1000", 10) + interest("400", 21)


def test_what_is_issued_adds_up_to_the_interest_to_date() -> None:
    history = invoice("1000.00", (dt.date(2026, 2, 15), "400.00"), (dt.date(2026, 3, 20), "100.00"))
    issued, total = Issued(), Money.zero("EUR")
    for today in (dt.date(2026, 2, 20), dt.date(2026, 3, 2), dt.date(2026, 4, 1), dt.date(2026, 5, 3)):
        items = to_issue(history, FR, issued, today)
        total = total + sum((i.amount for i in items if i.kind is PenaltyKind.INTEREST), Money.zero("EUR"))
        issued = after(issued, items)
    whole = compute(get_law("FR"), eur("1000.00"), DUE, as_of=dt.date(2026, 4, 30), partials=history.payments)
    assert issued.interest_to == dt.date(2026, 4, 30)
    assert total == whole.interest


def test_a_rerun_issues_nothing_new() -> None:
    history = invoice("1000.00", (dt.date(2026, 2, 15), "400.00"))
    today = dt.date(2026, 3, 5)
    items = to_issue(history, FR, Issued(), today)
    assert {i.kind for i in items} == {PenaltyKind.INTEREST, PenaltyKind.COMPENSATION}
    assert to_issue(history, FR, after(Issued(), items), today) == ()
    # The same day computed twice gives the same keys: a store refuses the second copy.
    assert [i.key for i in to_issue(history, FR, Issued(), today)] == [i.key for i in items]


def test_a_paid_invoice_has_its_last_period_issued_at_once_up_to_the_payment_date() -> None:
    history = invoice("1000.00").observe(eur("0.00"), dt.date(2026, 3, 10))
    assert history.paid_on == dt.date(2026, 3, 10)
    [march] = to_issue(history, FR, Issued(compensation=True, interest_to=dt.date(2026, 2, 28)), dt.date(2026, 3, 11))
    assert (march.period_from, march.period_to) == (dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert march.amount.amount == interest("1000", 10)


def test_an_exempt_customer_gets_no_interest_or_no_compensation() -> None:
    today = dt.date(2026, 3, 5)
    no_interest = PenaltyTerms(law="FR", issue_items=True, charge_interest=False)
    assert [i.kind for i in to_issue(invoice(), no_interest, Issued(), today)] == [PenaltyKind.COMPENSATION]
    no_compensation = PenaltyTerms(law="FR", issue_items=True, charge_compensation=False)
    assert [i.kind for i in to_issue(invoice(), no_compensation, Issued(), today)] == [PenaltyKind.INTEREST]
    figures = accrued(invoice(), no_interest, Issued(), today)
    assert figures.interest_to_date == eur("0") and figures.compensation == eur("40.00")


def test_interest_under_the_minimum_is_not_issued_and_keeps_accruing() -> None:
    terms = PenaltyTerms(law="FR", issue_items=True, charge_compensation=False, minimum_interest=eur("15.00"))
    # February on 1,000: 9.32, under 15.
    assert to_issue(invoice(), terms, Issued(), dt.date(2026, 3, 2)) == ()
    [both_months] = to_issue(invoice(), terms, Issued(), dt.date(2026, 4, 2))
    assert (both_months.period_from, both_months.period_to) == (dt.date(2026, 2, 1), dt.date(2026, 3, 31))
    assert both_months.amount.amount == interest("1000", 59)


def test_nothing_is_issued_when_issuing_is_off_or_no_law_is_on_record() -> None:
    today = dt.date(2026, 3, 5)
    assert to_issue(invoice(), PenaltyTerms(law="FR"), Issued(), today) == ()
    assert to_issue(invoice(), PenaltyTerms(law="", issue_items=True), Issued(), today) == ()


def test_a_customer_law_overrides_its_entitys() -> None:
    customer = PenaltySettings(law="de")
    terms = resolve_terms("FR", PenaltySettings(issue_items=True), customer)
    assert (terms.law, terms.issue_items) == ("DE", True)
    [february] = [i for i in to_issue(invoice(), terms, Issued(), dt.date(2026, 3, 2)) if i.kind == "interest"]
    # Basiszinssatz 1.27 % + 9 points.
    expected = (Decimal(1000) * Decimal("10.27") * 28 / Decimal(36500)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert (february.law, february.amount.amount) == ("DE", expected)


def test_customer_settings_fall_back_to_the_entitys_then_the_defaults() -> None:
    book = SettingsBook(
        {
            ("FR01", ""): PenaltySettings(issue_items=True, minimum_interest=eur("5.00")),
            ("FR01", "C1"): PenaltySettings(exempt_interest=True),
            ("FR01", "C2"): PenaltySettings(issue_items=False, minimum_interest=eur("0.00")),
        }
    )
    assert book.terms("FR01", "C1", "FR") == PenaltyTerms("FR", True, False, True, eur("5.00"))
    assert book.terms("FR01", "C2", "FR") == PenaltyTerms("FR", False, True, True, eur("0.00"))
    assert book.terms("DE01", "C1", "DE") == PenaltyTerms("DE", False, True, True, None)


def test_the_ledger_showing_more_again_undoes_the_latest_payment_first() -> None:
    history = (
        invoice("1000.00").observe(eur("700.00"), dt.date(2026, 2, 10)).observe(eur("500.00"), dt.date(2026, 2, 20))
    )
    reversed_ = history.observe(eur("600.00"), dt.date(2026, 2, 25))
    assert reversed_.payments == ((dt.date(2026, 2, 10), eur("300.00")), (dt.date(2026, 2, 20), eur("100.00")))
    corrected = reversed_.observe(eur("1100.00"), dt.date(2026, 2, 26))
    assert (corrected.principal, corrected.payments) == (eur("1100.00"), ())


def test_settings_that_make_no_sense_are_refused_naming_the_field() -> None:
    assert PenaltySettings(law="FR").check(customer=False) == [
        "law: an entity's law comes with its entity record (imports/entities); set it there"
    ]
    [unknown] = PenaltySettings(law="XX").check(customer=True)
    assert unknown.startswith("law: no late-payment law 'XX'")
    [negative] = PenaltySettings(minimum_interest=eur("-1")).check(customer=True)
    assert negative.startswith("minimum_interest: must not be negative")


def test_a_polish_invoice_gets_its_interest_while_the_compensation_waits_for_its_exchange_rate() -> None:
    pln = InvoiceHistory("PL01/invoice/F-1", "F-1", DUE, Money.of("10000.00", "PLN"), (), None)
    terms = PenaltyTerms(law="PL", issue_items=True)
    items = to_issue(pln, terms, Issued(), dt.date(2026, 3, 2))
    # The compensation is fixed in EUR and paid in PLN at the NBP rate, which this pass was not given.
    assert [i.kind for i in items] == [PenaltyKind.INTEREST]
    assert items[0].amount.currency == "PLN" and items[0].amount.amount > 0
