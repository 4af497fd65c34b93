"""What a contacts import changes, as a pure comparison, and where a full snapshot of contacts is dropped."""

from __future__ import annotations

from typing import Any

from opendso.imports.v1 import imports_pb2 as im
from opendso_importer.domain.contacts_csv import ContactRole, ContactRow
from opendso_importer.domain.contacts_sync import diff_contacts, snapshot_scope
from opendso_importer.drop import command_for


def contact(account: str, email: str, entity: str = "FR01", **fields: Any) -> dict[str, Any]:
    role = fields.pop("role", "collection")
    return {
        "contact_id": f"{entity}/{account}/{role}/{email}",
        "customer_id": f"{entity}/{account}",
        "entity": entity,
        "account_number": account,
        "name": None,
        "email": email,
        "phone": None,
        "role": role,
        "language": None,
        **fields,
    }


def by_id(*rows: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["contact_id"]: r for r in rows}


def test_new_and_changed_contacts_are_told_apart_and_an_unchanged_one_is_left_alone() -> None:
    alice = contact("C1", "alice@dupont.example", name="Alice")
    bob = contact("C1", "bob@dupont.example", role="billing")
    stored = by_id(alice, {**bob, "phone": "+33 1 23 45 67 89"})

    diff = diff_contacts([alice, bob, contact("C2", "carl@martin.example")], stored, None)

    assert [r["email"] for r in diff.created] == ["carl@martin.example"]
    assert [(r["email"], fields) for r, fields in diff.changed] == [("bob@dupont.example", ("phone",))]
    assert diff.removed == ()


def test_an_empty_value_and_no_value_are_the_same() -> None:
    alice = contact("C1", "alice@dupont.example", phone="")

    diff = diff_contacts([alice], by_id({**alice, "phone": None}), None)

    assert (diff.created, diff.changed) == ((), ())


def test_an_incremental_import_removes_nothing_it_does_not_list() -> None:
    alice = contact("C1", "alice@dupont.example")
    bob = contact("C1", "bob@dupont.example")

    diff = diff_contacts([alice], by_id(alice, bob), None)

    assert diff.removed == ()


def test_a_snapshot_removes_the_contacts_it_no_longer_lists_even_of_customers_it_does_not_name() -> None:
    alice = contact("C1", "alice@dupont.example")
    bob = contact("C1", "bob@dupont.example")
    carl = contact("C2", "carl@martin.example")  # C2 is not in the file at all
    stored = by_id(alice, bob, carl)

    diff = diff_contacts([alice], stored, stored.values())

    assert [r["contact_id"] for r in diff.removed] == [bob["contact_id"], carl["contact_id"]]
    assert (diff.created, diff.changed) == ((), ())


def test_removed_contacts_come_in_id_order_whatever_the_order_they_were_read_in() -> None:
    rows = [contact("C3", "z@x.example"), contact("C1", "a@x.example"), contact("C2", "m@x.example")]

    diff = diff_contacts([], {}, rows)

    assert [r["account_number"] for r in diff.removed] == ["C1", "C2", "C3"]


def test_the_same_snapshot_twice_changes_nothing() -> None:
    listed = [contact("C1", "alice@dupont.example", name="Alice"), contact("C2", "carl@martin.example")]
    stored = by_id(*listed)

    diff = diff_contacts(listed, stored, stored.values())

    assert (diff.created, diff.changed, diff.removed) == ((), (), ())


def test_a_changed_address_is_a_new_contact_and_the_old_one_is_removed() -> None:
    old = contact("C1", "alice@dupont.example")
    new = contact("C1", "alice.dupont@dupont.example")

    diff = diff_contacts([new], {}, [old])

    assert ([r["email"] for r in diff.created], [r["email"] for r in diff.removed]) == (
        ["alice.dupont@dupont.example"],
        ["alice@dupont.example"],
    )


def row(entity: str) -> ContactRow:
    return ContactRow(entity, "C1", "Alice", "alice@x.example", None, ContactRole.COLLECTION, None, 2)


def test_the_snapshot_covers_the_entities_the_command_names_else_those_the_file_names() -> None:
    contacts = [row("FR01"), row("DE01"), row("FR01")]

    assert snapshot_scope([], contacts) == ["DE01", "FR01"]
    assert snapshot_scope(["FR01", "CZ01"], contacts) == ["CZ01", "FR01"]
    assert snapshot_scope([], []) == []


def test_a_file_dropped_in_contact_snapshots_is_a_full_snapshot_of_contacts() -> None:
    snapshot = command_for("incoming/contact-snapshots/crm.csv", "0" * 64)
    incremental = command_for("incoming/contacts/crm.csv", "0" * 64)

    assert isinstance(snapshot, im.ImportReceivablesFile) and isinstance(incremental, im.ImportReceivablesFile)
    assert (snapshot.content_kind, snapshot.mode) == ("contacts", im.SYNC_MODE_FULL_SNAPSHOT)
    assert (incremental.content_kind, incremental.mode) == ("contacts", im.SYNC_MODE_UNSPECIFIED)
