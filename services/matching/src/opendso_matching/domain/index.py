"""The open items, customers, known IBANs and aliases the engine looks payments up in.

The same index serves the offline ``opendso match`` run (every item of a file) and the service
(the items a batch of bank lines can concern, loaded from its tables).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from opendso_money import Money

from opendso_matching.domain.keys import item_keys, number_keys
from opendso_matching.domain.model import Customer, OpenItem
from opendso_matching.domain.names import NameIndex


def normalise_iban(iban: str) -> str:
    # Banks send most IBANs as they are held (ASCII capitals and digits, no spaces): nothing to split or join.
    if iban.isascii() and iban.isalnum() and iban.isupper():
        return iban
    return "".join(iban.split()).upper()


class MatchIndex:
    def __init__(self) -> None:
        self._items: dict[str, OpenItem] = {}
        # key -> the id of its one item, or the ids of its several: most keys find one item, and a million
        # one-element lists would cost memory and the garbage collector's time on every pass.
        self._by_key: dict[str, str | list[str]] = {}
        self._by_customer: dict[str, list[str]] = defaultdict(list)
        self._customers: dict[str, Customer] = {}
        self._ibans: dict[str, str] = {}
        self.names = NameIndex()

    @classmethod
    def sharing_names_of(cls, base: MatchIndex) -> MatchIndex:
        """An empty index that shares ``base``'s customers, names and aliases, not a copy of them: the names of
        many customers are indexed once and serve many indexes. Neither may add customers or aliases after;
        items and IBANs are each one's own."""
        index = cls()
        index._customers = base._customers
        index.names = base.names
        return index

    # --- building ---------------------------------------------------------------------------------

    def add_customer(self, customer: Customer) -> None:
        self._customers[customer.customer_id] = customer
        self.names.add(customer.customer_id, customer.name)

    def add_alias(self, customer_id: str, alias: str) -> None:
        """A name this customer pays under (learned from a collector's confirmation)."""
        self.names.add(customer_id, alias)

    def add_iban(self, iban: str, customer_id: str) -> None:
        self._ibans[normalise_iban(iban)] = customer_id

    def add_item(self, item: OpenItem) -> None:
        """Add an item, or replace the one of that id (its new open amount, or its new number or customer)."""
        old = self._items.get(item.item_id)
        self._items[item.item_id] = item
        if old is not None:
            if (old.number, old.reference, old.customer_id) == (item.number, item.reference, item.customer_id):
                return
            # Its keys or its customer changed: the old ones would find it under what it no longer is.
            self._unindex(old)
        by_key, item_id = self._by_key, item.item_id
        # The keys straight from their lists, not gathered in a set first: a key can come twice (a reference
        # that is the number's digits), and then it already ends with this item. One dict look-up per key.
        for keys in (
            number_keys(item.number, True) if item.number else (),
            number_keys(item.reference, False) if item.reference else (),
        ):
            for key in keys:
                ids = by_key.setdefault(key, item_id)
                if ids is item_id:
                    continue
                if isinstance(ids, str):
                    if ids != item_id:
                        by_key[key] = [ids, item_id]
                elif not ids or ids[-1] != item_id:
                    ids.append(item_id)
        self._by_customer[item.customer_id].append(item_id)

    def _unindex(self, item: OpenItem) -> None:
        for key in item_keys(item.number, item.reference):
            ids = self._by_key.get(key)
            if ids == item.item_id:
                del self._by_key[key]
            elif isinstance(ids, list) and item.item_id in ids:
                ids.remove(item.item_id)
        owned = self._by_customer.get(item.customer_id)
        if owned is not None and item.item_id in owned:
            owned.remove(item.item_id)

    def add_items(self, items: Iterable[OpenItem]) -> None:
        for item in items:
            self.add_item(item)

    def reduce(self, item_id: str, paid: Money) -> None:
        """What an applied allocation leaves open, so that the next payment does not pay it again."""
        item = self._items[item_id]
        # Made directly: dataclasses.replace costs several times more, on every allocation applied.
        self._items[item_id] = OpenItem(
            item.item_id,
            item.customer_id,
            item.entity,
            item.number,
            item.kind,
            item.due_date,
            item.open_amount - paid,
            item.reference,
        )

    # --- looking up -------------------------------------------------------------------------------

    def item(self, item_id: str) -> OpenItem | None:
        return self._items.get(item_id)

    def items_by_key(self, key: str) -> list[OpenItem]:
        ids = self._by_key.get(key)
        if ids is None:
            return []
        return [self._items[ids]] if isinstance(ids, str) else [self._items[i] for i in ids]

    def items_by_keys(self, keys: Iterable[str]) -> list[tuple[str, OpenItem]]:
        """(key, item) for the items of each of ``keys``, in order: one call for all the keys of a text."""
        by_key, items = self._by_key, self._items
        found: list[tuple[str, OpenItem]] = []
        # Most keys of a text find nothing: which do is asked of the dict in one call, looping in C over the keys,
        # and only those that do are looked up one by one. The keys are read twice: an iterator is listed first.
        keys = keys if isinstance(keys, list | tuple) else list(keys)
        present = by_key.keys() & keys
        if not present:
            return found
        for key in keys:
            if key not in present:
                continue
            ids = by_key[key]
            if isinstance(ids, str):
                found.append((key, items[ids]))
            else:
                # A loop, not extend over a generator: most of these lists hold two or three ids.
                for i in ids:
                    found.append((key, items[i]))
        return found

    def items_of(self, customer_id: str) -> list[OpenItem]:
        """The customer's items, paid ones included."""
        return [self._items[i] for i in self._by_customer.get(customer_id, ())]

    def open_items_of(self, customer_id: str) -> list[OpenItem]:
        items = self._items
        # Not through items_of and is_open, nor Money.is_zero: this runs for every payment whose customer is known,
        # for each of its items, and a Decimal is true when it is not zero.
        return [item for i in self._by_customer.get(customer_id, ()) if (item := items[i]).open_amount.amount]

    def customer(self, customer_id: str) -> Customer | None:
        return self._customers.get(customer_id)

    def customer_of_iban(self, iban: str) -> str | None:
        return self._ibans.get(normalise_iban(iban)) if iban else None

    def __len__(self) -> int:
        return len(self._items)

    def batch_view(self, names: MatchIndex) -> BatchIndex:
        """A view of this index's items for deciding one batch of lines (see :class:`BatchIndex`), with the
        customers, names and aliases of ``names``."""
        return BatchIndex(self, names)


class BatchIndex(MatchIndex):
    """One batch's view of an index held for many batches: the held items as they stand, what the batch's
    decisions took off them (kept in the view, never written to the held index) and the IBANs the batch knows.

    The service holds every item in one index between batches and updates it only from what its tables say
    once committed: a batch whose decisions are not committed (it failed, or a person reverses one) must leave
    nothing behind, and the items its allocations changed come back from the tables with the next update.
    Items, keys and customers' item lists are the held index's, shared; customers, names and aliases are
    ``names``'s. Neither may change while the view decides; the view takes no items."""

    def __init__(self, held: MatchIndex, names: MatchIndex) -> None:
        super().__init__()
        self._items = held._items
        self._by_key = held._by_key
        self._by_customer = held._by_customer
        self._customers = names._customers
        self.names = names.names
        # item id -> the item as this batch's allocations left it
        self._reduced: dict[str, OpenItem] = {}

    @property
    def reduced(self) -> dict[str, OpenItem]:
        """The items this batch's decisions changed, as they left them."""
        return self._reduced

    def add_customer(self, customer: Customer) -> None:
        raise TypeError("a batch view takes its customers from the names it was made with")

    def add_alias(self, customer_id: str, alias: str) -> None:
        raise TypeError("a batch view takes its aliases from the names it was made with")

    def add_item(self, item: OpenItem) -> None:
        raise TypeError("a batch view takes its items from the index it views")

    def reduce(self, item_id: str, paid: Money) -> None:
        item = self._reduced.get(item_id) or self._items[item_id]
        self._reduced[item_id] = OpenItem(
            item.item_id,
            item.customer_id,
            item.entity,
            item.number,
            item.kind,
            item.due_date,
            item.open_amount - paid,
            item.reference,
        )

    # The look-ups of MatchIndex, each item taken from what the batch changed first. One more dict look-up per
    # item, not a call: these run for every candidate of every line.

    def item(self, item_id: str) -> OpenItem | None:
        return self._reduced.get(item_id) or self._items.get(item_id)

    def items_by_key(self, key: str) -> list[OpenItem]:
        return [item for _, item in self.items_by_keys((key,))]

    def items_by_keys(self, keys: Iterable[str]) -> list[tuple[str, OpenItem]]:
        by_key, items, reduced = self._by_key, self._items, self._reduced
        found: list[tuple[str, OpenItem]] = []
        # As MatchIndex.items_by_keys: the keys that find something first, in one call.
        keys = keys if isinstance(keys, list | tuple) else list(keys)
        present = by_key.keys() & keys
        if not present:
            return found
        for key in keys:
            if key not in present:
                continue
            ids = by_key[key]
            if isinstance(ids, str):
                found.append((key, reduced.get(ids) or items[ids]))
            else:
                for i in ids:
                    found.append((key, reduced.get(i) or items[i]))
        return found

    def items_of(self, customer_id: str) -> list[OpenItem]:
        items, reduced = self._items, self._reduced
        return [reduced.get(i) or items[i] for i in self._by_customer.get(customer_id, ())]

    def open_items_of(self, customer_id: str) -> list[OpenItem]:
        items, reduced = self._items, self._reduced
        return [
            item
            for i in self._by_customer.get(customer_id, ())
            if (item := reduced.get(i) or items[i]).open_amount.amount
        ]
