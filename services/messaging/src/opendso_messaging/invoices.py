"""Invoice PDFs the ERP drops: kept per customer and item, attached to reminders, listed in the debtor portal.

``StoreCustomerDocument`` writes the file into the letters' store (disk or S3) under the document's id, then
its row. The id is derived from the customer and the idempotency key (or, without a key, the file's digest
and its items), so a retried upload writes the same file under the same name and finds its row: stored once.
A crash between the file and the row leaves a file the retry overwrites with the same bytes.

Every lookup names the customer: an invoice uploaded under one customer is never attached to another's
reminder or listed in another's portal, whatever item id it names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest

from opendso_messaging.attachments import PDF, StoredFile
from opendso_messaging.store import DocumentRecord, UnitOfWork

_NAMESPACE = uuid.UUID("6c0f3a52-9d1e-4b7a-8e25-3f4d1b9a7c60")
KINDS = frozenset({"invoice"})
# A single invoice over the cap of a whole e-mail's attachments could never go out with one.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_ITEMS = 100
_FILE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


class DocumentFiles(Protocol):
    async def put_document(self, name: str, content: bytes) -> None: ...

    async def read_document(self, name: str) -> bytes | None: ...


def document_id_for(command: msg.StoreCustomerDocument, digest: str) -> str:
    if command.idempotency_key:
        seed = f"{command.customer_id}|key|{command.idempotency_key}"
    else:
        seed = f"{command.customer_id}|{command.kind}|{digest}|{'|'.join(sorted(command.item_ids))}"
    return str(uuid.uuid5(_NAMESPACE, seed))


def _file_name(given: str, item_ids: Sequence[str]) -> str:
    # Only the last path part, in characters every mail client and file system takes.
    base = _FILE_NAME.sub("_", given.replace("\\", "/").rpartition("/")[2]).strip(" ._")[:200]
    if not base:
        base = "invoice-" + re.sub(r"[^A-Za-z0-9._-]+", "_", item_ids[0].rpartition("/")[2])
    return base if base.lower().endswith(".pdf") else f"{base}.pdf"


def _checked(command: msg.StoreCustomerDocument) -> None:
    entity, _, account = command.customer_id.partition("/")
    if not entity or not account:
        raise InvalidRequest(f"customer_id must be <entity>/<account number>, got {command.customer_id!r}")
    if command.entity and command.entity != entity:
        raise InvalidRequest(f"entity {command.entity!r} is not the entity of customer {command.customer_id!r}")
    if command.kind not in KINDS:
        raise InvalidRequest(f"kind must be one of {', '.join(sorted(KINDS))}, got {command.kind!r}")
    if not command.item_ids or len(command.item_ids) > MAX_ITEMS:
        raise InvalidRequest(f"name between 1 and {MAX_ITEMS} items the document is about")
    for item_id in command.item_ids:
        # An item of another entity cannot be this customer's.
        if not item_id.startswith(f"{entity}/") or len(item_id) > 200:
            raise InvalidRequest(f"item {item_id!r} is not an item of entity {entity!r}")
    if command.media_type and command.media_type != PDF:
        raise InvalidRequest(f"only PDF documents are kept, got {command.media_type!r}")
    if bool(command.content) == bool(command.upload_name):
        raise InvalidRequest("give the file either as content or as upload_name, not both or neither")


async def store_customer_document(
    command: msg.StoreCustomerDocument,
    new_uow: Callable[[], UnitOfWork],
    files: DocumentFiles,
    fetch_upload: Callable[[str], Awaitable[bytes]] | None,
    now: dt.datetime,
) -> msg.CustomerDocumentStored:
    """Keep the document once; answers its id and whether this call stored it."""
    _checked(command)
    if command.content:
        content = command.content
    elif fetch_upload is None:
        raise InvalidRequest("this service cannot read the uploads bucket: send the file as content")
    else:
        content = await fetch_upload(command.upload_name)
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidRequest(f"the document is {len(content)} bytes, over the limit of {MAX_DOCUMENT_BYTES}")
    if not content.startswith(b"%PDF-"):
        raise InvalidRequest("the file is not a PDF (it does not start with %PDF-)")
    digest = hashlib.sha256(content).hexdigest()
    document_id = document_id_for(command, digest)
    item_ids = tuple(dict.fromkeys(command.item_ids))
    async with new_uow() as uow:
        existing = await uow.documents.get(command.customer_id, document_id)
    if existing is not None:
        return _stored(existing, created=False)
    # The file first, the row last: a row always has its file.
    await files.put_document(document_id, content)
    record = DocumentRecord(
        document_id=document_id,
        customer_id=command.customer_id,
        entity=command.customer_id.partition("/")[0],
        kind=command.kind,
        file_name=_file_name(command.file_name, item_ids),
        media_type=PDF,
        size_bytes=len(content),
        sha256=digest,
        stored_by=command.user or "api",
        created_at=now,
        item_ids=item_ids,
    )
    async with new_uow() as uow:
        created = await uow.documents.add(record)
        await uow.commit()
        if not created:
            # Another instance stored the same upload at the same moment: answer with what it kept.
            kept = await uow.documents.get(command.customer_id, document_id)
            record = kept if kept is not None else record
    return _stored(record, created=created)


def _stored(record: DocumentRecord, *, created: bool) -> msg.CustomerDocumentStored:
    return msg.CustomerDocumentStored(
        document_id=record.document_id,
        created=created,
        size_bytes=record.size_bytes,
        sha256=record.sha256,
        item_ids=list(record.item_ids),
    )


class InvoiceLibrary:
    """The invoice PDFs of a customer's items, for the dispatcher (``attachments.InvoiceFiles``)."""

    def __init__(self, new_uow: Callable[[], UnitOfWork], files: DocumentFiles) -> None:
        self._uow = new_uow
        self._files = files

    async def invoices_for(self, customer_id: str, item_ids: Sequence[str]) -> list[StoredFile]:
        async with self._uow() as uow:
            by_item = await uow.documents.invoices_for(customer_id, item_ids)
        found: list[StoredFile] = []
        # One invoice covering several of the items is attached once, naming them all.
        seen: set[str] = set()
        for item_id in item_ids:
            record = by_item.get(item_id)
            if record is None or record.document_id in seen:
                continue
            seen.add(record.document_id)
            content = await self._files.read_document(record.document_id)
            if content is None:
                continue
            covered = tuple(i for i in item_ids if i in by_item and by_item[i].document_id == record.document_id)
            found.append(StoredFile(covered, record.file_name, record.media_type, content))
        return found
