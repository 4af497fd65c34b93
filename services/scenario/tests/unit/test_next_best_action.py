"""The next best action rules: one test per rule, then the order in which they beat each other."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from opendso_money import Money
from opendso_scenario.domain.builtin import FIRM, STANDARD
from opendso_scenario.domain.model import Item, PerformedAction
from opendso_scenario.domain.next_best_action import (
    RULES,
    AccountItem,
    AccountSituation,
    ActionKind,
    ActionTaken,
    NextBestActionError,
    NextStep,
    Outcome,
    PromiseFact,
    Thresholds,
    next_step,
    suggest,
)

TODAY = dt.date(2026, 11, 24)


def item(
    number: str,
    days_overdue: int,
    amount: str = "100.00",
    *,
    status: str | None = None,
    since_days: int = 0,
    currency: str = "EUR",
    is_debt: bool = True,
) -> AccountItem:
    return AccountItem(
        item_id=f"FR01/invoice/{number}",
        number=number,
        due_date=TODAY - dt.timedelta(days=days_overdue),
        open_amount=Money(Decimal(amount), currency),
        is_debt=is_debt,
        status=status,
        status_since=TODAY - dt.timedelta(days=since_days) if status else None,
        # Every status of the shipped catalogue takes the item out of the scenario.
        excluded=status is not None,
    )


def situation(*items: AccountItem, **extra: object) -> AccountSituation:
    return AccountSituation(customer_id="FR01/C1", today=TODAY, items=items, **extra)  # type: ignore[arg-type]


def taken(channel: str, days_ago: int, outcome: Outcome, step: str = "s") -> ActionTaken:
    return ActionTaken(channel=channel, step_code=step, on=TODAY - dt.timedelta(days=days_ago), outcome=outcome)


def step(code: str, channel: str, in_days: int = 0, automatic: bool = False) -> NextStep:
    return NextStep(code, channel, TODAY + dt.timedelta(days=in_days), automatic)


def promise(state: str, in_days: int, amount: str = "100.00", *items: str) -> PromiseFact:
    return PromiseFact(TODAY + dt.timedelta(days=in_days), Money(Decimal(amount), "EUR"), state, items)


def facts(s: AccountSituation) -> dict[str, str]:
    return dict(suggest(s).facts)


# One test per rule -------------------------------------------------------------------------------------


def test_nothing_owed_when_only_credit_notes_are_open() -> None:
    s = situation(item("AV-1", 10, "-50.00", is_debt=False), item("F-1", 20, "0"))
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.NOTHING_TO_DO, "nothing_owed")
    assert got.reason == (
        "nothing is owed: no open invoice or instalment; the account holds 50.00 EUR in the customer's favour"
    )
    assert got.item_ids == ()


def test_an_open_dispute_is_resolved_first_naming_the_oldest() -> None:
    s = situation(
        item("F-1", 40, status="dispute", since_days=12),
        item("F-2", 20, "250.00", status="dispute", since_days=3),
        item("F-3", 10),
    )
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.RESOLVE_DISPUTE, "dispute_open")
    assert got.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")
    assert "F-1, F-2 (350.00 EUR) disputed, the oldest since 2026-11-12 (12 days)" in got.reason
    assert facts(s)["dispute_items"] == "F-1, F-2"


def test_a_case_entirely_with_a_partner_is_followed_up_with_the_partner() -> None:
    s = situation(item("F-1", 120, "900.00", status="litigation"), item("F-2", 95, status="with_call_centre"))
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.FOLLOW_UP_PARTNER, "with_partner")
    assert "F-1, F-2, 1,000.00 EUR" in got.reason
    assert facts(s)["partner_items"] == "F-1, F-2"


def test_a_promise_whose_day_is_to_come_is_waited_for_until_that_day() -> None:
    s = situation(
        item("F-1", 20, "300.00", status="promise_to_pay"),
        promises=(promise("pending", 5, "300.00", "FR01/invoice/F-1"), promise("kept", -60), promise("broken", -30)),
    )
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.WAIT_FOR_PROMISE, "promise_pending")
    assert got.act_on == TODAY + dt.timedelta(days=5)
    assert got.item_ids == ("FR01/invoice/F-1",)
    assert "300.00 EUR by 2026-11-29; 1 earlier promise(s) kept, 1 broken" in got.reason
    assert facts(s)["promises"] == "1 kept, 1 broken"


def test_a_promise_still_in_its_grace_days_is_waited_for() -> None:
    s = situation(item("F-1", 20, status="promise_to_pay"), promises=(promise("pending", -2, "100.00", "F-1"),))
    assert suggest(s).rule == "promise_pending"
    assert suggest(s, Thresholds(promise_grace_days=1)).rule == "promise_missed"


def test_a_promise_past_its_day_and_grace_calls_for_a_call() -> None:
    s = situation(
        item("F-1", 20, status="promise_to_pay"), promises=(promise("pending", -4, "100.00", "FR01/invoice/F-1"),)
    )
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.CALL_NOW, "promise_missed")
    assert "by 2026-11-20 has not been kept (4 days ago)" in got.reason


def test_nothing_overdue_waits_for_the_next_step_on_its_day() -> None:
    s = situation(item("F-1", -10), next_step=step("friendly", "email", in_days=5, automatic=True))
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.WAIT, "nothing_to_chase")
    assert got.act_on == TODAY + dt.timedelta(days=5)
    assert got.reason == "nothing is overdue; next: friendly by email on 2026-11-29"


def test_nothing_to_chase_names_the_statuses_holding_the_overdue_items() -> None:
    s = situation(item("F-1", 30, status="waiting_for_credit_note"))
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.NOTHING_TO_DO, "nothing_to_chase")
    assert "held by its status (waiting_for_credit_note: F-1)" in got.reason


def test_a_running_payment_plan_leaves_nothing_to_chase() -> None:
    s = situation(item("F-1", 30, status="payment_plan"), item("I-1", -20))
    got = suggest(s)
    assert got.rule == "nothing_to_chase"
    assert got.reason.startswith("a payment plan covers F-1")


def test_a_customer_without_email_or_phone_needs_contact_data() -> None:
    s = situation(item("F-1", 10), has_email=False, has_phone=False)
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.FIX_CONTACT_DATA, "unreachable")
    assert "no e-mail address and no phone number" in got.reason
    assert facts(s)["contact"] == "no e-mail, no phone"


def test_a_failed_email_with_nothing_delivered_since_needs_contact_data() -> None:
    history = (taken("email", 10, Outcome.SENT, "first"), taken("email", 2, Outcome.FAILED, "second"))
    got = suggest(situation(item("F-1", 20), history=history))
    assert (got.action, got.rule) == (ActionKind.FIX_CONTACT_DATA, "unreachable")
    assert "the e-mail of 2026-11-22 (second) failed" in got.reason


def test_a_failed_email_followed_by_a_delivered_one_is_forgotten() -> None:
    history = (taken("email", 10, Outcome.FAILED, "first"), taken("email", 2, Outcome.SENT, "second"))
    assert suggest(situation(item("F-1", 20), history=history)).rule != "unreachable"


def test_an_email_step_due_without_an_address_needs_one() -> None:
    s = situation(item("F-1", 4), has_email=False, next_step=step("first", "email", 0, automatic=False))
    got = suggest(s)
    assert (got.action, got.step_code) == (ActionKind.FIX_CONTACT_DATA, "first")
    assert "no e-mail address: add one" in got.reason


def test_a_call_due_without_a_phone_number_needs_one_but_an_unknown_phone_does_not() -> None:
    call = step("call", "phone_call")
    assert suggest(situation(item("F-1", 31), next_step=call, has_phone=False)).action is ActionKind.FIX_CONTACT_DATA
    assert suggest(situation(item("F-1", 31), next_step=call, has_phone=None)).action is ActionKind.CALL_NOW


def test_long_overdue_after_earlier_actions_goes_to_the_legal_partner() -> None:
    s = situation(item("F-1", 95, "1200.00"), item("F-2", 40), history=(taken("email", 80, Outcome.SENT),))
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.ESCALATE_TO_LEGAL, "long_overdue")
    assert got.item_ids == ("FR01/invoice/F-1", "FR01/invoice/F-2")
    assert "F-1 is 95 days overdue (legal from 90) after 1 action(s) without payment" in got.reason
    assert "1,300.00 EUR" in got.reason


def test_long_overdue_but_never_contacted_is_not_sent_to_court() -> None:
    got = suggest(situation(item("F-1", 95)))
    assert got.action is not ActionKind.ESCALATE_TO_LEGAL
    assert got.rule == "scenario_exhausted"


def test_calls_that_reach_nobody_go_to_the_call_centre() -> None:
    history = (
        taken("phone_call", 20, Outcome.DONE),
        taken("phone_call", 6, Outcome.NOT_REACHED),
        taken("phone_call", 3, Outcome.NOT_REACHED),
    )
    got = suggest(situation(item("F-1", 40), history=history))
    assert (got.action, got.rule) == (ActionKind.ESCALATE_TO_CALL_CENTRE, "calls_unanswered")
    assert "2 calls in a row reached nobody (the last on 2026-11-21)" in got.reason


def test_an_answered_call_resets_the_unanswered_count() -> None:
    history = (taken("phone_call", 6, Outcome.NOT_REACHED), taken("phone_call", 3, Outcome.DONE))
    assert suggest(situation(item("F-1", 40), history=history)).rule != "calls_unanswered"


def test_broken_promises_without_a_plan_propose_one() -> None:
    s = situation(item("F-1", 40, "800.00"), promises=(promise("broken", -10),))
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.PROPOSE_PAYMENT_PLAN, "promises_broken")
    assert "1 promise(s) to pay broken, the last for 2026-11-14" in got.reason
    assert "cannot pay 800.00 EUR at once" in got.reason


def test_reminders_ignored_since_the_due_date_call_for_a_call() -> None:
    history = (
        taken("email", 50, Outcome.SENT, "friendly"),  # before the due date: does not count
        taken("email", 20, Outcome.SENT, "first"),
        taken("letter", 8, Outcome.SENT, "second"),
    )
    got = suggest(situation(item("F-1", 30), history=history))
    assert (got.action, got.rule) == (ActionKind.CALL_NOW, "reminders_ignored")
    assert got.reason.startswith("2 reminders sent since F-1 fell due (the last on 2026-11-16)")


def test_a_call_after_the_reminders_resets_them() -> None:
    history = (
        taken("email", 20, Outcome.SENT),
        taken("email", 8, Outcome.SENT),
        taken("phone_call", 2, Outcome.DONE),
    )
    assert suggest(situation(item("F-1", 30), history=history)).rule != "reminders_ignored"


def test_a_high_risk_score_calls_now_unless_called_recently() -> None:
    s = situation(item("F-1", 5), risk_score=Decimal("82"), next_step=step("second", "email", 10, True))
    got = suggest(s)
    assert (got.action, got.rule) == (ActionKind.CALL_NOW, "high_risk")
    assert "risk score 82 is at or above 70" in got.reason
    assert facts(s)["risk_score"] == "82"
    recent = dataclasses.replace(s, history=(taken("phone_call", 3, Outcome.NOT_REACHED),))
    assert suggest(recent).rule == "step_later"
    assert suggest(dataclasses.replace(s, risk_score=Decimal("69.9"))).rule == "step_later"


def test_a_step_due_that_needs_a_collector_maps_its_channel_to_the_action() -> None:
    cases = {
        "email": ActionKind.SEND_REMINDER,
        "letter": ActionKind.SEND_REMINDER,
        "phone_call": ActionKind.CALL_NOW,
        "call_centre_task": ActionKind.ESCALATE_TO_CALL_CENTRE,
        "legal_escalation": ActionKind.ESCALATE_TO_LEGAL,
        "debt_sale": ActionKind.SELL_DEBT,
        "internal_task": ActionKind.PERFORM_TASK,
    }
    for channel, kind in cases.items():
        got = suggest(situation(item("F-1", 16), next_step=step("x", channel, -1)))
        assert (got.action, got.rule, got.channel) == (kind, "step_due", channel), channel
        assert "is due since 2026-11-23 (1 day) and waits for a collector" in got.reason


def test_an_automatic_step_due_goes_out_by_itself() -> None:
    got = suggest(situation(item("F-1", 3), next_step=step("first", "email", 0, automatic=True)))
    assert (got.action, got.rule, got.step_code) == (ActionKind.WAIT, "step_due", "first")
    assert "goes out by itself" in got.reason


def test_a_step_to_come_is_waited_for() -> None:
    got = suggest(situation(item("F-1", 5), next_step=step("second", "email", 10, True)))
    assert (got.action, got.rule, got.act_on) == (ActionKind.WAIT, "step_later", TODAY + dt.timedelta(days=10))


def test_overdue_with_no_step_left_calls() -> None:
    got = suggest(situation(item("F-1", 50)))
    assert (got.action, got.rule) == (ActionKind.CALL_NOW, "scenario_exhausted")
    assert "no step left and F-1 is 50 days overdue" in got.reason


# Ordering ----------------------------------------------------------------------------------------------


def test_the_rules_are_listed_in_their_documented_order() -> None:
    assert [r.name for r in RULES] == [
        "nothing_owed",
        "dispute_open",
        "with_partner",
        "promise_pending",
        "promise_missed",
        "nothing_to_chase",
        "unreachable",
        "long_overdue",
        "calls_unanswered",
        "promises_broken",
        "reminders_ignored",
        "high_risk",
        "step_due",
        "step_later",
        "scenario_exhausted",
    ]


def test_a_dispute_beats_a_case_with_a_partner_and_a_pending_promise() -> None:
    s = situation(
        item("F-1", 100, status="litigation"),
        item("F-2", 10, status="dispute"),
        item("F-3", 20, status="promise_to_pay"),
        promises=(promise("pending", 3),),
    )
    assert suggest(s).rule == "dispute_open"


def test_a_promise_does_not_hold_back_other_overdue_items() -> None:
    s = situation(
        item("F-1", 20, status="promise_to_pay"),
        item("F-2", 95),
        promises=(promise("pending", 3, "100.00", "FR01/invoice/F-1"),),
        history=(taken("email", 50, Outcome.SENT),),
    )
    got = suggest(s)
    assert (got.rule, got.item_ids) == ("long_overdue", ("FR01/invoice/F-2",))


def test_being_unreachable_beats_every_escalation() -> None:
    s = situation(
        item("F-1", 120),
        history=(taken("email", 60, Outcome.SENT), taken("email", 5, Outcome.FAILED)),
        promises=(promise("broken", -30),),
        risk_score=Decimal("90"),
    )
    assert suggest(s).rule == "unreachable"


def test_legal_beats_the_call_centre_which_beats_a_payment_plan() -> None:
    unreached = (taken("phone_call", 6, Outcome.NOT_REACHED), taken("phone_call", 3, Outcome.NOT_REACHED))
    broken = (promise("broken", -30),)
    assert suggest(situation(item("F-1", 100), history=unreached, promises=broken)).rule == "long_overdue"
    assert suggest(situation(item("F-1", 60), history=unreached, promises=broken)).rule == "calls_unanswered"
    assert suggest(situation(item("F-1", 60), promises=broken)).rule == "promises_broken"


def test_ignored_reminders_beat_the_scenarios_next_reminder() -> None:
    history = (taken("email", 20, Outcome.SENT), taken("email", 8, Outcome.SENT))
    s = situation(item("F-1", 30), history=history, next_step=step("third", "email", 0, automatic=False))
    assert suggest(s).rule == "reminders_ignored"
    assert suggest(dataclasses.replace(s, history=())).rule == "step_due"


def test_thresholds_move_the_escalations() -> None:
    s = situation(item("F-1", 60), history=(taken("email", 50, Outcome.SENT),))
    assert suggest(s).rule == "scenario_exhausted"
    assert suggest(s, Thresholds(legal_after_days=60)).rule == "long_overdue"


def test_the_same_situation_always_gives_the_same_suggestion() -> None:
    s = situation(item("F-2", 30), item("F-1", 30), history=(taken("email", 5, Outcome.SENT),))
    first = suggest(s)
    assert all(suggest(s) == first for _ in range(3))
    # Ties on the due date go to the smaller number, as in the engine.
    assert first.item_ids[0] == "FR01/invoice/F-1"


def test_every_suggestion_shows_the_common_facts() -> None:
    s = situation(
        item("F-1", 12, "40.00"),
        item("G-1", 3, "70.00", currency="USD"),
        history=(taken("email", 9, Outcome.SENT, "first"),),
        next_step=step("second", "email", 3, True),
    )
    got = facts(s)
    assert got["overdue_total"] == "40.00 EUR + 70.00 USD"
    assert got["leader"] == "F-1, 12 days overdue"
    assert got["last_action"] == "email (first) on 2026-11-15: sent"
    assert got["next_step"] == "second by email on 2026-11-27"
    assert got["contact"] == "e-mail on record, phone unknown"
    assert [m.currency for m in suggest(s).overdue] == ["EUR", "USD"]


# Bad input ---------------------------------------------------------------------------------------------


def test_bad_situations_and_thresholds_are_refused_naming_the_field() -> None:
    with pytest.raises(NextBestActionError, match=r"customer 'FR01/C1', risk_score: must be a Decimal from 0 to 100"):
        situation(item("F-1", 1), risk_score=Decimal("101"))
    with pytest.raises(NextBestActionError, match=r"items\[1\]: item 'FR01/invoice/F-1' is listed twice"):
        situation(item("F-1", 1), item("F-1", 2))
    with pytest.raises(NextBestActionError, match=r"promises\[0\].state: must be pending, kept or broken"):
        situation(item("F-1", 1), promises=(promise("maybe", 1),))
    with pytest.raises(NextBestActionError, match=r"items: must be a tuple"):
        AccountSituation("FR01/C1", TODAY, [item("F-1", 1)])  # type: ignore[arg-type]
    with pytest.raises(NextBestActionError, match=r"thresholds, legal_after_days: must be an integer >= 0"):
        Thresholds(legal_after_days=-1)
    with pytest.raises(NextBestActionError, match=r"call_after_ignored_reminders: must be at least 1"):
        Thresholds(call_after_ignored_reminders=0)
    with pytest.raises(NextBestActionError, match=r"high_risk_score"):
        Thresholds(high_risk_score=Decimal("NaN"))


def test_a_custom_rule_list_that_answers_nothing_says_so() -> None:
    with pytest.raises(NextBestActionError, match="no rule applies"):
        suggest(situation(item("F-1", 10)), rules=RULES[:1])


# The scenario's next step ------------------------------------------------------------------------------


def engine_item(number: str, days_overdue: int) -> Item:
    due = TODAY - dt.timedelta(days=days_overdue)
    return Item(f"FR01/invoice/{number}", number, "invoice", due - dt.timedelta(30), due, Money(Decimal("10"), "EUR"))


def test_next_step_is_the_reached_step_not_done_else_the_following_on_its_day() -> None:
    items = [engine_item("F-1", 4)]
    # "first" (day 3) is reached and not done: due since its day.
    assert next_step(STANDARD, items, TODAY, []) == (STANDARD.step("first"), TODAY - dt.timedelta(days=1))
    done = [PerformedAction("first", "FR01/invoice/F-1", TODAY - dt.timedelta(days=1))]
    # Then "second", on day 15 of the leader.
    assert next_step(STANDARD, items, TODAY, done) == (STANDARD.step("second"), TODAY + dt.timedelta(days=11))


def test_next_step_counts_a_last_action_step_from_the_previous_action() -> None:
    items = [engine_item("F-1", 25)]
    done = [
        PerformedAction("formal_notice", "FR01/invoice/F-1", TODAY - dt.timedelta(days=5)),
    ]
    # formal_notice_email comes a day after the letter: reached and not done.
    assert next_step(FIRM, items, TODAY, done) == (FIRM.step("formal_notice_email"), TODAY - dt.timedelta(days=4))
    done.append(PerformedAction("formal_notice_email", "FR01/invoice/F-1", TODAY - dt.timedelta(days=4)))
    assert next_step(FIRM, items, TODAY, done) == (FIRM.step("call"), TODAY + dt.timedelta(days=5))


def test_next_step_is_none_without_a_leader_or_after_the_last_step() -> None:
    assert next_step(STANDARD, [], TODAY, []) is None
    items = [engine_item("F-1", 40)]
    done = [PerformedAction("call", "FR01/invoice/F-1", TODAY)]
    assert next_step(STANDARD, items, TODAY, done) is None
