import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from opendso_money import Money
from opendso_reporting.domain.aging import (
    DEFAULT_BUCKETS,
    AgingItem,
    AgingReport,
    Bucket,
    aging,
    validate_buckets,
)

AS_OF = date(2024, 6, 30)


def item(days_overdue: int, amount: str, currency: str = "EUR", item_id: str = "I") -> AgingItem:
    return AgingItem(item_id, "C1", "E1", AS_OF - timedelta(days=days_overdue), Money.of(amount, currency))


def amounts(report: AgingReport) -> dict[str, Decimal]:
    return {b.bucket.label: b.amount.amount for b in report.buckets}


@pytest.mark.parametrize(
    ("days", "label"),
    [
        (-10, "not due"),
        (0, "not due"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (90, "61-90"),
        (91, "91-180"),
        (180, "91-180"),
        (181, ">180"),
        (5000, ">180"),
    ],
)
def test_an_item_lands_in_the_bucket_of_its_days_overdue(days: int, label: str) -> None:
    (report,) = aging([item(days, "10")], AS_OF)

    assert [b.bucket.label for b in report.buckets if b.count] == [label]
    assert amounts(report)[label] == Decimal("10")


def test_every_bucket_is_in_the_report_in_order_even_when_empty() -> None:
    (report,) = aging([item(5, "10")], AS_OF)

    assert [b.bucket for b in report.buckets] == list(DEFAULT_BUCKETS)
    assert amounts(report)["31-60"] == 0


def test_buckets_sum_and_count_their_items() -> None:
    (report,) = aging([item(1, "10.50", item_id="a"), item(30, "4.50", item_id="b")], AS_OF)

    (bucket,) = (b for b in report.buckets if b.bucket.label == "1-30")
    assert (bucket.amount, bucket.count) == (Money.of("15.00", "EUR"), 2)


def test_percent_overdue_is_overdue_over_total_rounded_half_up() -> None:
    (report,) = aging([item(0, "200"), item(45, "100"), item(200, "0.125")], AS_OF)

    assert report.total == Money.of("300.125", "EUR")
    assert report.overdue == Money.of("100.125", "EUR")
    assert report.percent_overdue == Decimal("33.36")  # 33.3611...


def test_percent_overdue_rounds_a_half_up() -> None:
    (report,) = aging([item(0, "7"), item(1, "1")], AS_OF)  # 12.5 %

    assert report.percent_overdue == Decimal("12.50")
    (report,) = aging([item(0, "1999"), item(1, "1")], AS_OF)  # 0.05 %
    assert report.percent_overdue == Decimal("0.05")
    (report,) = aging([item(0, "3999"), item(1, "1")], AS_OF)  # 0.025 % → 0.03
    assert report.percent_overdue == Decimal("0.03")


def test_a_credit_note_reduces_its_own_bucket() -> None:
    (report,) = aging([item(10, "100"), item(10, "-30"), item(0, "50")], AS_OF)

    assert amounts(report)["1-30"] == Decimal("70")
    assert report.overdue == Money.of("70", "EUR")
    assert report.percent_overdue == Decimal("58.33")


def test_percent_overdue_is_zero_when_the_total_is_zero() -> None:
    (report,) = aging([item(10, "100"), item(0, "-100")], AS_OF)

    assert report.total.is_zero()
    assert report.percent_overdue == 0


def test_one_report_per_currency_sorted_by_currency() -> None:
    reports = aging([item(10, "100", "USD"), item(0, "50", "CZK"), item(40, "20", "EUR"), item(0, "5", "USD")], AS_OF)

    assert [(r.currency, r.total.amount) for r in reports] == [
        ("CZK", Decimal("50")),
        ("EUR", Decimal("20")),
        ("USD", Decimal("105")),
    ]
    assert reports[2].percent_overdue == Decimal("95.24")
    assert all(r.as_of == AS_OF for r in reports)


def test_paid_items_are_left_out() -> None:
    (report,) = aging([item(10, "0"), item(10, "5")], AS_OF)

    assert sum(b.count for b in report.buckets) == 1


def test_no_items_give_no_reports() -> None:
    assert aging([], AS_OF) == []


def test_overdue_counts_from_the_first_day_whatever_the_buckets() -> None:
    grace = (Bucket("within grace", None, 5), Bucket("late", 6, None))

    (report,) = aging([item(3, "10"), item(0, "10")], AS_OF, grace)

    assert amounts(report) == {"within grace": Decimal("20"), "late": Decimal("0")}
    assert report.overdue == Money.of("10", "EUR")


def test_the_default_buckets_are_valid() -> None:
    validate_buckets(DEFAULT_BUCKETS)


@pytest.mark.parametrize(
    ("buckets", "problem"),
    [
        ((), "no buckets"),
        ((Bucket("a", None, 10), Bucket("b", 12, None)), "gap between buckets 'a' and 'b': days 11 to 11"),
        ((Bucket("a", None, 10), Bucket("b", 10, None)), "buckets 'a' and 'b' overlap"),
        ((Bucket("a", 0, 10), Bucket("b", 11, None)), "first bucket 'a' must have no min_days"),
        ((Bucket("a", None, 10), Bucket("b", 11, 20)), "last bucket 'b' must have no max_days"),
        ((Bucket("a", None, 10), Bucket("b", 20, 15), Bucket("c", 16, None)), "bucket 'b' is empty"),
        ((Bucket("a", None, 10), Bucket("a", 11, None)), "duplicate bucket label 'a'"),
        ((Bucket("a", None, 10), Bucket("b", None, 20), Bucket("c", 21, None)), "only the first may be open"),
        ((Bucket("a", None, 30), Bucket("c", 61, 90), Bucket("b", 31, 60), Bucket("d", 91, None)), "ascending order"),
    ],
)
def test_invalid_buckets_are_refused_naming_the_problem(buckets: tuple[Bucket, ...], problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        validate_buckets(buckets)


def test_aging_refuses_invalid_buckets() -> None:
    with pytest.raises(ValueError, match="gap"):
        aging([item(1, "1")], AS_OF, (Bucket("a", None, 0), Bucket("b", 2, None)))
