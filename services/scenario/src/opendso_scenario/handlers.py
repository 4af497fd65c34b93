"""Bus handlers: receivables events keep the local copy of customers and items
current, and mark the customer for evaluation once its changes settle."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import EventMeta
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import NotFound, PermanentError
from opendso_contracts.convert import date_from_proto, date_to_proto, money_to_proto
from opendso_money import Money
from opendso_telemetry import extract_context, tracer

from opendso_scenario import cancellations, deliveries, plans, sending_hours
from opendso_scenario.domain.engine import next_review_on, plan_actions
from opendso_scenario.domain.model import Customer, Item, PerformedAction, PlannedAction, Scenario
from opendso_scenario.domain.penalties import PenaltyError, UnknownLawError, UnknownReferenceRateError, compute, get_law
from opendso_scenario.domain.penalties.issuing import PenaltyTerms, SettingsBook
from opendso_scenario.domain.qualification import ItemStatus, StatusCatalogue, excluded_items
from opendso_scenario.domain.schedule import (
    HolidayCalendar,
    ScheduleError,
    SendingWindow,
    Slot,
    next_send_time,
    window_to_dict,
)
from opendso_scenario.domain.strategy import CustomerFacts, ItemFacts, Strategy, assign, next_reassessment
from opendso_scenario.status_catalogue import catalogue_of
from opendso_scenario.store import CustomerRecord, DirtyCustomer, ItemRecord, TaskRecord, UnitOfWork

_KINDS = {
    rv.ITEM_KIND_INVOICE: "invoice",
    rv.ITEM_KIND_CREDIT_NOTE: "credit_note",
    rv.ITEM_KIND_UNALLOCATED_PAYMENT: "unallocated_payment",
    rv.ITEM_KIND_INSTALMENT: "instalment",
}
_STATUS = {
    "scheduled": col.TASK_STATUS_SCHEDULED,
    "open": col.TASK_STATUS_OPEN,
    "sent": col.TASK_STATUS_SENT,
    "done": col.TASK_STATUS_DONE,
    "cancelled": col.TASK_STATUS_CANCELLED,
}
_STATUS_NAME = {v: k for k, v in _STATUS.items()}
_tracer = tracer("opendso.scenario")
log = logging.getLogger(__name__)
_TASK_NAMESPACE = uuid.UUID("6f1d2a3e-6c1b-4a53-9a1e-0d3c2b1a0f00")


@dataclass(frozen=True)
class Deps:
    """What handlers need besides the message and the unit of work, wired in app.py."""

    today: Callable[[], dt.date]
    now: Callable[[], dt.datetime]
    # How long a customer's data must stay unchanged before it is evaluated.
    settle_seconds: float
    scenarios: dict[str, Scenario]
    default_scenario: str
    # Which scenario chases whom; without rules every customer gets the default scenario.
    strategy: Strategy | None = None
    # Time slots of an entity's sending window (its zone and holidays come with its record).
    slots: tuple[Slot, ...] = ((dt.time(8, 0), dt.time(18, 0)),)
    # How long a payment a debtor declared keeps its items from being chased while the money is on its way.
    declared_payment_pause_days: int = 10


def _customer_record(c: rv.Customer, default_scenario: str) -> CustomerRecord:
    return CustomerRecord(
        customer_id=c.customer_id,
        entity=c.entity,
        account_number=c.account_number,
        name=c.name,
        email=c.email,
        language=c.language or "en",
        contact_name=c.contact_name,
        scenario_code=default_scenario,
        customer_group=c.customer_group,
        collector=c.collector,
        street=c.street.strip(),
        postal_code=c.postal_code.strip(),
        city=c.city.strip(),
        country=c.country.strip().upper()[:2],
        sales_rep=c.sales_rep.strip(),
    )


def _item_record(i: rv.OpenItem) -> ItemRecord:
    return ItemRecord(
        item_id=i.item_id,
        customer_id=i.customer_id,
        number=i.number,
        kind=_KINDS.get(i.kind, "invoice"),
        issue_date=date_from_proto(i.issue_date),
        due_date=date_from_proto(i.due_date),
        open_amount=Decimal(i.open_amount.amount or "0"),
        currency=i.open_amount.currency,
        product_group=i.product_group,
        product=i.product,
        priority=i.priority,
    )


async def record_customer(event: rv.CustomerCreated | rv.CustomerChanged, uow: UnitOfWork, deps: Deps) -> None:
    await uow.repo.upsert_customer(_customer_record(event.customer, deps.default_scenario), _occurred(event.meta))
    await uow.repo.mark_dirty(_dirty(event.customer.customer_id, event.meta, deps))


async def record_item(event: rv.ItemOpened | rv.ItemChanged | rv.ItemClosed, uow: UnitOfWork, deps: Deps) -> None:
    record = _item_record(event.item)
    if isinstance(event, rv.ItemClosed):
        record = ItemRecord(**{**record.__dict__, "open_amount": Decimal("0")})
    await uow.repo.upsert_item(record, _occurred(event.meta))
    await uow.repo.mark_dirty(_dirty(record.customer_id, event.meta, deps))
    await plans.apply_payments([record], uow, deps)
    await cancellations.cancel_paid_messages([record], uow, deps)


async def record_customers(event: rv.CustomersChanged, uow: UnitOfWork, deps: Deps) -> None:
    """A batch from a bulk import: the same as one CustomerCreated/Changed per change."""
    version = _occurred(event.meta)
    await uow.repo.upsert_customers(
        [_customer_record(c.customer, deps.default_scenario) for c in event.changes], version
    )
    await uow.repo.mark_dirty_many([_dirty(c.customer.customer_id, event.meta, deps) for c in event.changes])


async def record_items(event: rv.ItemsChanged, uow: UnitOfWork, deps: Deps) -> None:
    """A batch from a bulk import: the same as one ItemOpened/Changed/Closed per change."""
    records = []
    for change in event.changes:
        record = _item_record(change.item)
        if change.type == rv.CHANGE_TYPE_CLOSED:
            record = ItemRecord(**{**record.__dict__, "open_amount": Decimal("0")})
        records.append(record)
    await uow.repo.upsert_items(records, _occurred(event.meta))
    customers = dict.fromkeys(r.customer_id for r in records)
    await uow.repo.mark_dirty_many([_dirty(c, event.meta, deps) for c in customers])
    await plans.apply_payments(records, uow, deps)
    await cancellations.cancel_paid_messages(records, uow, deps)


async def record_contacts(event: rv.ContactsChanged, uow: UnitOfWork, deps: Deps) -> None:
    """Keep the copy of the customers' contacts; a removed collection contact receives no more reminders.

    Its customer is evaluated again, so what is planned from now on goes to its other collection contact,
    else to the customer's own address, else to a collector. Redelivered or late, a change never undoes a
    newer one: each contact keeps the version of its last change, its removal included.
    """
    version = _occurred(event.meta)
    removed = {c.contact.contact_id: c.contact.customer_id for c in event.changes if c.type == rv.CHANGE_TYPE_REMOVED}
    rows = [
        {
            "contact_id": c.contact.contact_id,
            "customer_id": c.contact.customer_id,
            "name": c.contact.name,
            "email": c.contact.email,
            "role": c.contact.role,
        }
        for c in event.changes
        if c.type != rv.CHANGE_TYPE_REMOVED
    ]
    await uow.repo.upsert_contacts(rows, version)
    if removed:
        await uow.repo.remove_contacts(removed, version)
    customers = dict.fromkeys(c.contact.customer_id for c in event.changes)
    await uow.repo.mark_dirty_many([_dirty(c, event.meta, deps) for c in customers])


async def record_entities(event: rv.EntitiesChanged, uow: UnitOfWork, deps: Deps) -> None:
    """An entity's time zone and holiday calendar make its sending window."""
    windows: dict[str, str] = {}
    for change in event.changes:
        e = change.entity
        try:
            window = SendingWindow(
                time_zone=ZoneInfo(e.time_zone or "UTC"),
                slots=deps.slots,
                calendar=HolidayCalendar.parse(e.holiday_calendar) if e.holiday_calendar else None,
            )
        except (ScheduleError, ZoneInfoNotFoundError, ValueError) as exc:
            raise PermanentError(f"entity {e.code}: no sending window: {exc}") from exc
        windows[e.code] = json.dumps(window_to_dict(window), sort_keys=True)
        if e.late_payment_law:
            try:
                get_law(e.late_payment_law)
            except UnknownLawError as exc:
                raise PermanentError(f"entity {e.code}: {exc}") from exc
    laws = {c.entity.code: c.entity.late_payment_law for c in event.changes}
    await uow.repo.upsert_windows(windows, _occurred(event.meta), laws)


def _occurred(meta: EventMeta) -> dt.datetime:
    return meta.occurred_at.ToDatetime(tzinfo=dt.UTC)


def _dirty(customer_id: str, cause: EventMeta, deps: Deps) -> DirtyCustomer:
    return DirtyCustomer(
        customer_id=customer_id,
        changed_at=deps.now(),
        traceparent=cause.traceparent,
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
    )


async def record_message_sent(event: msg.MessageSent, uow: UnitOfWork, deps: Deps) -> None:
    if event.task_id:
        await uow.repo.set_task_status(event.task_id, "done")


async def record_message_failed(event: msg.MessageFailed, uow: UnitOfWork, deps: Deps) -> None:
    # The automatic action did not happen: back on the agenda for a collector.
    if event.task_id:
        await uow.repo.set_task_status(event.task_id, "open")


# What the daily pass stores for a customer that only a change (an item, a payment, a status) can bring
# an action to: far enough never to come, and still a date the pass's index can compare.
NOTHING_DUE = dt.date(9999, 12, 31)


async def evaluate_customer(customer_id: str, uow: UnitOfWork, deps: Deps) -> int:
    """Create the tasks the customer's scenario calls for today; return how many were new."""
    return await evaluate_customers([customer_id], uow, deps)


async def evaluate_customers(
    customer_ids: list[str], uow: UnitOfWork, deps: Deps, causes: dict[str, DirtyCustomer] | None = None
) -> int:
    """Create the tasks the customers' scenarios call for today; return how many were new.

    Set-based: a handful of statements per batch whatever its size, the planning in memory. Each
    customer's next review day is stored so the daily pass looks only at those whose day has come.
    ``causes`` names the change behind each customer's evaluation, for the messages' envelopes.
    """
    ids = list(dict.fromkeys(customer_ids))
    records = await uow.repo.customers_by_id(ids)
    book: SettingsBook | None = None
    # Items may arrive before their customer; the customer's event will evaluate.
    ids = [c for c in ids if c in records]
    if not ids:
        return 0
    contacts = await uow.repo.collection_contacts(ids)
    # No automatic e-mail to an address that bounced: the step falls to a collector.
    records, contacts = await deliveries.without_bounced_addresses(records, contacts, uow)
    items_of = await uow.repo.items_of_many(ids)
    statuses_of = await uow.qualifications.statuses_of_many(ids)
    past_of = await uow.repo.past_tasks(ids)
    today = deps.today()
    pauses_of = await uow.notes.pauses_of(ids, today)
    # Read once per batch, and only when a customer has statuses.
    catalogue: StatusCatalogue | None = None
    places: dict[str, tuple[SendingWindow | None, str]] = {}
    new_tasks: list[TaskRecord] = []
    messages: list[col.TaskCreated | msg.SendMessage] = []
    assignments: list[tuple[str, str, str, list[str]]] = []
    reviews: dict[str, dt.date] = {}
    for customer_id in ids:
        record = records[customer_id]
        contact = contacts.get(customer_id)
        if contact is not None:
            # Reminders go to the collection contact when the customer has one.
            record = replace(record, contact_name=contact[0] or record.contact_name, email=contact[1])
        item_records = {i.item_id: i for i in items_of[customer_id]}
        items = {
            i.item_id: Item(
                item_id=i.item_id,
                number=i.number,
                kind=i.kind,
                issue_date=i.issue_date,
                due_date=i.due_date,
                open_amount=Money(i.open_amount, i.currency),
                product_group=i.product_group or None,
            )
            for i in item_records.values()
        }
        statuses = statuses_of.get(customer_id)
        if statuses:
            # Disputed, promised, in a plan...: out of the scenario while the status lasts.
            if catalogue is None:
                catalogue = await catalogue_of(uow)
            excluded = excluded_items(
                [ItemStatus(item_id=s.item_id, status_code=s.status_code) for s in statuses.values()], catalogue
            )
            items = {k: replace(v, excluded=True) if k in excluded else v for k, v in items.items()}
        pauses = pauses_of.get(customer_id, {})
        if pauses:
            # A payment the debtor declared: not chased while the money may still be on its way.
            items = {k: replace(v, excluded=True) if k in pauses else v for k, v in items.items()}
        scenario, changed, reassess_on = _assignment(record, item_records, items, today, deps)
        if changed is not None:
            assignments.append(changed)
        customer = Customer(
            customer_id=record.customer_id,
            entity=record.entity,
            account_number=record.account_number,
            name=record.name,
            language=record.language,
            items=tuple(items.values()),
        )
        past = past_of[customer_id]
        existing = {t.key for t in past}
        performed = [
            PerformedAction(step_code=t.step_code, leader_item_id=t.leader_item_id, performed_on=t.created_on)
            for t in past
            if t.scenario_code == scenario.code and t.status != "cancelled"
        ]
        cause = (causes or {}).get(customer_id)
        if cause is not None:
            uow.caused_by(EventMeta(event_id=cause.causation_id, correlation_id=cause.correlation_id))
        for action in plan_actions(customer, scenario, today, performed):
            if action.key in existing:
                continue
            task = _task_from(action, record)
            if record.entity not in places:
                places[record.entity] = (await _window_of(record.entity, uow), await uow.repo.law_of(record.entity))
            window, law = places[record.entity]
            if book is None:
                # Read once per batch, and only when it plans something: most evaluations plan nothing.
                book = await uow.penalties.book_for([(r.entity, r.account_number) for r in records.values()])
            terms = book.terms(record.entity, record.account_number, law)
            if task.status == "sent" and window is not None:
                # Automatic actions go out only inside the entity's days and time slots.
                now = deps.now()
                send_at = next_send_time(window, now, task.channel)
                if send_at > now:
                    task = replace(task, status="scheduled", send_at=send_at)
            new_tasks.append(task)
            messages.append(col.TaskCreated(meta=uow.meta(entity=record.entity), task=task_to_proto(task)))
            if task.status == "sent":
                messages.append(_send_message(action, record, task, today, terms, uow))
            existing.add(action.key)
            performed.append(PerformedAction(action.step.code, action.leader_item_id, today))
        dates = [on for on in (next_review_on(customer, scenario, today, performed), reassess_on) if on is not None]
        # The day a pause ends its items may be due again: looked at then, whatever the scenario says now.
        dates.extend(pauses.values())
        reviews[customer_id] = min(dates, default=NOTHING_DUE)
    await uow.repo.add_tasks(new_tasks)
    await uow.publish_many(list(messages))
    await uow.repo.set_scenarios(assignments)
    await uow.repo.set_next_reviews(reviews)
    return len(new_tasks)


def _assignment(
    record: CustomerRecord,
    item_records: dict[str, ItemRecord],
    items: dict[str, Item],
    today: dt.date,
    deps: Deps,
) -> tuple[Scenario, tuple[str, str, str, list[str]] | None, dt.date | None]:
    """The scenario the strategy gives the customer today, the assignment to store when it changed (kept
    with its reasons for the agenda), and the first day the strategy could choose otherwise."""
    reassess_on = None
    if deps.strategy is None:
        code, rule, explanation = (
            deps.default_scenario,
            "",
            [f"no strategy rules: default scenario '{deps.default_scenario}'"],
        )
    else:
        facts = CustomerFacts(
            customer_id=record.customer_id,
            entity=record.entity,
            customer_group=record.customer_group or None,
            priority=None,
            risk_score=None,
            today=today,
            items=tuple(
                ItemFacts.from_item(
                    items[i.item_id],
                    product_group=i.product_group or None,
                    product=i.product or None,
                    priority=i.priority or None,
                )
                for i in item_records.values()
            ),
        )
        assignment = assign(deps.strategy, facts)
        code, rule, explanation = assignment.scenario_code, assignment.rule_name or "", list(assignment.explanation)
        reassess_on = next_reassessment(deps.strategy, facts)
    changed = None
    if (code, rule, json.dumps(explanation)) != (
        record.scenario_code,
        record.scenario_rule,
        record.scenario_explanation,
    ):
        changed = (record.customer_id, code, rule, explanation)
    return deps.scenarios.get(code) or deps.scenarios[deps.default_scenario], changed, reassess_on


async def _window_of(entity: str, uow: UnitOfWork) -> SendingWindow | None:
    """The entity's sending window, with its own days and slots; None (send at once) for an entity without a
    record."""
    return await sending_hours.window_of(entity, uow)


async def send_scheduled(uow_factory: Callable[[], UnitOfWork], deps: Deps, limit: int = 200) -> int:
    """Send the scheduled automatic actions whose time has come, after a last check that what they chase is
    still unpaid (an action whose items were all paid meanwhile is cancelled) and that the entity's sending hours,
    which may have changed since, are open (else it waits for them). Answers how many went out."""
    now = deps.now()
    async with uow_factory() as uow:
        due = await uow.repo.scheduled_due(now, limit)
    sent = 0
    for waiting in due:
        async with uow_factory() as uow:
            task = await uow.repo.task(waiting.task_id)
            record = await uow.repo.customer(waiting.customer_id)
            if task is None or task.status != "scheduled" or record is None:
                continue
            window = await _window_of(task.entity, uow)
            opens = None if window is None else next_send_time(window, now, task.channel)
            if opens is not None and opens > now:
                # The entity's days or slots changed since the action was planned: it waits for the new ones.
                await uow.repo.update_task(task.task_id, send_at=opens)
                await uow.commit()
                continue
            contact = await uow.repo.collection_contact(record.customer_id)
            if contact is not None:
                record = replace(record, contact_name=contact[0] or record.contact_name, email=contact[1])
            by_id = {i.item_id: i for i in await uow.repo.items_of(record.customer_id)}
            still_open = await still_chased(task, by_id, uow, deps.today())
            scenario = deps.scenarios.get(task.scenario_code)
            if not still_open or scenario is None:
                await uow.repo.set_task_status(task.task_id, "cancelled")
                await uow.commit()
                continue
            uow.caused_by(None, correlation_id=f"scheduled:{task.task_id}")
            template = scenario.step(task.step_code).template_for(task.channel)
            await uow.publish(await _scheduled_message(task, record, still_open, template, deps.today(), uow))
            await uow.repo.set_task_status(task.task_id, "sent")
            await uow.commit()
            sent += 1
    return sent


async def still_chased(
    task: TaskRecord, items: dict[str, ItemRecord], uow: UnitOfWork, today: dt.date
) -> list[ItemRecord]:
    """The task's items that are still unpaid and not excluded (disputed, promised, escalated...) now:
    what an action decided earlier may still chase when it finally goes out. A declared payment still waited
    for on ``today`` excludes its items too."""
    statuses = await uow.qualifications.statuses_of(task.customer_id)
    excluded = excluded_items(
        [ItemStatus(item_id=s.item_id, status_code=s.status_code) for s in statuses.values()],
        await catalogue_of(uow),
    )
    excluded |= set((await uow.notes.pauses_of([task.customer_id], today)).get(task.customer_id, {}))
    return [items[i] for i in task.item_ids if i in items and items[i].open_amount > 0 and i not in excluded]


def _task_from(action: PlannedAction, customer: CustomerRecord) -> TaskRecord:
    automatic_email = action.step.automatic and action.channel == "email" and bool(customer.email)
    # A letter goes out by itself like an e-mail once the ledger gave the customer a postal address.
    automatic_letter = action.step.automatic and action.channel == "letter" and customer.has_postal_address()
    return TaskRecord(
        task_id=str(uuid.uuid5(_TASK_NAMESPACE, action.key)),
        key=action.key,
        customer_id=customer.customer_id,
        entity=customer.entity,
        account_number=customer.account_number,
        customer_name=customer.name,
        scenario_code=action.scenario_code,
        step_code=action.step.code,
        channel=str(action.channel),
        automatic=action.step.automatic,
        # An automatic step with no e-mail (or, for a letter, postal) address falls to a collector.
        status="sent" if automatic_email or automatic_letter else "open",
        due_on=action.due_on,
        leader_item_id=action.leader_item_id,
        item_ids=tuple(i.item_id for i in action.covered_items),
        totals=tuple((str(m.amount), m.currency) for m in action.totals),
        days_overdue=action.days_overdue,
        created_at=dt.datetime.now(dt.UTC),
        collector=customer.collector,
        amount=max((m.amount for m in action.totals), default=None),
    )


def _send_message(
    action: PlannedAction,
    customer: CustomerRecord,
    task: TaskRecord,
    today: dt.date,
    terms: PenaltyTerms,
    uow: UnitOfWork,
) -> msg.SendMessage:
    rows = [(i.item_id, i.number, i.issue_date, i.due_date, i.open_amount) for i in action.covered_items]
    return _message(task, customer, rows, action.template, today, terms, uow)


async def _scheduled_message(
    task: TaskRecord, customer: CustomerRecord, items: list[ItemRecord], template: str, today: dt.date, uow: UnitOfWork
) -> msg.SendMessage:
    """The message of a scheduled action, with its items as they stand when it goes out."""
    rows = [(i.item_id, i.number, i.issue_date, i.due_date, Money(i.open_amount, i.currency)) for i in items]
    book = await uow.penalties.book_for([(customer.entity, customer.account_number)])
    terms = book.terms(customer.entity, customer.account_number, await uow.repo.law_of(customer.entity))
    return _message(task, customer, rows, template, today, terms, uow)


def _message(
    task: TaskRecord,
    customer: CustomerRecord,
    items: list[tuple[str, str, dt.date, dt.date, Money]],
    template: str,
    today: dt.date,
    terms: PenaltyTerms,
    uow: UnitOfWork,
) -> msg.SendMessage:
    lines = [
        msg.MessageItem(
            item_id=item_id,
            number=number,
            issue_date=date_to_proto(issued),
            due_date=date_to_proto(due),
            open_amount=money_to_proto(amount),
            days_overdue=(today - due).days,
        )
        for item_id, number, issued, due, amount in items
    ]
    late, recovery = _penalties(terms, items, today)
    return msg.SendMessage(
        meta=uow.meta(entity=customer.entity),
        message_key=task.key,
        customer_id=customer.customer_id,
        entity=customer.entity,
        account_number=customer.account_number,
        customer_name=customer.name,
        contact_name=customer.contact_name,
        recipient=customer.email,
        language=customer.language,
        channel=task.channel,
        template_code=template,
        items=lines,
        today=date_to_proto(today),
        task_id=task.task_id,
        late_penalty=[money_to_proto(m) for m in late],
        recovery_cost=[money_to_proto(m) for m in recovery],
        **_letter_fields(task, customer, template),
    )


# Letters sent as registered mail: the formal notice, whose eight days run from a date the debtor cannot
# dispute. Decided by template rather than by a per-step flag, so stored scenario definitions need no change.
REGISTERED_LETTER_TEMPLATES = frozenset({"formal_notice_letter"})


def _letter_fields(task: TaskRecord, customer: CustomerRecord, template: str) -> dict[str, Any]:
    """A letter's postal address and registered flag for SendMessage; nothing for other channels."""
    if task.channel != "letter":
        return {}
    lines = [customer.street, f"{customer.postal_code} {customer.city}".strip()]
    return {
        "postal_address": msg.PostalAddress(
            name=customer.name, lines=[line for line in lines if line], country=customer.country
        ),
        "registered": template in REGISTERED_LETTER_TEMPLATES,
    }


def _penalties(
    terms: PenaltyTerms, items: list[tuple[str, str, dt.date, dt.date, Money]], today: dt.date
) -> tuple[list[Money], list[Money]]:
    """Interest to date and the fixed compensation of the overdue items under the customer's terms (its own law,
    else its entity's; nothing it is exempt from), per currency.

    An item the law cannot price (a day outside its rate table, a conversion it needs) is left out and
    logged: the reminder still goes, without a figure that could be wrong.
    """
    law_code = terms.law
    if not law_code:
        return [], []
    law = get_law(law_code)
    interest: dict[str, Money] = {}
    compensation: dict[str, Money] = {}
    for _, number, _, due, amount in items:
        if due >= today or amount.amount <= 0:
            continue
        try:
            penalty = compute(law, amount, due, as_of=today)
        except (PenaltyError, UnknownReferenceRateError) as exc:
            log.warning("no late-payment penalty for %s under %s: %s", number, law_code, exc)
            continue
        if terms.charge_interest:
            interest[penalty.interest.currency] = (
                interest.get(penalty.interest.currency, Money.zero(penalty.interest.currency)) + penalty.interest
            )
        if penalty.compensation is not None and terms.charge_compensation:
            owed = penalty.compensation.amount
            compensation[owed.currency] = compensation.get(owed.currency, Money.zero(owed.currency)) + owed
    return sorted(interest.values(), key=lambda m: m.currency), sorted(compensation.values(), key=lambda m: m.currency)


def task_to_proto(task: TaskRecord) -> col.Task:
    answer = col.Task(
        task_id=task.task_id,
        key=task.key,
        customer_id=task.customer_id,
        entity=task.entity,
        account_number=task.account_number,
        customer_name=task.customer_name,
        scenario_code=task.scenario_code,
        step_code=task.step_code,
        channel=task.channel,
        automatic=task.automatic,
        status=_STATUS[task.status],
        due_on=date_to_proto(task.due_on),
        leader_item_id=task.leader_item_id,
        item_ids=list(task.item_ids),
        totals=[money_to_proto(Money(Decimal(a), c)) for a, c in task.totals],
        days_overdue=task.days_overdue,
        collector=task.collector,
        amount="" if task.amount is None else str(task.amount),
        updated_by=task.updated_by,
        comment=task.comment,
    )
    if task.send_at is not None:
        answer.send_at.FromDatetime(task.send_at if task.send_at.tzinfo else task.send_at.replace(tzinfo=dt.UTC))
    return answer


async def evaluate_settled(uow_factory: Callable[[], UnitOfWork], deps: Deps, limit: int = 1000) -> int:
    """Evaluate customers whose changes have settled, a batch per trace: the customers of one import are
    evaluated together, and the messages they ask for continue that import's trace."""
    before = deps.now() - dt.timedelta(seconds=deps.settle_seconds)
    async with uow_factory() as uow:
        waiting = await uow.repo.settled(before, limit)
    by_trace: dict[str, list[DirtyCustomer]] = {}
    for change in waiting:
        by_trace.setdefault(change.traceparent, []).append(change)
    created = 0
    for traceparent, changes in by_trace.items():
        context = extract_context({"traceparent": traceparent} if traceparent else {})
        with _tracer.start_as_current_span("evaluate customers", context=context) as span:
            span.set_attribute("opendso.customers", len(changes))
            async with uow_factory() as uow:
                causes = {c.customer_id: c for c in changes}
                created += await evaluate_customers(list(causes), uow, deps, causes)
                await uow.repo.clear_dirty_many(changes)
                await uow.commit()
    return created


async def evaluate_all(uow_factory: Callable[[], UnitOfWork], deps: Deps, batch: int = 1000) -> int:
    """The daily pass: the customers whose next step's day has come (or never evaluated), in batches of
    ``batch`` customers per transaction."""
    async with uow_factory() as uow:
        ids = await uow.repo.due_for_review(deps.today())
    created = 0
    for start in range(0, len(ids), batch):
        async with uow_factory() as uow:
            created += await evaluate_customers(ids[start : start + batch], uow, deps)
            await uow.commit()
    return created


async def review_all(uow_factory: Callable[[], UnitOfWork]) -> None:
    """The next daily pass looks at every customer: scenarios or strategy rules changed."""
    async with uow_factory() as uow:
        await uow.repo.review_all()
        await uow.commit()


async def get_customer_scenario(query: col.GetCustomerScenario, uow: UnitOfWork) -> col.CustomerScenario:
    record = await uow.repo.customer(query.customer_id)
    if record is None:
        raise NotFound(f"no customer {query.customer_id!r}")
    return col.CustomerScenario(
        customer_id=record.customer_id,
        scenario_code=record.scenario_code,
        rule_name=record.scenario_rule,
        explanation=json.loads(record.scenario_explanation),
    )
