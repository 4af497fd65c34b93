"""Reading the ECB's reference rates files: the daily file, the 90-day and full histories, and every way a
file can be broken, each refused with the file and the line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from opendso_fx.domain.ecb import EcbFileError, parse_ecb_xml

DATA = Path(__file__).resolve().parents[1] / "data"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
    'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n'
    "<gesmes:subject>Reference rates</gesmes:subject>\n"
)


def ecb(cubes: str) -> bytes:
    return f"{HEAD}<Cube>\n{cubes}\n</Cube>\n</gesmes:Envelope>\n".encode()


def refused(content: bytes, name: str = "rates.xml") -> str:
    with pytest.raises(EcbFileError) as error:
        parse_ecb_xml(content, name)
    return str(error.value)


def test_the_daily_file_gives_one_day_with_every_rate_as_written() -> None:
    days = parse_ecb_xml((DATA / "eurofxref-daily.xml").read_bytes(), "eurofxref-daily.xml")
    assert [d.day for d in days] == [dt.date(2024, 1, 5)]
    rates = days[0].rates
    assert len(rates) == 9
    assert rates["USD"] == Decimal("1.0921")
    # As written, trailing zero included: nothing went through a float.
    assert str(rates["PLN"]) == "4.3580"
    assert str(rates["GBP"]) == "0.86045"


def test_the_90_day_file_gives_its_days_oldest_first() -> None:
    days = parse_ecb_xml((DATA / "eurofxref-hist-90d.xml").read_bytes())
    assert [d.day.isoformat() for d in days] == ["2023-12-29", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
    assert days[0].rates["JPY"] == Decimal("156.33")
    assert all(len(d.rates) == 5 for d in days)


def test_the_full_history_keeps_currencies_the_euro_replaced() -> None:
    days = parse_ecb_xml((DATA / "eurofxref-hist.xml").read_bytes())
    assert days[0].day == dt.date(1999, 1, 4)
    assert days[0].rates["DEM"] == Decimal("1.95583")
    assert "DEM" not in days[-1].rates


def test_a_day_without_rates_is_skipped() -> None:
    content = ecb('<Cube time="2024-01-05"><Cube currency="USD" rate="1.0921"/></Cube><Cube time="2024-01-04"/>')
    assert [d.day for d in parse_ecb_xml(content)] == [dt.date(2024, 1, 5)]


def test_an_empty_file_is_refused() -> None:
    assert refused(b"  \n", "empty.xml") == "empty.xml: the file is empty"


def test_a_truncated_file_is_refused_as_not_well_formed() -> None:
    content = (DATA / "eurofxref-daily.xml").read_bytes()[:300]
    assert refused(content, "cut.xml").startswith("cut.xml: not well-formed XML")


def test_another_xml_document_is_refused_naming_its_root() -> None:
    message = refused(b'<?xml version="1.0"?>\n<Document><Stmt/></Document>', "camt.xml")
    assert message.startswith("camt.xml, line 2: the root element is <Document>, not gesmes:Envelope")


def test_rates_outside_the_ecb_namespace_are_refused() -> None:
    content = (
        b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01">'
        b'<Cube><Cube time="2024-01-05"><Cube currency="USD" rate="1.1"/></Cube></Cube></gesmes:Envelope>'
    )
    assert "no <Cube> element in the namespace http://www.ecb.int/vocabulary/2002-08-01/eurofxref" in refused(content)


def test_a_file_with_no_rate_at_all_is_refused() -> None:
    assert refused(ecb(""), "none.xml") == "none.xml: the file holds no rates"


def test_a_day_without_its_time_is_refused_with_its_line() -> None:
    message = refused(ecb('<Cube><Cube currency="USD" rate="1.1"/></Cube>'))
    assert message == "rates.xml, line 5: <Cube> without its time attribute"


def test_a_day_that_is_not_a_date_is_refused() -> None:
    message = refused(ecb('<Cube time="2024-02-30"><Cube currency="USD" rate="1.1"/></Cube>'))
    assert message == "rates.xml, line 5: time '2024-02-30' is not a date (YYYY-MM-DD)"


@pytest.mark.parametrize(
    ("rate", "problem"),
    [
        ("N/A", "rate 'N/A' of USD on 2024-01-05 is not a decimal number"),
        ("-1.09", "rate '-1.09' of USD on 2024-01-05 is not a decimal number"),
        ("1e3", "rate '1e3' of USD on 2024-01-05 is not a decimal number"),
        ("", "rate '' of USD on 2024-01-05 is not a decimal number"),
        ("0.0000", "rate of USD on 2024-01-05: 0.0000 is not a positive number"),
        ("1.12345678901", "rate of USD on 2024-01-05: 1.12345678901 has more than 10 decimals"),
    ],
)
def test_a_rate_that_is_not_a_positive_decimal_is_refused(rate: str, problem: str) -> None:
    content = ecb(
        f'<Cube time="2024-01-05">\n<Cube currency="GBP" rate="0.86"/>\n<Cube currency="USD" rate="{rate}"/>\n</Cube>'
    )
    assert refused(content) == f"rates.xml, line 7: {problem}"


def test_a_rate_without_its_currency_is_refused() -> None:
    message = refused(ecb('<Cube time="2024-01-05"><Cube rate="1.1"/></Cube>'))
    assert message == "rates.xml, line 5: <Cube> of 2024-01-05 needs both a currency and a rate attribute"


def test_a_currency_that_is_not_an_iso_code_is_refused() -> None:
    message = refused(ecb('<Cube time="2024-01-05"><Cube currency="usd" rate="1.1"/></Cube>'))
    assert message == "rates.xml, line 5: currency 'usd' is not a three-letter ISO 4217 code in capitals"


def test_a_rate_of_the_euro_itself_is_refused() -> None:
    assert "a rate of EUR against the euro" in refused(
        ecb('<Cube time="2024-01-05"><Cube currency="EUR" rate="1"/></Cube>')
    )


def test_a_currency_twice_in_a_day_is_refused() -> None:
    content = ecb(
        '<Cube time="2024-01-05">\n<Cube currency="USD" rate="1.1"/>\n<Cube currency="USD" rate="1.2"/>\n</Cube>'
    )
    assert refused(content) == "rates.xml, line 7: USD appears twice on 2024-01-05"


def test_a_day_twice_is_refused() -> None:
    day = '<Cube time="2024-01-05"><Cube currency="USD" rate="1.1"/></Cube>'
    assert refused(ecb(f"{day}\n{day}")) == "rates.xml, line 6: day 2024-01-05 appears twice"


def test_an_unexpected_element_among_the_days_is_refused() -> None:
    message = refused(ecb('<Rate time="2024-01-05"/>'))
    assert (
        message
        == "rates.xml, line 5: expected <Cube time=...>, found <{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}Rate>"
    )


def test_a_file_declaring_entities_is_refused_before_any_value_is_read() -> None:
    content = ecb('<Cube time="2024-01-05"><Cube currency="USD" rate="&r;"/></Cube>').replace(
        b"<gesmes:Envelope", b'<!DOCTYPE gesmes:Envelope [<!ENTITY r "1.5">]>\n<gesmes:Envelope', 1
    )
    assert "declares a DTD" in refused(content)


def test_an_external_entity_is_never_fetched() -> None:
    content = ecb('<Cube time="2024-01-05"><Cube currency="USD" rate="&x;"/></Cube>').replace(
        b"<gesmes:Envelope", b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n<gesmes:Envelope', 1
    )
    assert "external entity" in refused(content)
