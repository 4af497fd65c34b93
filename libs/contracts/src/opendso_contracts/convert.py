"""Conversions between proto values and domain values (Decimal money, dates)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opendso.common.v1.common_pb2 import Date, Money
from opendso_money import Money as DomainMoney


def money_to_proto(value: DomainMoney) -> Money:
    return Money(amount=str(value.amount), currency=value.currency)


def money_from_proto(value: Money) -> DomainMoney:
    if not value.currency:
        raise ValueError("money without a currency")
    return DomainMoney(Decimal(value.amount or "0"), value.currency)


def date_to_proto(value: dt.date) -> Date:
    return Date(year=value.year, month=value.month, day=value.day)


def date_from_proto(value: Date) -> dt.date:
    return dt.date(value.year, value.month, value.day)


def optional_date_from_proto(value: Date) -> dt.date | None:
    return None if value.year == 0 else date_from_proto(value)
