"""Late-payment penalties in the scenario service: settings per entity and customer, what a customer owes, and the
pass that issues penalty items.

The pass watches the overdue invoices of customers with issuing on. The service keeps only an item's current open
amount, so the pass records the payments it sees (the open amount falling, dated by the ledger change that showed
it) and derives from that history, with ``domain.penalties.issuing``, the items to issue: the compensation once per
invoice, interest per period. Each item is stored under an id made of invoice, kind and period end, and
``PenaltyIssued`` is published in the same transaction only when the row was new: a re-run, a replay or a second
instance issues nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import InvalidRequest, NotFound
from opendso_contracts.convert import date_to_proto, money_to_proto
from opendso_money import Money

from opendso_scenario.domain.penalties import PenaltyError, RateUsed, UnknownReferenceRateError
from opendso_scenario.domain.penalties.issuing import (
    InvoiceHistory,
    Issued,
    PenaltyItem,
    PenaltyKind,
    PenaltySettings,
    PenaltyTerms,
    accrued,
    resolve_terms,
    to_issue,
)
from opendso_scenario.handlers import Deps
from opendso_scenario.store import (
    IssuedPenaltyRecord,
    ItemRecord,
    PenaltySettingsRecord,
    UnitOfWork,
    WatchedInvoiceRecord,
)

log = logging.getLogger(__name__)
_PENALTY_NAMESPACE = uuid.UUID("0b6f3c2e-2f7d-4a8e-9c51-7e4d2a9b1c63")
_KINDS = {
    PenaltyKind.INTEREST.value: col.PENALTY_KIND_INTEREST,
    PenaltyKind.COMPENSATION.value: col.PENALTY_KIND_COMPENSATION,
}


def penalty_id(key: str) -> str:
    """The stored id of a penalty item: derived from its key (invoice, kind, period end), never random."""
    return str(uuid.uuid5(_PENALTY_NAMESPACE, key))


# --- settings -----------------------------------------------------------------------------------------------------


def settings_from_proto(message: col.PenaltySettings, where: str = "settings") -> PenaltySettings:
    """The settings a command carries; ``InvalidRequest`` naming the field when one is malformed."""
    minimum = None
    if message.HasField("minimum_interest") and (message.minimum_interest.amount or message.minimum_interest.currency):
        text, currency = message.minimum_interest.amount, message.minimum_interest.currency
        try:
            minimum = Money(Decimal(text), currency)
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise InvalidRequest(
                f"{where}.minimum_interest: {text!r} {currency!r} is not an amount with its currency ({exc})"
            ) from None
    return PenaltySettings(
        issue_items=message.issue_items if message.HasField("issue_items") else None,
        exempt_interest=message.exempt_interest if message.HasField("exempt_interest") else None,
        exempt_compensation=message.exempt_compensation if message.HasField("exempt_compensation") else None,
        law=message.law.strip().upper(),
        minimum_interest=minimum,
    )


def settings_to_proto(settings: PenaltySettings | None, updated_by: str = "") -> col.PenaltySettings:
    answer = col.PenaltySettings(updated_by=updated_by)
    if settings is None:
        return answer
    if settings.issue_items is not None:
        answer.issue_items = settings.issue_items
    if settings.exempt_interest is not None:
        answer.exempt_interest = settings.exempt_interest
    if settings.exempt_compensation is not None:
        answer.exempt_compensation = settings.exempt_compensation
    answer.law = settings.law
    if settings.minimum_interest is not None:
        answer.minimum_interest.CopyFrom(money_to_proto(settings.minimum_interest))
    return answer


def terms_to_proto(terms: PenaltyTerms) -> col.PenaltyTerms:
    answer = col.PenaltyTerms(
        law=terms.law,
        issue_items=terms.issue_items,
        charge_interest=terms.charge_interest,
        charge_compensation=terms.charge_compensation,
    )
    if terms.minimum_interest is not None:
        answer.minimum_interest.CopyFrom(money_to_proto(terms.minimum_interest))
    return answer


async def _terms(uow: UnitOfWork, entity: str, account_number: str) -> PenaltyTerms:
    entity_settings = await uow.penalties.settings(entity, "")
    own = await uow.penalties.settings(entity, account_number) if account_number else None
    return resolve_terms(
        await uow.repo.law_of(entity),
        None if entity_settings is None else entity_settings.settings,
        None if own is None else own.settings,
    )


async def set_settings(command: col.SetPenaltySettings, uow: UnitOfWork, deps: Deps) -> col.PenaltySettingsSet:
    """Replace an entity's (``account_number`` "") or a customer's penalty settings; the same again is a replay."""
    entity, account = command.entity.strip(), command.account_number.strip()
    if not entity:
        raise InvalidRequest("entity is required")
    if not command.user.strip():
        raise InvalidRequest("user is required: a change of penalty settings records who made it")
    settings = settings_from_proto(command.settings)
    problems = settings.check(customer=bool(account))
    if problems:
        raise InvalidRequest("; ".join(f"settings.{p}" for p in problems))
    if account and await uow.repo.customer(f"{entity}/{account}") is None:
        raise NotFound(f"no customer {account!r} in entity {entity!r}")
    stored = await uow.penalties.settings(entity, account)
    replayed = stored is not None and stored.settings == settings
    if not replayed:
        await uow.penalties.save_settings(
            PenaltySettingsRecord(entity, account, settings, command.user.strip(), deps.now())
        )
        await uow.commit()
    by = stored.updated_by if replayed and stored is not None else command.user.strip()
    return col.PenaltySettingsSet(
        entity=entity,
        account_number=account,
        settings=settings_to_proto(settings, by),
        terms=terms_to_proto(await _terms(uow, entity, account)),
        replayed=replayed,
    )


async def get_settings(query: col.GetPenaltySettings, uow: UnitOfWork) -> col.PenaltySettingsSet:
    """The stored settings of an entity (``account_number`` "") or a customer, empty when none, and what applies."""
    entity, account = query.entity.strip(), query.account_number.strip()
    if not entity:
        raise InvalidRequest("entity is required")
    if account and await uow.repo.customer(f"{entity}/{account}") is None:
        raise NotFound(f"no customer {account!r} in entity {entity!r}")
    stored = await uow.penalties.settings(entity, account)
    settings = settings_to_proto(None) if stored is None else settings_to_proto(stored.settings, stored.updated_by)
    return col.PenaltySettingsSet(
        entity=entity,
        account_number=account,
        settings=settings,
        terms=terms_to_proto(await _terms(uow, entity, account)),
    )


# --- what a customer owes ---------------------------------------------------------------------------------------


def _rates_to_proto(rates: tuple[RateUsed, ...]) -> list[col.PenaltyRate]:
    return [
        col.PenaltyRate(
            period=r.period,
            start=date_to_proto(r.start),
            end=date_to_proto(r.end),
            reference_rate=str(r.reference_rate),
            points=str(r.points),
            rate=str(r.rate),
            fixed_on=r.fixed_on,
        )
        for r in rates
    ]


def _rates_json(rates: tuple[RateUsed, ...]) -> str:
    return json.dumps(
        [
            {
                "period": r.period,
                "start": r.start.isoformat(),
                "end": r.end.isoformat(),
                "reference_rate": str(r.reference_rate),
                "points": str(r.points),
                "rate": str(r.rate),
                "fixed_on": r.fixed_on,
            }
            for r in rates
        ]
    )


def _rates_from_json(text: str) -> list[col.PenaltyRate]:
    return [
        col.PenaltyRate(
            period=r["period"],
            start=date_to_proto(dt.date.fromisoformat(r["start"])),
            end=date_to_proto(dt.date.fromisoformat(r["end"])),
            reference_rate=r["reference_rate"],
            points=r["points"],
            rate=r["rate"],
            fixed_on=r["fixed_on"],
        )
        for r in json.loads(text)
    ]


def issued_to_proto(record: IssuedPenaltyRecord) -> col.IssuedPenalty:
    return col.IssuedPenalty(
        penalty_id=record.penalty_id,
        item_id=record.item_id,
        number=record.number,
        kind=_KINDS[record.kind],
        amount=money_to_proto(Money(record.amount, record.currency)),
        period_from=date_to_proto(record.period_from),
        period_to=date_to_proto(record.period_to),
        rates=_rates_from_json(record.rates),
        law=record.law,
        issued_on=date_to_proto(record.issued_on),
    )


def _issued_by_item(records: list[IssuedPenaltyRecord]) -> dict[str, Issued]:
    found: dict[str, Issued] = {}
    for r in records:
        now = found.get(r.item_id, Issued())
        if r.kind == PenaltyKind.COMPENSATION.value:
            now = Issued(compensation=True, interest_to=now.interest_to)
        elif now.interest_to is None or r.period_to > now.interest_to:
            now = Issued(compensation=now.compensation, interest_to=r.period_to)
        found[r.item_id] = now
    return found


def _history(item: ItemRecord, watched: WatchedInvoiceRecord | None) -> InvoiceHistory:
    """The invoice's history as watched; an invoice not watched yet is taken as it stands (no payment known)."""
    if watched is None:
        return InvoiceHistory(item.item_id, item.number, item.due_date, Money(item.open_amount, item.currency))
    return InvoiceHistory(
        watched.item_id,
        watched.number,
        watched.due_date,
        Money(watched.principal, watched.currency),
        tuple((d, Money(a, watched.currency)) for d, a in watched.payments),
        watched.paid_on,
    )


async def get_penalties(query: col.GetPenalties, uow: UnitOfWork, deps: Deps) -> col.Penalties:
    """What the customer owes in penalties today, per overdue or watched invoice, and the penalty items issued."""
    customer = await uow.repo.customer(query.customer_id)
    if customer is None:
        raise NotFound(f"no customer {query.customer_id!r}")
    today = deps.today()
    entity_settings = await uow.penalties.settings(customer.entity, "")
    own = await uow.penalties.settings(customer.entity, customer.account_number)
    terms = await _terms(uow, customer.entity, customer.account_number)
    watched = await uow.penalties.watched_of(customer.customer_id)
    issued = await uow.penalties.issued_of(customer.customer_id)
    by_item = _issued_by_item(issued)
    invoices: list[col.InvoicePenalties] = []
    for item, _ in sorted(
        await uow.penalties.invoices_of(customer.customer_id), key=lambda p: (p[0].due_date, p[0].number)
    ):
        seen = watched.get(item.item_id)
        if (
            item.due_date >= today
            or (seen is None and item.open_amount <= 0)
            or (seen is not None and seen.closed and item.item_id not in by_item)
        ):
            continue
        history = _history(item, seen)
        done = by_item.get(item.item_id, Issued())
        line = col.InvoicePenalties(
            item_id=item.item_id,
            number=item.number,
            due_date=date_to_proto(item.due_date),
            open_amount=money_to_proto(Money(item.open_amount, item.currency)),
            days_late=max(0, ((history.paid_on or today) - item.due_date).days),
            compensation_issued=done.compensation,
        )
        if done.interest_to is not None:
            line.interest_issued_to.CopyFrom(date_to_proto(done.interest_to))
        if not terms.law:
            line.problem = f"no late-payment law on record for entity {customer.entity} or the customer"
        else:
            try:
                figures = accrued(history, terms, done, today)
            except (PenaltyError, UnknownReferenceRateError) as exc:
                line.problem = str(exc)
            else:
                line.interest_to_date.CopyFrom(money_to_proto(figures.interest_to_date))
                line.interest_not_issued.CopyFrom(money_to_proto(figures.interest_not_issued))
                if figures.compensation is not None:
                    line.compensation.CopyFrom(money_to_proto(figures.compensation))
                line.rates.extend(_rates_to_proto(figures.rates))
        invoices.append(line)
    return col.Penalties(
        customer_id=customer.customer_id,
        entity=customer.entity,
        account_number=customer.account_number,
        terms=terms_to_proto(terms),
        as_of=date_to_proto(today),
        invoices=invoices,
        issued=[issued_to_proto(r) for r in issued],
        entity_settings=settings_to_proto(
            None if entity_settings is None else entity_settings.settings,
            "" if entity_settings is None else entity_settings.updated_by,
        ),
        customer_settings=settings_to_proto(
            None if own is None else own.settings, "" if own is None else own.updated_by
        ),
    )


# --- issuing ---------------------------------------------------------------------------------------------------------


def _watch(
    item: ItemRecord, version: dt.datetime, watched: WatchedInvoiceRecord | None, today: dt.date
) -> WatchedInvoiceRecord:
    """The watch row after reading the item: a first sight, or the payments its open amount shows since."""
    if watched is None:
        return WatchedInvoiceRecord(
            item_id=item.item_id,
            customer_id=item.customer_id,
            number=item.number,
            due_date=item.due_date,
            currency=item.currency,
            principal=item.open_amount,
            payments=(),
            paid_on=None,
            seen_version=version,
            checked_on=today,
            # Paid before issuing was on for it: its history is unknown and nothing is charged for it.
            closed=item.open_amount <= 0,
        )
    history = _history(item, watched).observe(Money(item.open_amount, item.currency), min(version.date(), today))
    return WatchedInvoiceRecord(
        item_id=watched.item_id,
        customer_id=watched.customer_id,
        number=item.number,
        due_date=watched.due_date,
        currency=watched.currency,
        principal=history.principal.amount,
        payments=tuple((d, m.amount) for d, m in history.payments),
        paid_on=history.paid_on,
        seen_version=version,
        checked_on=today,
        closed=False,
    )


def _record(item: PenaltyItem, customer_id: str, entity: str, today: dt.date, now: dt.datetime) -> IssuedPenaltyRecord:
    return IssuedPenaltyRecord(
        penalty_id=penalty_id(item.key),
        item_id=item.item_id,
        customer_id=customer_id,
        entity=entity,
        number=item.number,
        kind=item.kind.value,
        amount=item.amount.amount,
        currency=item.amount.currency,
        period_from=item.period_from,
        period_to=item.period_to,
        law=item.law,
        rates=_rates_json(item.rates),
        basis=item.basis,
        issued_on=today,
        created_at=now,
    )


async def issue_for_customer(customer_id: str, uow: UnitOfWork, deps: Deps) -> int:
    """Watch the customer's overdue invoices and issue what is due; answers how many items were new. Does not
    commit."""
    customer = await uow.repo.customer(customer_id)
    if customer is None:
        return 0
    today = deps.today()
    terms = await _terms(uow, customer.entity, customer.account_number)
    watched = await uow.penalties.watched_of(customer_id)
    by_item = _issued_by_item(await uow.penalties.issued_of(customer_id))
    updates: list[WatchedInvoiceRecord] = []
    issued = 0
    uow.caused_by(None, correlation_id=f"penalties:{customer_id}:{today.isoformat()}")
    for item, version in await uow.penalties.invoices_of(customer_id):
        seen = watched.get(item.item_id)
        if item.due_date >= today or (seen is not None and seen.closed):
            continue
        if seen is not None and seen.checked_on == today and seen.seen_version == version:
            continue
        try:
            row = _watch(item, version, seen, today)
        except PenaltyError as exc:
            log.warning("penalties of %s: %s", item.number, exc)
            continue
        if row.closed:
            updates.append(row)
            continue
        history = _history(item, row)
        try:
            due_now = to_issue(history, terms, by_item.get(item.item_id, Issued()), today)
        except (PenaltyError, UnknownReferenceRateError) as exc:
            # Looked at again tomorrow (a rate table extended, a rate published); the others go on.
            log.warning("no penalty issued for %s under %s: %s", item.number, terms.law, exc)
            updates.append(row)
            continue
        for penalty in due_now:
            record = _record(penalty, customer_id, customer.entity, today, deps.now())
            if await uow.penalties.add_issued(record):
                issued += 1
                await uow.publish(
                    col.PenaltyIssued(
                        meta=uow.meta(entity=customer.entity),
                        customer_id=customer_id,
                        entity=customer.entity,
                        account_number=customer.account_number,
                        penalty=issued_to_proto(record),
                        basis=record.basis,
                    )
                )
        # Paid: its last period ran to the payment date and was issued now or fell under the minimum for good.
        updates.append(WatchedInvoiceRecord(**{**row.__dict__, "closed": history.paid_on is not None}))
    await uow.penalties.save_watched(updates)
    return issued


async def issue_due(uow_factory: Callable[[], UnitOfWork], deps: Deps, limit: int = 200) -> int:
    """One transaction per customer with issuing on and something to look at; answers how many items were issued."""
    async with uow_factory() as uow:
        waiting = await uow.penalties.customers_to_check(deps.today(), limit)
    issued = 0
    for customer_id in waiting:
        async with uow_factory() as uow:
            issued += await issue_for_customer(customer_id, uow, deps)
            await uow.commit()
    return issued


class PenaltyPass:
    """Runs ``issue_due`` at most once per ``interval`` seconds from a loop that turns faster: penalty periods are
    days and months, and the query behind it reads every overdue invoice of the customers issuing."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._next = 0.0

    async def __call__(self, uow_factory: Callable[[], UnitOfWork], deps: Deps) -> int:
        if self.clock() < self._next:
            return 0
        self._next = self.clock() + self.interval
        return await issue_due(uow_factory, deps)
