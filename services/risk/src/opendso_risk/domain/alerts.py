"""Alert rules: what deserves a credit manager's or a collector's attention, raised once per occurrence.

Every alert has a key naming its rule and its occurrence; the service stores alerts by key, so evaluating the
same facts again (a redelivered event, a pass run twice) raises nothing new. Conditions that come and go (a
limit exceeded, a score that dropped) are episodes: an occurrence starts when the condition becomes true, and
the next one only after it was false in between.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from opendso_money import Money

from opendso_risk.domain.behaviour import Dispute
from opendso_risk.domain.config import AlertRules, DaysRule, ScoreDroppedRule
from opendso_risk.domain.limits import HolderKind, InsuranceCover, LimitUse, percent


class RuleName(StrEnum):
    PROMISE_BROKEN = "promise_broken"
    LIMIT_EXCEEDED = "limit_exceeded"
    LIMIT_NEAR = "limit_near"
    SCORE_DROPPED = "score_dropped"
    OVERDUE_WITHOUT_ACTION = "overdue_without_action"
    DISPUTE_OPEN = "dispute_open"
    INSURANCE_EXPIRING = "insurance_expiring"


@dataclass(frozen=True)
class AlertDraft:
    key: str
    rule: RuleName
    subject_id: str
    severity: str
    summary: str
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Episode:
    """Whether a condition holds now, and how many times it started to."""

    active: bool = False
    number: int = 0


def step(condition: bool, state: Episode) -> tuple[Episode, bool]:
    """The state after seeing ``condition``, and whether a new occurrence starts with it."""
    if condition and not state.active:
        return Episode(True, state.number + 1), True
    if not condition and state.active:
        return Episode(False, state.number), False
    return state, False


def promise_alert(
    promise_id: str, what: str, missing: Money | None, promised_on: dt.date | None, item_count: int
) -> AlertDraft:
    """A promise to pay (``what`` = "promise to pay") or a payment plan broken."""
    facts: list[tuple[str, str]] = [("items", str(item_count))]
    summary = f"{what} broken"
    if promised_on is not None:
        facts.append(("promised_on", promised_on.isoformat()))
        summary += f" (promised for {promised_on.isoformat()})"
    if missing is not None:
        facts.append(("missing", str(missing)))
        summary += f": {missing} missing"
    return AlertDraft(
        key=f"{RuleName.PROMISE_BROKEN}:{promise_id}",
        rule=RuleName.PROMISE_BROKEN,
        subject_id=promise_id,
        severity="high",
        summary=summary,
        facts=tuple(facts),
    )


@dataclass(frozen=True)
class LimitAlerts:
    drafts: tuple[AlertDraft, ...]
    exceeded: Episode
    near: Episode


def _holder(use: LimitUse) -> str:
    limit = use.limit
    return "the group's limit" if limit.holder_kind is HolderKind.GROUP else "the limit"


def limit_alerts(use: LimitUse, rules: AlertRules, exceeded: Episode, near: Episode) -> LimitAlerts:
    """Exceeding a limit, and reaching the configured share of it. An unknown use (a missing rate) neither
    starts nor ends an occurrence. Reaching the share and exceeding at once raises only the exceeding."""
    ratio = use.use
    if ratio is None or use.balance is None:
        return LimitAlerts((), exceeded, near)
    limit = use.limit
    facts = (
        ("limit", str(limit.amount)),
        ("balance", str(use.balance)),
        ("use", percent(ratio)),
        ("limit_id", limit.limit_id),
    )
    drafts: list[AlertDraft] = []
    if rules.limit_exceeded.enabled:
        exceeded, started = step(use.exceeded, exceeded)
        if started:
            drafts.append(
                AlertDraft(
                    key=f"{RuleName.LIMIT_EXCEEDED}:{limit.limit_id}:{exceeded.number}",
                    rule=RuleName.LIMIT_EXCEEDED,
                    subject_id=limit.limit_id,
                    severity="high",
                    summary=f"credit limit exceeded: {use.balance} open against {_holder(use)} of {limit.amount} "
                    f"({percent(ratio)})",
                    facts=facts,
                )
            )
    if rules.limit_near.enabled:
        threshold = Decimal(rules.limit_near.percent) / 100
        near, started = step(ratio >= threshold, near)
        if started and not use.exceeded:
            drafts.append(
                AlertDraft(
                    key=f"{RuleName.LIMIT_NEAR}:{limit.limit_id}:{near.number}",
                    rule=RuleName.LIMIT_NEAR,
                    subject_id=limit.limit_id,
                    severity="medium",
                    summary=f"credit limit {percent(ratio)} used ({use.balance} of {limit.amount}; alert from "
                    f"{rules.limit_near.percent} %)",
                    facts=facts,
                )
            )
    return LimitAlerts(tuple(drafts), exceeded, near)


@dataclass(frozen=True)
class ScoreWatch:
    """The score an alert compares with: its high since the last drop alert."""

    reference: int | None = None
    episode: int = 0


def score_alert(
    score: int | None, watch: ScoreWatch, rule: ScoreDroppedRule, customer_id: str
) -> tuple[ScoreWatch, AlertDraft | None]:
    """A score at least ``rule.points`` below its reference raises an alert and becomes the new reference; a
    higher score becomes the reference, so a later fall is measured from the high."""
    if score is None or not rule.enabled:
        return watch, None
    if watch.reference is None or score > watch.reference:
        return ScoreWatch(score, watch.episode), None
    drop = watch.reference - score
    if drop < rule.points:
        return watch, None
    episode = watch.episode + 1
    draft = AlertDraft(
        key=f"{RuleName.SCORE_DROPPED}:{customer_id}:{episode}",
        rule=RuleName.SCORE_DROPPED,
        subject_id=customer_id,
        severity="medium",
        summary=f"risk score dropped by {drop} points, from {watch.reference} to {score} (alert from {rule.points})",
        facts=(("from", str(watch.reference)), ("to", str(score)), ("drop", str(drop))),
    )
    return ScoreWatch(score, episode), draft


def overdue_alert(
    customer_id: str,
    overdue_due_dates: Iterable[dt.date],
    last_action_on: dt.date | None,
    today: dt.date,
    rule: DaysRule,
) -> AlertDraft | None:
    """Overdue items and nothing done for ``rule.days``: counted from the last action, or from the oldest
    overdue item's due date when no action came after it. One alert per day the count starts from."""
    dates = list(overdue_due_dates)
    if not rule.enabled or not dates:
        return None
    oldest = min(dates)
    since = max(oldest, last_action_on) if last_action_on is not None else oldest
    idle = (today - since).days
    if idle < rule.days:
        return None
    if last_action_on is not None and last_action_on >= oldest:
        why = f"no collection action since {last_action_on.isoformat()}"
    else:
        why = f"no collection action since the oldest overdue item fell due on {oldest.isoformat()}"
    return AlertDraft(
        key=f"{RuleName.OVERDUE_WITHOUT_ACTION}:{customer_id}:{since.isoformat()}",
        rule=RuleName.OVERDUE_WITHOUT_ACTION,
        subject_id=customer_id,
        severity="medium",
        summary=f"{len(dates)} overdue items and {why} ({idle} days; alert from {rule.days})",
        facts=(
            ("overdue_items", str(len(dates))),
            ("oldest_due", oldest.isoformat()),
            ("last_action_on", last_action_on.isoformat() if last_action_on else ""),
            ("idle_days", str(idle)),
        ),
    )


def dispute_alerts(disputes: Iterable[Dispute], today: dt.date, rule: DaysRule) -> list[AlertDraft]:
    if not rule.enabled:
        return []
    drafts = []
    for d in disputes:
        days = (today - d.opened_on).days
        if d.resolved_on is not None or days < rule.days:
            continue
        drafts.append(
            AlertDraft(
                key=f"{RuleName.DISPUTE_OPEN}:{d.item_id}:{d.opened_on.isoformat()}",
                rule=RuleName.DISPUTE_OPEN,
                subject_id=d.item_id,
                severity="medium",
                summary=f"dispute on {d.item_id} open for {days} days, since {d.opened_on.isoformat()} "
                f"(alert from {rule.days})",
                facts=(("item_id", d.item_id), ("opened_on", d.opened_on.isoformat()), ("days_open", str(days))),
            )
        )
    return drafts


def cover_alert(cover: InsuranceCover, today: dt.date, rule: DaysRule) -> AlertDraft | None:
    """A cover expiring within ``rule.days`` (or already expired), once per cover and expiry date."""
    if not rule.enabled or cover.expires_on is None:
        return None
    left = (cover.expires_on - today).days
    if left > rule.days:
        return None
    when = f"expired on {cover.expires_on.isoformat()}" if left < 0 else f"expires on {cover.expires_on.isoformat()}"
    return AlertDraft(
        key=f"{RuleName.INSURANCE_EXPIRING}:{cover.cover_id}:{cover.expires_on.isoformat()}",
        rule=RuleName.INSURANCE_EXPIRING,
        subject_id=cover.cover_id,
        severity="high" if left < 0 else "medium",
        summary=f"{cover.kind.value} cover of {cover.amount} by {cover.insurer} {when} "
        f"({left} days; alert from {rule.days})",
        facts=(
            ("insurer", cover.insurer),
            ("amount", str(cover.amount)),
            ("expires_on", cover.expires_on.isoformat()),
            ("days_left", str(left)),
        ),
    )
