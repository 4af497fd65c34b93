"""Set-based writes for batches: one select, one insert, one update per batch of rows,
never one statement per row."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, Table, any_, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

_IN_CHUNK = 500  # keys per IN (...) query: well under every backend's parameter limit
# Rows from which insert_tuples writes through COPY on PostgreSQL: below, one statement costs less than COPY's
# round trips.
COPY_FROM = 50


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in the session's transaction; on PostgreSQL through COPY (one to two orders of
    magnitude faster than inserts) once there are enough rows to be worth it."""
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name != "postgresql" or len(rows) < 1000:
        await session.execute(insert(table), rows)
        return
    raw = await connection.get_raw_connection()
    columns = [c.name for c in table.columns]
    records = [tuple(row.get(c) for c in columns) for row in rows]
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, records=records, columns=columns
    )


async def insert_tuples(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    skip_existing: Sequence[str] = (),
) -> None:
    """Insert many rows given as tuples of ``columns``' values, in the session's transaction: for hot paths that
    write thousands of rows a second. The statement is compiled once and its rows handed to the driver as they
    are, each value through its column type's bind conversion only when it has one (SQLAlchemy's own executemany
    builds and checks a parameter dict per row: most of the time of a bank line's rows on SQLite). On PostgreSQL,
    from :data:`COPY_FROM` rows on, they go through COPY (asyncpg's executemany took 20 µs a row of a bank line's
    allocation, COPY a few). ``skip_existing`` names a unique key: a row whose key is already
    stored is left out (ON CONFLICT DO NOTHING) instead of failing the transaction."""
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql" and len(rows) >= COPY_FROM and not skip_existing:
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name, records=rows, columns=list(columns)
        )
        return
    if dialect.name not in ("postgresql", "sqlite"):
        await session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    text, order, converting = _positional_insert(table, tuple(columns), tuple(skip_existing), dialect)
    if converting or order != tuple(range(len(columns))):
        # Each row's values in the statement's order (the table's), through their conversions.
        converted = []
        for row in rows:
            values = [row[n] for n in order]
            for n, process in converting:
                values[n] = process(values[n])
            converted.append(tuple(values))
        rows = converted
    await connection.exec_driver_sql(text, rows)


# A statement's text, where each of its parameters is in the caller's columns, and the parameters' bind conversions.
_Positional = tuple[str, tuple[int, ...], list[tuple[int, Callable[[Any], Any]]]]
# (table, columns, key, dialect name) -> its _Positional: made once per process, not per batch.
_POSITIONAL: dict[tuple[Table, tuple[str, ...], tuple[str, ...], str], _Positional] = {}


def _positional_insert(
    table: Table, columns: tuple[str, ...], skip_existing: tuple[str, ...], dialect: Dialect
) -> _Positional:
    """INSERT of ``columns`` in the dialect's positional parameters (qmark on SQLite, $n on asyncpg), which follow
    the table's order of columns; for each parameter, its column's place in ``columns``; and the conversion of
    each parameter whose column type has one, by its place in the statement."""
    known = _POSITIONAL.get((table, columns, skip_existing, dialect.name))
    if known is not None:
        return known
    statement: Any
    if skip_existing:
        dialect_insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
        statement = dialect_insert(table).on_conflict_do_nothing(index_elements=list(skip_existing))
    else:
        statement = insert(table)
    compiled = statement.values({c: bindparam(c) for c in columns}).compile(dialect=dialect)
    positions = compiled.positiontup
    if positions is None or sorted(positions) != sorted(columns):
        raise ValueError(f"{table.name}: the dialect {dialect.name} does not take {list(columns)} by position")
    order = tuple(columns.index(name) for name in positions)
    processors: list[Callable[[Any], Any] | None] = [
        table.c[columns[n]].type.dialect_impl(dialect).bind_processor(dialect) for n in order
    ]
    found: _Positional = (str(compiled), order, [(n, p) for n, p in enumerate(processors) if p is not None])
    _POSITIONAL[(table, columns, skip_existing, dialect.name)] = found
    return found


async def one_of(session: AsyncSession, column: Any, values: Collection[str]) -> ColumnElement[bool]:
    """``column`` is one of these text values, as one parameter however many they are: an array on PostgreSQL,
    a JSON list on SQLite. An IN (...) of 500 parameters cost a few milliseconds of SQLAlchemy's rendering, and a
    new plan on PostgreSQL, for each chunk of a thousand keys a batch looks up."""
    listed = list(values)
    dialect = (await session.connection()).dialect.name
    if dialect == "postgresql":
        return column == any_(bindparam(None, listed, type_=postgresql.ARRAY(String)))  # type: ignore[no-any-return]
    if dialect == "sqlite":
        each = func.json_each(bindparam(None, json.dumps(listed), type_=String)).table_valued("value")
        return column.in_(select(each.c.value))  # type: ignore[no-any-return]
    return column.in_(listed)  # type: ignore[no-any-return]


async def upsert_rows(
    session: AsyncSession,
    table: Table,
    key: str,
    rows: list[dict[str, Any]],
    *,
    newer_only: bool = False,
    keep: tuple[str, ...] = (),
    existing: set[Any] | None = None,
) -> None:
    """Insert the rows whose ``key`` is new and update the others.

    ``newer_only``: a stored row whose ``version_at`` is newer than the row's is
    left alone, so an older event arriving late never overwrites a newer state.
    ``keep`` names columns an update must not overwrite. Within ``rows`` the
    last row of a key wins. ``existing``: the keys of ``rows`` already stored,
    when the caller has just read them (not read again).
    """
    if not rows:
        return
    latest = {row[key]: row for row in rows}
    column = table.c[key]
    keys = list(latest)
    if existing is None:
        existing = set()
        for start in range(0, len(keys), _IN_CHUNK):
            found = await session.execute(select(column).where(column.in_(keys[start : start + _IN_CHUNK])))
            existing.update(found.scalars())
    await insert_rows(session, table, [row for k, row in latest.items() if k not in existing])
    changes = []
    for k, row in latest.items():
        if k in existing:
            change = {c: v for c, v in row.items() if c != key and c not in keep}
            change["b_key"] = k
            if newer_only:
                change["b_version"] = row["version_at"]
            changes.append(change)
    if changes:
        statement = update(table).where(column == bindparam("b_key"))
        if newer_only:
            statement = statement.where(table.c.version_at <= bindparam("b_version"))
        await session.execute(statement, changes)
