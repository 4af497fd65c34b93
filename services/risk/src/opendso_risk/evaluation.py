"""Evaluating customers: their score, their limits' use, and the alerts these raise.

Customers whose facts changed wait in ``risk_dirty``; the evaluation pass takes those whose last change has
settled, a batch at a time, in three steps: read what it needs (one transaction), ask the FX service for the
rates the limits' use needs (no transaction open: a slow answer never holds the database), then compute and
write the profiles, the uses and the alerts (a second transaction). The daily pass puts every customer back in
the queue, so what time changes (the 12-month windows, overdue days, disputes open for N days) is judged again,
and looks at the insurance covers' expiries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from opendso_money import Money

from opendso_risk.domain.alerts import (
    AlertDraft,
    Episode,
    RuleName,
    ScoreWatch,
    cover_alert,
    dispute_alerts,
    limit_alerts,
    overdue_alert,
    score_alert,
)
from opendso_risk.domain.behaviour import PaidInvoice, months_before, payment_day
from opendso_risk.domain.config import DEFAULT_CONFIG, RiskConfig, parse_config
from opendso_risk.domain.limits import CreditLimit, HolderKind, LimitUse, RateQuote, Rates, erp_limit_id, limit_id
from opendso_risk.domain.profile import (
    Customer,
    CustomerFacts,
    Evaluation,
    HeldLimit,
    OpenItem,
    evaluate,
    rates_needed,
)
from opendso_risk.handlers import Deps, RateMissing, raise_alerts
from opendso_risk.store import ItemRow, ProfileRow, UnitOfWork

log = logging.getLogger(__name__)
# Kinds a customer pays: what its payment figures are made of.
PAYABLE = frozenset({"invoice", "instalment"})


async def load_config(uow: UnitOfWork) -> tuple[RiskConfig, int]:
    stored = await uow.repo.config()
    if stored is None:
        return DEFAULT_CONFIG, 0
    # Validated when saved: a stored configuration always parses.
    return parse_config(stored.body), stored.version


def group_parent(customer: Customer, parents: set[str]) -> str:
    """The account its legal group is named after: its parent's, or its own when others name it as parent;
    "" when it stands alone."""
    if customer.parent_account:
        return customer.parent_account
    return customer.account_number if customer.customer_id in parents else ""


def _erp_limit(customer: Customer, currency: str | None) -> CreditLimit | None:
    """The ledger's limit, in the entity's currency; none when the entity's currency is not known."""
    if not customer.erp_credit_limit or not currency:
        return None
    try:
        amount = Decimal(customer.erp_credit_limit)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0:
        return None
    return CreditLimit(
        limit_id=erp_limit_id(customer.customer_id),
        holder_kind=HolderKind.CUSTOMER,
        holder_id=customer.customer_id,
        entity=customer.entity,
        amount=Money(amount, currency),
        source="erp",
    )


def _open_by_currency(rows: Sequence[ItemRow]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for r in rows:
        if r.closed_on is None and r.open_amount != 0:
            out[r.currency] = out.get(r.currency, Decimal(0)) + r.open_amount
    return out


@dataclass(frozen=True)
class Snapshot:
    facts: dict[str, CustomerFacts]
    # Every customer the facts name (the evaluated ones, and the parents of their groups).
    people: dict[str, Customer]
    config: RiskConfig
    config_version: int


async def load_snapshot(uow: UnitOfWork, ids: Sequence[str], today: dt.date) -> Snapshot:
    config, version = await load_config(uow)
    repo = uow.repo
    people = await repo.customers_by_id(ids)
    found = [c for c in dict.fromkeys(ids) if c in people]
    # A month of slack over the 12-month window: an invoice closed then may have been paid earlier by matching.
    rows = await repo.recent_items_of(found, months_before(today, 13))
    by_customer: dict[str, list[ItemRow]] = {}
    for r in rows:
        by_customer.setdefault(r.customer_id, []).append(r)
    allocated = await repo.allocations_for([r.item_id for r in rows if r.kind in PAYABLE])
    disputes = await repo.disputes_of(found)
    promises = await repo.promises_of(found)
    actions = await repo.last_actions(found)
    ratings = await repo.ratings_of(found)
    currencies = await repo.entity_currencies(people[c].entity for c in found)
    parents = await repo.has_children(found)

    groups: dict[str, str] = {}
    members: dict[str, list[Customer]] = {}
    for cid in found:
        customer = people[cid]
        parent = group_parent(customer, parents)
        if parent:
            group_id = f"{customer.entity}/{parent}"
            groups[cid] = group_id
            if group_id not in members:
                members[group_id] = await repo.group_members(customer.entity, parent)
                people.update({m.customer_id: m for m in members[group_id]})
    wanted_limits = [limit_id(HolderKind.CUSTOMER, c) for c in found] + [limit_id(HolderKind.GROUP, g) for g in members]
    stored_limits = await repo.limits_by_id(wanted_limits)
    group_open: dict[str, dict[str, Decimal]] = {}
    groups_with_limits = [g for g in members if limit_id(HolderKind.GROUP, g) in stored_limits]
    if groups_with_limits:
        member_ids = [m.customer_id for g in groups_with_limits for m in members[g]]
        member_rows = await repo.open_items_of(member_ids)
        per_member: dict[str, list[ItemRow]] = {}
        for r in member_rows:
            per_member.setdefault(r.customer_id, []).append(r)
        for g in groups_with_limits:
            group_open[g] = _open_by_currency([r for m in members[g] for r in per_member.get(m.customer_id, [])])

    facts: dict[str, CustomerFacts] = {}
    for cid in found:
        customer = people[cid]
        own = by_customer.get(cid, [])
        paid = []
        for r in own:
            if r.kind not in PAYABLE or r.amount <= 0:
                continue
            on = payment_day(r.amount, r.closed_on, allocated.get(r.item_id, ()))
            if on is not None:
                paid.append(PaidInvoice(r.item_id, r.amount, r.currency, r.issue_date, r.due_date, on))
        held: list[HeldLimit] = []
        own_limit = stored_limits.get(limit_id(HolderKind.CUSTOMER, cid)) or _erp_limit(
            customer, currencies.get(customer.entity)
        )
        if own_limit is not None:
            held.append(HeldLimit(own_limit, _open_by_currency(own), 1))
        group_id = groups.get(cid, "")
        group_limit = stored_limits.get(limit_id(HolderKind.GROUP, group_id)) if group_id else None
        if group_limit is not None:
            held.append(HeldLimit(group_limit, group_open.get(group_id, {}), len(members[group_id])))
        facts[cid] = CustomerFacts(
            customer=customer,
            open_items=tuple(
                OpenItem(r.item_id, r.number, r.kind, r.due_date, r.open_amount, r.currency)
                for r in own
                if r.closed_on is None and r.open_amount != 0
            ),
            paid=tuple(paid),
            disputes=tuple(disputes.get(cid, ())),
            promises=tuple(promises.get(cid, ())),
            last_action_on=actions.get(cid),
            rating=ratings.get(cid),
            limits=tuple(held),
            entity_currency=currencies.get(customer.entity),
            group_id=group_id,
            group_size=len(members.get(group_id, ())),
        )
    return Snapshot(facts, people, config, version)


async def fetch_rates(needed: dict[tuple[str, str], Money], on: dt.date, deps: Deps) -> Rates:
    """Each rate through the FX service's conversion of a real amount; a missing one is kept as why."""
    rates: dict[tuple[str, str], RateQuote | str] = {}
    for (source, target), amount in sorted(needed.items()):
        if deps.convert is None:
            rates[(source, target)] = f"no {source}->{target} rate: no FX service configured"
            continue
        try:
            answer = await deps.convert(amount, target, on)
        except RateMissing as exc:
            rates[(source, target)] = str(exc)
            continue
        rates[(source, target)] = RateQuote(source, target, answer.rate, answer.published_on)
    return rates


async def evaluate_customers(
    ids: Sequence[str], new_uow: Callable[[], UnitOfWork], deps: Deps
) -> dict[str, Evaluation]:
    """The customers' risk as of today, without writing anything (the profile query)."""
    today = deps.today()
    async with new_uow() as uow:
        snapshot = await load_snapshot(uow, ids, today)
    return await _evaluate(snapshot, today, deps)


async def _evaluate(snapshot: Snapshot, today: dt.date, deps: Deps) -> dict[str, Evaluation]:
    needed: dict[tuple[str, str], Money] = {}
    for facts in snapshot.facts.values():
        needed.update(rates_needed(facts, today))
    rates = await fetch_rates(needed, today, deps)
    return {
        cid: evaluate(facts, rates, snapshot.config, today, snapshot.config_version)
        for cid, facts in snapshot.facts.items()
    }


def _holder_customer(use: LimitUse) -> str:
    # A group's alerts go to its parent: the group is named after it.
    return use.limit.holder_id


async def evaluate_batch(
    taken: Sequence[tuple[str, dt.datetime]], new_uow: Callable[[], UnitOfWork], deps: Deps
) -> int:
    """Evaluate the customers taken from the queue, store what follows and raise its alerts; answers how many
    alerts were raised."""
    today = deps.today()
    ids = [c for c, _ in taken]
    async with new_uow() as uow:
        snapshot = await load_snapshot(uow, ids, today)
        stored = await uow.repo.profiles_of(list(snapshot.facts))
        limit_ids = sorted({h.limit.limit_id for f in snapshot.facts.values() for h in f.limits})
        episodes = await uow.repo.episodes(
            [(RuleName.LIMIT_EXCEEDED.value, i) for i in limit_ids]
            + [(RuleName.LIMIT_NEAR.value, i) for i in limit_ids]
        )
    evaluations = await _evaluate(snapshot, today, deps)
    rules = snapshot.config.alerts
    drafts: list[tuple[AlertDraft, str]] = []
    profile_rows: list[ProfileRow] = []
    uses: dict[str, LimitUse] = {}
    now = deps.now()
    for cid, e in evaluations.items():
        facts = e.facts
        before = stored.get(cid)
        watch = before.watch if before is not None else ScoreWatch()
        watch, dropped = score_alert(e.score.value if e.score.rated else None, watch, rules.score_dropped, cid)
        if dropped is not None:
            drafts.append((dropped, cid))
        idle = overdue_alert(cid, e.overdue_due_dates, facts.last_action_on, today, rules.overdue_without_action)
        if idle is not None:
            drafts.append((idle, cid))
        drafts += [(d, cid) for d in dispute_alerts(facts.disputes, today, rules.dispute_open)]
        year = e.windows[12]
        profile_rows.append(
            ProfileRow(
                customer_id=cid,
                entity=facts.customer.entity,
                customer_group=facts.customer.customer_group,
                score=e.score.value if e.score.rated else None,
                watch=watch,
                paid_12m=year.paid_invoices,
                days_after_due_12m=(
                    None
                    if year.weighted_days_after_due is None
                    else int(year.weighted_days_after_due.quantize(Decimal(1), rounding=ROUND_HALF_UP))
                ),
                evaluated_at=now,
            )
        )
        for use in e.limit_uses:
            # A group's limit is the same whichever member brought it: judged once per batch.
            uses.setdefault(use.limit.limit_id, use)
    changed_episodes: dict[tuple[str, str], Episode] = {}
    for lid, use in uses.items():
        exceeded_key, near_key = (RuleName.LIMIT_EXCEEDED.value, lid), (RuleName.LIMIT_NEAR.value, lid)
        outcome = limit_alerts(use, rules, episodes[exceeded_key], episodes[near_key])
        changed_episodes[exceeded_key] = outcome.exceeded
        changed_episodes[near_key] = outcome.near
        drafts += [(d, _holder_customer(use)) for d in outcome.drafts]
    use_rows = [_use_row(u, snapshot.people) for u in uses.values()]
    stale_erp = [erp_limit_id(c) for c in ids if erp_limit_id(c) not in uses]
    async with new_uow() as uow:
        await uow.repo.save_profiles(profile_rows)
        await uow.repo.save_limit_uses(use_rows)
        await uow.repo.drop_limit_uses(stale_erp)
        await uow.repo.save_episodes(changed_episodes)
        raised = await raise_alerts(drafts, uow, deps, known=snapshot.people)
        await uow.repo.clear_dirty(taken)
        await uow.commit()
    return len(raised)


def _use_row(use: LimitUse, people: dict[str, Customer]) -> dict[str, object]:
    limit = use.limit
    holder = people.get(limit.holder_id)
    return {
        "limit_id": limit.limit_id,
        "holder_kind": limit.holder_kind.value,
        "holder_id": limit.holder_id,
        "entity": limit.entity,
        "collector": holder.collector if holder else "",
        "amount": limit.amount.amount,
        "currency": limit.amount.currency,
        "source": limit.source,
        "balance": use.balance.amount if use.balance is not None else None,
        "use_ratio": use.use.quantize(Decimal("0.000001")) if use.use is not None else None,
        "problem": use.problem,
        "computed_on": use.computed_on,
    }


async def evaluation_pass(
    new_uow: Callable[[], UnitOfWork], deps: Deps, batch_size: int = 200, settle_seconds: float = 0.0
) -> tuple[int, int]:
    """Evaluate every customer whose change has settled; answers (customers evaluated, alerts raised)."""
    evaluated = raised = 0
    while True:
        async with new_uow() as uow:
            taken = await uow.repo.settled(deps.now() - dt.timedelta(seconds=settle_seconds), batch_size)
        if not taken:
            return evaluated, raised
        raised += await evaluate_batch(taken, new_uow, deps)
        evaluated += len(taken)


async def daily_pass(new_uow: Callable[[], UnitOfWork], deps: Deps) -> int:
    """Put every customer back in the evaluation queue and raise the alerts of covers expiring; answers how many
    cover alerts were raised."""
    today = deps.today()
    async with new_uow() as uow:
        config, _ = await load_config(uow)
        await uow.repo.mark_all_dirty(deps.now())
        raised = await raise_cover_alerts(uow, deps, config, today)
        await uow.commit()
    return raised


async def raise_cover_alerts(
    uow: UnitOfWork, deps: Deps, config: RiskConfig, today: dt.date, cover_ids: Sequence[str] = ()
) -> int:
    rule = config.alerts.insurance_expiring
    if not rule.enabled:
        return 0
    covers = await uow.repo.covers_in([], expiring_by=today + dt.timedelta(days=rule.days))
    if cover_ids:
        covers = [c for c in covers if c.cover_id in cover_ids]
    drafts: list[tuple[AlertDraft, str]] = []
    entity_of: dict[str, str] = {}
    for cover in covers:
        draft = cover_alert(cover, today, rule)
        if draft is None:
            continue
        customer = "" if cover.holder_kind is HolderKind.ENTITY else cover.holder_id
        drafts.append((draft, customer))
        entity_of[draft.key] = cover.entity
    return len(await raise_alerts(drafts, uow, deps, entity_of=entity_of))
