"""The debtor portal's documents: the letters this service rendered to PDF for a customer, and the invoice
PDFs the ERP dropped for the customer's items (``invoices.py``).

The gateway asks only under the customer its portal link names; a letter is looked up by its id *and* that
customer, so another customer's letter answers ``found = false`` exactly like a missing one (an id guesser
learns nothing). Only letters that went out are documents: a queued, failed or cancelled letter never
reached the debtor. The PDF is read back from the store it was written to (the local folder, the
print-and-post folder or the S3 bucket), so the debtor downloads the very file that was printed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from google.protobuf.timestamp_pb2 import Timestamp
from opendso.portal.v1 import portal_pb2 as pt
from opendso_bus import InvalidRequest

from opendso_messaging.store import DocumentRecord, MessageRecord, UnitOfWork

KIND = "letter"
MEDIA_TYPE = "application/pdf"
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class LetterReader(Protocol):
    async def read(self, letter_id: str) -> bytes | None:
        """The stored PDF of a letter; None when the store does not have it (any more)."""
        ...


def _info(record: MessageRecord, size: int = 0) -> pt.CustomerDocumentInfo:
    when = record.sent_at or record.created_at or dt.datetime.now(dt.UTC)
    created = Timestamp()
    created.FromDatetime(when)
    title = record.subject or "Letter"
    return pt.CustomerDocumentInfo(
        document_id=record.message_id,
        customer_id=record.customer_id,
        kind=KIND,
        title=f"{title} (registered)" if record.registered else title,
        # A name the debtor can sort by date; the id's start tells two letters of one day apart.
        file_name=f"letter-{when:%Y-%m-%d}-{record.message_id[:8]}.pdf",
        media_type=MEDIA_TYPE,
        created_at=created,
        # The listing does not read the store (one request per letter on S3): the size is known on download.
        size_bytes=size,
    )


class DocumentReader(Protocol):
    async def read_document(self, name: str) -> bytes | None:
        """A stored customer document (an invoice PDF); None when the store does not have it."""
        ...


def _document_info(record: DocumentRecord) -> pt.CustomerDocumentInfo:
    created = Timestamp()
    created.FromDatetime(record.created_at)
    return pt.CustomerDocumentInfo(
        document_id=record.document_id,
        customer_id=record.customer_id,
        kind=record.kind,
        title=record.file_name.removesuffix(".pdf"),
        file_name=record.file_name,
        media_type=record.media_type,
        size_bytes=record.size_bytes,
        created_at=created,
        item_ids=list(record.item_ids),
    )


async def list_customer_documents(query: pt.ListCustomerDocuments, uow: UnitOfWork) -> pt.CustomerDocuments:
    """The customer's letters that went out and invoice PDFs, newest first."""
    if not query.customer_id:
        raise InvalidRequest("customer_id is required")
    if query.limit < 0 or query.limit > MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}, got {query.limit}")
    limit = query.limit or DEFAULT_LIMIT
    letters = [_info(r) for r in await uow.messages.letters_of(query.customer_id, limit)]
    stored = [_document_info(r) for r in await uow.documents.of_customer(query.customer_id, limit)]
    both = sorted(letters + stored, key=lambda d: (d.created_at.seconds, d.created_at.nanos), reverse=True)
    return pt.CustomerDocuments(documents=both[:limit])


async def get_customer_document(
    query: pt.GetCustomerDocument,
    new_uow: Callable[[], UnitOfWork],
    letters: LetterReader | None,
    files: DocumentReader | None = None,
) -> pt.CustomerDocument:
    """One letter of the customer with its PDF; ``found = false`` for another customer's, a missing one, or one
    the print-and-post provider has already taken out of the store."""
    if not query.customer_id or not query.document_id:
        return pt.CustomerDocument(found=False)
    # The transaction ends before the store is read: an S3 round trip holds no database connection.
    async with new_uow() as uow:
        record = await uow.messages.letter_of(query.customer_id, query.document_id)
        document = None if record is not None else await uow.documents.get(query.customer_id, query.document_id)
    if document is not None and files is not None:
        stored = await files.read_document(document.document_id)
        if stored is None:
            return pt.CustomerDocument(found=False)
        return pt.CustomerDocument(found=True, info=_document_info(document), content=stored)
    if record is None or letters is None:
        return pt.CustomerDocument(found=False)
    content = await letters.read(record.message_id)
    if content is None:
        return pt.CustomerDocument(found=False)
    return pt.CustomerDocument(found=True, info=_info(record, len(content)), content=content)
