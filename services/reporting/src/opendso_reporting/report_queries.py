"""The report queries: a request's scope → the read models' sums → the currency asked for → the domain's
figures → the reply. Conversions use the FX service's rate of the as-of day; a missing one is never guessed."""

from __future__ import annotations

import base64
import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

from opendso.common.v1.common_pb2 import Money as PbMoney
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus import InvalidRequest
from opendso_contracts.convert import date_from_proto, date_to_proto

from opendso_reporting.domain import reports as d
from opendso_reporting.domain.aging import DEFAULT_BUCKETS, Bucket, validate_buckets
from opendso_reporting.domain.currency import CurrencyPlan, MissingRate, Mode, needed_rates, plan
from opendso_reporting.report_store import Level, Raw, Scope
from opendso_reporting.store import UnitOfWork

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_FORECAST_PERIODS = 104

LEVELS = {
    rp.REPORT_LEVEL_UNSPECIFIED: Level.GROUP,
    rp.REPORT_LEVEL_GROUP: Level.GROUP,
    rp.REPORT_LEVEL_ENTITY: Level.ENTITY,
    rp.REPORT_LEVEL_CUSTOMER_GROUP: Level.CUSTOMER_GROUP,
    rp.REPORT_LEVEL_SECTOR: Level.SECTOR,
    rp.REPORT_LEVEL_CUSTOMER: Level.CUSTOMER,
    rp.REPORT_LEVEL_COLLECTOR: Level.COLLECTOR,
}
MODES = {
    rp.CURRENCY_MODE_UNSPECIFIED: Mode.ITEM,
    rp.CURRENCY_MODE_ITEM: Mode.ITEM,
    rp.CURRENCY_MODE_ENTITY: Mode.ENTITY,
    rp.CURRENCY_MODE_GROUP: Mode.GROUP,
}


class RateSource(Protocol):
    async def __call__(self, from_currency: str, to_currency: str, on: dt.date) -> Decimal:
        """Units of to_currency one unit of from_currency buys on the day; MissingRate when none is known."""
        ...


@dataclass(frozen=True)
class ReportDeps:
    rates: RateSource
    today: Callable[[], dt.date]
    dispute_codes: tuple[str, ...] = ("dispute", "litigation")
    # Used when no entity names the group currency.
    group_currency: str = ""


# ---- the request's frame: scope, page, currency -----------------------------------------------------------


@dataclass
class Frame:
    scope: Scope
    mode: Mode
    as_of: dt.date
    today: dt.date
    page_size: int
    after: str
    header: rp.ReportHeader
    plan: CurrencyPlan | None = None
    labels: dict[str, str] | None = None


def _decode_token(token: str) -> str:
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("page_token is not a token this service issued") from None


def _encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


async def frame_of(pb: rp.ReportScope, uow: UnitOfWork, deps: ReportDeps) -> Frame:
    if pb.level not in LEVELS:
        raise InvalidRequest(f"unknown level {pb.level}")
    if pb.currency_mode not in MODES:
        raise InvalidRequest(f"unknown currency mode {pb.currency_mode}")
    if not 0 <= pb.page_size <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {pb.page_size}")
    level = LEVELS[pb.level]
    today = deps.today()
    try:
        as_of = date_from_proto(pb.as_of) if pb.as_of.year else today
    except ValueError as exc:
        raise InvalidRequest(f"as_of is not a date: {exc}") from None
    if as_of > today:
        raise InvalidRequest(f"as_of {as_of} is in the future")
    key: str | None = pb.key if (pb.key or pb.unset_key) else None
    if level is Level.GROUP:
        key = None
    if (pb.customer_group or pb.sector) and level is not Level.CUSTOMER:
        raise InvalidRequest("customer_group and sector filters apply at the customer level only")
    scope = Scope(
        level=level,
        key=key,
        entities=tuple(sorted(set(pb.entities))),
        collector=pb.collector,
        customer_group=pb.customer_group,
        sector=pb.sector,
    )
    header = rp.ReportHeader(
        as_of=date_to_proto(as_of),
        level=pb.level or rp.REPORT_LEVEL_GROUP,
        currency_mode=pb.currency_mode or rp.CURRENCY_MODE_ITEM,
    )
    frame = Frame(
        scope=scope,
        mode=MODES[pb.currency_mode],
        as_of=as_of,
        today=today,
        page_size=pb.page_size or DEFAULT_PAGE_SIZE,
        after=_decode_token(pb.page_token) if pb.page_token else "",
        header=header,
    )
    if level is Level.CUSTOMER and key is None:
        # A page of customers is chosen first, so only its items are summed.
        keys = await uow.reports.customer_page(scope, frame.after, frame.page_size + 1)
        if len(keys) > frame.page_size:
            header.next_page_token = _encode_token(keys[frame.page_size - 1])
        frame.scope = replace(scope, keys=tuple(keys[: frame.page_size]))
    return frame


def _page_keys(frame: Frame, keys: Iterable[str]) -> set[str]:
    """The nodes of this page (customer pages were chosen before summing)."""
    ordered = sorted(set(keys))
    if frame.scope.keys is not None:
        return set(ordered)
    ordered = [k for k in ordered if not frame.after or k > frame.after]
    if len(ordered) > frame.page_size:
        frame.header.next_page_token = _encode_token(ordered[frame.page_size - 1])
    return set(ordered[: frame.page_size])


async def _prepare(frame: Frame, uow: UnitOfWork, deps: ReportDeps, raws: Iterable[Raw]) -> None:
    """The currency plan for these sums, and the labels of the level's nodes."""
    entities = await uow.reports.entities()
    entity_currencies = {code: currency for code, (_, currency, _) in entities.items() if currency}
    group_currency = next((g for _, _, g in entities.values() if g), "") or deps.group_currency
    if frame.mode is Mode.GROUP:
        frame.header.group_currency = group_currency
    pairs = {(r.entity, r.currency) for r in raws}
    rates: dict[tuple[str, str], Decimal | MissingRate] = {}
    for source, target in sorted(needed_rates(frame.mode, pairs, entity_currencies, group_currency)):
        try:
            rates[(source, target)] = await deps.rates(source, target, frame.as_of)
        except MissingRate as exc:
            rates[(source, target)] = exc
    frame.plan = plan(frame.mode, pairs, entity_currencies, group_currency, rates, frame.as_of.isoformat())
    frame.header.problems.extend(frame.plan.problems)
    if frame.scope.level is Level.ENTITY:
        frame.labels = {code: name for code, (name, _, _) in entities.items() if name}
    elif frame.scope.level is Level.CUSTOMER:
        frame.labels = await uow.reports.customer_names(sorted({r.key for r in raws}))
    else:
        frame.labels = {}


def _converted(frame: Frame, raws: Iterable[Raw]) -> list[tuple[str, str, tuple[Any, ...], Decimal, int]]:
    """(key, currency, dims, amount, count) in the report's currency; unconvertible sums left out (they are
    named in the header's problems)."""
    assert frame.plan is not None
    found = []
    for r in raws:
        converted = frame.plan.convert(r.entity, r.currency, r.amount)
        if converted is not None:
            found.append((r.key, converted[0], r.dims, converted[1], r.count))
    return found


def _label(frame: Frame, key: str) -> str:
    if frame.scope.level is Level.GROUP:
        return "Group"
    return (frame.labels or {}).get(key) or key


def _money(amount: Decimal, currency: str) -> PbMoney:
    return PbMoney(amount=str(d.cents(amount)), currency=currency)


def _period(p: d.Period, amount: Decimal, count: int, currency: str) -> rp.PeriodAmount:
    return rp.PeriodAmount(
        start=date_to_proto(p.start),
        end=date_to_proto(p.end),
        label=p.label,
        amount=_money(amount, currency),
        count=count,
    )


# ---- the reports -------------------------------------------------------------------------------------------


def buckets_of(definitions: Sequence[rp.BucketDefinition]) -> tuple[Bucket, ...]:
    if not definitions:
        return DEFAULT_BUCKETS
    buckets = tuple(
        Bucket(
            b.label,
            b.min_days if b.HasField("min_days") else None,
            b.max_days if b.HasField("max_days") else None,
        )
        for b in definitions
    )
    try:
        validate_buckets(buckets)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    return buckets


async def aging_balance(query: rp.GetAgingBalance, uow: UnitOfWork, deps: ReportDeps) -> rp.AgingBalance:
    buckets = buckets_of(query.buckets)
    frame = await frame_of(query.scope, uow, deps)
    raws = await uow.reports.aging(frame.scope, frame.as_of, frame.today, d.due_ranges(buckets, frame.as_of))
    await _prepare(frame, uow, deps, raws)
    keys = _page_keys(frame, (r.key for r in raws))
    cells = [
        d.AgingCell(k, cur, int(dims[0]), bool(dims[1]), amount, count)
        for k, cur, dims, amount, count in _converted(frame, raws)
        if k in keys
    ]
    reply = rp.AgingBalance(header=frame.header)
    for row in d.aging_rows(cells, buckets):
        reply.rows.append(
            rp.AgingRow(
                key=row.key,
                label=_label(frame, row.key),
                currency=row.currency,
                buckets=[
                    rp.BucketAmount(label=label, amount=_money(a, row.currency), count=c) for label, a, c in row.buckets
                ],
                total=_money(row.total, row.currency),
                overdue=_money(row.overdue, row.currency),
                percent_overdue=str(row.percent_overdue),
                count=row.count,
            )
        )
    return reply


async def dso_report(query: rp.GetDso, uow: UnitOfWork, deps: ReportDeps) -> rp.DsoReport:
    period_days = query.period_days or 90
    max_months = query.max_months or 24
    if not 1 <= period_days <= 3660 or not 1 <= max_months <= 120:
        raise InvalidRequest("period_days must be 1 to 3660 and max_months 1 to 120")
    frame = await frame_of(query.scope, uow, deps)
    months = d.countback_months(frame.as_of, max_months)
    period_from = frame.as_of - dt.timedelta(days=period_days - 1)
    month_index = {f"{start.year:04d}-{start.month:02d}": n for n, (start, _) in enumerate(months)}
    receivables = await uow.reports.receivables(frame.scope, frame.as_of, frame.today)
    sales = await uow.reports.sales(frame.scope, min(months[-1][0], period_from), frame.as_of, period_from)
    await _prepare(frame, uow, deps, [*receivables, *sales])
    keys = _page_keys(frame, [r.key for r in receivables] + [r.key for r in sales])
    owed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    recent: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    # By countback month, newest first.
    sold: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * max_months)
    for k, cur, _, amount, _ in _converted(frame, receivables):
        if k in keys:
            owed[(k, cur)] += amount
    for k, cur, dims, amount, _ in _converted(frame, sales):
        if k in keys:
            index, in_period = month_index.get(str(dims[0])), bool(dims[1])
            if index is not None:
                sold[(k, cur)][index] += amount
            if in_period:
                recent[(k, cur)] += amount
    reply = rp.DsoReport(header=frame.header)
    for node in sorted(set(owed) | set(sold)):
        figures = d.dso_from(owed[node], recent[node], sold[node], frame.as_of, period_days)
        cur = node[1]
        reply.rows.append(
            rp.DsoRow(
                key=node[0],
                label=_label(frame, node[0]),
                currency=cur,
                receivables=_money(figures.receivables, cur),
                period_sales=_money(figures.period_sales, cur),
                period_days=period_days,
                simple_dso="" if figures.simple is None else str(figures.simple),
                countback_dso="" if figures.countback is None else str(figures.countback),
                countback=[
                    rp.CountbackPeriod(
                        start=date_to_proto(p.start),
                        end=date_to_proto(p.end),
                        sales=_money(p.sales, cur),
                        days=str(p.days),
                    )
                    for p in figures.periods
                ],
                countback_exhausted=figures.exhausted,
            )
        )
    return reply


UNITS = {rp.PERIOD_UNIT_DAY: d.Unit.DAY, rp.PERIOD_UNIT_WEEK: d.Unit.WEEK, rp.PERIOD_UNIT_MONTH: d.Unit.MONTH}


async def cash_receipts(query: rp.GetCashReceipts, uow: UnitOfWork, deps: ReportDeps) -> rp.CashReceipts:
    frame = await frame_of(query.scope, uow, deps)
    unit = UNITS.get(query.period, d.Unit.MONTH)
    to = date_from_proto(query.to) if query.to.year else frame.as_of
    start = date_from_proto(getattr(query, "from")) if getattr(query, "from").year else d.periods_back(to, unit, 12)
    if start > to:
        raise InvalidRequest(f"the period is empty: from {start} is after to {to}")
    if len(d.periods_between(start, to, unit)) > 400:
        raise InvalidRequest("more than 400 periods: choose a longer period unit or a shorter range")
    periods = d.periods_between(start, to, unit)
    starts = [start, *(p.start for p in periods[1:])]
    raws = await uow.reports.receipts(frame.scope, starts, to)
    await _prepare(frame, uow, deps, raws)
    keys = _page_keys(frame, (r.key for r in raws))
    # The first day of its period stands for each sum (the range's first day for the first period).
    cells = [
        d.DayCell(k, cur, starts[int(dims[0])], amount, count)
        for k, cur, dims, amount, count in _converted(frame, raws)
        if k in keys and 0 <= int(dims[0]) < len(starts)
    ]
    reply = rp.CashReceipts(header=frame.header)
    for row in d.receipts_rows(cells, start, to, unit):
        reply.rows.append(
            rp.ReceiptsRow(
                key=row.key,
                label=_label(frame, row.key),
                currency=row.currency,
                periods=[_period(p, a, c, row.currency) for p, a, c in row.periods],
                total=_money(row.total, row.currency),
                count=row.count,
            )
        )
    return reply


async def cash_forecast(query: rp.GetCashForecast, uow: UnitOfWork, deps: ReportDeps) -> rp.CashForecast:
    frame = await frame_of(query.scope, uow, deps)
    unit = (
        d.Unit.MONTH
        if query.period == rp.PERIOD_UNIT_MONTH
        else (d.Unit.DAY if query.period == rp.PERIOD_UNIT_DAY else d.Unit.WEEK)
    )
    count = query.periods or (12 if unit is d.Unit.MONTH else 13)
    if not 1 <= count <= MAX_FORECAST_PERIODS:
        raise InvalidRequest(f"periods must be between 1 and {MAX_FORECAST_PERIODS}, got {count}")
    periods = d.forecast_periods(frame.as_of, unit, count)
    starts = [frame.as_of, *(p.start for p in periods[1:])]
    end = periods[-1].end
    raws, promised_items = await uow.reports.forecast_open(
        frame.scope, frame.as_of, frame.today, deps.dispute_codes, starts, end
    )
    item_raws = [Raw(i.key, i.entity, i.currency, (), i.amount, 1) for i in promised_items]
    await _prepare(frame, uow, deps, [*raws, *item_raws])
    keys = _page_keys(frame, [r.key for r in raws] + [i.key for i in promised_items])
    cells: list[d.ForecastCell] = []
    for k, cur, dims, amount, _ in _converted(frame, raws):
        if k in keys:
            index, disputed = int(dims[0]), bool(dims[1])
            # A day standing for the sum's period: before as_of is overdue, after the last period later.
            if index < 0:
                expected = frame.as_of - dt.timedelta(days=1)
            elif index >= len(starts):
                expected = end + dt.timedelta(days=1)
            else:
                expected = starts[index]
            cells.append(d.ForecastCell(k, cur, None if disputed else expected, amount))
    if promised_items:
        promises = await uow.reports.promises_of([i.item_id for i in promised_items])
        # Promises are kept in the items' currency: spread in it, then converted per entity.
        by_item = {i.item_id: i for i in promised_items if i.key in keys}
        spread = d.expected_cells(
            [
                d.OpenAmount(
                    i.item_id, f"{i.entity}\x00{i.key}", i.currency, i.due_date, i.amount, i.disputed, i.delay_days
                )
                for i in by_item.values()
            ],
            [d.Promise(p.promise_id, p.item_ids, p.promised_on, p.amount.amount) for p in promises],
        )
        assert frame.plan is not None
        for cell in spread:
            entity, key = cell.key.split("\x00", 1)
            converted = frame.plan.convert(entity, cell.currency, cell.amount)
            if converted is not None:
                cells.append(d.ForecastCell(key, converted[0], cell.expected_on, converted[1]))
    reply = rp.CashForecast(header=frame.header)
    for row in d.forecast_rows(cells, frame.as_of, unit, count):
        reply.rows.append(
            rp.ForecastRow(
                key=row.key,
                label=_label(frame, row.key),
                currency=row.currency,
                overdue=_money(row.overdue, row.currency),
                disputed=_money(row.disputed, row.currency),
                periods=[_period(p, a, c, row.currency) for p, a, c in row.periods],
                later=_money(row.later, row.currency),
                total=_money(row.total, row.currency),
            )
        )
    return reply


async def dispute_report(query: rp.GetDisputeReport, uow: UnitOfWork, deps: ReportDeps) -> rp.DisputeReport:
    max_items = query.max_items or 100
    if not 1 <= max_items <= 1000:
        raise InvalidRequest(f"max_items must be between 1 and 1000, got {max_items}")
    frame = await frame_of(query.scope, uow, deps)
    raws = await uow.reports.disputes(frame.scope, frame.as_of, frame.today, deps.dispute_codes)
    await _prepare(frame, uow, deps, raws)
    keys = _page_keys(frame, (r.key for r in raws))
    cells = [
        d.DisputeCell(k, cur, dims[0], amount, count)
        for k, cur, dims, amount, count in _converted(frame, raws)
        if k in keys
    ]
    reply = rp.DisputeReport(header=frame.header)
    for row in d.dispute_rows(cells, frame.as_of):
        reply.rows.append(
            rp.DisputeRow(
                key=row.key,
                label=_label(frame, row.key),
                currency=row.currency,
                count=row.count,
                amount=_money(row.amount, row.currency),
                average_age_days=str(row.average_age_days),
                oldest_age_days=row.oldest_age_days,
            )
        )
    items = await uow.reports.disputed_items(frame.scope, frame.as_of, frame.today, deps.dispute_codes, max_items + 1)
    reply.items_truncated = len(items) > max_items
    for item in items[:max_items]:
        reply.items.append(
            rp.DisputedItem(
                item_id=item.item_id,
                customer_id=item.customer_id,
                customer_name=item.customer_name,
                status=item.status,
                since=date_to_proto(item.since),
                age_days=max((frame.as_of - item.since).days, 0),
                owner=item.owner,
                reason=item.reason,
                open_amount=_money(item.open_amount.amount, item.open_amount.currency),
                due_date=date_to_proto(item.due_date),
            )
        )
    return reply


async def item_status_report(query: rp.GetItemStatusReport, uow: UnitOfWork, deps: ReportDeps) -> rp.ItemStatusReport:
    frame = await frame_of(query.scope, uow, deps)
    raws = await uow.reports.overdue_by_status(frame.scope, frame.as_of, frame.today)
    await _prepare(frame, uow, deps, raws)
    keys = _page_keys(frame, (r.key for r in raws))
    cells = [
        d.StatusCell(k, cur, dims[0] or "", amount, count)
        for k, cur, dims, amount, count in _converted(frame, raws)
        if k in keys
    ]
    reply = rp.ItemStatusReport(header=frame.header)
    for row in d.status_rows(cells):
        reply.rows.append(
            rp.ItemStatusRow(
                key=row.key,
                label=_label(frame, row.key),
                currency=row.currency,
                overdue=_money(row.overdue, row.currency),
                overdue_count=row.overdue_count,
                qualified=_money(row.qualified, row.currency),
                qualified_count=row.qualified_count,
                percent_qualified=str(row.percent_qualified),
                percent_qualified_count=str(row.percent_qualified_count),
                statuses=[
                    rp.StatusAmount(status=s, amount=_money(a, row.currency), count=c) for s, a, c in row.statuses
                ],
            )
        )
    return reply


async def collector_activity(query: rp.GetCollectorActivity, uow: UnitOfWork, deps: ReportDeps) -> rp.CollectorActivity:
    frame = await frame_of(query.scope, uow, deps)
    to = date_from_proto(query.to) if query.to.year else frame.as_of
    start = date_from_proto(getattr(query, "from")) if getattr(query, "from").year else to - dt.timedelta(days=29)
    if start > to:
        raise InvalidRequest(f"the period is empty: from {start} is after to {to}")
    activities = await uow.reports.activities(frame.scope, start, to)
    receipts = await uow.reports.receipts(frame.scope, [start], to)
    await _prepare(frame, uow, deps, receipts)
    keys = _page_keys(frame, [k for k, _, _ in activities] + [r.key for r in receipts])
    rows = d.activity_rows(
        [d.ActivityCell(k, d.ActivityKind(kind), n) for k, kind, n in activities if k in keys],
        [
            d.DayCell(k, cur, start, amount, count)
            for k, cur, _, amount, count in _converted(frame, receipts)
            if k in keys
        ],
    )
    reply = rp.CollectorActivity(header=frame.header)
    for row in rows:
        reply.rows.append(
            rp.ActivityRow(
                key=row.key,
                label=_label(frame, row.key),
                actions_done=row.actions_done,
                messages_sent=row.messages_sent,
                promises_obtained=row.promises_obtained,
                disputes_recorded=row.disputes_recorded,
                collected=[_money(a, cur) for cur, a in row.collected],
                payments=row.payments,
            )
        )
    return reply


Answer = Callable[[Any, UnitOfWork, ReportDeps], Awaitable[Any]]

REPORTS: dict[type[Any], Answer] = {
    rp.GetAgingBalance: aging_balance,
    rp.GetDso: dso_report,
    rp.GetCashReceipts: cash_receipts,
    rp.GetCashForecast: cash_forecast,
    rp.GetDisputeReport: dispute_report,
    rp.GetItemStatusReport: item_status_report,
    rp.GetCollectorActivity: collector_activity,
}


async def export_report(query: rp.ExportReport, uow: UnitOfWork, deps: ReportDeps) -> rp.ReportFile:
    """The report asked for, as a CSV or XLSX file of its page."""
    from opendso_reporting.export import report_file

    which = query.WhichOneof("report")
    if which is None:
        raise InvalidRequest("say which report to export")
    inner = getattr(query, which)
    report = await REPORTS[type(inner)](inner, uow, deps)
    as_of = report.header.as_of
    return report_file(
        report, query.format == rp.EXPORT_FORMAT_XLSX, f"{as_of.year:04d}-{as_of.month:02d}-{as_of.day:02d}"
    )


DEFAULT_SERIES_POINTS = 12
MAX_SERIES_POINTS = 24


async def dso_series(
    query: rp.GetDsoSeries, uow: UnitOfWork, deps: ReportDeps, report: Answer | None = None
) -> rp.DsoSeries:
    """The DSO report on each month-end before the as-of day and on the as-of day, oldest first, in one
    request: the same report as ``GetDso`` on each day (``report``, that one by default)."""
    points = query.points or DEFAULT_SERIES_POINTS
    if not 2 <= points <= MAX_SERIES_POINTS:
        raise InvalidRequest(f"points must be 2 to {MAX_SERIES_POINTS}")
    one = report or dso_report
    as_of = date_from_proto(query.dso.scope.as_of) if query.dso.scope.HasField("as_of") else deps.today()
    series = rp.DsoSeries()
    for day in d.month_end_days(as_of, points):
        asked = rp.GetDso()
        asked.CopyFrom(query.dso)
        asked.scope.as_of.CopyFrom(date_to_proto(day))
        series.points.append(await one(asked, uow, deps))
    return series
