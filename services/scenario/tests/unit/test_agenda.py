"""The agenda over fakes: filters, sorts and paging, and collectors' bulk actions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest
from opendso_contracts.convert import date_to_proto
from opendso_scenario import agenda

from .test_handlers import TODAY, Harness, customer_event, item_event


async def chased(h: Harness, *overdue_amounts: tuple[int, str]) -> None:
    await h.handle(customer_event())
    for n, (days, amount) in enumerate(overdue_amounts):
        await h.handle(item_event(f"F-{n}", days_overdue=days, amount=amount))
    await h.settle()


def with_tasks(h: Harness, count: int) -> list[str]:
    """`count` open tasks of different amounts, collectors and due dates, straight into the repository."""
    [template] = [t for t in h.repo.tasks.values()]
    ids = []
    for n in range(count):
        task = dataclasses.replace(
            template,
            task_id=f"t{n:02d}",
            key=f"k{n}",
            status="open",
            amount=Decimal(100 * ((n * 7) % count)),
            collector="anna" if n % 2 else "ben",
            due_on=TODAY - dt.timedelta(days=n),
            days_overdue=n,
        )
        h.repo.tasks[task.task_id] = task
        ids.append(task.task_id)
    del h.repo.tasks[template.task_id]
    return ids


async def test_the_agenda_filters_by_collector_and_amount_and_pages_largest_first() -> None:
    h = Harness()
    await chased(h, (4, "100.00"))
    with_tasks(h, 10)
    seen: list[str] = []
    token = ""
    while True:
        page = await agenda.get_agenda(
            col.GetAgenda(collector="anna", min_amount="200", sort="amount", page_size=2, page_token=token), h.uow()
        )
        seen.extend(t.task_id for t in page.tasks)
        token = page.next_page_token
        if not token:
            break
    amounts = [h.repo.tasks[i].amount for i in seen]
    assert all(h.repo.tasks[i].collector == "anna" for i in seen)
    assert amounts == sorted(amounts, reverse=True) and min(amounts) >= 200  # type: ignore[type-var]
    assert page.total == len(seen) == len(set(seen))


async def test_a_token_of_one_sort_is_refused_for_another_and_bad_amounts_are_named() -> None:
    h = Harness()
    await chased(h, (4, "100.00"))
    with_tasks(h, 5)
    page = await agenda.get_agenda(col.GetAgenda(sort="amount", page_size=2), h.uow())
    with pytest.raises(InvalidRequest, match="issued for sort 'amount'"):
        await agenda.get_agenda(col.GetAgenda(sort="due_on", page_token=page.next_page_token), h.uow())
    with pytest.raises(InvalidRequest, match="max_amount: '1,5' is not a decimal amount"):
        await agenda.get_agenda(col.GetAgenda(max_amount="1,5"), h.uow())
    with pytest.raises(InvalidRequest, match="sort must be one of"):
        await agenda.get_agenda(col.GetAgenda(sort="name"), h.uow())


async def test_bulk_actions_update_what_fits_and_say_why_not_for_the_rest() -> None:
    h = Harness()
    await chased(h, (4, "100.00"))
    ids = with_tasks(h, 4)
    h.repo.tasks["t03"] = dataclasses.replace(h.repo.tasks["t03"], status="done")
    answer = await agenda.update_tasks(
        col.UpdateTasks(task_ids=[*ids, "nope"], action=col.TASK_ACTION_REASSIGN, collector="chloe", user="lead"),
        h.uow(),
        h.deps,
    )
    by_id = {r.task_id: r for r in answer.results}
    assert [i for i, r in by_id.items() if r.updated] == ["t00", "t01", "t02"]
    assert by_id["t03"].error == "a done task cannot be reassigned"
    assert by_id["nope"].error == "no such task"
    assert {h.repo.tasks[i].collector for i in ("t00", "t01", "t02")} == {"chloe"}
    changed = h.published(col.TaskChanged)
    assert [(c.task.task_id, c.user, c.action) for c in changed] == [
        (i, "lead", col.TASK_ACTION_REASSIGN) for i in ("t00", "t01", "t02")
    ]

    postponed = await agenda.update_tasks(
        col.UpdateTasks(
            task_ids=["t00"],
            action=col.TASK_ACTION_POSTPONE,
            postpone_to=date_to_proto(TODAY + dt.timedelta(days=7)),
            user="anna",
            comment="customer on holiday",
        ),
        h.uow(),
        h.deps,
    )
    assert postponed.results[0].updated
    assert (h.repo.tasks["t00"].due_on, h.repo.tasks["t00"].comment) == (
        TODAY + dt.timedelta(days=7),
        "customer on holiday",
    )
    with pytest.raises(InvalidRequest, match="is in the past"):
        await agenda.update_tasks(
            col.UpdateTasks(
                task_ids=["t00"],
                action=col.TASK_ACTION_POSTPONE,
                postpone_to=date_to_proto(TODAY - dt.timedelta(1)),
                user="a",
            ),
            h.uow(),
            h.deps,
        )

    performed = await agenda.update_tasks(
        col.UpdateTasks(task_ids=["t01"], action=col.TASK_ACTION_PERFORM, user="anna", comment="called, will pay"),
        h.uow(),
        h.deps,
    )
    assert performed.results[0].task.status == col.TASK_STATUS_DONE


async def test_validating_a_step_sends_its_message_with_the_items_still_open() -> None:
    h = Harness()
    await chased(h, (4, "100.00"))
    [task] = h.repo.tasks.values()
    # As a key-account step would be: an e-mail a collector must validate first.
    h.repo.tasks[task.task_id] = dataclasses.replace(task, status="open", automatic=False)
    before = len(h.published(msg.SendMessage))
    answer = await agenda.update_tasks(
        col.UpdateTasks(task_ids=[task.task_id], action=col.TASK_ACTION_VALIDATE, user="anna"), h.uow(), h.deps
    )
    assert answer.results[0].updated
    [sent] = h.published(msg.SendMessage)[before:]
    assert (sent.task_id, sent.template_code, [i.number for i in sent.items]) == (
        task.task_id,
        "first_reminder",
        ["F-0"],
    )
    assert h.repo.tasks[task.task_id].status == "sent"


async def test_a_bulk_action_needs_a_user_and_a_bounded_list() -> None:
    h = Harness()
    with pytest.raises(InvalidRequest, match="user is required"):
        await agenda.update_tasks(col.UpdateTasks(task_ids=["t"], action=col.TASK_ACTION_PERFORM), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="between 1 and 1000 tasks"):
        await agenda.update_tasks(col.UpdateTasks(action=col.TASK_ACTION_PERFORM, user="a"), h.uow(), h.deps)
