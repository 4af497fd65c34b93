"""The item ids a file has listed so far, with the row each was first on, in about 40 bytes an id.

Why not a dict of the ids: a million-row file kept a million id strings and row numbers alive to the end
of the import, some 140 bytes a row, and being small objects made while every chunk's garbage came and
went, they kept the allocator's arenas from being given back: the import's memory grew with the file
(+285 MiB at a million rows). Here an id is two 64-bit hashes and a row number in flat arrays.

Two independent 64-bit hashes (Python's keyed SipHash of the id, and of the id with a suffix) stand for the
id: two different ids in one file would have to agree on both, about one chance in 10^25 for a million
rows, so a row is never refused as a duplicate it is not. The keys are per process and never stored.
"""

from __future__ import annotations

from array import array

_SUFFIX = "\x1f"
_FIRST_CAPACITY = 1 << 14


class SeenItems:
    def __init__(self, expected: int = 0) -> None:
        """``expected``: about how many ids will come (from the file's size, say): the table is made that big
        at once, not grown step by step (each step re-adds every id, which costs more than adding them)."""
        capacity = _FIRST_CAPACITY
        while capacity < 2 * expected:
            capacity *= 2
        self._allocate(capacity)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def first_row(self, item_id: str) -> int | None:
        """The row the id was added from, or None when it was not."""
        first, second = hash(item_id), hash(item_id + _SUFFIX)
        rows, firsts, seconds, mask = self._rows, self._firsts, self._seconds, self._mask
        slot = first & mask
        while row := rows[slot]:
            if firsts[slot] == first and seconds[slot] == second:
                return row
            slot = (slot + 1) & mask
        return None

    def add(self, item_id: str, row: int) -> int | None:
        """Remember the id as first listed on ``row`` (a positive row number) and answer None; an id already
        added is left as it was, and its first row is the answer. One lookup for both: the importer's loop
        does this for every row."""
        if row <= 0:
            raise ValueError(f"row numbers start at 1, got {row}")
        if (self._count + 1) * 2 > len(self._rows):
            self._grow()
        return self._put(hash(item_id), hash(item_id + _SUFFIX), row)

    def _put(self, first: int, second: int, row: int) -> int | None:
        rows, firsts, seconds, mask = self._rows, self._firsts, self._seconds, self._mask
        slot = first & mask
        while earlier := rows[slot]:
            if firsts[slot] == first and seconds[slot] == second:
                return earlier
            slot = (slot + 1) & mask
        rows[slot], firsts[slot], seconds[slot] = row, first, second
        self._count += 1
        return None

    def _allocate(self, capacity: int) -> None:
        # Open addressing, linear probing, at most half full: a row number of 0 marks a free slot.
        self._rows = array("i", bytes(4 * capacity))
        self._firsts = array("q", bytes(8 * capacity))
        self._seconds = array("q", bytes(8 * capacity))
        self._mask = capacity - 1

    def _grow(self) -> None:
        old = zip(self._rows, self._firsts, self._seconds, strict=True)
        self._allocate(len(self._rows) * 2)
        self._count = 0
        for row, first, second in old:
            if row:
                self._put(first, second, row)
