"""Queries and commands of the risk service (request/reply): a customer's risk profile and predicted payment
dates, credit limits, insurance covers and external ratings, the risk agenda, alerts, and the configuration."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from opendso.common.v1.common_pb2 import Date
from opendso.risk.v1 import risk_pb2 as rk
from opendso_bus import InvalidRequest, NotFound, QueryError
from opendso_contracts.convert import date_to_proto, money_to_proto
from opendso_money import Money

from opendso_risk import protos
from opendso_risk.domain.agenda import LimitStatus, agenda_entries
from opendso_risk.domain.behaviour import figures
from opendso_risk.domain.config import DEFAULT_CONFIG, ConfigError, config_to_json, parse_config
from opendso_risk.domain.limits import CoverError, CreditLimit, HolderKind, InsuranceCover, check_cover
from opendso_risk.domain.limits import limit_id as make_limit_id
from opendso_risk.domain.prediction import choose_segment, expectation, predict
from opendso_risk.domain.profile import Rating
from opendso_risk.evaluation import PAYABLE, evaluate_customers, load_config, load_snapshot, raise_cover_alerts
from opendso_risk.handlers import Deps
from opendso_risk.store import AlertFilter, UnitOfWork

NewUow = Callable[[], UnitOfWork]
T = TypeVar("T")
DEFAULT_PAGE = 50
MAX_PAGE = 500
_COVER_NAMESPACE = uuid.UUID("9b3f0a57-4c8e-4f1d-8e2b-6a7d5c3e1f20")


def _date(value: Date, where: str) -> dt.date | None:
    if value.year == 0 and value.month == 0 and value.day == 0:
        return None
    try:
        return dt.date(value.year, value.month, value.day)
    except ValueError:
        raise InvalidRequest(f"{where}: {value.year:04d}-{value.month:02d}-{value.day:02d} is not a date") from None


def _money(amount: str, currency: str, where: str) -> Money:
    try:
        value = Decimal(amount)
        money = Money(value, currency)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidRequest(f"{where}: {amount!r} {currency!r} is not an amount with a currency ({exc})") from None
    if value <= 0:
        raise InvalidRequest(f"{where}: must be above 0, got {amount}")
    return money


def _page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidRequest(f"page_size: must not be negative, got {requested}")
    return min(requested or DEFAULT_PAGE, MAX_PAGE)


def _token(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _untoken(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        raise InvalidRequest("page_token: not a token this service gave") from None
    if not isinstance(data, dict):
        raise InvalidRequest("page_token: not a token this service gave")
    return data


def _page(rows: Sequence[T], size: int, token: str) -> tuple[list[T], str]:
    """An offset page of ``rows`` and the token of the next one ("" at the end)."""
    offset = _untoken(token).get("offset", 0)
    if not isinstance(offset, int) or offset < 0:
        raise InvalidRequest("page_token: not a token this service gave")
    page = list(rows[offset : offset + size])
    following = _token({"offset": offset + size}) if offset + size < len(rows) else ""
    return page, following


def _in_scope(entity: str, collector: str, entities: Sequence[str], wanted_collector: str) -> bool:
    return (not entities or entity in entities) and (
        not wanted_collector or collector.casefold() == wanted_collector.casefold()
    )


# --- profile and predictions ----------------------------------------------------------------------------------


async def get_profile(query: rk.GetRiskProfile, new_uow: NewUow, deps: Deps) -> rk.RiskProfile:
    found = await evaluate_customers([query.customer_id], new_uow, deps)
    e = found.get(query.customer_id)
    if e is None:
        raise NotFound(f"no customer {query.customer_id!r}")
    facts = e.facts
    c = facts.customer
    async with new_uow() as uow:
        held = await uow.repo.covers_of_holders([c.customer_id, facts.group_id, c.entity])
        names = await uow.repo.customers_by_id([h.limit.holder_id for h in facts.limits])
    covers = [
        cv
        for cv in held
        if (cv.holder_kind, cv.holder_id)
        in {(HolderKind.CUSTOMER, c.customer_id), (HolderKind.GROUP, facts.group_id), (HolderKind.ENTITY, c.entity)}
    ]
    reply = rk.RiskProfile(
        customer_id=c.customer_id,
        entity=c.entity,
        account_number=c.account_number,
        name=c.name,
        collector=c.collector,
        customer_group=c.customer_group,
        parent_account=c.parent_account,
        group_id=facts.group_id,
        group_size=facts.group_size,
        as_of=date_to_proto(e.today),
        score=protos.score(e.score),
        behaviour=protos.behaviour(e),
        open_balance=protos.monies(e.balances.open),
        overdue_balance=protos.monies(e.balances.overdue),
        limits=[
            protos.limit_with_use(
                u,
                names[u.limit.holder_id].name if u.limit.holder_id in names else "",
                names[u.limit.holder_id].collector if u.limit.holder_id in names else "",
            )
            for u in e.limit_uses
        ],
        covers=[protos.cover(cv) for cv in sorted(covers, key=lambda x: (x.expires_on or dt.date.max, x.cover_id))],
        config_version=e.config_version,
    )
    if facts.rating is not None:
        reply.external_rating.CopyFrom(protos.rating(facts.rating))
    return reply


async def get_predicted_dates(query: rk.GetPredictedDates, new_uow: NewUow, deps: Deps) -> rk.PredictedDates:
    today = deps.today()
    async with new_uow() as uow:
        snapshot = await load_snapshot(uow, [query.customer_id], today)
        facts = snapshot.facts.get(query.customer_id)
        if facts is None:
            raise NotFound(f"no customer {query.customer_id!r}")
        c = facts.customer
        group = await uow.repo.segment(c.entity, c.customer_group) if c.customer_group else None
        entity = await uow.repo.segment(c.entity, None)
    config = snapshot.config.prediction
    year = figures(facts.paid, today, 12)
    segment = choose_segment(group, entity, config.segment_minimum)
    expected = expectation(year.weighted_days_after_due, year.paid_invoices, segment, config.pseudo_invoices)
    reply = rk.PredictedDates(
        customer_id=c.customer_id,
        as_of=date_to_proto(today),
        rule=expected.rule,
        customer_days=protos.fixed(expected.customer_days, 1),
        customer_invoices=expected.customer_invoices,
        segment_days=protos.fixed(segment.median_days if segment else None, 1),
        segment=segment.label if segment else "",
        segment_customers=segment.customers if segment else 0,
        expected_days=protos.fixed(expected.expected_days, 1),
    )
    for item in sorted(facts.open_items, key=lambda i: (i.due_date, i.item_id)):
        if item.kind not in PAYABLE or item.open_amount <= 0:
            continue
        p = predict(item.due_date, expected.expected_days, today)
        reply.items.append(
            rk.PredictedItem(
                item_id=item.item_id,
                number=item.number,
                due_date=date_to_proto(item.due_date),
                open_amount=money_to_proto(Money(item.open_amount, item.currency)),
                predicted_on=date_to_proto(p.predicted_on),
                days_after_due=p.days_after_due,
                later_than_usual=p.later_than_usual,
            )
        )
    return reply


# --- external ratings -----------------------------------------------------------------------------------------


async def set_external_rating(command: rk.SetExternalRating, uow: UnitOfWork, deps: Deps) -> rk.ExternalRatingSet:
    if not command.user.strip():
        raise InvalidRequest("user: is required: a rating is kept with who recorded it")
    if command.customer_id not in await uow.repo.customers_by_id([command.customer_id]):
        raise NotFound(f"no customer {command.customer_id!r}")
    if not command.rating.strip():
        removed = await uow.repo.remove_rating(command.customer_id)
        await uow.repo.mark_dirty([command.customer_id], deps.now())
        await uow.commit()
        return rk.ExternalRatingSet(customer_id=command.customer_id, removed=removed)
    try:
        value = Decimal(command.rating.strip())
    except InvalidOperation:
        raise InvalidRequest(f"rating: {command.rating!r} is not a number from 0 to 100") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise InvalidRequest(f"rating: must be from 0 to 100, got {command.rating}")
    rating = Rating(
        value=value,
        agency=command.agency.strip(),
        rated_on=_date(command.rated_on, "rated_on") or deps.today(),
        set_by=command.user.strip(),
        set_at=deps.now(),
    )
    await uow.repo.set_rating(command.customer_id, rating)
    await uow.repo.mark_dirty([command.customer_id], deps.now())
    await uow.commit()
    return rk.ExternalRatingSet(customer_id=command.customer_id, rating=protos.rating(rating))


# --- credit limits --------------------------------------------------------------------------------------------


async def _holder(kind: HolderKind, holder_id: str, uow: UnitOfWork) -> list[str]:
    """The customers a limit of this holder concerns (NotFound when none); the holder's first for a group."""
    if "/" not in holder_id:
        raise InvalidRequest(f"holder_id: {holder_id!r} is not a customer id such as FR01/C00042")
    if kind is HolderKind.CUSTOMER:
        if holder_id not in await uow.repo.customers_by_id([holder_id]):
            raise NotFound(f"no customer {holder_id!r}")
        return [holder_id]
    entity, parent = holder_id.split("/", 1)
    members = await uow.repo.group_members(entity, parent)
    if not [m for m in members if m.parent_account == parent]:
        raise NotFound(f"no legal group {holder_id!r}: no customer of {entity} names {parent} as its parent")
    parent_first = sorted(members, key=lambda m: (m.customer_id != holder_id, m.customer_id))
    return [m.customer_id for m in parent_first]


def _holder_kind(value: rk.HolderKind.ValueType, allowed: tuple[HolderKind, ...]) -> HolderKind:
    kind = protos.HOLDER_KIND_OF.get(value)
    if kind is None or kind not in allowed:
        names = " or ".join(f"HOLDER_KIND_{k.value.upper()}" for k in allowed)
        raise InvalidRequest(f"holder_kind: must be {names}")
    return kind


async def _limit_reply(limit: CreditLimit, concerned: list[str], new_uow: NewUow, deps: Deps) -> rk.CreditLimit:
    """The limit with its use computed now, through the first customer it concerns."""
    found = await evaluate_customers(concerned[:1], new_uow, deps)
    for e in found.values():
        for use in e.limit_uses:
            if use.limit.limit_id == limit.limit_id:
                holder = e.facts.customer if use.limit.holder_id == e.facts.customer.customer_id else None
                return protos.limit_with_use(use, holder.name if holder else "", holder.collector if holder else "")
    return protos.limit_status(LimitStatus(limit), "", "")


async def set_credit_limit(command: rk.SetCreditLimit, new_uow: NewUow, deps: Deps) -> rk.CreditLimitSet:
    kind = _holder_kind(command.holder_kind, (HolderKind.CUSTOMER, HolderKind.GROUP))
    if not command.user.strip():
        raise InvalidRequest("user: is required: a limit is kept with who set it")
    amount = _money(command.amount.amount, command.amount.currency, "amount")
    review_on = _date(command.review_on, "review_on")
    identifier = make_limit_id(kind, command.holder_id)
    async with new_uow() as uow:
        concerned = await _holder(kind, command.holder_id, uow)
        held = await uow.repo.limit(identifier)
        limit = CreditLimit(
            limit_id=identifier,
            holder_kind=kind,
            holder_id=command.holder_id,
            entity=command.holder_id.split("/", 1)[0],
            amount=amount,
            review_on=review_on,
            comment=command.comment.strip(),
            updated_by=command.user.strip(),
            updated_at=deps.now(),
        )
        replayed = held is not None and (held.amount, held.review_on, held.comment) == (
            limit.amount,
            limit.review_on,
            limit.comment,
        )
        if not replayed:
            await uow.repo.save_limit(limit)
            await uow.repo.mark_dirty(concerned, deps.now())
            await uow.commit()
    return rk.CreditLimitSet(
        limit=await _limit_reply(held if replayed and held else limit, concerned, new_uow, deps), replayed=replayed
    )


async def remove_credit_limit(command: rk.RemoveCreditLimit, uow: UnitOfWork, deps: Deps) -> rk.CreditLimitRemoved:
    if command.limit_id.startswith("erp:"):
        raise InvalidRequest(f"limit_id: {command.limit_id} is the ledger's limit: change it in the ledger")
    held = await uow.repo.limit(command.limit_id)
    if held is None:
        return rk.CreditLimitRemoved(limit_id=command.limit_id, removed=False)
    entity, _, account = held.holder_id.partition("/")
    concerned = (
        [held.holder_id]
        if held.holder_kind is HolderKind.CUSTOMER
        else [m.customer_id for m in await uow.repo.group_members(entity, account)]
    )
    await uow.repo.remove_limit(command.limit_id)
    await uow.repo.mark_dirty(concerned, deps.now())
    await uow.commit()
    return rk.CreditLimitRemoved(limit_id=command.limit_id, removed=True)


async def list_credit_limits(query: rk.ListCreditLimits, uow: UnitOfWork) -> rk.CreditLimits:
    size = _page_size(query.page_size)
    rows = [
        (status, name, collector)
        for status, name, collector in await uow.repo.limits_in(list(query.entities), query.holder_id)
        if _in_scope(status.limit.entity, collector, query.entities, query.collector)
    ]
    page, following = _page(rows, size, query.page_token)
    return rk.CreditLimits(
        limits=[protos.limit_status(s, name, collector) for s, name, collector in page],
        next_page_token=following,
        total=len(rows),
    )


# --- insurance covers -----------------------------------------------------------------------------------------


async def _cover_holder(kind: HolderKind, holder_id: str, uow: UnitOfWork) -> str:
    """The entity of a cover's holder; NotFound when the holder is unknown."""
    if kind is HolderKind.ENTITY:
        if not holder_id.strip() or "/" in holder_id:
            raise InvalidRequest(f"holder_id: {holder_id!r} is not an entity code such as FR01")
        return holder_id
    await _holder(kind, holder_id, uow)
    return holder_id.split("/", 1)[0]


async def set_insurance_cover(command: rk.SetInsuranceCover, uow: UnitOfWork, deps: Deps) -> rk.InsuranceCoverSet:
    c = command.cover
    if not command.user.strip():
        raise InvalidRequest("user: is required: a cover is kept with who recorded it")
    kind = _holder_kind(c.holder_kind, (HolderKind.CUSTOMER, HolderKind.GROUP, HolderKind.ENTITY))
    cover_kind = protos.COVER_KIND_OF.get(c.kind)
    if cover_kind is None:
        raise InvalidRequest("cover.kind: must be COVER_KIND_PERMANENT or COVER_KIND_TEMPORARY")
    entity = await _cover_holder(kind, c.holder_id, uow)
    cover_id = c.cover_id
    created = not cover_id
    if created:
        key = command.idempotency_key.strip()
        cover_id = str(uuid.uuid5(_COVER_NAMESPACE, key)) if key else str(uuid.uuid4())
        earlier = await uow.repo.cover(cover_id) if key else None
        if earlier is not None:
            return rk.InsuranceCoverSet(cover=protos.cover(earlier), created=True, replayed=True)
    elif await uow.repo.cover(cover_id) is None:
        raise NotFound(f"no insurance cover {cover_id!r}")
    cover = InsuranceCover(
        cover_id=cover_id,
        holder_kind=kind,
        holder_id=c.holder_id,
        entity=entity,
        insurer=c.insurer.strip(),
        amount=_money(c.amount.amount, c.amount.currency, "cover.amount"),
        kind=cover_kind,
        starts_on=_date(c.starts_on, "cover.starts_on"),
        expires_on=_date(c.expires_on, "cover.expires_on"),
        policy_reference=c.policy_reference.strip(),
        comment=c.comment.strip(),
        updated_by=command.user.strip(),
        updated_at=deps.now(),
    )
    try:
        check_cover(cover)
    except CoverError as exc:
        raise InvalidRequest(str(exc)) from None
    await uow.repo.save_cover(cover)
    uow.caused_by(None, correlation_id=command.correlation_id)
    config, _ = await load_config(uow)
    # A cover recorded as already expiring is said at once, not at the next daily pass.
    await raise_cover_alerts(uow, deps, config, deps.today(), [cover_id])
    await uow.commit()
    return rk.InsuranceCoverSet(cover=protos.cover(cover), created=created)


async def remove_insurance_cover(command: rk.RemoveInsuranceCover, uow: UnitOfWork) -> rk.InsuranceCoverRemoved:
    removed = await uow.repo.remove_cover(command.cover_id)
    await uow.commit()
    return rk.InsuranceCoverRemoved(cover_id=command.cover_id, removed=removed)


async def list_insurance_covers(query: rk.ListInsuranceCovers, uow: UnitOfWork, deps: Deps) -> rk.InsuranceCovers:
    size = _page_size(query.page_size)
    today = deps.today()
    covers = await uow.repo.covers_in(list(query.entities), query.holder_id)
    if query.cover_id:
        covers = [c for c in covers if c.cover_id == query.cover_id]
    holders = await uow.repo.customers_by_id([c.holder_id for c in covers if c.holder_kind is not HolderKind.ENTITY])
    rows = []
    for cover in sorted(covers, key=lambda c: (c.expires_on or dt.date.max, c.entity, c.holder_id, c.cover_id)):
        if not (query.include_expired or query.cover_id) and cover.expires_on is not None and cover.expires_on < today:
            continue
        holder = holders.get(cover.holder_id)
        collector = holder.collector if holder else ""
        if query.collector and (holder is None or collector.casefold() != query.collector.casefold()):
            continue
        rows.append(protos.cover(cover, holder.name if holder else "", collector))
    page, following = _page(rows, size, query.page_token)
    return rk.InsuranceCovers(covers=page, next_page_token=following, total=len(rows))


# --- agenda ---------------------------------------------------------------------------------------------------


async def get_agenda(query: rk.GetRiskAgenda, uow: UnitOfWork, deps: Deps) -> rk.RiskAgenda:
    if query.horizon_days < 0:
        raise InvalidRequest(f"horizon_days: must not be negative, got {query.horizon_days}")
    size = _page_size(query.page_size)
    today = deps.today()
    config, _ = await load_config(uow)
    horizon = query.horizon_days or config.agenda.horizon_days
    entities = list(query.entities)
    here = await uow.repo.limits_in(entities)
    ledger = [row for row in await uow.repo.used_limits(entities) if row[0].limit.source == "erp"]
    who: dict[str, tuple[str, str]] = {s.limit.limit_id: (name, collector) for s, name, collector in here + ledger}
    covers = await uow.repo.covers_in(entities, expiring_by=today + dt.timedelta(days=horizon))
    holders = await uow.repo.customers_by_id([c.holder_id for c in covers if c.holder_kind is not HolderKind.ENTITY])
    entries = agenda_entries([s for s, _, _ in here + ledger], covers, today, horizon, config.alerts.limit_near.percent)
    shown: list[rk.RiskAgendaEntry] = []
    for entry in entries:
        if entry.limit is not None:
            limit = entry.limit.limit
            name, collector = who.get(limit.limit_id, ("", ""))
            kind, holder_id, entity = limit.holder_kind, limit.holder_id, limit.entity
        else:
            assert entry.cover is not None
            holder = holders.get(entry.cover.holder_id)
            name, collector = (holder.name, holder.collector) if holder else ("", "")
            kind, holder_id, entity = entry.cover.holder_kind, entry.cover.holder_id, entry.cover.entity
        if not _in_scope(entity, collector, entities, query.collector):
            continue
        message = rk.RiskAgendaEntry(
            reason=entry.reason,
            holder_kind=protos.HOLDER_KINDS[kind],
            holder_id=holder_id,
            holder_name=name,
            entity=entity,
            collector=collector,
            due_on=date_to_proto(entry.due_on),
            summary=entry.summary,
        )
        if entry.limit is not None:
            message.limit.CopyFrom(protos.limit_status(entry.limit, name, collector))
        if entry.cover is not None:
            message.cover.CopyFrom(protos.cover(entry.cover, name, collector))
        shown.append(message)
    page, following = _page(shown, size, query.page_token)
    return rk.RiskAgenda(as_of=date_to_proto(today), entries=page, next_page_token=following, total=len(shown))


# --- alerts ---------------------------------------------------------------------------------------------------


async def list_alerts(query: rk.ListAlerts, uow: UnitOfWork) -> rk.Alerts:
    size = _page_size(query.page_size)
    status = protos.ALERT_STATUS_OF.get(query.status, "") if query.status else ""
    if query.status and not status:
        raise InvalidRequest(f"status: unknown alert status {query.status}")
    cursor = _untoken(query.page_token)
    after = None
    if cursor:
        try:
            after = (dt.datetime.fromisoformat(cursor["at"]), str(cursor["id"]))
        except (KeyError, TypeError, ValueError):
            raise InvalidRequest("page_token: not a token this service gave") from None
    found, total = await uow.repo.list_alerts(
        AlertFilter(
            entities=tuple(query.entities),
            collector=query.collector,
            customer_id=query.customer_id,
            rule=query.rule,
            status=status,
            raised_from=_date(query.raised_from, "raised_from"),
            raised_to=_date(query.raised_to, "raised_to"),
        ),
        size + 1,
        after,
    )
    page = found[:size]
    following = ""
    if len(found) > size:
        last = page[-1]
        following = _token({"at": last.raised_at.isoformat(), "id": last.alert_id})
    return rk.Alerts(alerts=[protos.alert(a) for a in page], next_page_token=following, total=total)


async def acknowledge_alert(command: rk.AcknowledgeAlert, uow: UnitOfWork, deps: Deps) -> rk.AlertAcknowledged:
    if not command.user.strip():
        raise InvalidRequest("user: is required: an acknowledgement is kept with who made it")
    held = await uow.repo.alert(command.alert_id)
    if held is None or not _in_scope(held.entity, held.collector, command.entities, command.collector):
        raise NotFound(f"no alert {command.alert_id!r}")
    if held.status == "acknowledged":
        return rk.AlertAcknowledged(alert=protos.alert(held), replayed=True)
    done = replace(
        held,
        status="acknowledged",
        acknowledged_by=command.user.strip(),
        acknowledged_at=deps.now(),
        comment=command.comment.strip(),
    )
    assert done.acknowledged_at is not None
    await uow.repo.acknowledge(done.alert_id, done.acknowledged_by, done.acknowledged_at, done.comment)
    await uow.commit()
    return rk.AlertAcknowledged(alert=protos.alert(done))


# --- configuration --------------------------------------------------------------------------------------------


async def get_config(uow: UnitOfWork) -> rk.RiskConfig:
    stored = await uow.repo.config()
    reply = rk.RiskConfig(default_json=config_to_json(DEFAULT_CONFIG))
    if stored is None:
        reply.json = reply.default_json
        return reply
    reply.json = stored.body
    reply.version = stored.version
    reply.updated_by = stored.updated_by
    reply.updated_at.CopyFrom(protos.timestamp(stored.updated_at))
    return reply


async def set_config(command: rk.SetRiskConfig, uow: UnitOfWork, deps: Deps) -> rk.RiskConfig:
    """Validate and store a configuration; every customer is evaluated again under it."""
    if not command.user.strip():
        raise InvalidRequest("user: is required: a configuration is kept with who saved it")
    try:
        config = parse_config(command.json)
    except ConfigError as exc:
        raise InvalidRequest(str(exc)) from None
    stored = await uow.repo.config()
    version = stored.version if stored is not None else 0
    if command.expected_version != version:
        raise QueryError(
            "conflict",
            f"the configuration is at version {version}, not {command.expected_version}: read it again",
        )
    now = deps.now()
    await uow.repo.save_config(config_to_json(config), version + 1, command.user.strip(), now)
    await uow.repo.mark_all_dirty(now)
    await uow.commit()
    return await get_config(uow)
