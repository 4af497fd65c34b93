"""The gateway's side of the bus: one NATS connection, queries with a timeout."""

from __future__ import annotations

import asyncio
import io
from typing import TypeVar

import nats
from google.protobuf.message import Message
from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from opendso.system.v1 import health_pb2
from opendso_bus.client import request
from opendso_bus.progress import get_progress
from opendso_bus.uploads import put_upload
from opendso_contracts.registry import health_subject

from opendso_gateway.problems import Problem

R = TypeVar("R", bound=Message)


class Bus:
    def __init__(self, url: str, timeout: float) -> None:
        self._url = url
        self._timeout = timeout
        self._nc: Client | None = None

    async def connect(self) -> None:
        # Reconnect forever: the gateway outlives NATS restarts.
        self._nc = await nats.connect(
            self._url, name="opendso-gateway", max_reconnect_attempts=-1, reconnect_time_wait=1
        )

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.drain()

    async def ask(self, req: Message, reply_type: type[R], timeout: float | None = None) -> R:
        assert self._nc is not None, "bus not connected"
        try:
            return await request(self._nc, req, reply_type, timeout=timeout or self._timeout)
        except (NoRespondersError, NatsTimeoutError) as exc:
            raise Problem(
                503,
                "Service unavailable",
                f"no answer to {type(req).__name__} ({type(exc).__name__}); is the service running?",
            ) from exc

    async def put_upload(self, name: str, data: bytes | io.BufferedIOBase) -> None:
        assert self._nc is not None, "bus not connected"
        await put_upload(self._nc.jetstream(), name, data)

    async def import_progress(self, key: str) -> bytes | None:
        """The latest progress an import wrote under ``key`` (a serialized ImportProgress), if any."""
        assert self._nc is not None, "bus not connected"
        try:
            return await get_progress(self._nc.jetstream(), key)
        except NatsTimeoutError as exc:
            raise Problem(503, "Service unavailable", "the bus did not answer in time") from exc

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        assert self._nc is not None

        async def one(service: str) -> tuple[str, dict[str, object]]:
            try:
                msg = await self._nc.request(health_subject(service), b"", timeout=1.5)  # type: ignore[union-attr]
                status = health_pb2.HealthStatus.FromString(msg.data)
                return service, {"status": status.status, "checks": dict(status.checks)}
            except Exception as exc:
                return service, {"status": "unreachable", "error": type(exc).__name__}

        return dict(await asyncio.gather(*(one(s) for s in services)))
