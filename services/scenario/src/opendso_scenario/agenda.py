"""The agenda: collection tasks filtered, sorted and paged for collectors, and what collectors do with them in
bulk (perform, validate, postpone, reassign, cancel). Each change a person makes is published for the timeline."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import InvalidRequest
from opendso_contracts.convert import date_from_proto, optional_date_from_proto

from opendso_scenario import escalations
from opendso_scenario.handlers import _STATUS_NAME, Deps, _scheduled_message, still_chased, task_to_proto
from opendso_scenario.store import AgendaFilter, TaskRecord, UnitOfWork

MAX_PAGE = 500
MAX_BULK = 1000
_SORTS = ("due_on", "amount", "days_overdue")


def _amount(text: str, field: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidRequest(f"{field}: {text!r} is not a decimal amount") from None
    if not value.is_finite():
        raise InvalidRequest(f"{field}: {text!r} is not a decimal amount")
    return value


def _sort_value(task: TaskRecord, sort: str) -> Any:
    if sort == "amount":
        return str(task.amount or 0)
    if sort == "days_overdue":
        return task.days_overdue
    return task.due_on.isoformat()


def _encode_cursor(task: TaskRecord, sort: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort, _sort_value(task, sort), task.task_id]).encode()).decode()


def _decode_cursor(token: str, sort: str) -> tuple[Any, str] | None:
    if not token:
        return None
    try:
        token_sort, value, task_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        if token_sort != sort:
            raise ValueError(f"it was issued for sort {token_sort!r}")
        if sort == "amount":
            return Decimal(value), str(task_id)
        if sort == "days_overdue":
            return int(value), str(task_id)
        return dt.date.fromisoformat(value), str(task_id)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise InvalidRequest(f"page_token is not a token this service issued: {exc}") from None


async def get_agenda(query: col.GetAgenda, uow: UnitOfWork) -> col.Agenda:
    if query.page_size < 0 or query.page_size > MAX_PAGE:
        raise InvalidRequest(f"page_size must be between 1 and {MAX_PAGE}, got {query.page_size}")
    sort = query.sort or "due_on"
    if sort not in _SORTS:
        raise InvalidRequest(f"sort must be one of {', '.join(_SORTS)}, got {query.sort!r}")
    page_size = query.page_size or 50
    flt = AgendaFilter(
        entity=query.entity,
        customer_id=query.customer_id,
        channel=query.channel,
        status=_STATUS_NAME.get(query.status, ""),
        collector=query.collector,
        min_amount=_amount(query.min_amount, "min_amount"),
        max_amount=_amount(query.max_amount, "max_amount"),
        due_from=optional_date_from_proto(query.due_from),
        due_to=optional_date_from_proto(query.due_to),
        automatic=query.automatic if query.HasField("automatic") else None,
        sort=sort,
    )
    rows, total = await uow.repo.agenda(flt, page_size + 1, _decode_cursor(query.page_token, sort))
    page = rows[:page_size]
    token = _encode_cursor(page[-1], sort) if len(rows) > page_size else ""
    return col.Agenda(tasks=[task_to_proto(t) for t in page], next_page_token=token, total=total)


# What each action needs the task to be, and the status it leaves it in ("" = unchanged).
_ACTIONS: dict[int, tuple[frozenset[str], str]] = {
    col.TASK_ACTION_PERFORM: (frozenset({"open"}), "done"),
    col.TASK_ACTION_VALIDATE: (frozenset({"open"}), "sent"),
    col.TASK_ACTION_POSTPONE: (frozenset({"open", "scheduled"}), ""),
    col.TASK_ACTION_REASSIGN: (frozenset({"open", "scheduled", "sent"}), ""),
    col.TASK_ACTION_CANCEL: (frozenset({"open", "scheduled"}), "cancelled"),
}
_DONE = {
    col.TASK_ACTION_PERFORM: "performed",
    col.TASK_ACTION_VALIDATE: "validated",
    col.TASK_ACTION_POSTPONE: "postponed",
    col.TASK_ACTION_REASSIGN: "reassigned",
    col.TASK_ACTION_CANCEL: "cancelled",
}
_MESSAGE_CHANNELS = frozenset({"email", "sms", "letter"})
_ESCALATING = {col.TASK_ACTION_PERFORM: True, col.TASK_ACTION_VALIDATE: True}


async def update_tasks(command: col.UpdateTasks, uow: UnitOfWork, deps: Deps) -> col.TasksUpdated:
    """The same action on each task; a task it does not fit is reported, the others are still updated."""
    if command.action not in _ACTIONS:
        raise InvalidRequest("action is required: perform, validate, postpone, reassign or cancel")
    if not command.task_ids or len(command.task_ids) > MAX_BULK:
        raise InvalidRequest(f"task_ids: between 1 and {MAX_BULK} tasks, got {len(command.task_ids)}")
    if not command.user.strip():
        raise InvalidRequest("user is required: the agenda records who did what")
    today = deps.today()
    postpone_to: dt.date | None = None
    if command.action == col.TASK_ACTION_POSTPONE:
        if command.postpone_to.year == 0:
            raise InvalidRequest("postpone_to is required to postpone")
        postpone_to = date_from_proto(command.postpone_to)
        if postpone_to < today:
            raise InvalidRequest(f"postpone_to: {postpone_to.isoformat()} is in the past")
    if command.action == col.TASK_ACTION_REASSIGN and not command.collector.strip():
        raise InvalidRequest("collector is required to reassign")
    uow.caused_by(None, correlation_id=command.correlation_id)
    allowed, new_status = _ACTIONS[command.action]
    results: list[col.TaskUpdateResult] = []
    for task_id in dict.fromkeys(command.task_ids):
        task = await uow.repo.task(task_id)
        if task is None:
            results.append(col.TaskUpdateResult(task_id=task_id, error="no such task"))
            continue
        if task.status not in allowed:
            error = f"a {task.status} task cannot be {_DONE[command.action]}"
            results.append(col.TaskUpdateResult(task_id=task_id, error=error))
            continue
        values: dict[str, Any] = {"updated_by": command.user, "comment": command.comment}
        if new_status:
            values["status"] = new_status
        if postpone_to is not None:
            values["due_on"] = postpone_to
            if task.status == "scheduled":
                # Postponed past its slot: it is sent by the pass that finds it due on the new day.
                values["send_at"] = dt.datetime.combine(postpone_to, dt.time(0), dt.UTC)
        if command.action == col.TASK_ACTION_REASSIGN:
            values["collector"] = command.collector.strip()
        if _ESCALATING.get(command.action, False) and task.channel in escalations.CHANNEL_KINDS:
            # A hand-over step (call centre, legal partner, debt sale): doing it escalates its items.
            error = await escalations.escalate_task(task, command.user, command.comment, uow, deps)
            if error:
                results.append(col.TaskUpdateResult(task_id=task_id, error=error))
                continue
        elif command.action == col.TASK_ACTION_VALIDATE:
            error = await _send_validated(task, uow, deps)
            if error:
                results.append(col.TaskUpdateResult(task_id=task_id, error=error))
                continue
        await uow.repo.update_task(task_id, **values)
        updated = await uow.repo.task(task_id)
        assert updated is not None
        proto = task_to_proto(updated)
        await uow.publish(
            col.TaskChanged(
                meta=uow.meta(entity=updated.entity),
                task=proto,
                action=command.action,
                user=command.user,
                comment=command.comment,
            )
        )
        results.append(col.TaskUpdateResult(task_id=task_id, updated=True, task=proto))
    await uow.commit()
    return col.TasksUpdated(results=results)


async def _send_validated(task: TaskRecord, uow: UnitOfWork, deps: Deps) -> str:
    """Send the message of a step a collector validated, with its items as they stand; "" or why not."""
    if task.channel not in _MESSAGE_CHANNELS:
        return f"a {task.channel} task has no message to send: perform it instead"
    scenario = deps.scenarios.get(task.scenario_code)
    record = await uow.repo.customer(task.customer_id)
    if scenario is None or record is None:
        return "its scenario or customer is no longer known"
    contact = await uow.repo.collection_contact(record.customer_id)
    if contact is not None:
        record = replace(record, contact_name=contact[0] or record.contact_name, email=contact[1])
    if task.channel == "email" and not record.email:
        return "the customer has no e-mail address"
    by_id = {i.item_id: i for i in await uow.repo.items_of(task.customer_id)}
    still_open = await still_chased(task, by_id, uow, deps.today())
    if not still_open:
        return "its items are paid or no longer chased (a status excludes them): nothing to send"
    template = scenario.step(task.step_code).template_for(task.channel)
    await uow.publish(await _scheduled_message(task, record, still_open, template, deps.today(), uow))
    return ""
