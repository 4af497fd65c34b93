"""Collectors' qualifications (item statuses, with their follow-up tasks) and the promises to pay they record,
watched until kept or broken. A status that excludes items takes them out of the scenario at the next
evaluation; a broken promise gives them back to it, with a call for the collector."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal

from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest, NotFound
from opendso_contracts.convert import date_from_proto, date_to_proto, money_from_proto, money_to_proto
from opendso_money import CurrencyMismatchError, Money

from opendso_scenario.domain.disputes import assigned_to
from opendso_scenario.domain.notes import NoteKind
from opendso_scenario.domain.promises import (
    Promise,
    PromiseError,
    PromiseState,
    check_promise,
    follow_ups_for_broken,
)
from opendso_scenario.domain.qualification import (
    ConfirmationMessage,
    ItemStatus,
    Qualification,
    Recipient,
    qualification_key,
    qualify,
)
from opendso_scenario.handlers import Deps, task_to_proto
from opendso_scenario.status_catalogue import catalogue_of
from opendso_scenario.store import (
    CustomerRecord,
    DirtyCustomer,
    ItemRecord,
    ItemStatusRecord,
    PromiseRecord,
    TaskRecord,
    UnitOfWork,
)

PROMISE_STATUS = "promise_to_pay"
# Days after the promised day a payment still keeps the promise (bank transfers take a day or two).
PROMISE_GRACE_DAYS = 2
_TASK_NAMESPACE = uuid.UUID("0b8f6c52-3f0e-4a4e-9d59-2a4c1e7b5d11")


def _status_proto(s: ItemStatusRecord) -> col.ItemStatus:
    return col.ItemStatus(
        item_id=s.item_id,
        status_code=s.status_code,
        since=date_to_proto(s.since),
        comment=s.comment,
        owner=s.owner,
        set_by=s.set_by,
    )


def follow_up_task(
    key: str, customer: CustomerRecord, channel: str, step: str, due_on: dt.date, items: list[ItemRecord], comment: str
) -> TaskRecord:
    totals: dict[str, Decimal] = {}
    for i in items:
        totals[i.currency] = totals.get(i.currency, Decimal(0)) + i.open_amount
    return TaskRecord(
        task_id=str(uuid.uuid5(_TASK_NAMESPACE, key)),
        key=key,
        customer_id=customer.customer_id,
        entity=customer.entity,
        account_number=customer.account_number,
        customer_name=customer.name,
        scenario_code=customer.scenario_code,
        step_code=step,
        channel=channel,
        automatic=False,
        status="open",
        due_on=due_on,
        leader_item_id=items[0].item_id if items else "",
        item_ids=tuple(i.item_id for i in items),
        totals=tuple((str(a), c) for c, a in sorted(totals.items())),
        days_overdue=0,
        created_at=dt.datetime.now(dt.UTC),
        collector=customer.collector,
        amount=max(totals.values(), default=None),
        comment=comment,
    )


async def qualify_items(command: col.QualifyItems, uow: UnitOfWork, deps: Deps) -> col.ItemsQualified:
    """Put items of one customer in a status; all or nothing, and a retried request changes nothing."""
    if not command.user.strip():
        raise InvalidRequest("user is required: a qualification records who made it")
    customer = await uow.repo.customer(command.customer_id)
    if customer is None:
        raise NotFound(f"no customer {command.customer_id!r}")
    on = date_from_proto(command.on) if command.on.year else deps.today()
    item_ids = tuple(dict.fromkeys(command.item_ids))
    key = qualification_key(customer.customer_id, command.status_code, on, item_ids)
    stored = await uow.qualifications.statuses_of(customer.customer_id)
    if item_ids and all(i in stored and stored[i].qualification_key == key for i in item_ids):
        return col.ItemsQualified(
            customer_id=customer.customer_id, statuses=[_status_proto(stored[i]) for i in item_ids], replayed=True
        )
    items = {i.item_id: i for i in await uow.repo.items_of(customer.customer_id)}
    current = {
        item_id: ItemStatus(
            item_id=item_id,
            status_code=stored[item_id].status_code if item_id in stored else None,
            closed=item.open_amount <= 0,
        )
        for item_id, item in items.items()
    }
    request = Qualification(
        customer_id=customer.customer_id,
        item_ids=item_ids,
        status_code=command.status_code,
        on=on,
        comment=command.comment,
        owner=command.owner or None,
        user=command.user,
        # Only when the collector asks: writing to the customer is their call, not every status's.
        confirm_to=Recipient.CUSTOMER if command.send_confirmation else None,
    )
    result = qualify(current, request, await catalogue_of(uow))
    if not result.ok:
        raise InvalidRequest("; ".join(str(p) for p in result.problems))
    promise = (
        _promise(command, customer, [items[i] for i in item_ids], on) if command.status_code == PROMISE_STATUS else None
    )
    records = [
        ItemStatusRecord(
            item_id=s.item_id,
            customer_id=customer.customer_id,
            status_code=command.status_code,
            since=on,
            comment=s.comment,
            owner=s.owner or "",
            set_by=s.set_by or command.user,
            qualification_key=key,
        )
        for s in result.statuses
    ]
    await uow.qualifications.save_statuses(records)
    uow.caused_by(None, correlation_id=command.correlation_id)
    reply = col.ItemsQualified(
        meta=uow.meta(entity=customer.entity),
        customer_id=customer.customer_id,
        statuses=[_status_proto(r) for r in records],
    )
    if promise is not None:
        await uow.qualifications.save_promise(promise)
        reply.promise_id = promise.promise_id
        reply.promised_amount.CopyFrom(money_to_proto(Money(promise.amount, promise.currency)))
        reply.promised_on.CopyFrom(date_to_proto(promise.promised_on))
    if result.follow_up is not None and not await uow.repo.task_exists(result.follow_up.key):
        f = result.follow_up
        task = follow_up_task(
            f.key,
            customer,
            f.action,
            f"status:{f.status_code}",
            f.due_on,
            [items[i] for i in f.item_ids],
            f.comment,
        )
        await uow.repo.add_task(task)
        await uow.publish(col.TaskCreated(meta=uow.meta(entity=customer.entity), task=task_to_proto(task)))
        reply.follow_up.CopyFrom(task_to_proto(task))
    if command.send_confirmation:
        reply.confirmation_skipped_reason = await _send_confirmation(
            result.confirmation, command.status_code, customer, [items[i] for i in item_ids], deps.today(), uow
        )
    await uow.publish(reply)
    # Evaluated again at once: excluded items leave the scenario, the others may lead now.
    await uow.repo.mark_dirty(DirtyCustomer(customer.customer_id, deps.now(), "", command.correlation_id, ""))
    await uow.commit()
    return reply


async def _send_confirmation(
    confirmation: ConfirmationMessage | None,
    status_code: str,
    customer: CustomerRecord,
    items: list[ItemRecord],
    today: dt.date,
    uow: UnitOfWork,
) -> str:
    """Publish the confirmation to the customer in the qualification's transaction; answers why none went
    ("" when one did). Messaging sends once per key, so a confirmation published again is not sent twice."""
    if confirmation is None:
        return f"status {status_code!r} sends no confirmation message"
    contact = await uow.repo.collection_contact(customer.customer_id)
    # The collection contact first, as for reminders; else the address on the customer's record.
    name, email = contact if contact is not None else (customer.contact_name, customer.email)
    if not email:
        return "the customer has no e-mail address: no confirmation sent"
    await uow.publish(
        msg.SendMessage(
            meta=uow.meta(entity=customer.entity),
            message_key=confirmation.key,
            customer_id=customer.customer_id,
            entity=customer.entity,
            account_number=customer.account_number,
            customer_name=customer.name,
            contact_name=name or customer.contact_name,
            recipient=email,
            language=customer.language,
            channel="email",
            template_code=confirmation.template,
            items=[
                msg.MessageItem(
                    item_id=i.item_id,
                    number=i.number,
                    issue_date=date_to_proto(i.issue_date),
                    due_date=date_to_proto(i.due_date),
                    open_amount=money_to_proto(Money(i.open_amount, i.currency)),
                    days_overdue=(today - i.due_date).days,
                )
                for i in items
            ],
            today=date_to_proto(today),
            # No task: the confirmation follows the collector's qualification, not a scenario step.
        )
    )
    return ""


def _promise(
    command: col.QualifyItems, customer: CustomerRecord, items: list[ItemRecord], on: dt.date
) -> PromiseRecord:
    if not command.promised_amount.currency or command.promised_on.year == 0:
        raise InvalidRequest("promised_amount and promised_on are required for a promise to pay")
    try:
        amount = money_from_proto(command.promised_amount)
        promise = Promise(
            customer_id=customer.customer_id,
            item_ids=tuple(i.item_id for i in items),
            amount=amount,
            promised_on=date_from_proto(command.promised_on),
            created_on=on,
            by=command.user,
        )
    except (PromiseError, ValueError) as exc:
        raise InvalidRequest(f"promise: {exc}") from None
    owed = [i for i in items if i.currency == amount.currency]
    if not owed:
        raise InvalidRequest(f"promised_amount: none of the items is in {amount.currency}")
    return PromiseRecord(
        promise_id=promise.promise_id,
        customer_id=customer.customer_id,
        item_ids=promise.item_ids,
        amount=amount.amount,
        currency=amount.currency,
        promised_on=promise.promised_on,
        created_on=on,
        by_user=command.user,
        open_at_creation=sum((i.open_amount for i in owed), Decimal(0)),
        state="pending",
    )


async def check_promises(uow_factory: Callable[[], UnitOfWork], deps: Deps, limit: int = 500) -> int:
    """Settle the promises whose day (plus grace) has passed: kept, or broken with an event and a call.
    Answers how many were found broken."""
    today = deps.today()
    async with uow_factory() as uow:
        due = await uow.qualifications.pending_promises(today - dt.timedelta(days=PROMISE_GRACE_DAYS), limit)
    broken = 0
    for record in due:
        async with uow_factory() as uow:
            customer = await uow.repo.customer(record.customer_id)
            items = {i.item_id: i for i in await uow.repo.items_of(record.customer_id)}
            open_now = sum(
                (items[i].open_amount for i in record.item_ids if i in items and items[i].currency == record.currency),
                Decimal(0),
            )
            paid = max(record.open_at_creation - open_now, Decimal(0))
            promise = Promise(
                customer_id=record.customer_id,
                item_ids=record.item_ids,
                amount=Money(record.amount, record.currency),
                promised_on=record.promised_on,
                created_on=record.created_on,
                by=record.by_user,
            )
            # What the items owe less since the promise is what was paid towards it, within the window.
            payments = [(record.promised_on, Money(paid, record.currency))] if paid else []
            try:
                check = check_promise(promise, payments, today, PROMISE_GRACE_DAYS)
            except CurrencyMismatchError:
                continue
            if check.state is PromiseState.KEPT:
                await uow.qualifications.set_promise_state(record.promise_id, "kept")
            elif check.state is PromiseState.BROKEN and customer is not None:
                follow = follow_ups_for_broken(promise, check, today)
                assert follow is not None
                task = follow_up_task(
                    follow.task.key,
                    customer,
                    follow.task.action,
                    "promise_broken",
                    follow.task.due_on,
                    [items[i] for i in record.item_ids if i in items],
                    follow.task.reason,
                )
                if not await uow.repo.task_exists(task.key):
                    await uow.repo.add_task(task)
                    await uow.publish(col.TaskCreated(meta=uow.meta(entity=customer.entity), task=task_to_proto(task)))
                await uow.qualifications.clear_status(record.item_ids, "promise_to_pay")
                await uow.qualifications.set_promise_state(record.promise_id, "broken")
                await uow.publish(
                    col.PromiseBroken(
                        meta=uow.meta(entity=customer.entity),
                        promise_id=record.promise_id,
                        customer_id=record.customer_id,
                        item_ids=list(record.item_ids),
                        promised_amount=money_to_proto(promise.amount),
                        paid=money_to_proto(check.paid),
                        missing=money_to_proto(check.missing),
                        promised_on=date_to_proto(record.promised_on),
                        task_id=task.task_id,
                    )
                )
                # The items are chased again by the scenario.
                await uow.repo.mark_dirty(DirtyCustomer(customer.customer_id, deps.now(), "", "", ""))
                broken += 1
            else:
                continue
            await uow.commit()
    return broken


DISPUTE_STATUS = "dispute"
MAX_DISPUTES = 500


async def list_disputes(query: col.ListDisputes, uow: UnitOfWork) -> col.Disputes:
    """Open disputes (of an entity, a customer, assigned to some users), newest first, with the answers given on
    them. Filtered in memory after reading the entity's disputes: they are hundreds, not millions."""
    limit = query.limit if 0 < query.limit <= MAX_DISPUTES else MAX_DISPUTES
    statuses = await uow.qualifications.in_status(DISPUTE_STATUS, query.entity, query.customer_id)
    customer_ids = list(dict.fromkeys(s.customer_id for s in statuses))
    customers = await uow.repo.customers_by_id(customer_ids)
    names = [n for n in query.assignees if n.strip()]
    chosen = [
        s
        for s in statuses
        if s.customer_id in customers
        and (
            not names
            or assigned_to(s.owner, customers[s.customer_id].collector, customers[s.customer_id].sales_rep, names)
        )
    ]
    answer = col.Disputes(truncated=len(chosen) > limit)
    chosen = chosen[:limit]
    wanted = list(dict.fromkeys(s.customer_id for s in chosen))
    items = {i.item_id: i for found in (await uow.repo.items_of_many(wanted)).values() for i in found}
    answers = await uow.notes.notes_of_many(wanted, NoteKind.DISPUTE_ANSWER.value)
    for s in chosen:
        customer = customers[s.customer_id]
        item = items.get(s.item_id)
        if item is None or item.open_amount <= 0:
            continue
        answer.disputes.add(
            customer_id=s.customer_id,
            entity=customer.entity,
            account_number=customer.account_number,
            customer_name=customer.name,
            item_id=s.item_id,
            item_number=item.number,
            open_amount=money_to_proto(Money(item.open_amount, item.currency)),
            due_date=date_to_proto(item.due_date),
            since=date_to_proto(s.since),
            owner=s.owner,
            comment=s.comment,
            set_by=s.set_by,
            collector=customer.collector,
            sales_rep=customer.sales_rep,
            answers=[n.text for n in answers.get(s.customer_id, []) if s.item_id in n.item_ids],
        )
    return answer


DEFAULT_PROMISES = 100
MAX_PROMISES = 500
# The store's "pending" is what a user calls open: still watched, neither kept nor broken yet.
_PROMISE_STATES = {"pending": "open", "kept": "kept", "broken": "broken"}


async def list_promises(query: col.ListPromises, uow: UnitOfWork) -> col.Promises:
    """A customer's promises to pay, kept, broken or open, latest promised day first."""
    if not query.customer_id:
        raise InvalidRequest("customer_id is required")
    limit = DEFAULT_PROMISES if query.limit <= 0 else min(query.limit, MAX_PROMISES)
    found = sorted(
        await uow.qualifications.promises_of(query.customer_id),
        key=lambda p: (p.promised_on, p.created_on, p.promise_id),
        reverse=True,
    )
    answer = col.Promises(truncated=len(found) > limit)
    for p in found[:limit]:
        answer.promises.add(
            promise_id=p.promise_id,
            customer_id=p.customer_id,
            item_ids=list(p.item_ids),
            promised_amount=money_to_proto(Money(p.amount, p.currency)),
            promised_on=date_to_proto(p.promised_on),
            created_on=date_to_proto(p.created_on),
            by_user=p.by_user,
            state=_PROMISE_STATES.get(p.state, p.state),
        )
    return answer
