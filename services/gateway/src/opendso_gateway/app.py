"""The composition root of the API gateway."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opendso_bus import RemoteError
from opendso_contracts.asyncapi import asyncapi_document
from opendso_telemetry import extract_context, inject_headers, setup_tracing, tracer
from opentelemetry.trace import SpanKind
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from opendso_gateway import (
    api,
    audit_api,
    auth_api,
    collection_api,
    customers_api,
    fx_api,
    imports_progress_api,
    matching_api,
    mobile_api,
    pages,
    partner_api,
    penalties_api,
    plans_api,
    portal,
    reports_api,
    risk_api,
    scenarios_api,
    settings_api,
    templates_api,
    timeline_api,
    users_api,
    webhooks_api,
)
from opendso_gateway.access import Limits, audit_changes
from opendso_gateway.accounts import Accounts
from opendso_gateway.bus import Bus
from opendso_gateway.documents_api import router as documents_router
from opendso_gateway.domain.users import AccessStore
from opendso_gateway.idempotency import idempotency_middleware
from opendso_gateway.passwords import Passwords
from opendso_gateway.problems import Problem, handle_problem, handle_remote_error
from opendso_gateway.settings import Settings
from opendso_gateway.store import SqlAccessStore
from opendso_gateway.tokens import AccessTokens, dev_secret

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# The web client as `make web` builds it (clients/web/dist in the repository); absent until built.
WEB_CLIENT = Path(__file__).resolve().parents[4] / "clients" / "web" / "dist"
log = logging.getLogger(__name__)


class SinglePageApp(StaticFiles):
    """The web client's files, and its index.html for any other path without a file extension: a deep link or a
    reload on /app/agenda must reach the client's router, while a missing script stays a 404."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except StarletteHTTPException as exc:
            if exc.status_code != 404 or "." in path.rsplit("/", 1)[-1]:
                raise
            return await super().get_response("index.html", scope)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_app(
    settings: Settings,
    bus: Bus | None = None,
    store: AccessStore | None = None,
    clock: Callable[[], dt.datetime] = _utc_now,
    web_client: Path | None = None,
) -> FastAPI:
    """The gateway over ``bus`` and ``store`` (by default: NATS, and the database of the settings, migrated at
    start); ``clock`` gives the time tokens are issued and checked at. The built web client in ``web_client``, if
    that folder exists, is served at /app/."""
    bus = bus or Bus(settings.nats_url, settings.request_timeout_seconds)
    store = store or SqlAccessStore(settings.database_url, MIGRATIONS)
    secret = settings.token_secret.get_secret_value() or dev_secret(settings.dev_secret_file)
    accounts = Accounts(
        store,
        Passwords(settings.argon2_time_cost, settings.argon2_memory_kib),
        AccessTokens(secret, dt.timedelta(minutes=settings.access_token_minutes)),
        dt.timedelta(days=settings.refresh_token_days),
        clock,
    )
    if settings.dev_open_outbox_page:
        log.warning("development: the /outbox page is open without signing in (OPENDSO_GATEWAY_DEV_OPEN_OUTBOX_PAGE)")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await store.open()
        if settings.admin_email:
            await accounts.bootstrap_admin(settings.admin_email, settings.admin_password.get_secret_value())
        elif not await store.count_users():
            log.warning("no user yet: set OPENDSO_ADMIN_EMAIL and OPENDSO_ADMIN_PASSWORD to create the first admin")
        await bus.connect()
        # Webhooks queued before a restart go out again from here, with any retry that came due meanwhile.
        webhooks = asyncio.create_task(
            partner_api.webhook_sender_of(_app.state).run(settings.webhook_poll_seconds), name="partner-webhooks"
        )
        try:
            yield
        finally:
            webhooks.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await webhooks
            await bus.close()
            await store.close()

    app = FastAPI(
        title="OpenDSO API",
        version="1.0.0",
        summary="Accounts-receivable collection and credit management.",
        lifespan=lifespan,
    )
    app.state.bus = bus
    app.state.settings = settings
    app.state.accounts = accounts
    app.state.limits = Limits.from_settings(settings)
    app.state.clock = clock
    app.include_router(auth_api.router)
    app.include_router(users_api.router)
    app.include_router(audit_api.router)
    # Before api's /imports/{import_id}, which would take "progress" for an import id.
    app.include_router(imports_progress_api.router)
    app.include_router(api.router)
    app.include_router(matching_api.router)
    app.include_router(collection_api.router)
    app.include_router(plans_api.router)
    app.include_router(penalties_api.router)
    app.include_router(settings_api.router)
    app.include_router(fx_api.router)
    app.include_router(scenarios_api.router)
    app.include_router(timeline_api.router)
    app.include_router(reports_api.router)
    app.include_router(webhooks_api.router)
    app.include_router(templates_api.router)
    app.include_router(documents_router)
    app.include_router(risk_api.router)
    app.include_router(partner_api.router)
    app.include_router(mobile_api.router)
    app.include_router(customers_api.router)
    app.include_router(pages.router)
    app.include_router(portal.router)
    app.add_exception_handler(Problem, handle_problem)
    app.add_exception_handler(RemoteError, handle_remote_error)
    span_source = tracer("opendso.gateway")
    # Registered before the tracing middleware, so it runs inside it and sees the request id.
    app.middleware("http")(audit_changes)
    # Outside the audit: a repeated request answered from what was kept changed nothing to audit.
    app.middleware("http")(idempotency_middleware(clock))

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

    @app.get(
        "/asyncapi.json",
        summary="The bus's AsyncAPI 3.0 document: every event and query subject with its message schema",
        tags=["documentation"],
    )
    async def asyncapi() -> JSONResponse:
        # The same document tools/gen_api_docs.py commits as docs/asyncapi.yaml, served next to /openapi.json.
        document = getattr(app.state, "asyncapi", None)
        if document is None:
            document = app.state.asyncapi = asyncapi_document()
        return JSONResponse(document)

    if web_client is not None and web_client.is_dir():
        # Static files only: the client signs in and reads everything through /api/v1 like any other caller.
        app.mount("/app", SinglePageApp(directory=web_client, html=True), name="web-client")
    return app


def main() -> None:
    import uvicorn

    settings = Settings()
    setup_tracing("gateway", settings.trace_exporter, settings.otlp_endpoint)
    print(f"opendso-gateway listening on http://{settings.host}:{settings.port}", flush=True)
    app = create_app(settings, web_client=WEB_CLIENT)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
