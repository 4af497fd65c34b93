"""The organisation's legal entities: each with its country, currency, calendar and late-payment law.

One deployment serves one organisation (a group). Its entities are optional
setup: a customer or item row may name an entity that has no record here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LatePaymentLaw(StrEnum):
    """Whose rules late-payment interest and fees follow: a national law, or the EU directive (2011/7/EU)."""

    EU = "EU"
    FR = "FR"
    DE = "DE"
    GB = "GB"
    CZ = "CZ"
    SK = "SK"
    PL = "PL"
    RO = "RO"


def default_late_payment_law(country: str) -> LatePaymentLaw:
    """The country's own law where it is one we know; the EU directive everywhere else."""
    try:
        return LatePaymentLaw(country)
    except ValueError:
        return LatePaymentLaw.EU


# ISO 4217's active codes less funds, precious metals, units of account and test codes:
# the currencies an entity can keep its books in or a group can report in.
_ISO_4217_CODES = """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
    CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ
    GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP
    LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR
    PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC
    SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF
    XPF YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())


@dataclass(frozen=True)
class LegalEntity:
    """An entity as recorded. ``code`` is what customer and item rows hold in their ``entity``."""

    code: str
    name: str
    country: str
    currency: str
    time_zone: str
    holiday_calendar: str
    late_payment_law: LatePaymentLaw
    group_currency: str | None


# Everything but the code, which identifies the entity; in the order a change lists them.
COMPARED_FIELDS = (
    "name",
    "country",
    "currency",
    "time_zone",
    "holiday_calendar",
    "late_payment_law",
    "group_currency",
)


def changed_fields(before: LegalEntity, after: LegalEntity) -> tuple[str, ...]:
    """The fields that differ between two states of one entity; empty when nothing changed."""
    return tuple(f for f in COMPARED_FIELDS if (getattr(before, f) or None) != (getattr(after, f) or None))
