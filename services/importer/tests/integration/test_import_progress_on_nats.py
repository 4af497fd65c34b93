"""An import's progress through the real key-value bucket: written by the importer's reporter, read as the
gateway reads it."""

from __future__ import annotations

import asyncio
import uuid

import nats
import pytest
from opendso.imports.v1 import imports_pb2 as im
from opendso_bus.progress import KvProgressStore, get_progress
from opendso_importer.progress import ImportProgressReporter

pytestmark = pytest.mark.integration


async def test_the_reporters_writes_are_read_back_by_key_until_the_import_is_done(nats_url: str) -> None:
    key = uuid.uuid4().hex
    nc = await nats.connect(nats_url)
    try:
        reporter = ImportProgressReporter(KvProgressStore(nc.jetstream), key, "ar.csv", interval=0.0)
        reporter.measure(b"h\n" + b"r\n" * 40)
        reporter(im.ImportReport(rows_read=20))

        async def read() -> im.ImportProgress | None:
            value = await get_progress(nc.jetstream(), key)
            return None if value is None else im.ImportProgress.FromString(value)

        for _ in range(100):  # written in the background
            seen = await read()
            if seen is not None:
                break
            await asyncio.sleep(0.02)
        assert seen is not None
        assert (seen.file_name, seen.rows_read, seen.rows_estimated, seen.phase) == (
            "ar.csv",
            20,
            40,
            im.IMPORT_PHASE_READING,
        )

        await reporter.finish(im.IMPORT_PHASE_DONE)
        done = await read()
        assert done is not None and done.phase == im.IMPORT_PHASE_DONE and done.rows_read == 20
        assert await get_progress(nc.jetstream(), uuid.uuid4().hex) is None
    finally:
        await nc.close()
