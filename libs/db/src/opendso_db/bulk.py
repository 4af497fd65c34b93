"""Set-based writes for batches: one select, one insert, one update per batch of rows,
never one statement per row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

_IN_CHUNK = 500  # keys per IN (...) query: well under every backend's parameter limit


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


async def upsert_rows(
    session: AsyncSession,
    table: Table,
    key: str,
    rows: list[dict[str, Any]],
    *,
    newer_only: bool = False,
    keep: tuple[str, ...] = (),
) -> None:
    """Insert the rows whose ``key`` is new and update the others.

    ``newer_only``: a stored row whose ``version_at`` is newer than the row's is
    left alone, so an older event arriving late never overwrites a newer state.
    ``keep`` names columns an update must not overwrite. Within ``rows`` the
    last row of a key wins.
    """
    if not rows:
        return
    latest = {row[key]: row for row in rows}
    column = table.c[key]
    keys = list(latest)
    existing: set[Any] = set()
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
