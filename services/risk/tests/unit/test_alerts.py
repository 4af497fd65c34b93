"""Each alert rule on hand-made facts: when it fires, its key (one per occurrence), and when it stays quiet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opendso_money import Money
from opendso_risk.domain.alerts import (
    Episode,
    RuleName,
    ScoreWatch,
    cover_alert,
    dispute_alerts,
    limit_alerts,
    overdue_alert,
    promise_alert,
    score_alert,
    step,
)
from opendso_risk.domain.behaviour import Dispute
from opendso_risk.domain.config import AlertRules, DaysRule, LimitNearRule, ScoreDroppedRule
from opendso_risk.domain.limits import CoverKind, CreditLimit, HolderKind, InsuranceCover, LimitUse

TODAY = dt.date(2026, 6, 25)
RULES = AlertRules()
LIMIT = CreditLimit("customer:FR01/C1", HolderKind.CUSTOMER, "FR01/C1", "FR01", Money(Decimal(1000), "EUR"))


def use(balance: str | None) -> LimitUse:
    money = None if balance is None else Money(Decimal(balance), "EUR")
    return LimitUse(LIMIT, {"EUR": Decimal(balance or 0)}, 1, TODAY, money, (), "" if money else "no USD->EUR rate")


def test_an_episode_starts_once_and_again_only_after_ending() -> None:
    state, started = step(True, Episode())
    assert (state, started) == (Episode(True, 1), True)
    assert step(True, state) == (state, False)
    state, started = step(False, state)
    assert (state, started) == (Episode(False, 1), False)
    assert step(True, state) == (Episode(True, 2), True)


def test_a_broken_promise_is_one_alert_per_promise() -> None:
    draft = promise_alert("p-1", "promise to pay", Money(Decimal("250.00"), "EUR"), dt.date(2026, 6, 20), 2)
    assert (draft.key, draft.rule, draft.severity) == ("promise_broken:p-1", RuleName.PROMISE_BROKEN, "high")
    assert draft.summary == "promise to pay broken (promised for 2026-06-20): 250.00 EUR missing"


def test_exceeding_a_limit_raises_once_per_time_it_is_exceeded() -> None:
    first = limit_alerts(use("1050"), RULES, Episode(), Episode())
    assert [d.key for d in first.drafts] == ["limit_exceeded:customer:FR01/C1:1"]
    assert first.drafts[0].summary == (
        "credit limit exceeded: 1050.00 EUR open against the limit of 1000.00 EUR (105.0 %)"
    )
    again = limit_alerts(use("1100"), RULES, first.exceeded, first.near)
    assert again.drafts == ()
    below = limit_alerts(use("500"), RULES, again.exceeded, again.near)
    assert below.drafts == () and not below.exceeded.active and not below.near.active
    anew = limit_alerts(use("1200"), RULES, below.exceeded, below.near)
    assert [d.key for d in anew.drafts] == ["limit_exceeded:customer:FR01/C1:2"]


def test_reaching_the_share_of_a_limit_raises_the_near_alert_before_the_exceeded_one() -> None:
    near = limit_alerts(use("920"), RULES, Episode(), Episode())
    assert [(d.key, d.severity) for d in near.drafts] == [("limit_near:customer:FR01/C1:1", "medium")]
    then = limit_alerts(use("1010"), RULES, near.exceeded, near.near)
    assert [d.rule for d in then.drafts] == [RuleName.LIMIT_EXCEEDED]
    custom = AlertRules(limit_near=LimitNearRule(percent=95))
    assert limit_alerts(use("920"), custom, Episode(), Episode()).drafts == ()


def test_an_unknown_use_neither_starts_nor_ends_an_occurrence() -> None:
    active = Episode(True, 3)
    outcome = limit_alerts(use(None), RULES, active, active)
    assert (outcome.drafts, outcome.exceeded, outcome.near) == ((), active, active)


def test_a_score_drop_is_measured_from_the_last_high() -> None:
    rule = ScoreDroppedRule(points=15)
    watch, draft = score_alert(70, ScoreWatch(), rule, "FR01/C1")
    assert (watch, draft) == (ScoreWatch(70, 0), None)
    watch, draft = score_alert(60, watch, rule, "FR01/C1")  # 10 below: not yet
    assert (watch, draft) == (ScoreWatch(70, 0), None)
    watch, draft = score_alert(80, watch, rule, "FR01/C1")  # a new high
    assert (watch, draft) == (ScoreWatch(80, 0), None)
    watch, draft = score_alert(64, watch, rule, "FR01/C1")
    assert draft is not None and watch == ScoreWatch(64, 1)
    assert (draft.key, draft.summary) == (
        "score_dropped:FR01/C1:1",
        "risk score dropped by 16 points, from 80 to 64 (alert from 15)",
    )
    assert score_alert(64, watch, rule, "FR01/C1") == (watch, None)
    assert score_alert(None, watch, rule, "FR01/C1") == (watch, None)


def test_overdue_items_without_action_count_from_the_last_action() -> None:
    rule = DaysRule(days=30)
    due = [dt.date(2026, 5, 1), dt.date(2026, 6, 1)]
    draft = overdue_alert("FR01/C1", due, dt.date(2026, 5, 20), TODAY, rule)
    assert draft is not None
    assert draft.key == "overdue_without_action:FR01/C1:2026-05-20"
    assert draft.summary == "2 overdue items and no collection action since 2026-05-20 (36 days; alert from 30)"
    # Nothing done since before the oldest item fell due: counted from its due date.
    never = overdue_alert("FR01/C1", due, dt.date(2026, 1, 5), TODAY, rule)
    assert never is not None and never.key == "overdue_without_action:FR01/C1:2026-05-01"
    assert overdue_alert("FR01/C1", due, dt.date(2026, 5, 27), TODAY, rule) is None  # 29 days
    assert overdue_alert("FR01/C1", [], None, TODAY, rule) is None
    assert overdue_alert("FR01/C1", due, None, TODAY, DaysRule(enabled=False)) is None


def test_a_dispute_open_too_long_raises_once_per_dispute() -> None:
    disputes = [
        Dispute("FR01/invoice/1", dt.date(2026, 5, 25)),  # 31 days
        Dispute("FR01/invoice/2", dt.date(2026, 6, 1)),  # 24 days
        Dispute("FR01/invoice/3", dt.date(2026, 1, 1), dt.date(2026, 3, 1)),  # resolved
    ]
    (draft,) = dispute_alerts(disputes, TODAY, DaysRule(days=30))
    assert draft.key == "dispute_open:FR01/invoice/1:2026-05-25"
    assert "open for 31 days" in draft.summary


def test_insurance_expiring_or_expired_raises_per_expiry_date() -> None:
    def cover(expires: dt.date | None) -> InsuranceCover:
        amount = Money(Decimal(50000), "EUR")
        return InsuranceCover(
            "c1",
            HolderKind.CUSTOMER,
            "FR01/C1",
            "FR01",
            "Allianz Trade",
            amount,
            CoverKind.TEMPORARY,
            expires_on=expires,
        )

    rule = DaysRule(days=30)
    soon = cover_alert(cover(dt.date(2026, 7, 10)), TODAY, rule)
    assert soon is not None and (soon.key, soon.severity) == ("insurance_expiring:c1:2026-07-10", "medium")
    assert soon.summary == (
        "temporary cover of 50000.00 EUR by Allianz Trade expires on 2026-07-10 (15 days; alert from 30)"
    )
    gone = cover_alert(cover(dt.date(2026, 6, 20)), TODAY, rule)
    assert gone is not None and gone.severity == "high" and "expired on 2026-06-20" in gone.summary
    assert cover_alert(cover(dt.date(2026, 8, 1)), TODAY, rule) is None
    assert cover_alert(cover(None), TODAY, rule) is None
