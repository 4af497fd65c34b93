"""Large files through the JetStream object store, on a real nats-server."""

from __future__ import annotations

import io
import os
from pathlib import Path

import nats
import pytest
from opendso_bus import NotFound
from opendso_bus.uploads import download_upload, get_upload, put_upload

pytestmark = pytest.mark.integration


async def test_a_file_larger_than_a_message_round_trips_through_the_object_store(nats_url: str) -> None:
    content = os.urandom(3 * 1024 * 1024 + 17)  # over NATS's default 1 MiB payload
    nc = await nats.connect(nats_url)
    try:
        await put_upload(nc.jetstream(), "req-1/big.csv", io.BytesIO(content))
        assert await get_upload(nc.jetstream(), "req-1/big.csv") == content
        with pytest.raises(NotFound, match=r"req-2/none\.csv"):
            await get_upload(nc.jetstream(), "req-2/none.csv")
    finally:
        await nc.close()


async def test_an_upload_is_downloaded_into_a_file_whole_and_an_unknown_one_is_named(
    nats_url: str, tmp_path: Path
) -> None:
    content = os.urandom(2 * 1024 * 1024 + 5)
    nc = await nats.connect(nats_url)
    try:
        await put_upload(nc.jetstream(), "req-3/big.csv", io.BytesIO(content))
        size = await download_upload(nc.jetstream(), "req-3/big.csv", tmp_path / "big.csv")
        with pytest.raises(NotFound, match=r"req-4/none\.csv"):
            await download_upload(nc.jetstream(), "req-4/none.csv", tmp_path / "none.csv")
    finally:
        await nc.close()
    assert size == len(content)
    assert (tmp_path / "big.csv").read_bytes() == content
