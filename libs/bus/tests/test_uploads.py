"""Large files through the JetStream object store, on a real nats-server."""

from __future__ import annotations

import io
import os

import nats
import pytest
from opendso_bus import NotFound
from opendso_bus.uploads import get_upload, put_upload

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
