"""The importer's handler for contacts files: who at each customer gets what, and, from a full snapshot,
who is gone."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv

from opendso_importer.domain.contacts_csv import ContactRow, parse_contacts
from opendso_importer.domain.contacts_sync import diff_contacts, snapshot_scope
from opendso_importer.domain.tabular import FileRejected, RowError
from opendso_importer.store import UnitOfWork, customer_id_of


def contact_to_proto(row: Mapping[str, Any]) -> rv.Contact:
    return rv.Contact(
        contact_id=row["contact_id"],
        customer_id=row["customer_id"],
        entity=row["entity"],
        account_number=row["account_number"],
        name=row["name"] or "",
        email=row["email"] or "",
        phone=row["phone"] or "",
        role=row["role"],
        language=row["language"] or "",
    )


def _row(contact: ContactRow) -> dict[str, Any]:
    customer_id = customer_id_of(contact.entity, contact.account_number)
    return {
        "contact_id": f"{customer_id}/{contact.key}",
        "customer_id": customer_id,
        "entity": contact.entity,
        "account_number": contact.account_number,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "role": str(contact.role),
        "language": contact.language,
    }


def _error(e: RowError) -> im.RowError:
    return im.RowError(
        file=e.file, row=e.row, column=e.column or "", header=e.header or "", value=e.value or "", reason=e.reason
    )


async def import_contacts(command: im.ImportReceivablesFile, content: bytes, uow: UnitOfWork) -> im.ImportReport:
    """Create or update the contacts a file lists; a contact of an unknown customer is a rejected row.

    In full-snapshot mode the file is every contact of its entities (the command's ``snapshot_entities``,
    else the entities the file names): a stored contact of those entities that the file does not list is
    deleted and published as REMOVED, also when the file does not name its customer at all (a full CRM
    export lists every contact of every customer). A snapshot with any rejected row removes nothing and the
    report says so (``snapshot_closing_skipped``): the rejected row may be a contact that still exists.
    """
    mode = command.mode or im.SYNC_MODE_INCREMENTAL
    report = im.ImportReport(
        import_id=str(uuid.uuid4()),
        file_name=command.file_name,
        checksum=hashlib.sha256(content).hexdigest(),
        mode=mode,
        dry_run=command.dry_run,
    )
    try:
        parsed = parse_contacts(content, command.file_name)
    except FileRejected as rejected:
        report.file_rejected = True
        report.errors.extend(_error(e) for e in rejected.errors)
        parsed = None
    if parsed is not None:
        report.rows_read = parsed.rows_read
        errors = list(parsed.errors)
        wanted = [_row(c) for c in parsed.contacts]
        known_customers = await uow.ledger.customers({r["customer_id"] for r in wanted})
        rows = []
        for contact, row in zip(parsed.contacts, wanted, strict=True):
            if row["customer_id"] not in known_customers:
                errors.append(
                    RowError(
                        command.file_name,
                        contact.row,
                        "account_number",
                        f"no customer {contact.account_number!r} in entity {contact.entity!r}",
                        value=contact.account_number,
                    )
                )
            else:
                rows.append(row)
        report.rows_rejected = len({e.row for e in errors})
        report.errors.extend(_error(e) for e in errors)
        in_snapshot: list[dict[str, Any]] | None = None
        scope: list[str] = []
        if mode == im.SYNC_MODE_FULL_SNAPSHOT:
            scope = snapshot_scope(command.snapshot_entities, parsed.contacts)
            report.snapshot_entities.extend(scope)
            if errors:
                report.snapshot_closing_skipped = True
            else:
                in_snapshot = await uow.ledger.contacts_of_entities(scope)
        # The snapshot's own rows already hold what is stored of its entities: only the file's contacts of
        # other entities are looked up by id (one query instead of one per 500 contacts).
        stored = {r["contact_id"]: r for r in in_snapshot or ()}
        stored.update(
            await uow.ledger.contacts(r["contact_id"] for r in rows if in_snapshot is None or r["entity"] not in scope)
        )
        diff = diff_contacts(rows, stored, in_snapshot)
        await uow.ledger.save_contacts([dict(r) for r in (*diff.created, *(row for row, _ in diff.changed))])
        if diff.removed:
            await uow.ledger.remove_contacts([r["contact_id"] for r in diff.removed])
        report.contacts_created = len(diff.created)
        report.contacts_changed = len(diff.changed)
        report.contacts_removed = len(diff.removed)
        changes = [
            *(rv.ContactChange(type=rv.CHANGE_TYPE_CREATED, contact=contact_to_proto(r)) for r in diff.created),
            *(
                rv.ContactChange(type=rv.CHANGE_TYPE_CHANGED, contact=contact_to_proto(r), changed_fields=fields)
                for r, fields in diff.changed
            ),
            *(rv.ContactChange(type=rv.CHANGE_TYPE_REMOVED, contact=contact_to_proto(r)) for r in diff.removed),
        ]
        await uow.publish_many(
            [rv.ContactsChanged(meta=uow.meta(), changes=changes[i : i + 1000]) for i in range(0, len(changes), 1000)]
        )
    if command.dry_run:
        await uow.rollback()
        return report
    await uow.ledger.record_import(
        report.import_id,
        command.idempotency_key or None,
        report.checksum,
        command.file_name,
        report.SerializeToString(),
    )
    await uow.publish(im.FileImported(meta=uow.meta(), report=report))
    await uow.commit()
    return report
