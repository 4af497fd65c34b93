"""The customer search query: part of a name or an account number in, a page of customers out, cut to the
entities and portfolio the caller names.

The folding of ``domain.customer_search`` runs inside the database (nested ``replace`` then ``lower``, the
same on SQLite and PostgreSQL), so the filter, the order and the page are the database's: a large ledger is
never read into memory to find twenty customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import InvalidRequest
from sqlalchemy import ColumnElement, String, and_, case, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from opendso_importer.domain.customer_search import FOLDS, SearchRejected, SearchTerms, fold, page_size, search_terms
from opendso_importer.domain.ledger import CustomerState
from opendso_importer.ledger_events import customer_to_proto
from opendso_importer.store import customers

MAX_OFFSET = 10_000
_LIKE_ESCAPE = "\\"


class CustomerFinder(Protocol):
    async def find(
        self,
        terms: SearchTerms,
        entities: Sequence[str],
        collector: str,
        sales_rep: str,
        offset: int,
        limit: int,
    ) -> list[CustomerState]:
        """Up to ``limit`` matching customers after the first ``offset``, by folded name then account number."""
        ...


async def search_customers(query: rv.SearchCustomers, finder: CustomerFinder) -> rv.CustomerSearchResults:
    """A page of the customers matching ``query.text``, one more asked for to tell whether more follow."""
    try:
        terms = search_terms(query.text)
    except SearchRejected as exc:
        raise InvalidRequest(str(exc)) from None
    if query.offset < 0 or query.offset > MAX_OFFSET:
        raise InvalidRequest(f"offset must be between 0 and {MAX_OFFSET}")
    limit = page_size(query.limit)
    entities = sorted({e for e in query.entities if e})
    found = await finder.find(
        terms, entities, query.collector.strip(), query.sales_rep.strip(), query.offset, limit + 1
    )
    return rv.CustomerSearchResults(customers=[customer_to_proto(c) for c in found[:limit]], more=len(found) > limit)


# The one-letter folds in one translate(), the others (ß, æ, œ) by replace(): PostgreSQL's form of ``fold``.
_ONE_TO_ONE = [(letter, base) for letter, base in FOLDS if len(base) == 1]
_TRANSLATE_FROM = "".join(letter for letter, _ in _ONE_TO_ONE)
_TRANSLATE_TO = "".join(base for _, base in _ONE_TO_ONE)
_REPLACED = [(letter, base) for letter, base in FOLDS if len(base) > 1]
SQLITE_FOLD = "opendso_fold"


def _folded(column_sql: str, dialect: str) -> ColumnElement[str]:
    """``domain.customer_search.fold`` of a column, in the database. SQLite has no translate() and its parser
    overflows on a hundred nested replace(): there the domain's own function is registered on the connection.
    The SQL is built from constants (FOLDS holds no quote), never from a user's input."""
    if dialect == "sqlite":
        return literal_column(f"{SQLITE_FOLD}({column_sql})", String)
    expression = f"coalesce({column_sql}, '')"
    for letter, base in _REPLACED:
        expression = f"replace({expression}, '{letter}', '{base}')"
    return literal_column(f"lower(translate({expression}, '{_TRANSLATE_FROM}', '{_TRANSLATE_TO}'))", String)


def _fold_or_empty(text: str | None) -> str:
    return fold(text or "")


def _like(word: str) -> str:
    escaped = word.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", _LIKE_ESCAPE + "%")
    return "%" + escaped.replace("_", _LIKE_ESCAPE + "_") + "%"


def _state(m: Any) -> CustomerState:
    return CustomerState(**{f: m[f] for f in CustomerState.__dataclass_fields__})


class SqlCustomerFinder:
    """The search over the importer's customers table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def find(
        self,
        terms: SearchTerms,
        entities: Sequence[str],
        collector: str,
        sales_rep: str,
        offset: int,
        limit: int,
    ) -> list[CustomerState]:
        connection = await self._session.connection()
        dialect = connection.dialect.name
        if dialect == "sqlite":
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            if driver is None:
                raise RuntimeError("the SQLite connection is closed")
            # Registered on every search: pooled connections come and go, and registering again costs nothing.
            await driver.create_function(SQLITE_FOLD, 1, _fold_or_empty, deterministic=True)
        name = _folded(f"{customers.name}.name", dialect)
        account = func.lower(customers.c.account_number)
        conditions: list[ColumnElement[bool]] = [
            or_(name.like(_like(w), escape=_LIKE_ESCAPE), account.like(_like(w), escape=_LIKE_ESCAPE))
            for w in terms.words
        ]
        if entities:
            conditions.append(customers.c.entity.in_(list(entities)))
        # Folded on both sides: SQLite's lower() leaves "Š" as it is, and a portfolio may be "Šárka".
        if collector:
            conditions.append(_folded(f"trim({customers.name}.collector)", dialect) == fold(collector))
        if sales_rep:
            conditions.append(_folded(f"trim({customers.name}.sales_rep)", dialect) == fold(sales_rep))
        # The account number typed in full comes first, then names in folded alphabetical order.
        exact = case((account == " ".join(terms.words), 0), else_=1)
        rows = await self._session.execute(
            select(customers)
            .where(and_(*conditions))
            .order_by(exact, name, customers.c.account_number, customers.c.entity)
            .offset(offset)
            .limit(limit)
        )
        return [_state(r._mapping) for r in rows]
