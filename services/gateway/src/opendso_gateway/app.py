"""The composition root of the API gateway."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opendso_bus import RemoteError
from opendso_telemetry import extract_context, inject_headers, setup_tracing, tracer
from opentelemetry.trace import SpanKind

from opendso_gateway import (
    api,
    collection_api,
    fx_api,
    matching_api,
    pages,
    penalties_api,
    plans_api,
    scenarios_api,
    templates_api,
    timeline_api,
    webhooks_api,
)
from opendso_gateway.bus import Bus
from opendso_gateway.problems import Problem, handle_problem, handle_remote_error
from opendso_gateway.settings import Settings


def create_app(settings: Settings, bus: Bus | None = None) -> FastAPI:
    bus = bus or Bus(settings.nats_url, settings.request_timeout_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await bus.connect()
        yield
        await bus.close()

    app = FastAPI(
        title="OpenDSO API",
        version="1.0.0",
        summary="Accounts-receivable collection and credit management.",
        lifespan=lifespan,
    )
    app.state.bus = bus
    app.state.settings = settings
    app.include_router(api.router)
    app.include_router(matching_api.router)
    app.include_router(collection_api.router)
    app.include_router(plans_api.router)
    app.include_router(penalties_api.router)
    app.include_router(fx_api.router)
    app.include_router(scenarios_api.router)
    app.include_router(timeline_api.router)
    app.include_router(webhooks_api.router)
    app.include_router(templates_api.router)
    app.include_router(pages.router)
    app.add_exception_handler(Problem, handle_problem)
    app.add_exception_handler(RemoteError, handle_remote_error)
    span_source = tracer("opendso.gateway")

    @app.middleware("http")
    async def trace_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # One trace per request, continued from the caller's traceparent if any,
        # handed to the services in the bus headers and returned to the caller.
        request.state.request_id = request.headers.get("X-Request-Id") or str(uuid.uuid4())
        with span_source.start_as_current_span(
            f"{request.method} {request.url.path}",
            context=extract_context(dict(request.headers)),
            kind=SpanKind.SERVER,
        ):
            response = await call_next(request)
            carrier: dict[str, str] = {}
            inject_headers(carrier)
            for key, value in carrier.items():
                response.headers[key] = value
            response.headers["X-Request-Id"] = request.state.request_id
            return response

    @app.get("/health", summary="The gateway and every service's health over the bus")
    async def health() -> Any:
        services = await bus.health(settings.services)
        ok = all(s["status"] == "ok" for s in services.values())

        return JSONResponse(
            {"status": "ok" if ok else "degraded", "services": services}, status_code=200 if ok else 503
        )

    return app


def main() -> None:
    import uvicorn

    settings = Settings()
    setup_tracing("gateway", settings.trace_exporter, settings.otlp_endpoint)
    print(f"opendso-gateway listening on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
