"""What a sales rep's phone shows: whose accounts are theirs, and an account summed up before a visit.

Pure: no FastAPI, no bus.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from opendso_gateway.domain.access import Principal, Role, Scope


def in_rep_portfolio(scope: Scope, role: Role, collector: str, sales_rep: str) -> bool:
    """Whether an account is in the user's portfolio: a sales rep's accounts are those they sell to, everyone
    else's those they collect. No portfolio: every account of the entities in scope."""
    return scope.in_portfolio(sales_rep if role is Role.SALES else collector)


def assignee_names(principal: Principal) -> list[str]:
    """The names customer records and dispute owners may give this user: the portfolio's name and the e-mail."""
    return list(dict.fromkeys(n for n in (principal.scope.portfolio.strip(), principal.email.strip()) if n))


def is_assignee(principal: Principal, owner: str, sales_rep: str) -> bool:
    """Whether a dispute owned by ``owner`` is assigned to this user: by portfolio name or e-mail (in any
    case), or owned by the role "sales" on an account this user sells to."""
    names = {name.casefold() for name in assignee_names(principal)}
    wanted = owner.strip().casefold()
    if wanted == "sales":
        wanted = sales_rep.strip().casefold()
    return bool(wanted) and wanted in names


@dataclass(frozen=True)
class OpenAmount:
    due_date: dt.date | None
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Balance:
    currency: str
    open: Decimal
    overdue: Decimal
    open_items: int
    overdue_items: int


def balances(items: Iterable[OpenAmount], today: dt.date) -> list[Balance]:
    """Open and overdue per currency (never summed across currencies), currencies in alphabetical order; items
    with nothing left open are left out. A credit note or an unallocated payment (a negative amount) lowers
    the balance, as in the aging report, the account and the reminders; it is not counted as an item due."""
    open_: dict[str, Decimal] = {}
    overdue: dict[str, Decimal] = {}
    counts: dict[str, tuple[int, int]] = {}
    for i in items:
        if i.amount == 0:
            continue
        late = i.due_date is not None and i.due_date < today
        open_[i.currency] = open_.get(i.currency, Decimal(0)) + i.amount
        overdue[i.currency] = overdue.get(i.currency, Decimal(0)) + (i.amount if late else Decimal(0))
        n, m = counts.get(i.currency, (0, 0))
        due = i.amount > 0
        counts[i.currency] = (n + due, m + (1 if late and due else 0))
    return [Balance(c, open_[c], overdue[c], counts[c][0], counts[c][1]) for c in sorted(open_)]


def oldest_days_overdue(items: Iterable[OpenAmount], today: dt.date) -> int:
    """Days overdue of the oldest overdue open item; 0 when nothing is overdue."""
    late = [(today - i.due_date).days for i in items if i.amount > 0 and i.due_date is not None and i.due_date < today]
    return max(late, default=0)
