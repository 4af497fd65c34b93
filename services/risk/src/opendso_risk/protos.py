"""Domain values as the risk contracts carry them (the translation at the edge)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from google.protobuf.timestamp_pb2 import Timestamp
from opendso.common.v1.common_pb2 import Money as MoneyProto
from opendso.risk.v1 import risk_pb2 as rk
from opendso_contracts.convert import date_to_proto, money_to_proto
from opendso_money import Money

from opendso_risk.domain.agenda import LimitStatus
from opendso_risk.domain.behaviour import Figures
from opendso_risk.domain.limits import CoverKind, CreditLimit, HolderKind, InsuranceCover, LimitUse
from opendso_risk.domain.profile import Evaluation, Rating
from opendso_risk.domain.score import Score
from opendso_risk.store import StoredAlert

HOLDER_KINDS: Mapping[HolderKind, rk.HolderKind.ValueType] = {
    HolderKind.CUSTOMER: rk.HOLDER_KIND_CUSTOMER,
    HolderKind.GROUP: rk.HOLDER_KIND_GROUP,
    HolderKind.ENTITY: rk.HOLDER_KIND_ENTITY,
}
HOLDER_KIND_OF = {v: k for k, v in HOLDER_KINDS.items()}
COVER_KINDS: Mapping[CoverKind, rk.CoverKind.ValueType] = {
    CoverKind.PERMANENT: rk.COVER_KIND_PERMANENT,
    CoverKind.TEMPORARY: rk.COVER_KIND_TEMPORARY,
}
COVER_KIND_OF = {v: k for k, v in COVER_KINDS.items()}
ALERT_STATUSES = {"open": rk.ALERT_STATUS_OPEN, "acknowledged": rk.ALERT_STATUS_ACKNOWLEDGED}
ALERT_STATUS_OF = {v: k for k, v in ALERT_STATUSES.items()}


def fixed(value: Decimal | None, places: int) -> str:
    """A decimal string with ``places`` decimals, rounded half up; "" for None."""
    if value is None:
        return ""
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros (100, 72.5)."""
    normal = value.normalize()
    return str(normal.quantize(Decimal(1))) if normal == normal.to_integral_value() else str(normal)


def timestamp(value: dt.datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def monies(values: Mapping[str, Decimal]) -> list[MoneyProto]:
    return [money_to_proto(Money(amount, currency)) for currency, amount in sorted(values.items())]


def alert(a: StoredAlert) -> rk.Alert:
    message = rk.Alert(
        alert_id=a.alert_id,
        key=a.key,
        rule=a.rule,
        customer_id=a.customer_id,
        entity=a.entity,
        account_number=a.account_number,
        customer_name=a.customer_name,
        collector=a.collector,
        severity=a.severity,
        summary=a.summary,
        facts=[rk.Fact(name=n, value=v) for n, v in a.facts],
        subject_id=a.subject_id,
        raised_at=timestamp(a.raised_at),
        raised_on=date_to_proto(a.raised_on),
        status=ALERT_STATUSES.get(a.status, rk.ALERT_STATUS_OPEN),
        acknowledged_by=a.acknowledged_by,
        comment=a.comment,
    )
    if a.acknowledged_at is not None:
        message.acknowledged_at.CopyFrom(timestamp(a.acknowledged_at))
    return message


def score(s: Score) -> rk.Score:
    return rk.Score(
        rated=s.rated,
        value=s.value,
        grade=s.grade,
        rated_weight=plain(s.rated_weight),
        points=fixed(s.points, 2),
        parts=[
            rk.ScorePart(
                name=p.name,
                value="" if p.value is None else fixed(p.value, 4 if p.name in ("overdue", "limit_use") else 1),
                measure=p.measure,
                weight=plain(p.weight),
                quality=fixed(p.quality, 4),
                points=fixed(p.points, 2),
                rated=p.rated,
                explanation=p.explanation,
            )
            for p in s.parts
        ],
    )


def window(f: Figures) -> rk.BehaviourWindow:
    return rk.BehaviourWindow(
        months=f.months,
        paid_invoices=f.paid_invoices,
        average_days_to_pay=fixed(f.average_days_to_pay, 1),
        weighted_days_to_pay=fixed(f.weighted_days_to_pay, 1),
        average_days_late=fixed(f.average_days_late, 1),
        weighted_days_late=fixed(f.weighted_days_late, 1),
        share_paid_late=fixed(f.share_paid_late, 4),
        weighted_days_after_due=fixed(f.weighted_days_after_due, 1),
    )


def behaviour(e: Evaluation) -> rk.Behaviour:
    message = rk.Behaviour(
        windows=[window(e.windows[m]) for m in sorted(e.windows)],
        trend=e.trend.direction,
        trend_explanation=e.trend.explanation,
        open_disputes=e.disputes.open,
        disputes_last_12_months=e.disputes.opened_last_12_months,
        average_dispute_resolution_days=fixed(e.disputes.average_resolution_days, 1),
        disputes_resolved_last_12_months=e.disputes.resolved_last_12_months,
        oldest_open_dispute_days=e.disputes.oldest_open_days,
        promises_last_12_months=e.promises.made_last_12_months,
        broken_promises_last_12_months=e.promises.broken_last_12_months,
    )
    if e.facts.last_action_on is not None:
        message.last_action_on.CopyFrom(date_to_proto(e.facts.last_action_on))
    return message


def _limit_fields(limit: CreditLimit, holder_name: str, collector: str) -> rk.CreditLimit:
    message = rk.CreditLimit(
        limit_id=limit.limit_id,
        holder_kind=HOLDER_KINDS[limit.holder_kind],
        holder_id=limit.holder_id,
        entity=limit.entity,
        holder_name=holder_name,
        amount=money_to_proto(limit.amount),
        comment=limit.comment,
        updated_by=limit.updated_by,
        source=limit.source,
        collector=collector,
    )
    if limit.review_on is not None:
        message.review_on.CopyFrom(date_to_proto(limit.review_on))
    if limit.updated_at is not None:
        message.updated_at.CopyFrom(timestamp(limit.updated_at))
    return message


def limit_use(u: LimitUse) -> rk.LimitUse:
    message = rk.LimitUse(
        known=u.known,
        use=fixed(u.use, 4),
        open_by_currency=monies(u.open_by_currency),
        conversions=[
            rk.ConvertedAmount(
                amount=money_to_proto(c.amount),
                converted=money_to_proto(c.converted),
                rate=str(c.rate.rate),
                rate_published_on=date_to_proto(c.rate.published_on),
            )
            for c in u.conversions
        ],
        problem=u.problem,
        computed_on=date_to_proto(u.computed_on),
        customers=u.customers,
    )
    if u.balance is not None:
        message.balance.CopyFrom(money_to_proto(u.balance))
    if u.headroom is not None:
        message.headroom.CopyFrom(money_to_proto(u.headroom))
    return message


def limit_with_use(u: LimitUse, holder_name: str, collector: str) -> rk.CreditLimit:
    message = _limit_fields(u.limit, holder_name, collector)
    message.use.CopyFrom(limit_use(u))
    return message


def limit_status(s: LimitStatus, holder_name: str, collector: str) -> rk.CreditLimit:
    """A limit with its use as last computed (no breakdown: that comes with a customer's profile)."""
    message = _limit_fields(s.limit, holder_name, collector)
    if s.computed_on is not None:
        use = rk.LimitUse(known=s.balance is not None, use=fixed(s.use, 4), computed_on=date_to_proto(s.computed_on))
        if s.balance is not None:
            use.balance.CopyFrom(money_to_proto(s.balance))
            use.headroom.CopyFrom(money_to_proto(s.limit.amount - s.balance))
        else:
            use.problem = "the balance could not be put in the limit's currency"
        message.use.CopyFrom(use)
    return message


def cover(c: InsuranceCover, holder_name: str = "", collector: str = "") -> rk.InsuranceCover:
    message = rk.InsuranceCover(
        cover_id=c.cover_id,
        holder_kind=HOLDER_KINDS[c.holder_kind],
        holder_id=c.holder_id,
        entity=c.entity,
        holder_name=holder_name,
        insurer=c.insurer,
        amount=money_to_proto(c.amount),
        kind=COVER_KINDS[c.kind],
        policy_reference=c.policy_reference,
        comment=c.comment,
        updated_by=c.updated_by,
        collector=collector,
    )
    if c.starts_on is not None:
        message.starts_on.CopyFrom(date_to_proto(c.starts_on))
    if c.expires_on is not None:
        message.expires_on.CopyFrom(date_to_proto(c.expires_on))
    if c.updated_at is not None:
        message.updated_at.CopyFrom(timestamp(c.updated_at))
    return message


def rating(r: Rating) -> rk.ExternalRating:
    message = rk.ExternalRating(rating=plain(r.value), agency=r.agency, set_by=r.set_by)
    if r.rated_on is not None:
        message.rated_on.CopyFrom(date_to_proto(r.rated_on))
    if r.set_at is not None:
        message.set_at.CopyFrom(timestamp(r.set_at))
    return message
