"""Stream definitions in one place: created or updated at every start, idempotently."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from opendso_contracts.registry import DEADLETTER_PREFIX, DEADLETTER_STREAM, STREAMS

DUPLICATE_WINDOW_SECONDS = 120.0


def stream_configs() -> list[StreamConfig]:
    configs = [
        StreamConfig(
            name=s.name,
            subjects=s.subjects,
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            max_age=30 * 24 * 3600.0,
            discard=DiscardPolicy.OLD,
        )
        for s in STREAMS
    ]
    configs.append(
        StreamConfig(
            name=DEADLETTER_STREAM,
            subjects=[f"{DEADLETTER_PREFIX}.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
        )
    )
    return configs


async def ensure_streams(js: JetStreamContext) -> None:
    for config in stream_configs():
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
