"""The importer's handlers for the organisation's legal entities: the set-up file, and the list."""

from __future__ import annotations

import hashlib
import uuid

from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv

from opendso_importer.domain.entities import LegalEntity, changed_fields
from opendso_importer.domain.entities_csv import group_currency_conflicts, parse_entities
from opendso_importer.domain.tabular import FileRejected, RowError
from opendso_importer.store import UnitOfWork

# An organisation has a handful of entities; the cap only keeps a freak file's messages under NATS's limit.
CHANGES_PER_MESSAGE = 1000


def entity_to_proto(entity: LegalEntity) -> rv.Entity:
    return rv.Entity(
        code=entity.code,
        name=entity.name,
        country=entity.country,
        currency=entity.currency,
        time_zone=entity.time_zone,
        holiday_calendar=entity.holiday_calendar,
        late_payment_law=str(entity.late_payment_law),
        group_currency=entity.group_currency or "",
    )


def _error(e: RowError) -> im.RowError:
    return im.RowError(
        file=e.file, row=e.row, column=e.column or "", header=e.header or "", value=e.value or "", reason=e.reason
    )


async def import_entities(command: im.ImportReceivablesFile, content: bytes, uow: UnitOfWork) -> im.ImportReport:
    """Create or update the entities a file lists, all in one transaction; entities it omits stay as they are."""
    report = im.ImportReport(
        import_id=str(uuid.uuid4()),
        file_name=command.file_name,
        checksum=hashlib.sha256(content).hexdigest(),
        dry_run=command.dry_run,
    )
    try:
        parsed = parse_entities(content, command.file_name)
    except FileRejected as rejected:
        report.file_rejected = True
        report.errors.extend(_error(e) for e in rejected.errors)
        parsed = None
    if parsed is not None:
        report.rows_read = parsed.rows_read
        recorded = await uow.ledger.entities()
        # Checked against the entities on record too: the group's currency may come from an earlier file.
        rows, conflicts = group_currency_conflicts(
            parsed.entities, recorded, command.file_name, parsed.headers.get("group_currency")
        )
        errors = sorted((*parsed.errors, *conflicts), key=lambda e: e.row)
        report.rows_rejected = len({e.row for e in errors})
        report.errors.extend(_error(e) for e in errors)
        changes: list[rv.EntityChange] = []
        saved: list[LegalEntity] = []
        for row in rows:
            before = recorded.get(row.entity.code)
            if before is None:
                report.entities_created += 1
                saved.append(row.entity)
                changes.append(rv.EntityChange(type=rv.CHANGE_TYPE_CREATED, entity=entity_to_proto(row.entity)))
                continue
            changed = changed_fields(before, row.entity)
            if changed:
                report.entities_changed += 1
                saved.append(row.entity)
                changes.append(
                    rv.EntityChange(
                        type=rv.CHANGE_TYPE_CHANGED, entity=entity_to_proto(row.entity), changed_fields=changed
                    )
                )
        await uow.ledger.save_entities(saved)
        await uow.publish_many(
            [
                rv.EntitiesChanged(meta=uow.meta(entity=_entity_of(chunk)), changes=chunk)
                for chunk in (changes[i : i + CHANGES_PER_MESSAGE] for i in range(0, len(changes), CHANGES_PER_MESSAGE))
            ]
        )
    if command.dry_run:
        # A check: the same work, thrown away (the outbox rows with it).
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


def _entity_of(changes: list[rv.EntityChange]) -> str:
    """The entity a message is about, or "" when it is about several."""
    return changes[0].entity.code if len(changes) == 1 else ""


async def list_entities(query: rv.ListEntities, uow: UnitOfWork) -> rv.EntityList:
    """Every recorded entity, by code."""
    recorded = await uow.ledger.entities()
    return rv.EntityList(entities=[entity_to_proto(recorded[code]) for code in sorted(recorded)])
