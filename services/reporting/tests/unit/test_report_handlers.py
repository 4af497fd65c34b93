"""What each event writes to the reports' read models, over a fake repository; and the export's files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, Money
from opendso.matching.v1 import matching_pb2 as mt
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_reporting import report_handlers
from opendso_reporting.export import report_file, table_of
from opendso_reporting.report_store import Activity, ItemState, Receipt, StatusState


class FakeReports:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        async def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, args[0] if args else kwargs))

        return record


class FakeUow:
    def __init__(self) -> None:
        self.reports = FakeReports()


def at(event: Any) -> Any:
    event.meta.event_id = "ev-1"
    event.meta.occurred_at.FromDatetime(dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC))
    return event


async def test_an_allocation_is_a_receipt_per_item_and_one_for_what_it_left_on_account() -> None:
    uow = FakeUow()
    event = at(
        mt.PaymentAllocated(
            allocation_id="A1",
            entity="FR01",
            customer_id="FR01/C1",
            allocations=[mt.Allocation(item_id="I1", amount=Money(amount="80.00", currency="EUR"))],
            unallocated=Money(amount="20.00", currency="EUR"),
            booking_date=Date(year=2026, month=11, day=20),
        )
    )
    await report_handlers.record_allocation(event, uow)  # type: ignore[arg-type]
    ((name, receipts),) = uow.reports.calls
    assert name == "put_receipts"
    assert [(r.receipt_id, r.item_id, r.amount.amount, r.booking_date) for r in receipts] == [
        ("A1|I1", "I1", Decimal("80.00"), dt.date(2026, 11, 20)),
        ("A1|", "", Decimal("20.00"), dt.date(2026, 11, 20)),
    ]
    assert all(isinstance(r, Receipt) for r in receipts)


async def test_a_dispute_and_a_promise_count_for_who_set_them_and_a_replay_counts_nothing() -> None:
    uow = FakeUow()
    event = at(
        col.ItemsQualified(
            customer_id="FR01/C1",
            promise_id="P1",
            statuses=[col.ItemStatus(item_id="I1", status_code="dispute", set_by="ann", comment="price")],
        )
    )
    await report_handlers.record_qualification(("dispute",))(event, uow)  # type: ignore[arg-type]
    (_, statuses), (_, activities) = uow.reports.calls
    assert statuses == [StatusState("I1", "FR01/C1", "dispute", dt.date(2026, 11, 24), "", "price")]
    assert activities == [
        Activity("ev-1/promise", dt.date(2026, 11, 24), "ann", "FR01/C1", "promise"),
        Activity("ev-1/dispute", dt.date(2026, 11, 24), "ann", "FR01/C1", "dispute"),
    ]
    replayed = FakeUow()
    event.replayed = True
    await report_handlers.record_qualification(("dispute",))(event, replayed)  # type: ignore[arg-type]
    assert replayed.reports.calls == []


async def test_only_performed_or_validated_tasks_are_actions() -> None:
    uow = FakeUow()
    for action in (col.TASK_ACTION_POSTPONE, col.TASK_ACTION_PERFORM):
        await report_handlers.record_task(  # type: ignore[arg-type]
            at(col.TaskChanged(task=col.Task(customer_id="C1"), action=action, user="ann")), uow
        )
    assert [a.kind for _, acts in uow.reports.calls for a in acts] == ["action"]


async def test_a_closed_item_is_stored_with_nothing_open_on_its_closing_day() -> None:
    uow = FakeUow()
    item = rv.OpenItem(
        item_id="I1",
        customer_id="C1",
        entity="FR01",
        kind=rv.ITEM_KIND_INVOICE,
        due_date=Date(year=2026, month=11, day=1),
        amount=Money(amount="100.00", currency="EUR"),
        open_amount=Money(amount="100.00", currency="EUR"),
    )
    await report_handlers.record_item(  # type: ignore[arg-type]
        at(rv.ItemClosed(item=item, closed_on=Date(year=2026, month=11, day=20))), uow
    )
    ((name, (state,)),) = uow.reports.calls
    assert name == "put_items" and isinstance(state, ItemState)
    assert (state.open_amount.amount, state.amount.amount, state.closed_on) == (
        Decimal(0),
        Decimal("100.00"),
        dt.date(2026, 11, 20),
    )


def test_an_export_keeps_amounts_as_numbers_and_defuses_formulas() -> None:
    report = rp.DisputeReport()
    report.rows.add(
        key="=HYPERLINK(1)",
        label="-x",
        currency="EUR",
        count=2,
        amount={"amount": "10.50", "currency": "EUR"},
        average_age_days="3.5",
        oldest_age_days=4,
    )
    head, lines = table_of(report)
    assert head == ["key", "label", "currency", "count", "amount", "average_age_days", "oldest_age_days"]
    assert lines[0][4] == Decimal("10.50")
    file = report_file(report, xlsx=False, as_of="2026-11-24")
    (_, row) = list(csv.reader(io.StringIO(file.content.decode())))
    assert row[:2] == ["'=HYPERLINK(1)", "'-x"] and row[4] == "10.50"
    assert file.file_name == "disputes-2026-11-24.csv" and file.rows == 1
