from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def normalise_url(url: str) -> str:
    """Pick the async driver for a plain URL: ``sqlite:///x.db`` → aiosqlite, ``postgresql://`` → asyncpg."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite(engine: AsyncEngine) -> None:
    # The stdlib driver opens transactions lazily and upgrades read locks to
    # write locks mid-transaction, which is where "database is locked" comes
    # from. Autocommit at the driver level plus an explicit BEGIN IMMEDIATE
    # takes the write lock up front, so a writer waits (busy_timeout) instead
    # of failing.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``; SQLite files get WAL, a busy timeout and immediate transactions."""
    url = normalise_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # asyncpg prepares every statement and PostgreSQL switches a prepared statement to a generic plan after five
    # runs, planned for the table as it was then: a table filled from empty by batches (a service's first import)
    # kept a plan made when it was empty, a scan per batch, quadratic (the matching service's 200,000 items took
    # 30 s instead of 5 s). A custom plan each time costs a fraction of a millisecond.
    if make_url(url).drivername == "postgresql+asyncpg":
        server_settings = kwargs.setdefault("connect_args", {}).setdefault("server_settings", {})
        server_settings.setdefault("plan_cache_mode", "force_custom_plan")
    return create_async_engine(url, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after commit without a
    # hidden reload query.
    return async_sessionmaker(engine, expire_on_commit=False)
