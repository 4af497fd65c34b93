"""The risk agenda: the limits and covers a credit manager has to look at, soonest first.

A cover expired or expiring within the horizon, a limit exceeded or used beyond the alert share (as last
computed), a limit whose review date falls within the horizon. A limit can be on it for two reasons at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from opendso_money import Money

from opendso_risk.domain.limits import CreditLimit, InsuranceCover, percent


@dataclass(frozen=True)
class LimitStatus:
    """A limit with its use as last computed (None when never computed, or unknown)."""

    limit: CreditLimit
    use: Decimal | None = None
    balance: Money | None = None
    computed_on: dt.date | None = None


@dataclass(frozen=True)
class AgendaEntry:
    reason: str
    due_on: dt.date
    summary: str
    limit: LimitStatus | None = None
    cover: InsuranceCover | None = None

    @property
    def holder_id(self) -> str:
        if self.limit is not None:
            return self.limit.limit.holder_id
        assert self.cover is not None
        return self.cover.holder_id


def agenda_entries(
    limits: Iterable[LimitStatus],
    covers: Iterable[InsuranceCover],
    today: dt.date,
    horizon_days: int,
    near_percent: int,
) -> list[AgendaEntry]:
    until = today + dt.timedelta(days=horizon_days)
    near = Decimal(near_percent) / 100
    entries: list[AgendaEntry] = []
    for status in limits:
        limit = status.limit
        if status.use is not None and status.balance is not None:
            on = status.computed_on or today
            if status.balance > limit.amount:
                summary = f"{status.balance} open against a limit of {limit.amount} ({percent(status.use)})"
                entries.append(AgendaEntry("limit_exceeded", on, summary, limit=status))
            elif status.use >= near:
                summary = f"{percent(status.use)} of the limit of {limit.amount} used ({status.balance} open)"
                entries.append(AgendaEntry("limit_near", on, summary, limit=status))
        if limit.review_on is not None and limit.review_on <= until:
            late = " (overdue)" if limit.review_on < today else ""
            summary = f"limit of {limit.amount} to review by {limit.review_on.isoformat()}{late}"
            entries.append(AgendaEntry("review_due", limit.review_on, summary, limit=status))
    for cover in covers:
        if cover.expires_on is None or cover.expires_on > until:
            continue
        reason = "cover_expired" if cover.expires_on < today else "cover_expiring"
        verb = "expired" if reason == "cover_expired" else "expires"
        summary = (
            f"{cover.kind.value} cover of {cover.amount} by {cover.insurer} {verb} on {cover.expires_on.isoformat()}"
        )
        entries.append(AgendaEntry(reason, cover.expires_on, summary, cover=cover))
    entries.sort(key=lambda e: (e.due_on, e.reason, e.holder_id))
    return entries
