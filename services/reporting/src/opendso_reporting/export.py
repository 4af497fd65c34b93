"""Every report as a table for a spreadsheet: one line per row, a column per bucket or period; CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from google.protobuf.message import Message
from opendso.reporting.v1 import reporting_pb2 as rp

Cell = str | int | Decimal
Table = tuple[list[str], list[list[Cell]]]

NAMES = {
    rp.AgingBalance: "aging",
    rp.DsoReport: "dso",
    rp.CashReceipts: "cash-receipts",
    rp.CashForecast: "cash-forecast",
    rp.DisputeReport: "disputes",
    rp.ItemStatusReport: "item-status",
    rp.CollectorActivity: "collector-activity",
}


def _amount(text: str) -> Decimal:
    # Amounts go out as numbers so a spreadsheet sums them; decimal, never float.
    return Decimal(text or "0")


def table_of(report: Message) -> Table:
    """The report's header line and data lines."""
    head = ["key", "label", "currency"]
    lines: list[list[Cell]] = []
    if isinstance(report, rp.AgingBalance):
        labels = [b.label for b in report.rows[0].buckets] if report.rows else []
        head += [*labels, "total", "overdue", "percent_overdue", "count"]
        for a in report.rows:
            lines.append(
                [
                    a.key,
                    a.label,
                    a.currency,
                    *(_amount(b.amount.amount) for b in a.buckets),
                    _amount(a.total.amount),
                    _amount(a.overdue.amount),
                    _amount(a.percent_overdue),
                    a.count,
                ]
            )
    elif isinstance(report, rp.DsoReport):
        head += ["receivables", "period_sales", "period_days", "simple_dso", "countback_dso", "countback_exhausted"]
        for r in report.rows:
            lines.append(
                [
                    r.key,
                    r.label,
                    r.currency,
                    _amount(r.receivables.amount),
                    _amount(r.period_sales.amount),
                    r.period_days,
                    r.simple_dso,
                    r.countback_dso,
                    "yes" if r.countback_exhausted else "no",
                ]
            )
    elif isinstance(report, rp.CashReceipts):
        labels = [p.label for p in report.rows[0].periods] if report.rows else []
        head += [*labels, "total", "count"]
        for c in report.rows:
            lines.append(
                [
                    c.key,
                    c.label,
                    c.currency,
                    *(_amount(p.amount.amount) for p in c.periods),
                    _amount(c.total.amount),
                    c.count,
                ]
            )
    elif isinstance(report, rp.CashForecast):
        labels = [p.label for p in report.rows[0].periods] if report.rows else []
        head += ["overdue", "disputed", *labels, "later", "total"]
        for f in report.rows:
            lines.append(
                [
                    f.key,
                    f.label,
                    f.currency,
                    _amount(f.overdue.amount),
                    _amount(f.disputed.amount),
                    *(_amount(p.amount.amount) for p in f.periods),
                    _amount(f.later.amount),
                    _amount(f.total.amount),
                ]
            )
    elif isinstance(report, rp.DisputeReport):
        head += ["count", "amount", "average_age_days", "oldest_age_days"]
        for dr in report.rows:
            lines.append(
                [
                    dr.key,
                    dr.label,
                    dr.currency,
                    dr.count,
                    _amount(dr.amount.amount),
                    _amount(dr.average_age_days),
                    dr.oldest_age_days,
                ]
            )
    elif isinstance(report, rp.ItemStatusReport):
        statuses = sorted({s.status for r in report.rows for s in r.statuses})
        head += [
            "overdue",
            "overdue_count",
            "qualified",
            "qualified_count",
            "percent_qualified",
            "percent_qualified_count",
            *(f"status:{s or 'none'}" for s in statuses),
        ]
        for s in report.rows:
            by_status = {x.status: _amount(x.amount.amount) for x in s.statuses}
            lines.append(
                [
                    s.key,
                    s.label,
                    s.currency,
                    _amount(s.overdue.amount),
                    s.overdue_count,
                    _amount(s.qualified.amount),
                    s.qualified_count,
                    _amount(s.percent_qualified),
                    _amount(s.percent_qualified_count),
                    *(by_status.get(x, Decimal(0)) for x in statuses),
                ]
            )
    elif isinstance(report, rp.CollectorActivity):
        head = [
            "key",
            "label",
            "actions_done",
            "messages_sent",
            "promises_obtained",
            "disputes_recorded",
            "payments",
            "collected",
        ]
        for act in report.rows:
            lines.append(
                [
                    act.key,
                    act.label,
                    act.actions_done,
                    act.messages_sent,
                    act.promises_obtained,
                    act.disputes_recorded,
                    act.payments,
                    "; ".join(f"{m.amount} {m.currency}" for m in act.collected),
                ]
            )
    else:
        raise TypeError(f"not a report: {type(report).__name__}")
    return head, lines


def _text(value: Cell) -> str:
    text = str(value)
    # A cell starting like a formula would run in the reader's spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not isinstance(value, (int, Decimal)) else text


def to_csv(head: Sequence[str], lines: Sequence[Sequence[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(head)
    for line in lines:
        writer.writerow([_text(v) for v in line])
    return out.getvalue().encode("utf-8")


def to_xlsx(head: Sequence[str], lines: Sequence[Sequence[Cell]], title: str) -> bytes:
    from openpyxl import Workbook  # only an export needs it

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(head))
    for line in lines:
        sheet.append([v if isinstance(v, (int, Decimal)) else _text(v) for v in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_file(report: Message, xlsx: bool, as_of: str) -> rp.ReportFile:
    head, lines = table_of(report)
    name = f"{NAMES[type(report)]}-{as_of}"
    header: rp.ReportHeader = report.header  # type: ignore[attr-defined]
    if xlsx:
        return rp.ReportFile(
            file_name=f"{name}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            content=to_xlsx(head, lines, NAMES[type(report)]),
            rows=len(lines),
            next_page_token=header.next_page_token,
        )
    return rp.ReportFile(
        file_name=f"{name}.csv",
        content_type="text/csv; charset=utf-8",
        content=to_csv(head, lines),
        rows=len(lines),
        next_page_token=header.next_page_token,
    )
