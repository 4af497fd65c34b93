"""The risk agenda: what comes on it, and in which order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opendso_money import Money
from opendso_risk.domain.agenda import LimitStatus, agenda_entries
from opendso_risk.domain.limits import CoverKind, CreditLimit, HolderKind, InsuranceCover

TODAY = dt.date(2026, 6, 25)
EUR = "EUR"


def limit(holder: str, amount: int, review_on: dt.date | None = None) -> CreditLimit:
    return CreditLimit(
        f"customer:{holder}", HolderKind.CUSTOMER, holder, "FR01", Money(Decimal(amount), EUR), review_on
    )


def cover(cover_id: str, expires: dt.date) -> InsuranceCover:
    return InsuranceCover(
        cover_id,
        HolderKind.ENTITY,
        "FR01",
        "FR01",
        "Coface",
        Money(Decimal(100000), EUR),
        CoverKind.PERMANENT,
        expires_on=expires,
    )


def test_the_agenda_lists_expiries_excesses_and_reviews_soonest_first() -> None:
    exceeded = LimitStatus(limit("FR01/C1", 1000), Decimal("1.2"), Money(Decimal(1200), EUR), dt.date(2026, 6, 24))
    near = LimitStatus(limit("FR01/C2", 1000), Decimal("0.95"), Money(Decimal(950), EUR), dt.date(2026, 6, 24))
    quiet = LimitStatus(limit("FR01/C3", 1000, dt.date(2026, 12, 1)), Decimal("0.1"), Money(Decimal(100), EUR), TODAY)
    review = LimitStatus(limit("FR01/C4", 1000, dt.date(2026, 6, 1)))
    entries = agenda_entries(
        [exceeded, near, quiet, review],
        [
            cover("expired", dt.date(2026, 6, 10)),
            cover("soon", dt.date(2026, 7, 20)),
            cover("later", dt.date(2026, 9, 1)),
        ],
        TODAY,
        horizon_days=30,
        near_percent=90,
    )
    assert [(e.reason, e.due_on.isoformat()) for e in entries] == [
        ("review_due", "2026-06-01"),
        ("cover_expired", "2026-06-10"),
        ("limit_exceeded", "2026-06-24"),
        ("limit_near", "2026-06-24"),
        ("cover_expiring", "2026-07-20"),
    ]
    assert entries[0].summary == "limit of 1000.00 EUR to review by 2026-06-01 (overdue)"
    assert entries[2].summary == "1200.00 EUR open against a limit of 1000.00 EUR (120.0 %)"
    assert entries[4].summary == "permanent cover of 100000.00 EUR by Coface expires on 2026-07-20"
