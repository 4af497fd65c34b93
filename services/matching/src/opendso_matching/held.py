"""Every open item held in the service's memory between batches, kept as the tables say.

Loading what each batch of lines could concern from the tables and indexing it again cost more than deciding
the lines (100,000 lines against a million items: the index alone took longer than the 10 s the whole pass
may). So the service indexes every item once, at start-up (:meth:`HeldLedger.load`), and before each batch
reads only the items changed since (:meth:`HeldLedger.update`): each transaction that changes an entity's items
(an item event, an allocation made or reversed, by this instance or another) raises the entity's item version
and stamps the items it changed with it (see ``store.item_versions``). Reading the changes from the tables
rather than applying the events as they come keeps every instance right when several share the events, and
makes a redelivered event change nothing (the same rows again).

A batch decides in a view of the held items (:class:`~opendso_matching.domain.index.BatchIndex`): what its
decisions take off the items stays in the view, so a batch that fails leaves the held items as committed; the
items it changed come back from the tables with the next update.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from opendso_matching.collection_pause import cycle_collection_paused
from opendso_matching.domain.index import BatchIndex, MatchIndex
from opendso_matching.domain.model import OpenItem
from opendso_matching.store import UnitOfWork


@dataclass
class LoadFigures:
    """What :meth:`HeldLedger.load` took: items, wall and CPU seconds."""

    items: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


class HeldLedger:
    def __init__(self) -> None:
        self.index = MatchIndex()
        # entity -> the item version the index holds its items at (-1: none held yet)
        self._versions: dict[str, int] = {}
        # entity -> the currencies its items are in (the rates a batch's payments may need)
        self._currencies: dict[str, set[str]] = {}
        self._loaded = False
        # One update at a time: two reading the tables at once could apply an older state after a newer one.
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        return self._loaded

    def versions(self) -> dict[str, int]:
        return dict(self._versions)

    def currencies(self, entity: str) -> set[str]:
        return set(self._currencies.get(entity, ()))

    def add(self, items: list[OpenItem]) -> None:
        """Take these items as they now stand (new ones, or the new state of held ones)."""
        with cycle_collection_paused():
            self.index.add_items(items)
        for item in items:
            self._currencies.setdefault(item.entity, set()).add(item.open_amount.currency)

    async def load(self, uow: UnitOfWork) -> LoadFigures:
        """Index every item of the tables: once, when the service starts, before it takes any line."""
        async with self._lock:
            started, cpu = time.perf_counter(), time.process_time()
            # The versions first: items read after them are at least as new; a newer one is read again later.
            versions = await uow.repo.item_versions()
            figures = LoadFigures()
            async for chunk in uow.repo.all_items():
                self.add(chunk)
                figures.items += len(chunk)
            self._versions = versions
            self._loaded = True
            figures.seconds = time.perf_counter() - started
            figures.cpu_seconds = time.process_time() - cpu
            return figures

    async def update(self, uow: UnitOfWork) -> int:
        """Read the items changed since the versions held (all of them the first time); answer how many."""
        if not self._loaded:
            return (await self.load(uow)).items
        async with self._lock:
            read = 0
            for entity, version in sorted((await uow.repo.item_versions()).items()):
                held = self._versions.get(entity, -1)
                if version == held:
                    continue
                changed = await uow.repo.items_changed_since(entity, held)
                self.add(changed)
                read += len(changed)
                self._versions[entity] = version
            return read

    def settle(self, entity: str, basis: int, stamped: int, items: list[OpenItem]) -> bool:
        """Take the items a committed transaction changed, as its decisions left them, without reading them back:
        only when nothing else changed the entity's items between the version its decisions saw (``basis``) and
        the one it stamped (``stamped``, raised by one from it), and the held items are still at ``basis`` with no
        update under way. Otherwise the next :meth:`update` reads them from the tables. Answers whether it took
        them."""
        if stamped != basis + 1 or self._versions.get(entity, -1) != basis or self._lock.locked():
            return False
        self.add(items)
        self._versions[entity] = stamped
        return True

    def view(self, names: MatchIndex) -> BatchIndex:
        """A view for one batch's decisions, with the customers, names and aliases of ``names``."""
        return self.index.batch_view(names)
