from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from opendso_money import CurrencyMismatchError, Money
from opendso_scenario.domain.promises import (
    Promise,
    PromiseCurrencyError,
    PromiseError,
    PromiseState,
    check_promise,
    follow_ups_for_broken,
    promise_id_for,
)

CREATED = date(2025, 3, 1)
PROMISED = date(2025, 3, 10)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def promise(amount: str = "500.00", items: tuple[str, ...] = ("i1", "i2"), on: date = PROMISED) -> Promise:
    return Promise(customer_id="C1", item_ids=items, amount=eur(amount), promised_on=on, created_on=CREATED, by="alice")


def day(offset: int) -> date:
    """``offset`` days after the promised date."""
    return PROMISED + timedelta(days=offset)


# Identity and validation ---------------------------------------------------------------------------


def test_promise_id_is_deterministic_and_ignores_item_order_and_amount() -> None:
    a = promise(items=("i1", "i2"))
    assert a.promise_id == promise(items=("i2", "i1", "i2")).promise_id
    assert a.promise_id == promise(amount="10.00").promise_id
    assert a.promise_id == promise_id_for("C1", ["i2", "i1"], PROMISED)
    assert a.promise_id.startswith("promise-")
    assert a.promise_id != promise(items=("i1",)).promise_id
    assert a.promise_id != promise(on=day(1)).promise_id
    assert a.promise_id != Promise("C2", ("i1", "i2"), eur("500"), PROMISED, CREATED, "alice").promise_id


def test_item_ids_are_normalised() -> None:
    assert promise(items=("i2", "i1", "i2")).item_ids == ("i1", "i2")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": eur("0")}, "amount"),
        ({"amount": eur("-5")}, "amount"),
        ({"item_ids": ()}, "item_ids"),
        ({"customer_id": " "}, "customer_id"),
        ({"by": ""}, "by"),
        ({"promised_on": CREATED - timedelta(days=1)}, "promised_on"),
    ],
)
def test_invalid_promises_name_the_field(kwargs: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "customer_id": "C1",
        "item_ids": ("i1",),
        "amount": eur("100"),
        "promised_on": PROMISED,
        "created_on": CREATED,
        "by": "alice",
    }
    values.update(kwargs)
    with pytest.raises(PromiseError) as exc:
        Promise(**values)  # type: ignore[arg-type]
    assert exc.value.field == field
    assert str(exc.value).startswith(f"{field}: ")


def test_a_promise_for_the_day_it_is_made_is_valid() -> None:
    assert Promise("C1", ("i1",), eur("1"), CREATED, CREATED, "alice").promised_on == CREATED


# State ---------------------------------------------------------------------------------------------


def test_pending_before_the_promised_date_with_nothing_paid() -> None:
    check = check_promise(promise(), [], day(-3), grace_days=2)
    assert check.state is PromiseState.PENDING
    assert check.missing == eur("500.00")
    assert check.paid == eur("0")
    assert check.deadline == day(2)


def test_pending_on_the_promised_date_even_with_part_paid() -> None:
    check = check_promise(promise(), [(day(-1), eur("200"))], day(0), grace_days=0)
    assert check.state is PromiseState.PENDING
    assert check.missing == eur("300.00")


def test_kept_as_soon_as_the_amount_is_paid_even_early() -> None:
    check = check_promise(promise(), [(day(-5), eur("300")), (day(-4), eur("200"))], day(-4), grace_days=0)
    assert check.state is PromiseState.KEPT
    assert check.missing == eur("0")


def test_overpaying_keeps_it_with_nothing_missing() -> None:
    check = check_promise(promise(), [(day(0), eur("600"))], day(10), grace_days=0)
    assert check.state is PromiseState.KEPT
    assert check.missing.is_zero()
    assert check.paid == eur("600")


def test_paid_within_grace_is_kept() -> None:
    check = check_promise(promise(), [(day(2), eur("500"))], day(30), grace_days=2)
    assert check.state is PromiseState.KEPT


def test_partly_kept_after_the_date_within_grace() -> None:
    check = check_promise(promise(), [(day(0), eur("120.50"))], day(1), grace_days=3)
    assert check.state is PromiseState.PARTLY_KEPT
    assert check.missing == eur("379.50")


def test_nothing_paid_within_grace_is_still_pending() -> None:
    assert check_promise(promise(), [], day(3), grace_days=3).state is PromiseState.PENDING


def test_broken_the_day_after_the_grace_period() -> None:
    assert check_promise(promise(), [], day(3), grace_days=3).state is PromiseState.PENDING
    check = check_promise(promise(), [], day(4), grace_days=3)
    assert check.state is PromiseState.BROKEN
    assert check.missing == eur("500.00")


def test_broken_with_no_grace_the_day_after_the_date() -> None:
    assert check_promise(promise(), [], day(1), grace_days=0).state is PromiseState.BROKEN


def test_partly_paid_then_grace_over_is_broken_with_the_missing_amount() -> None:
    check = check_promise(promise(), [(day(1), eur("200"))], day(5), grace_days=2)
    assert check.state is PromiseState.BROKEN
    assert check.paid == eur("200")
    assert check.missing == eur("300.00")


def test_a_payment_after_the_deadline_does_not_unbreak_the_promise() -> None:
    check = check_promise(promise(), [(day(3), eur("500"))], day(5), grace_days=2)
    assert check.state is PromiseState.BROKEN
    assert check.paid.is_zero()


def test_payments_before_the_promise_was_made_do_not_count() -> None:
    check = check_promise(promise(), [(CREATED - timedelta(days=1), eur("500")), (CREATED, eur("1"))], day(-1), 0)
    assert check.paid == eur("1")
    assert check.state is PromiseState.PENDING


def test_future_dated_payments_do_not_count_yet() -> None:
    check = check_promise(promise(), [(day(-1), eur("500"))], day(-2), grace_days=0)
    assert check.state is PromiseState.PENDING
    assert check.paid.is_zero()


def test_a_payment_in_another_currency_is_refused() -> None:
    with pytest.raises(PromiseCurrencyError, match=r"is in EUR but the payment of 500\.00 USD") as exc:
        check_promise(promise(), [(day(0), Money(Decimal("500.00"), "USD"))], day(1), grace_days=0)
    assert isinstance(exc.value, CurrencyMismatchError)


def test_negative_grace_is_refused() -> None:
    with pytest.raises(ValueError, match="grace_days"):
        check_promise(promise(), [], day(0), grace_days=-1)


# Broken follow-ups ---------------------------------------------------------------------------------


def test_nothing_to_create_unless_broken() -> None:
    p = promise()
    for check in (
        check_promise(p, [], day(0), 0),
        check_promise(p, [(day(0), eur("100"))], day(1), 2),
        check_promise(p, [(day(0), eur("500"))], day(9), 0),
    ):
        assert follow_ups_for_broken(p, check, day(9)) is None


def test_broken_promise_creates_a_collector_task_and_an_event() -> None:
    p = promise()
    check = check_promise(p, [(day(1), eur("200"))], day(5), grace_days=2)
    result = follow_ups_for_broken(p, check, day(5))
    assert result is not None
    task, event = result.task, result.event
    assert task.customer_id == "C1"
    assert task.assignee_role == "collector"
    assert task.action == "phone_call"
    assert task.due_on == day(5)
    assert task.item_ids == ("i1", "i2")
    assert "300.00 EUR missing" in task.reason
    assert event.promise_id == p.promise_id
    assert (event.promised_amount, event.paid, event.missing) == (eur("500.00"), eur("200"), eur("300.00"))
    assert (event.promised_on, event.deadline, event.detected_on) == (PROMISED, day(2), day(5))
    assert task.key != event.event_id


def test_follow_up_keys_do_not_change_when_rerun_on_later_days() -> None:
    p = promise()
    first = follow_ups_for_broken(p, check_promise(p, [], day(1), 0), day(1))
    later = follow_ups_for_broken(p, check_promise(p, [], day(20), 0), day(20))
    assert first is not None and later is not None
    assert first.task.key == later.task.key == f"promise-broken:{p.promise_id}:task"
    assert first.event.event_id == later.event.event_id == f"promise-broken:{p.promise_id}"
    other = promise(items=("i3",))
    third = follow_ups_for_broken(other, check_promise(other, [], day(1), 0), day(1))
    assert third is not None and third.task.key != first.task.key


def test_a_check_for_another_promise_is_refused() -> None:
    check = check_promise(promise(items=("i9",)), [], day(5), 0)
    with pytest.raises(ValueError, match="is not for promise"):
        follow_ups_for_broken(promise(), check, day(5))
