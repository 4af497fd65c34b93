"""Schema-driven fuzzing: schemathesis makes requests from the gateway's own OpenAPI document (valid and
invalid bodies, odd path and query values) and no answer may be a server error.

The services behind the bus answer every query with "not found": what is fuzzed is what the gateway does with
what callers send (validation, scope, sign-in, the problems it answers), not the services' answers, which the
route tests cover with real replies.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from google.protobuf.message import Message
from hypothesis import HealthCheck, settings
from opendso_bus import RemoteError
from opendso_gateway.app import create_app
from schemathesis.checks import not_a_server_error

from .fakes import MemoryAccessStore, gateway_settings, signed_in


class NothingFoundBus:
    """Answers every query with the services' "not found" error, and keeps uploads."""

    def __init__(self) -> None:
        self.asked: list[Message] = []

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        raise RemoteError(f"opendso.rpc.{type(req).__name__}", "not_found", "nothing here")

    async def put_upload(self, name: str, data: Any) -> None:
        data.read()

    async def health(self, services: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {s: {"status": "ok"} for s in services}

    async def import_progress(self, key: str) -> bytes | None:
        return None


BUS = NothingFoundBus()
APP = create_app(
    gateway_settings(rate_limit_burst=100_000, rate_limit_per_minute=100_000),
    bus=BUS,  # type: ignore[arg-type]
    store=MemoryAccessStore(),
)
# An administrator of every entity: every route is reached past its permission check.
HEADERS = signed_in(APP)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_makes_the_gateway_fail(case: Any) -> None:
    case.call_and_validate(headers=HEADERS, checks=[not_a_server_error])
