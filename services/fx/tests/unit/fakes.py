"""An in-memory unit of work with the fx repository's behaviour, for handler tests without a database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self, cast

from google.protobuf.message import Message
from opendso.common.v1.common_pb2 import EventMeta
from opendso_bus.envelope import new_meta
from opendso_fx.domain.rates import Quote
from opendso_fx.store import UnitOfWork


class FakeRepository:
    def __init__(self) -> None:
        # (currency, day, source) -> (quote, entered_by)
        self.rows: dict[tuple[str, dt.date, str], tuple[Quote, str]] = {}

    async def latest_day(self, source: str) -> dt.date | None:
        return max((day for _, day, s in self.rows if s == source), default=None)

    async def latest_days(self) -> dict[str, dt.date]:
        latest: dict[str, dt.date] = {}
        for _, day, source in self.rows:
            latest[source] = max(day, latest.get(source, day))
        return latest

    async def quotes(self, currencies: Iterable[str], since: dt.date, until: dt.date) -> list[Quote]:
        wanted = set(currencies)
        return [q for q, _ in self.rows.values() if q.currency in wanted and since <= q.day <= until]

    async def save(self, quotes: list[Quote], at: dt.datetime, entered_by: str = "") -> dict[dt.date, int]:
        changed: dict[dt.date, int] = {}
        for q in quotes:
            key = (q.currency, q.day, q.source)
            held = self.rows.get(key)
            if held is not None and held[0].rate == q.rate:
                continue
            self.rows[key] = (q, entered_by)
            changed[q.day] = changed.get(q.day, 0) + 1
        return changed


class FakeUnitOfWork:
    """Commits what was published to ``published``; what is not committed is forgotten."""

    def __init__(self, repo: FakeRepository, published: list[Message]) -> None:
        self.repo = repo
        self.published = published
        self._pending: list[Message] = []
        self.commits = 0
        self.correlation_id = ""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pending.clear()

    def caused_by(self, meta: EventMeta | None = None, *, correlation_id: str = "") -> None:
        self.correlation_id = correlation_id

    def meta(self, entity: str = "", **kwargs: Any) -> EventMeta:
        return new_meta("fx", entity=entity, correlation_id=self.correlation_id, trace={})

    async def publish_many(self, messages: list[Message]) -> None:
        self._pending.extend(messages)

    async def commit(self) -> None:
        self.published.extend(self._pending)
        self._pending.clear()
        self.commits += 1


class FakeStore:
    """The repository and what was published, shared by every unit of work it opens."""

    def __init__(self) -> None:
        self.repo = FakeRepository()
        self.published: list[Message] = []

    def uow(self) -> UnitOfWork:
        return cast(UnitOfWork, FakeUnitOfWork(self.repo, self.published))

    @property
    def new_uow(self) -> Callable[[], UnitOfWork]:
        return self.uow
