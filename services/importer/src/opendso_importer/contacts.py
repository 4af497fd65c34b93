"""The importer's handler for contacts files: who at each customer gets what."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv

from opendso_importer.domain.contacts_csv import ContactRow, parse_contacts
from opendso_importer.domain.tabular import FileRejected, RowError
from opendso_importer.store import UnitOfWork, customer_id_of

_FIELDS = ("name", "email", "phone", "role", "language")


def contact_to_proto(row: dict[str, Any]) -> rv.Contact:
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


async def import_contacts(command: im.ImportReceivablesFile, uow: UnitOfWork) -> im.ImportReport:
    """Create or update the contacts a file lists; a contact of an unknown customer is a rejected row."""
    report = im.ImportReport(
        import_id=str(uuid.uuid4()),
        file_name=command.file_name,
        checksum=hashlib.sha256(command.content).hexdigest(),
        dry_run=command.dry_run,
    )
    try:
        parsed = parse_contacts(command.content, command.file_name)
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
        stored = await uow.ledger.contacts(r["contact_id"] for r in rows)
        changes: list[rv.ContactChange] = []
        for row in rows:
            before = stored.get(row["contact_id"])
            if before is None:
                report.contacts_created += 1
                changes.append(rv.ContactChange(type=rv.CHANGE_TYPE_CREATED, contact=contact_to_proto(row)))
                continue
            changed = [f for f in _FIELDS if (before[f] or None) != (row[f] or None)]
            if changed:
                report.contacts_changed += 1
                changes.append(
                    rv.ContactChange(type=rv.CHANGE_TYPE_CHANGED, contact=contact_to_proto(row), changed_fields=changed)
                )
        await uow.ledger.save_contacts(
            [
                r
                for r in rows
                if r["contact_id"] not in stored
                or any((stored[r["contact_id"]][f] or None) != (r[f] or None) for f in _FIELDS)
            ]
        )
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
