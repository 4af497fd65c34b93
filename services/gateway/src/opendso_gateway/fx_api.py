"""Exchange rates in the public API: the rate at a date, conversions, ECB files uploaded, rates entered by hand.

Rates and amounts travel as decimal strings both ways; a missing rate is a 404 problem naming the pair and
the date (the fx service never converts at 1 or 0).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from opendso.common.v1.common_pb2 import Money
from opendso.fx.v1 import fx_pb2 as fx
from opendso_contracts.convert import date_from_proto, date_to_proto
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from opendso_gateway.access import allow
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/fx", tags=["fx"])

CURRENCY_PATTERN = r"^[A-Z]{3}$"
RATE_PATTERN = r"^\d{1,14}(\.\d{1,10})?$"
AMOUNT_PATTERN = r"^-?\d{1,18}(\.\d{1,8})?$"
_RATE = re.compile(RATE_PATTERN)
# The full ECB history (eurofxref-hist.xml, every day since 1999) is a few MB; importing it writes some
# 200,000 rows before the answer comes.
_IMPORT_TIMEOUT_SECONDS = 300.0
# Ten times that history: anything larger is not a rates file, and no more than this is read into memory.
MAX_RATES_FILE_BYTES = 64 * 1024 * 1024

Currency = Annotated[str, Query(pattern=CURRENCY_PATTERN, description="ISO 4217 code in capitals, e.g. USD")]
On = Annotated[dt.date | None, Query(description="The date (YYYY-MM-DD) the rate applies to; today (UTC) if absent")]


def _rate_string(value: object) -> object:
    # A JSON number has been through a binary float on the client's side: refuse it rather than store its noise.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError('give the rate as a decimal string such as "1.0921", not a JSON number (floats lose digits)')
    if isinstance(value, str) and not _RATE.fullmatch(value):
        raise ValueError(f'{value!r} is not a rate such as "1.0921" (digits, an optional point, at most 10 decimals)')
    return value


RateString = Annotated[str, StringConstraints(pattern=RATE_PATTERN), BeforeValidator(_rate_string)]


class ManualRateBody(BaseModel):
    """A euro rate entered by hand: units of ``currency`` one euro buys on ``on``. It wins that day over
    the fetched and imported rates; a later day's published rate still wins its own day."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"currency": "CHF", "on": "2026-11-24", "rate": "0.9382"}]},
    )

    currency: str = Field(pattern=CURRENCY_PATTERN, description="ISO 4217 code in capitals, not EUR")
    on: dt.date = Field(description="The day the rate is for; not after today")
    rate: RateString = Field(description='Units of the currency per euro, as a decimal string, e.g. "1.0921"')


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def _day(on: dt.date | None) -> dt.date:
    return on if on is not None else dt.datetime.now(dt.UTC).date()


def rate_json(rate: fx.Rate) -> dict[str, Any]:
    return {
        "from": rate.from_currency,
        "to": rate.to_currency,
        "on": date_from_proto(rate.on).isoformat(),
        "rate": rate.rate,
        "published_on": date_from_proto(rate.published_on).isoformat(),
        "source": rate.source,
    }


def _money(value: Money) -> dict[str, str]:
    return {"amount": value.amount, "currency": value.currency}


@router.get(
    "/rates",
    summary="The rate from one currency to another at a date (the last published on or before it)",
    dependencies=[allow(Feature.FX, Action.READ)],
)
async def get_rate(
    request: Request,
    from_currency: Annotated[str, Query(alias="from", pattern=CURRENCY_PATTERN, description="e.g. USD")],
    to_currency: Annotated[str, Query(alias="to", pattern=CURRENCY_PATTERN, description="e.g. JPY")],
    on: On = None,
) -> dict[str, Any]:
    answer = await _bus(request).ask(
        fx.GetRate(from_currency=from_currency, to_currency=to_currency, on=date_to_proto(_day(on))), fx.Rate
    )
    return rate_json(answer)


@router.get(
    "/convert",
    summary="An amount in another currency at a date's rate",
    dependencies=[allow(Feature.FX, Action.READ)],
)
async def convert(
    request: Request,
    amount: Annotated[str, Query(pattern=AMOUNT_PATTERN, description='A decimal string, e.g. "1250.00"')],
    currency: Currency,
    to: Currency,
    on: On = None,
) -> dict[str, Any]:
    answer = await _bus(request).ask(
        fx.Convert(amount=Money(amount=amount, currency=currency), to_currency=to, on=date_to_proto(_day(on))),
        fx.Conversion,
    )
    return {"amount": _money(answer.amount), "converted": _money(answer.converted), "rate": rate_json(answer.rate)}


@router.post(
    "/rates/import",
    summary="Store the rates of an ECB euro reference rates XML file, for offline use",
    dependencies=[allow(Feature.FX, Action.WRITE)],
)
async def import_rates(
    request: Request,
    file: Annotated[
        UploadFile,
        File(
            description="eurofxref-daily.xml, eurofxref-hist-90d.xml or eurofxref-hist.xml, as the ECB serves them "
            "(https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml)"
        ),
    ],
) -> dict[str, Any]:
    content, object_name = await _rates_file(request, file)
    report = await _bus(request).ask(
        fx.ImportRates(
            file_name=file.filename or "rates.xml",
            content=content,
            object_name=object_name,
            correlation_id=request.state.request_id,
        ),
        fx.RatesImported,
        timeout=max(float(request.app.state.settings.request_timeout_seconds), _IMPORT_TIMEOUT_SECONDS),
    )
    return {
        "count": report.count,
        "days": report.days,
        "changed": report.changed,
        "first_day": date_from_proto(report.first_day).isoformat(),
        "last_day": date_from_proto(report.last_day).isoformat(),
    }


async def _rates_file(request: Request, file: UploadFile) -> tuple[bytes, str]:
    """The file inside the command when it fits a message, else its name in the object store."""
    settings = request.app.state.settings
    limit = min(settings.max_upload_bytes, MAX_RATES_FILE_BYTES)
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise Problem(413, "File too large", f"{file.filename}: over the limit of {limit} bytes for a rates file")
    if len(content) <= settings.inline_upload_bytes:
        return content, ""
    name = f"fx/{request.state.request_id}/{file.filename or 'rates.xml'}"
    await _bus(request).put_upload(name, content)
    return b"", name


@router.put("/rates/manual", summary="Enter a euro rate by hand; it wins its day over fetched and imported rates")
async def set_manual_rate(
    request: Request, body: ManualRateBody, principal: Annotated[Principal, allow(Feature.FX, Action.WRITE)]
) -> dict[str, Any]:
    answer = await _bus(request).ask(
        fx.SetManualRate(
            currency=body.currency,
            on=date_to_proto(body.on),
            rate=body.rate,
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        fx.Rate,
    )
    return rate_json(answer)
