"""Where an import's file comes from: inline in the command, or the object store through a temporary file."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from opendso_importer.domain.upload_source import Source

# Writes the object store's upload of that name into the file at that path.
FetchUpload = Callable[[str, Path], Awaitable[object]]


@asynccontextmanager
async def upload_content(object_name: str, inline: bytes, fetch: FetchUpload) -> AsyncIterator[Source]:
    """The command's inline bytes, or the named upload downloaded to a temporary file that is removed on
    leaving, whatever happens: read from disk, a large upload never sits whole in memory."""
    if not object_name:
        yield inline
        return
    with tempfile.TemporaryDirectory(prefix="opendso-upload-") as folder:
        path = Path(folder) / "content"
        await fetch(object_name, path)
        yield path
