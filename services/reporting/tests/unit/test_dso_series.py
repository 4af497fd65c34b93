"""The DSO series: the one-day DSO report asked on each month-end and the as-of day, in one query."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus import InvalidRequest
from opendso_contracts.convert import date_from_proto, date_to_proto
from opendso_reporting.report_queries import ReportDeps, dso_series

TODAY = dt.date(2026, 11, 25)


async def no_rate(from_currency: str, to_currency: str, on: dt.date) -> Decimal:
    raise AssertionError("no rate expected")


DEPS = ReportDeps(rates=no_rate, today=lambda: TODAY)


class OneDay:
    """Stands for the one-day report: answers each day's query with a row naming the day."""

    def __init__(self) -> None:
        self.asked: list[rp.GetDso] = []

    async def __call__(self, query: rp.GetDso, uow: Any, deps: ReportDeps) -> rp.DsoReport:
        self.asked.append(query)
        reply = rp.DsoReport(rows=[rp.DsoRow(key="FR01", currency="EUR", countback_dso=str(len(self.asked)))])
        reply.header.as_of.CopyFrom(query.scope.as_of)
        return reply


async def test_the_series_asks_the_same_report_on_each_month_end_oldest_first() -> None:
    one = OneDay()
    query = rp.GetDsoSeries(
        dso=rp.GetDso(
            scope=rp.ReportScope(entities=["FR01"], as_of=date_to_proto(dt.date(2026, 3, 15))), period_days=60
        ),
        points=3,
    )
    series = await dso_series(query, None, DEPS, one)  # type: ignore[arg-type]
    days = [date_from_proto(p.header.as_of) for p in series.points]
    assert days == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 15)]
    assert [p.rows[0].countback_dso for p in series.points] == ["1", "2", "3"]
    # The scope and the method's settings are kept on every day.
    assert all(list(q.scope.entities) == ["FR01"] and q.period_days == 60 for q in one.asked)


async def test_without_an_as_of_day_the_series_ends_today_with_twelve_points() -> None:
    one = OneDay()
    series = await dso_series(rp.GetDsoSeries(dso=rp.GetDso()), None, DEPS, one)  # type: ignore[arg-type]
    assert len(series.points) == 12
    assert date_from_proto(series.points[-1].header.as_of) == TODAY
    assert date_from_proto(series.points[0].header.as_of) == dt.date(2025, 12, 31)


@pytest.mark.parametrize("points", [1, 25])
async def test_a_series_of_one_point_or_more_than_two_years_is_refused(points: int) -> None:
    with pytest.raises(InvalidRequest):
        await dso_series(rp.GetDsoSeries(points=points), None, DEPS, OneDay())  # type: ignore[arg-type]
