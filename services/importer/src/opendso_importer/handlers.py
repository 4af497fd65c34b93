"""The importer's handlers: an uploaded receivables file becomes ledger rows
and precise events, in one transaction (a file is never half-imported)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import InvalidRequest, NotFound
from opendso_contracts.convert import date_to_proto
from opendso_money import Money

from opendso_importer.collection_pause import collect_chunk_garbage, cycle_collection_paused
from opendso_importer.contacts import contact_to_proto, import_contacts
from opendso_importer.domain.column_mapping import ColumnMapping, layout_signature, propose_mapping, validate_mapping
from opendso_importer.domain.ledger import (
    ChangeKind,
    CustomerState,
    ItemChangeKind,
    ItemState,
    customer_state,
    diff_customer,
    diff_item,
    item_state,
)
from opendso_importer.domain.receivables_csv import (
    CustomerRow,
    FileChecks,
    FileRejected,
    ItemRow,
    RowError,
    columns_of,
    iter_receivables,
)
from opendso_importer.domain.tabular import read_table
from opendso_importer.domain.upload_source import Source, sha256_hex, size_of, whole
from opendso_importer.entities import import_entities
from opendso_importer.ledger_events import (
    created_entry,
    customer_to_proto,
    item_change_entry,
    item_to_proto,
    publish_customer_changes,
    publish_item_change_entries,
    publish_item_changes,
)
from opendso_importer.parallel_reading import ReadChunk, ReadingPool, staged_item
from opendso_importer.staged_ledger import StagedLedger, customer_stage_row
from opendso_importer.store import UnitOfWork, customer_id_of, item_id_of
from opendso_importer.uploads import FetchUpload, upload_content

# Told how far a receivables import is: once per chunk read (with the report so far) and at each later
# phase. It must neither raise nor wait (see progress.py).
ProgressHook = Callable[[im.ImportReport, "im.ImportPhase.ValueType"], None]


def ignore_progress(report: im.ImportReport, phase: im.ImportPhase.ValueType) -> None:
    pass


@dataclass(frozen=True)
class Deps:
    today: Callable[[], dt.date]
    max_file_bytes: int
    # Writes a large file from the object store, by name, into a file (see uploads.upload_content).
    fetch_upload: FetchUpload
    # Worker processes that read large files on every core (receivables files on PostgreSQL, CAMT statements on
    # any database); None: read in this process.
    reading: ReadingPool | None = None
    progress: ProgressHook = ignore_progress


def _errors(errors: Sequence[RowError]) -> list[im.RowError]:
    return [
        im.RowError(
            file=e.file, row=e.row, column=e.column or "", header=e.header or "", value=e.value or "", reason=e.reason
        )
        for e in errors
    ]


async def _mapping_for(
    command: im.ImportReceivablesFile, headers: tuple[str, ...] | None, uow: UnitOfWork
) -> tuple[ColumnMapping | None, str]:
    """The command's own mapping; else the saved profile for the file's layout; else none (synonyms).

    Answers the mapping and the name of the profile used ("" when none). ``headers`` is None for a file
    that cannot be read; the parse rejects it with the reason.
    """
    if command.mapping or command.constants:
        return ColumnMapping(dict(command.mapping), dict(command.constants)), ""
    if headers is None:
        return None, ""
    profile = await uow.ledger.profile_for_layout(layout_signature(headers))
    if profile is None:
        return None, ""
    name, columns, constants = profile
    return ColumnMapping(columns, constants), name


async def import_receivables_file(command: im.ImportReceivablesFile, uow: UnitOfWork, deps: Deps) -> im.ImportReport:
    """Import a customers-and-items CSV; answer with counts and every rejected row."""
    if not command.file_name:
        raise InvalidRequest("file_name is required")
    # A protobuf message hands out a new copy of a bytes field on every read: the file is read out once
    # and the message's own copy dropped, so that a large file is held once, not three or four times.
    inline = command.content
    command.ClearField("content")
    async with upload_content(command.object_name, inline, deps.fetch_upload) as content:
        del inline
        return await _import_receivables(command, content, uow, deps)


async def _import_receivables(
    command: im.ImportReceivablesFile, content: Source, uow: UnitOfWork, deps: Deps
) -> im.ImportReport:
    size = size_of(content)
    if size > deps.max_file_bytes:
        raise InvalidRequest(f"{command.file_name}: {size} bytes is over the limit of {deps.max_file_bytes}")
    if command.idempotency_key:
        earlier = await uow.ledger.import_by_key(command.idempotency_key)
        if earlier is not None:
            report = im.ImportReport.FromString(earlier)
            report.replayed = True
            return report
    uow.caused_by(None, correlation_id=command.correlation_id)
    if command.content_kind == "contacts":
        return await import_contacts(command, whole(content), uow)
    if command.content_kind == "entities":
        return await import_entities(command, whole(content), uow)
    if command.content_kind not in ("", "receivables"):
        raise InvalidRequest(
            f"content_kind must be 'receivables', 'contacts' or 'entities', got {command.content_kind!r}"
        )
    mode = command.mode or im.SYNC_MODE_INCREMENTAL
    blank = im.ImportReport(
        import_id=str(uuid.uuid4()),
        file_name=command.file_name,
        checksum=sha256_hex(content),
        mode=mode,
        dry_run=command.dry_run,
    )
    report = im.ImportReport()
    report.CopyFrom(blank)
    try:
        headers: tuple[str, ...] | None = read_table(content, command.file_name).headers
    except FileRejected:
        headers = None
    mapping, profile_name = await _mapping_for(command, headers, uow)
    report.mapping_profile = blank.mapping_profile = profile_name
    if mapping is not None and headers is not None:
        problems = validate_mapping(mapping, headers)
        if problems:
            raise InvalidRequest(
                f"{command.file_name}: the column mapping does not fit the file: {'; '.join(problems)}"
            )
    try:
        with cycle_collection_paused():
            await _apply_file(command, content, mapping, mode, uow, report, deps)
    except FileRejected as rejected:
        # Chunks applied before the file turned out broken are undone with everything else.
        await uow.rollback()
        report.CopyFrom(blank)
        report.file_rejected = True
        report.errors.extend(_errors(rejected.errors))
    if command.dry_run:
        # A check: the same work, thrown away (the outbox rows with it).
        await uow.rollback()
        return report
    deps.progress(report, im.IMPORT_PHASE_COMMITTING)
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


async def _apply_file(
    command: im.ImportReceivablesFile,
    content: Source,
    mapping: ColumnMapping | None,
    mode: int,
    uow: UnitOfWork,
    report: im.ImportReport,
    deps: Deps,
) -> None:
    """Read the file a chunk at a time and apply each chunk, all in the caller's one transaction.

    On PostgreSQL a chunk goes through staging tables and a set-based diff (``staged_ledger``), and a
    large file is read by worker processes (``parallel_reading``); elsewhere it is read here and looked up
    and compared row by row. All three publish the same changes.
    """
    today = deps.today()
    staged = await uow.ledger.staged()
    if staged is None:
        await uow.ledger.prefer_index_lookups()
    snapshot = mode == im.SYNC_MODE_FULL_SNAPSHOT
    rejected_rows: set[int] = set()
    seen: set[str] = set()
    entities: set[str] = set()
    if staged is not None and deps.reading is not None and deps.reading.wanted_for(size_of(content)):
        read = await _apply_read_by_workers(
            command, content, mapping, staged, deps.reading, uow, report, today, snapshot, deps.progress
        )
        rejected_rows, entities = read
    else:
        for chunk in iter_receivables(content, command.file_name, mapping):
            report.rows_read += chunk.rows_read
            deps.progress(report, im.IMPORT_PHASE_READING)
            rejected_rows.update(e.row for e in chunk.errors)
            report.errors.extend(_errors(chunk.errors))
            if staged is None:
                await _apply_customers(chunk.customers, uow, report)
                await _apply_items(chunk.items, uow, report, today)
            else:
                await _apply_customers_staged(chunk.customers, staged, uow, report)
                await _apply_items_staged(chunk.items, staged, uow, report, today, snapshot)
            if snapshot:
                if staged is None:
                    seen.update(item_id_of(i.entity, i.kind, i.number) for i in chunk.items)
                entities.update(i.entity for i in chunk.items)
            collect_chunk_garbage()
    report.rows_rejected = len(rejected_rows)
    if snapshot:
        deps.progress(report, im.IMPORT_PHASE_CLOSING_SNAPSHOT)
        scope = sorted(set(command.snapshot_entities) or entities)
        report.snapshot_entities.extend(scope)
        if rejected_rows:
            report.snapshot_closing_skipped = True
        elif staged is None:
            await _close_missing(scope, seen, uow, report, today)
        else:
            closed = await staged.close_missing(scope, today, dt.datetime.now(dt.UTC))
            await _publish_closed(closed, uow, report, today)


async def _apply_read_by_workers(
    command: im.ImportReceivablesFile,
    content: Source,
    mapping: ColumnMapping | None,
    staged: StagedLedger,
    reading: ReadingPool,
    uow: UnitOfWork,
    report: im.ImportReport,
    today: dt.date,
    snapshot: bool,
    progress: ProgressHook = ignore_progress,
) -> tuple[set[int], set[str]]:
    """The file read by worker processes, checked across rows here in row order, applied chunk by chunk;
    answers the rejected rows and the entities of the items."""
    table = read_table(content, command.file_name)
    columns = columns_of(table, command.file_name, mapping)
    # A receivables row is rarely under 160 bytes: the rows expected, not more, so as not to reserve too much.
    checks = FileChecks(command.file_name, columns, expected_rows=size_of(content) // 160)
    rejected_rows: set[int] = set()
    entities: set[str] = set()
    # A chunk is written while the next is checked: the database works on one while this process works
    # on the other (each alone kept the other waiting, a third of a large import). Writes stay in order,
    # one at a time on the transaction's connection; the checks never touch the database.
    writing: asyncio.Task[None] | None = None
    try:
        async for chunk in reading.read(command.file_name, columns, table):
            report.rows_read += chunk.rows_read
            progress(report, im.IMPORT_PHASE_READING)
            errors, new_customers, items = await _checked(chunk, checks, pausing=writing is not None)
            errors.sort(key=lambda e: e.row)
            rejected_rows.update(e.row for e in errors)
            report.errors.extend(_errors(errors))
            if writing is not None:
                await writing
            writing = asyncio.create_task(
                _write_read_chunk(tuple(new_customers), items, staged, uow, report, today, snapshot)
            )
            if snapshot:
                entities.update(items.entities)
            collect_chunk_garbage()
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            # The import failed while a chunk was being written: its transaction rolls back whole.
            writing.cancel()
            with contextlib.suppress(BaseException):
                await writing
    return rejected_rows, entities


async def _checked(
    chunk: ReadChunk, checks: FileChecks, *, pausing: bool
) -> tuple[list[RowError], list[CustomerRow], ReadItems]:
    """A chunk's rows checked across the file in row order: the errors, the accounts met for the first
    time and the accepted items. ``pausing``: a write is under way, and is let on with its round trips
    to the database every few hundred rows."""
    errors = list(chunk.errors)
    new_customers: list[CustomerRow] = []
    items = ReadItems()
    customers, customer_of, item_ids = chunk.customers, chunk.customer_of, chunk.item_ids
    for i, line in enumerate(chunk.lines):
        if pausing and not i % 500:
            await asyncio.sleep(0)
        customer = customers[customer_of[i]]
        item_id = item_ids[i]
        row_errors, first = checks.accept(line, customer, item_id)
        if row_errors:
            errors.extend(row_errors)
            continue
        if first:
            # As its first accepted row describes it (the same cells may have been read on an earlier row).
            new_customers.append(customer if customer.row == line else replace(customer, row=line))
        if item_id is not None:
            items.add(item_id, chunk.copy_text[i], chunk.open[i], chunk.item_messages[i], customer.entity)
    return errors, new_customers, items


async def _write_read_chunk(
    new_customers: tuple[CustomerRow, ...],
    items: ReadItems,
    staged: StagedLedger,
    uow: UnitOfWork,
    report: im.ImportReport,
    today: dt.date,
    snapshot: bool,
) -> None:
    await _apply_customers_staged(new_customers, staged, uow, report)
    await _apply_read_items(items, staged, uow, report, today, snapshot)


async def _close_missing(
    entities: list[str], seen: set[str], uow: UnitOfWork, report: im.ImportReport, today: dt.date
) -> None:
    """Full snapshot: an open item of these entities that the file no longer lists has been paid."""
    closing: list[tuple[ItemState, dt.date | None]] = []
    for state in await uow.ledger.open_items_of_entities(entities):
        if item_id_of(state.entity, state.kind, state.number) in seen:
            continue
        closing.append((replace(state, open_amount=Money(Decimal(0), state.open_amount.currency)), today))
    await uow.ledger.save_items([], closing)
    await _publish_closed([state for state, _ in closing], uow, report, today)


async def _publish_closed(closed: list[ItemState], uow: UnitOfWork, report: im.ImportReport, today: dt.date) -> None:
    on = date_to_proto(today)
    # By item, whatever order the ledger answered in: the same snapshot publishes the same messages.
    closed = sorted(closed, key=lambda s: (s.entity, s.kind, s.number))
    await publish_item_changes(
        [rv.ItemChange(type=rv.CHANGE_TYPE_CLOSED, item=item_to_proto(state), closed_on=on) for state in closed], uow
    )
    report.items_closed += len(closed)


async def propose_column_mapping(query: im.ProposeMapping, uow: UnitOfWork, deps: Deps) -> im.MappingProposal:
    """Read a file's header and propose which column is which; say if a saved profile already fits."""
    try:
        async with upload_content(query.object_name, query.content, deps.fetch_upload) as content:
            headers = read_table(content, query.file_name or "upload").headers
    except FileRejected as rejected:
        raise InvalidRequest("; ".join(e.reason for e in rejected.errors)) from None
    proposal = propose_mapping(headers)
    signature = layout_signature(headers)
    answer = im.MappingProposal(
        headers=list(headers),
        columns=dict(proposal.mapping.columns),
        unmapped_headers=list(proposal.unmapped_headers),
        missing_required=list(proposal.missing_required),
        confidence=dict(proposal.confidence),
        layout_signature=signature,
    )
    saved = await uow.ledger.profile_for_layout(signature)
    if saved is not None:
        name, columns, constants = saved
        answer.saved_profile.CopyFrom(
            im.MappingProfile(name=name, layout_signature=signature, columns=columns, constants=constants)
        )
    return answer


async def save_mapping_profile(command: im.SaveMappingProfile, uow: UnitOfWork) -> im.MappingProfile:
    profile = command.profile
    if not profile.name.strip():
        raise InvalidRequest("a mapping profile needs a name")
    if not profile.layout_signature:
        raise InvalidRequest("layout_signature is required: take it from the proposal for the file")
    mapping = ColumnMapping(dict(profile.columns), dict(profile.constants))
    problems = validate_mapping(mapping, list(profile.columns.values()))
    if problems:
        raise InvalidRequest("; ".join(problems))
    await uow.ledger.save_profile(
        profile.name.strip(), profile.layout_signature, dict(profile.columns), dict(profile.constants)
    )
    await uow.commit()
    return profile


async def get_import_report(query: im.GetImportReport, uow: UnitOfWork) -> im.ImportReport:
    stored = await uow.ledger.import_report(query.import_id)
    if stored is None:
        raise NotFound(f"no import {query.import_id!r}")
    return im.ImportReport.FromString(stored)


async def _apply_customers(rows: tuple[CustomerRow, ...], uow: UnitOfWork, report: im.ImportReport) -> None:
    states = [customer_state(r) for r in rows]
    existing = await uow.ledger.customers(customer_id_of(s.entity, s.account_number) for s in states)
    created: list[CustomerState] = []
    changed: list[CustomerState] = []
    changes: list[rv.CustomerChange] = []
    for state in states:
        change = diff_customer(existing.get(customer_id_of(state.entity, state.account_number)), state)
        if change.kind is ChangeKind.UNCHANGED:
            continue
        if change.kind is ChangeKind.CREATED:
            created.append(state)
            changes.append(rv.CustomerChange(type=rv.CHANGE_TYPE_CREATED, customer=customer_to_proto(state)))
        else:
            changed.append(state)
            changes.append(
                rv.CustomerChange(
                    type=rv.CHANGE_TYPE_CHANGED,
                    customer=customer_to_proto(state),
                    changed_fields=list(change.changed_fields),
                )
            )
    # Written and recorded in bulk: one statement per kind, one message per thousand changes.
    await uow.ledger.save_customers(created, changed)
    await publish_customer_changes(changes, uow)
    report.customers_created += len(created)
    report.customers_changed += len(changed)


_ITEM_CHANGE = {
    ItemChangeKind.OPENED: rv.CHANGE_TYPE_CREATED,
    ItemChangeKind.CHANGED: rv.CHANGE_TYPE_CHANGED,
    ItemChangeKind.CLOSED: rv.CHANGE_TYPE_CLOSED,
}


async def _apply_items(rows: tuple[ItemRow, ...], uow: UnitOfWork, report: im.ImportReport, today: dt.date) -> None:
    states = [item_state(r) for r in rows]
    existing = await uow.ledger.items(item_id_of(s.entity, s.kind, s.number) for s in states)
    new: list[tuple[ItemState, dt.date | None]] = []
    updated: list[tuple[ItemState, dt.date | None]] = []
    changes: list[rv.ItemChange] = []
    today_proto = date_to_proto(today)
    for state in states:
        before = existing.get(item_id_of(state.entity, state.kind, state.number))
        change = diff_item(before, state)
        if change.kind is ItemChangeKind.UNCHANGED:
            continue
        closed = change.kind is ItemChangeKind.CLOSED
        (new if before is None else updated).append((state, today if closed else None))
        item_change = rv.ItemChange(
            type=_ITEM_CHANGE[change.kind], item=item_to_proto(state), changed_fields=list(change.changed_fields)
        )
        if closed:
            item_change.closed_on.CopyFrom(today_proto)
            report.items_closed += 1
        elif change.kind is ItemChangeKind.OPENED:
            report.items_opened += 1
        else:
            report.items_changed += 1
        changes.append(item_change)
    await uow.ledger.save_items(new, updated)
    await publish_item_changes(changes, uow)


async def _apply_customers_staged(
    rows: tuple[CustomerRow, ...], staged: StagedLedger, uow: UnitOfWork, report: im.ImportReport
) -> None:
    # The rows as read, not CustomerStates: they hold the same fields, and making a hundred thousand frozen
    # states cost a second of a large import.
    by_id = {customer_id_of(r.entity, r.account_number): r for r in rows}
    added, changed = await staged.apply_customers(
        [customer_stage_row(cid, row) for cid, row in by_id.items()], dt.datetime.now(dt.UTC)
    )
    # (row, change): published in the file's order, as the row-by-row path does.
    changes = [
        (by_id[c].row, rv.CustomerChange(type=rv.CHANGE_TYPE_CREATED, customer=customer_to_proto(by_id[c])))
        for c in added
    ]
    changes.extend(
        (
            by_id[c].row,
            rv.CustomerChange(type=rv.CHANGE_TYPE_CHANGED, customer=customer_to_proto(by_id[c]), changed_fields=fields),
        )
        for c, fields in changed
    )
    changes.sort(key=lambda c: c[0])
    await publish_customer_changes([c for _, c in changes], uow)
    report.customers_created += len(added)
    report.customers_changed += len(changed)


@dataclass
class ReadItems:
    """A chunk's accepted items in row order, as parallel lists: the item's id, the staging table's COPY
    line, whether the item is open now, its serialized OpenItem and its entity."""

    ids: list[str] = field(default_factory=list)
    copy_text: list[str] = field(default_factory=list)
    open: list[bool] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)

    def add(self, item_id: str, copy_line: str, is_open: bool, message: bytes, entity: str) -> None:
        self.ids.append(item_id)
        self.copy_text.append(copy_line)
        self.open.append(is_open)
        self.messages.append(message)
        self.entities.append(entity)


async def _apply_items_staged(
    rows: tuple[ItemRow, ...],
    staged: StagedLedger,
    uow: UnitOfWork,
    report: im.ImportReport,
    today: dt.date,
    snapshot: bool,
) -> None:
    """Apply a chunk's items read in this process, as the workers' are."""
    items = ReadItems()
    for r in rows:
        item_id, text, message = staged_item(r)
        items.add(item_id, text, not r.open_amount.is_zero(), message, r.entity)
    await _apply_read_items(items, staged, uow, report, today, snapshot)


async def _apply_read_items(
    items: ReadItems, staged: StagedLedger, uow: UnitOfWork, report: im.ImportReport, today: dt.date, snapshot: bool
) -> None:
    """Write a chunk's items and publish what changed, in the file's order as the row-by-row path does; a
    snapshot's items are remembered to close, at its end, what it no longer lists."""
    result = await staged.apply_item_text(
        items.ids, items.copy_text, items.open, items.entities, today, dt.datetime.now(dt.UTC), remember=snapshot
    )
    closed_on = date_to_proto(today).SerializeToString()
    # (position, entry): positions are in row order.
    entries: list[tuple[int, bytes]] = []
    opened = closed = changed = 0
    is_open, messages = items.open, items.messages
    # A new item has no earlier state, nor changed fields; one already paid is closed.
    for seq in result.added:
        if is_open[seq]:
            opened += 1
            entries.append((seq, created_entry(messages[seq])))
        else:
            closed += 1
            entries.append((seq, item_change_entry(rv.CHANGE_TYPE_CLOSED, messages[seq], [], closed_on)))
    for seq, was_open, fields in result.changed:
        message = messages[seq]
        # As diff_item: opening and closing win over a plain change.
        if is_open[seq] and not was_open:
            opened += 1
            entry = item_change_entry(rv.CHANGE_TYPE_CREATED, message, fields)
        elif not is_open[seq] and was_open:
            closed += 1
            entry = item_change_entry(rv.CHANGE_TYPE_CLOSED, message, fields, closed_on)
        else:
            changed += 1
            entry = item_change_entry(rv.CHANGE_TYPE_CHANGED, message, fields)
        entries.append((seq, entry))
    if result.changed:
        entries.sort(key=lambda e: e[0])  # the added come in row order (StagedItemChanges)
    report.items_opened += opened
    report.items_closed += closed
    report.items_changed += changed
    await publish_item_change_entries([(items.entities[seq], entry) for seq, entry in entries], uow)


async def get_customer_account(query: rv.GetCustomerAccount, uow: UnitOfWork) -> rv.CustomerAccount:
    if not query.entity or not query.account_number:
        raise InvalidRequest("entity and account_number are required")
    cid = customer_id_of(query.entity, query.account_number)
    found = await uow.ledger.customers([cid])
    if cid not in found:
        raise NotFound(f"no customer {query.account_number!r} in entity {query.entity!r}")
    account = rv.CustomerAccount(found=True, customer=customer_to_proto(found[cid]))
    account.contacts.extend(contact_to_proto(c) for c in await uow.ledger.contacts_of(cid))
    account.items.extend(item_to_proto(s) for s in await uow.ledger.open_items_of(cid))
    return account
