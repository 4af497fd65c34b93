"""Who a dispute is assigned to: the user its qualification names as owner, or, when a role owns it, whoever holds
that role on the account (its sales rep for "sales", its collector for "collector")."""

from __future__ import annotations

from collections.abc import Iterable

from .qualification import Role


def _same(a: str, b: str) -> bool:
    return bool(a.strip()) and a.strip().casefold() == b.strip().casefold()


def assigned_to(owner: str, collector: str, sales_rep: str, names: Iterable[str]) -> bool:
    """Whether a dispute with ``owner`` on an account with ``collector`` and ``sales_rep`` is one of ``names``'."""
    if owner == Role.SALES.value:
        holder = sales_rep
    elif owner == Role.COLLECTOR.value:
        holder = collector
    else:
        holder = owner
    return any(_same(holder, name) for name in names)
