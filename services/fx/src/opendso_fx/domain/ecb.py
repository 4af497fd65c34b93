"""The ECB's euro foreign exchange reference rates files: eurofxref-daily.xml (the last day),
eurofxref-hist-90d.xml and eurofxref-hist.xml (every day since 1999), all one shape::

    <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                     xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
      <gesmes:subject>Reference rates</gesmes:subject>
      <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
      <Cube>
        <Cube time="2024-01-05">
          <Cube currency="USD" rate="1.0921"/>
          ...
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from lxml import etree

from opendso_fx.domain.rates import EURO, DayRates, currency_problem, rate_problem

GESMES = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
_CUBE = f"{{{EUROFXREF}}}Cube"
_ENVELOPE = f"{{{GESMES}}}Envelope"
# The ECB writes plain decimals; an exponent or a sign in a rate means the file is not theirs.
_PLAIN_DECIMAL = re.compile(r"^\d+(\.\d+)?$")


class EcbFileError(ValueError):
    """The file is not a well-formed ECB reference rates file; the message names the file and the line."""


def _parser() -> etree.XMLParser:
    # An uploaded file is untrusted: no entity expansion (billion laughs), no DTD, nothing fetched.
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, remove_comments=True)


def parse_ecb_xml(content: bytes, name: str = "file") -> list[DayRates]:
    """The days of an ECB reference rates file, oldest first; ``EcbFileError`` when it is malformed."""
    if not content.strip():
        raise EcbFileError(f"{name}: the file is empty")
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise EcbFileError(f"{name}: not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        # The ECB's files have none; entities declared in one would put values in the file that it does not show.
        raise EcbFileError(f"{name}: the file declares a DTD (<!DOCTYPE ...>): not an ECB reference rates file")
    if root.tag != _ENVELOPE:
        raise EcbFileError(
            f"{name}, line {root.sourceline}: the root element is {_readable(root.tag)}, not gesmes:Envelope "
            f"({GESMES}): not an ECB reference rates file"
        )
    outer = root.find(_CUBE)
    if outer is None:
        raise EcbFileError(f"{name}: no <Cube> element in the namespace {EUROFXREF}: not an ECB reference rates file")
    days: dict[dt.date, DayRates] = {}
    for element in outer:
        day_rates = _day(element, name)
        if day_rates.day in days:
            raise EcbFileError(f"{name}, line {element.sourceline}: day {day_rates.day} appears twice")
        if day_rates.rates:
            days[day_rates.day] = day_rates
    if not days:
        raise EcbFileError(f"{name}: the file holds no rates")
    return [days[d] for d in sorted(days)]


def _day(element: etree._Element, name: str) -> DayRates:
    where = f"{name}, line {element.sourceline}"
    if element.tag != _CUBE:
        raise EcbFileError(f"{where}: expected <Cube time=...>, found {_readable(element.tag)}")
    time = element.get("time")
    if time is None:
        raise EcbFileError(f"{where}: <Cube> without its time attribute")
    try:
        day = dt.date.fromisoformat(time)
    except ValueError:
        raise EcbFileError(f"{where}: time {time!r} is not a date (YYYY-MM-DD)") from None
    rates: dict[str, Decimal] = {}
    for cube in element:
        line = f"{name}, line {cube.sourceline}"
        if cube.tag != _CUBE:
            raise EcbFileError(f"{line}: expected <Cube currency=... rate=...>, found {_readable(cube.tag)}")
        currency, text = cube.get("currency"), cube.get("rate")
        if currency is None or text is None:
            raise EcbFileError(f"{line}: <Cube> of {day} needs both a currency and a rate attribute")
        if (problem := currency_problem(currency)) is not None:
            raise EcbFileError(f"{line}: currency {problem}")
        if currency == EURO:
            raise EcbFileError(f"{line}: a rate of EUR against the euro on {day}")
        if currency in rates:
            raise EcbFileError(f"{line}: {currency} appears twice on {day}")
        if not _PLAIN_DECIMAL.fullmatch(text):
            raise EcbFileError(f"{line}: rate {text!r} of {currency} on {day} is not a decimal number")
        rate = Decimal(text)
        if (problem := rate_problem(rate)) is not None:
            raise EcbFileError(f"{line}: rate of {currency} on {day}: {problem}")
        rates[currency] = rate
    return DayRates(day, rates)


def _readable(tag: object) -> str:
    # Comments and processing instructions have a function as their tag.
    return f"<{tag}>" if isinstance(tag, str) else "a non-element node"
