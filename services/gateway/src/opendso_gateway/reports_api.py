"""The reports in the public API: aging balance, DSO, cash receipts, cash forecast, disputes, item statuses and
collector activity, at any level, in the item, entity or group currency, as of today or a past day; as JSON, or
as a CSV or XLSX file (``format=csv|xlsx``).

Every route needs the permission to read reports (``Feature.REPORTS``). Data scope: a user limited to some
entities gets only theirs (another entity asked for answers 404); a user with a portfolio gets only the
customers of that collector.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from opendso.common.v1.common_pb2 import Date
from opendso.reporting.v1 import reporting_pb2 as rp

from opendso_gateway import response_examples as examples
from opendso_gateway.access import allow
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal
from opendso_gateway.downloads import attachment
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Reader = Annotated[Principal, allow(Feature.REPORTS, Action.READ)]
Level = Literal["group", "entity", "customer_group", "sector", "customer", "collector"]
CurrencyMode = Literal["item", "entity", "group"]
Format = Literal["json", "csv", "xlsx"]

LEVELS: dict[str, int] = {
    "group": rp.REPORT_LEVEL_GROUP,
    "entity": rp.REPORT_LEVEL_ENTITY,
    "customer_group": rp.REPORT_LEVEL_CUSTOMER_GROUP,
    "sector": rp.REPORT_LEVEL_SECTOR,
    "customer": rp.REPORT_LEVEL_CUSTOMER,
    "collector": rp.REPORT_LEVEL_COLLECTOR,
}
MODES: dict[str, int] = {
    "item": rp.CURRENCY_MODE_ITEM,
    "entity": rp.CURRENCY_MODE_ENTITY,
    "group": rp.CURRENCY_MODE_GROUP,
}
PERIODS: dict[str, int] = {"day": rp.PERIOD_UNIT_DAY, "week": rp.PERIOD_UNIT_WEEK, "month": rp.PERIOD_UNIT_MONTH}


@dataclass
class ScopeParams:
    """What every report is asked with."""

    level: Annotated[Level, Query(description="A row per node of this level")] = "group"
    key: Annotated[str, Query(max_length=250, description="Only this node: entity, group, sector, customer id...")] = ""
    unset_key: Annotated[bool, Query(description="With no key: only the node where the attribute is not set")] = False
    entity: Annotated[
        list[str] | None, Query(description="Only these entities (repeat the parameter or separate with commas)")
    ] = None
    collector: Annotated[str, Query(max_length=200, description="Only the customers of this collector")] = ""
    customer_group: Annotated[str, Query(max_length=200, description="Customer level: only this group")] = ""
    sector: Annotated[str, Query(max_length=200, description="Customer level: only this sector")] = ""
    currency: Annotated[CurrencyMode, Query(description="Item, entity or group currency")] = "item"
    as_of: Annotated[dt.date | None, Query(description="Default: today")] = None
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100
    page_token: Annotated[str, Query(max_length=500)] = ""
    format: Annotated[Format, Query(description="json, or a csv or xlsx file of the page")] = "json"


Params = Annotated[ScopeParams, Depends()]


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def _date(day: dt.date) -> Date:
    return Date(year=day.year, month=day.month, day=day.day)


def report_scope(params: ScopeParams, principal: Principal) -> rp.ReportScope:
    """The query's scope cut to the principal's data: 404 for an entity or collector out of it."""
    scope = principal.scope
    requested = sorted({e.strip() for value in params.entity or [] for e in value.split(",") if e.strip()})
    if scope.entities is not None:
        outside = [e for e in requested if e not in scope.entities]
        if outside:
            raise Problem(404, "Not found", f"no entity {', '.join(outside)}")
        # A scope of no entity reaches nothing: an entity no row holds.
        requested = requested or sorted(scope.entities) or [""]
    collector = params.collector
    if scope.portfolio:
        if collector and collector.casefold() != scope.portfolio.casefold():
            raise Problem(404, "Not found", f"no collector {collector}")
        collector = scope.portfolio
        if params.level == "collector" and params.key and params.key.casefold() != scope.portfolio.casefold():
            raise Problem(404, "Not found", f"no collector {params.key}")
    if params.level == "entity" and params.key and scope.entities is not None and params.key not in scope.entities:
        raise Problem(404, "Not found", f"no entity {params.key}")
    result = rp.ReportScope(
        level=LEVELS[params.level],  # type: ignore[arg-type]
        key=params.key,
        unset_key=params.unset_key,
        entities=requested,
        collector=collector,
        customer_group=params.customer_group,
        sector=params.sector,
        currency_mode=MODES[params.currency],  # type: ignore[arg-type]
        page_size=params.page_size,
        page_token=params.page_token,
    )
    if params.as_of is not None:
        result.as_of.CopyFrom(_date(params.as_of))
    return result


def _plain(value: Any) -> Any:
    """Proto JSON made plain: dates as ISO days, enum names as the words the routes take."""
    if isinstance(value, dict):
        if set(value) == {"year", "month", "day"}:
            return dt.date(value["year"], value["month"], value["day"]).isoformat()
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        for prefix in ("REPORT_LEVEL_", "CURRENCY_MODE_"):
            if value.startswith(prefix):
                return value.removeprefix(prefix).lower()
    return value


def _json(report: Message) -> dict[str, Any]:
    body: dict[str, Any] = _plain(
        MessageToDict(report, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    )
    header = body.get("header", {})
    header["next_page_token"] = header.get("next_page_token") or None
    return body


async def _answer(request: Request, query: Message, reply: type[Message], field: str, fmt: str) -> Any:
    bus = _bus(request)
    if fmt == "json":
        return _json(await bus.ask(query, reply))
    export = rp.ExportReport(format=rp.EXPORT_FORMAT_XLSX if fmt == "xlsx" else rp.EXPORT_FORMAT_CSV)
    getattr(export, field).CopyFrom(query)
    file = await bus.ask(export, rp.ReportFile)
    headers = attachment(file.file_name)
    if file.next_page_token:
        headers["X-Next-Page-Token"] = file.next_page_token
    return Response(content=file.content, media_type=file.content_type, headers=headers)


def _buckets(limits: str) -> list[rp.BucketDefinition]:
    """ "30,60,90" → not due, 1-30, 31-60, 61-90, >90."""
    if not limits:
        return []
    try:
        ends = [int(x) for x in limits.split(",") if x.strip()]
    except ValueError:
        raise Problem(
            422, "Invalid request", f"buckets: {limits!r} is not a list of day counts such as 30,60,90"
        ) from None
    if not ends or ends != sorted(set(ends)) or ends[0] < 1:
        raise Problem(422, "Invalid request", "buckets: give increasing day counts from 1, such as 30,60,90")
    found = [rp.BucketDefinition(label="not due", max_days=0)]
    start = 1
    for end in ends:
        found.append(rp.BucketDefinition(label=f"{start}-{end}", min_days=start, max_days=end))
        start = end + 1
    found.append(rp.BucketDefinition(label=f">{ends[-1]}", min_days=start))
    return found


@router.get(
    "/aging-balance",
    summary="Aging balance by bucket with % overdue",
    responses=examples.ok(examples.AGING_BALANCE),
)
async def aging_balance(
    request: Request,
    principal: Reader,
    params: Params,
    buckets: Annotated[str, Query(max_length=200, description="Bucket ends in days, e.g. 30,60,90,180")] = "",
) -> Any:
    query = rp.GetAgingBalance(scope=report_scope(params, principal), buckets=_buckets(buckets))
    return await _answer(request, query, rp.AgingBalance, "aging", params.format)


@router.get(
    "/dso",
    summary="Days sales outstanding by the countback and the simple method",
    responses=examples.ok(examples.DSO),
)
async def dso(
    request: Request,
    principal: Reader,
    params: Params,
    period_days: Annotated[int, Query(ge=1, le=3660, description="Simple method's days of sales")] = 90,
    max_months: Annotated[int, Query(ge=1, le=120, description="Countback: months back at most")] = 24,
) -> Any:
    query = rp.GetDso(scope=report_scope(params, principal), period_days=period_days, max_months=max_months)
    return await _answer(request, query, rp.DsoReport, "dso", params.format)


@router.get(
    "/dso/series",
    summary="DSO on each of the last month-ends and the as-of day, oldest first, in one request (a trend)",
    responses=examples.ok(examples.DSO_SERIES),
)
async def dso_series(
    request: Request,
    principal: Reader,
    params: Params,
    points: Annotated[int, Query(ge=2, le=24, description="How many days: month-ends, then the as-of day")] = 12,
    period_days: Annotated[int, Query(ge=1, le=3660, description="Simple method's days of sales")] = 90,
    max_months: Annotated[int, Query(ge=1, le=120, description="Countback: months back at most")] = 24,
) -> Any:
    if params.format != "json":
        raise Problem(422, "Invalid request", "the DSO series is answered as JSON only; export one day from /dso")
    query = rp.GetDsoSeries(
        dso=rp.GetDso(scope=report_scope(params, principal), period_days=period_days, max_months=max_months),
        points=points,
    )
    return _json(await _bus(request).ask(query, rp.DsoSeries))


def _period_bounds(query: Any, from_: dt.date | None, to: dt.date | None) -> None:
    if from_ is not None:
        getattr(query, "from").CopyFrom(_date(from_))
    if to is not None:
        query.to.CopyFrom(_date(to))


@router.get("/cash-receipts", summary="Money received by period")
async def cash_receipts(
    request: Request,
    principal: Reader,
    params: Params,
    from_: Annotated[dt.date | None, Query(alias="from", description="Default: 12 periods back")] = None,
    to: Annotated[dt.date | None, Query(description="Default: the as-of day")] = None,
    period: Literal["day", "week", "month"] = "month",
) -> Any:
    query = rp.GetCashReceipts(scope=report_scope(params, principal), period=PERIODS[period])  # type: ignore[arg-type]
    _period_bounds(query, from_, to)
    return await _answer(request, query, rp.CashReceipts, "receipts", params.format)


@router.get("/cash-forecast", summary="Cash expected by week or month from promises, plans and payment habits")
async def cash_forecast(
    request: Request,
    principal: Reader,
    params: Params,
    period: Literal["week", "month"] = "week",
    periods: Annotated[int, Query(ge=1, le=104, description="Default: 13 weeks or 12 months")] = 0,
) -> Any:
    query = rp.GetCashForecast(
        scope=report_scope(params, principal),
        period=PERIODS[period],  # type: ignore[arg-type]
        periods=periods,
    )
    return await _answer(request, query, rp.CashForecast, "forecast", params.format)


@router.get("/disputes", summary="Disputed items: count, amount, age, owner, reason")
async def disputes(
    request: Request,
    principal: Reader,
    params: Params,
    max_items: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    query = rp.GetDisputeReport(scope=report_scope(params, principal), max_items=max_items)
    return await _answer(request, query, rp.DisputeReport, "disputes", params.format)


@router.get("/item-status", summary="Overdue amounts by status and % qualified")
async def item_status(request: Request, principal: Reader, params: Params) -> Any:
    query = rp.GetItemStatusReport(scope=report_scope(params, principal))
    return await _answer(request, query, rp.ItemStatusReport, "item_status", params.format)


@router.get("/collector-activity", summary="Actions, messages, promises, disputes and money collected")
async def collector_activity(
    request: Request,
    principal: Reader,
    params: Params,
    from_: Annotated[dt.date | None, Query(alias="from", description="Default: 30 days to `to`")] = None,
    to: Annotated[dt.date | None, Query(description="Default: the as-of day")] = None,
) -> Any:
    query = rp.GetCollectorActivity(scope=report_scope(params, principal))
    _period_bounds(query, from_, to)
    return await _answer(request, query, rp.CollectorActivity, "activity", params.format)
