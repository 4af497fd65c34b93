"""What importing a contacts file changes: the contacts it creates, those it changes and, for a full
snapshot, those it removes.

Contacts are compared as rows (column -> value) keyed by their contact id, which names the customer, the
role and the address: a contact whose address or role changes in the CRM is a new contact, and the old one
is gone.

A full snapshot is every contact of its entities. A stored contact of those entities that the file does
not list is removed, also when the file does not name its customer at all: a full CRM export lists every
contact of every customer, so a customer missing from it has no contact left. Contacts of other entities
are outside the snapshot and never removed by it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opendso_importer.domain.contacts_csv import ContactRow

Row = Mapping[str, Any]

# What a contact holds besides its identity; a difference in any of these is a change.
COMPARED = ("name", "email", "phone", "role", "language")


@dataclass(frozen=True)
class ContactsDiff:
    created: tuple[Row, ...]
    # Each changed contact as it is now, with the names of the fields that changed.
    changed: tuple[tuple[Row, tuple[str, ...]], ...]
    # Each removed contact as it was stored.
    removed: tuple[Row, ...]


def snapshot_scope(named: Sequence[str], contacts: Iterable[ContactRow]) -> list[str]:
    """The entities a snapshot is complete for: those the command names, else those the file's contacts name."""
    return sorted(set(named) or {c.entity for c in contacts})


def diff_contacts(listed: Sequence[Row], stored: Mapping[str, Row], in_snapshot: Iterable[Row] | None) -> ContactsDiff:
    """Compare a file's contacts with what is stored.

    ``stored`` holds the stored rows of the listed contact ids (those not stored are new); ``in_snapshot``
    every stored row of the snapshot's entities, or None for an incremental import, which removes nothing.
    Removed contacts come in contact id order, so the same snapshot always publishes the same changes.
    """
    created: list[Row] = []
    changed: list[tuple[Row, tuple[str, ...]]] = []
    for row in listed:
        before = stored.get(row["contact_id"])
        if before is None:
            created.append(row)
            continue
        # An empty value and no value are the same: a CSV cell cannot tell them apart.
        fields = tuple(f for f in COMPARED if (before[f] or None) != (row[f] or None))
        if fields:
            changed.append((row, fields))
    removed: list[Row] = []
    if in_snapshot is not None:
        listed_ids = {r["contact_id"] for r in listed}
        removed = sorted((r for r in in_snapshot if r["contact_id"] not in listed_ids), key=lambda r: r["contact_id"])
    return ContactsDiff(tuple(created), tuple(changed), tuple(removed))
