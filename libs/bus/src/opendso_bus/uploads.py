"""Large files between services: the JetStream object store bucket named in the registry."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

from nats.js import JetStreamContext
from nats.js.api import ObjectStoreConfig, StorageType
from nats.js.errors import BucketNotFoundError, ObjectNotFoundError
from nats.js.object_store import ObjectStore
from opendso_contracts.registry import UPLOADS_BUCKET

from opendso_bus.errors import NotFound

# Uploads are kept a week: long enough to re-run an import, short enough not to pile up.
UPLOAD_TTL_SECONDS = 7 * 24 * 3600.0


async def uploads(js: JetStreamContext) -> ObjectStore:
    try:
        return await js.object_store(UPLOADS_BUCKET)
    except BucketNotFoundError:
        return await js.create_object_store(
            UPLOADS_BUCKET, config=ObjectStoreConfig(ttl=UPLOAD_TTL_SECONDS, storage=StorageType.FILE)
        )


async def put_upload(js: JetStreamContext, name: str, data: bytes | io.BufferedIOBase) -> None:
    """Store ``data`` (bytes, or a binary file read in chunks, so a large upload never sits whole in memory)."""
    store = await uploads(js)
    await store.put(name, data)


async def get_upload(js: JetStreamContext, name: str) -> bytes:
    """The upload in memory: for small files (a document, a rates file). A large one goes to disk with
    :func:`download_upload`."""
    buffer = io.BytesIO()
    await _get_into(js, name, buffer)
    return buffer.getvalue()


async def download_upload(js: JetStreamContext, name: str, into: Path) -> int:
    """Write the upload into the file ``into`` a chunk at a time; answer its size in bytes."""
    with into.open("wb") as file:
        await _get_into(js, name, file)
        return file.tell()


async def _get_into(js: JetStreamContext, name: str, into: io.BufferedIOBase | BinaryIO) -> None:
    # Always into a stream: without one, nats-py appends each chunk to a bytes object, which copies all
    # received so far for every chunk (a 64 MB upload took 24 s to fetch, and grows with the square).
    store = await uploads(js)
    try:
        await store.get(name, writeinto=into)  # type: ignore[arg-type]
    except ObjectNotFoundError:
        raise NotFound(f"upload {name!r} is not in {UPLOADS_BUCKET} (expired or never stored)") from None
