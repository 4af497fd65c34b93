"""Access on the HTTP side: the permission every route declares, the data scope checks that need the bus, the
audit of every change and the rate limit per user.

Every route is either listed in ``PUBLIC_PATHS`` or depends on ``allow(feature, action)``; a test walks the
routes to keep it so.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer
from opendso.receivables.v1 import receivables_pb2 as rv

from opendso_gateway.accounts import Accounts, NotSignedIn
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import (
    Action,
    Feature,
    Principal,
    Role,
    Scope,
    ScopeTooWide,
    permitted,
)
from opendso_gateway.domain.ratelimit import RateLimiter
from opendso_gateway.domain.users import AuditRecord
from opendso_gateway.problems import Problem
from opendso_gateway.settings import Settings

log = logging.getLogger(__name__)

TOKEN_URL = "/api/v1/auth/token"
# Reached without a user token: health, signing in (the refresh token is the credential of refresh and sign
# out), the providers' webhooks (each verifies its own signature), the API documentation and the portal.
PUBLIC_PATHS = frozenset(
    {
        "/health",
        TOKEN_URL,
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/webhooks/twilio/status",
        "/webhooks/ses/sns",
        "/openapi.json",
        "/asyncapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        # The debtor portal and the internal answer links: the signed link in the path is the credential,
        # checked by each route (portal.py) before any service is asked.
        "/portal/{token}",
        "/portal/{token}/statement",
        "/portal/{token}/promises",
        "/portal/{token}/disputes",
        "/portal/{token}/comments",
        "/portal/{token}/payments",
        "/portal/{token}/documents",
        "/portal/{token}/documents/{document_id}",
        "/portal/{token}/form/{action}",
        "/portal-internal/{token}",
        "/portal-internal/{token}/answer",
    }
)
bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def unauthorized(detail: str = "sign in: send Authorization: Bearer <access token>") -> Problem:
    # The reason stays in the log: a caller learns only that the token was refused.
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def too_many(wait: float, what: str) -> Problem:
    seconds = max(1, math.ceil(wait))
    return Problem(429, "Too many requests", f"{what}; retry in {seconds} s", headers={"Retry-After": str(seconds)})


@dataclass
class Limits:
    """The rate limits of this gateway instance, on a monotonic clock."""

    per_user: RateLimiter
    sign_in_account: RateLimiter
    sign_in_client: RateLimiter
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        refill = 1.0 / settings.sign_in_failure_refill_seconds
        return cls(
            per_user=RateLimiter(settings.rate_limit_burst, settings.rate_limit_per_minute / 60.0),
            sign_in_account=RateLimiter(settings.sign_in_failures_per_account, refill),
            sign_in_client=RateLimiter(settings.sign_in_failures_per_client, refill),
        )


class Allow:
    """The dependency a route declares: a signed-in user whose role may do ``action`` on ``feature`` (401
    without a valid token, 403 without the permission, 429 over the rate limit). Returns the principal and
    keeps it on the request for the audit."""

    def __init__(self, feature: Feature, action: Action) -> None:
        self.feature = feature
        self.action = action

    async def __call__(self, request: Request, token: Annotated[str | None, Depends(bearer)]) -> Principal:
        principal = await signed_in(request, token)
        limits: Limits = request.app.state.limits
        wait = limits.per_user.take(f"user:{principal.user_id}", limits.clock())
        if wait:
            raise too_many(wait, "request rate limit reached")
        if not principal.may(self.feature, self.action):
            if permitted(principal.role, self.feature, self.action):
                detail = f"{self.action.value} {self.feature} needs a user whose scope is every entity"
            else:
                detail = f"role {principal.role.value} may not {self.action.value} {self.feature}"
            raise Problem(403, "Forbidden", detail)
        return principal


class AllowPage(Allow):
    """``Allow`` for a page a person opens in a browser, which sends no token: development may open it to
    anyone with ``OPENDSO_GATEWAY_DEV_OPEN_OUTBOX_PAGE``."""

    async def __call__(self, request: Request, token: Annotated[str | None, Depends(bearer)]) -> Principal:
        settings: Settings = request.app.state.settings
        if settings.dev_open_outbox_page and token is None:
            log.info("%s served without signing in (OPENDSO_GATEWAY_DEV_OPEN_OUTBOX_PAGE)", request.url.path)
            return Principal(user_id="", email="", role=Role.READ_ONLY)
        return await super().__call__(request, token)


def allow(feature: Feature, action: Action) -> Any:
    """``Depends`` on the permission to ``action`` ``feature``: a route parameter or a route dependency."""
    return Depends(Allow(feature, action))


async def signed_in(request: Request, token: str | None) -> Principal:
    if not token:
        raise unauthorized()
    accounts: Accounts = request.app.state.accounts
    try:
        principal = await accounts.principal(token)
    except NotSignedIn as exc:
        log.info("token refused on %s %s: %s", request.method, request.url.path, exc)
        raise unauthorized("the access token is invalid or expired; sign in or refresh") from None
    request.state.principal = principal
    return principal


# -- data scope ------------------------------------------------------------------------------------------------


def not_found_customer(entity: str, account_number: str) -> Problem:
    # Worded as the importer words an unknown customer: out of scope and missing read the same.
    return Problem(404, "Not found", f"no customer {account_number!r} in entity {entity!r}", code="not_found")


def not_found_entity(entity: str) -> Problem:
    return Problem(404, "Not found", f"no entity {entity!r}", code="not_found")


async def check_customer(request: Request, principal: Principal, entity: str, account_number: str) -> None:
    """404 unless the customer is in the principal's scope: its entity, and for a portfolio, its collector
    (which the importer is asked for)."""
    scope = principal.scope
    if not scope.has_entity(entity):
        raise not_found_customer(entity, account_number)
    if scope.portfolio:
        bus: Bus = request.app.state.bus
        account = await bus.ask(rv.GetCustomerAccount(entity=entity, account_number=account_number), rv.CustomerAccount)
        check_account(principal, account, entity, account_number)


def check_account(principal: Principal, account: rv.CustomerAccount, entity: str, account_number: str) -> None:
    scope = principal.scope
    if (
        not account.found
        or not scope.has_entity(account.customer.entity or entity)
        or not scope.in_portfolio(account.customer.collector)
    ):
        raise not_found_customer(entity, account_number)


def check_entity(principal: Principal, entity: str) -> None:
    if not principal.scope.has_entity(entity):
        raise not_found_entity(entity)


def check_ids(principal: Principal, ids: list[str], what: str) -> None:
    """404 when a customer or item id names an entity out of scope."""
    for identifier in ids:
        if not principal.scope.has_id(identifier):
            raise Problem(404, "Not found", f"no {what} {identifier!r}", code="not_found")


def entity_filter(scope: Scope, requested: str) -> str | None:
    """The entity a list query filters on (see ``Scope.entity_filter``); a 422 when the user must choose."""
    try:
        return scope.entity_filter(requested)
    except ScopeTooWide as exc:
        raise Problem(422, "Choose an entity", str(exc)) from None


# -- audit -------------------------------------------------------------------------------------------------------

AUDITED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def client_ip(request: Request, trust_proxy: bool) -> str:
    if trust_proxy:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if forwarded:
            # The proxy appends the address it saw; what the client wrote before it proves nothing.
            return forwarded[-1]
    return request.client.host if request.client is not None else ""


def audit_ids(request: Request, **ids: str) -> None:
    """Name resources a change touched beyond its path (the user created, the tasks updated...)."""
    known: dict[str, str] = getattr(request.state, "audit_ids", {})
    request.state.audit_ids = {**known, **ids}


async def audit_changes(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Middleware: every POST, PUT, PATCH and DELETE is recorded, done or refused."""
    if request.method not in AUDITED_METHODS:
        return await call_next(request)
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        # A provider's delivery report, verified and recorded by the messaging service, is no user's change:
        # only refused ones are kept, else the log would hold one row per message status.
        if not (request.url.path.startswith("/webhooks/") and status < 400):
            await _record(request, status)


async def _record(request: Request, status: int) -> None:
    settings: Settings = request.app.state.settings
    principal: Principal | None = getattr(request.state, "principal", None)
    ids = {k: str(v) for k, v in request.scope.get("path_params", {}).items()}
    ids.update(getattr(request.state, "audit_ids", {}))
    entry = AuditRecord(
        at=request.app.state.clock(),
        method=request.method,
        path=request.url.path,
        status=status,
        client_ip=client_ip(request, settings.trust_proxy),
        user_id=principal.user_id if principal is not None else "",
        email=principal.email if principal is not None else getattr(request.state, "audit_email", ""),
        role=principal.role.value if principal is not None else "",
        resource_ids=ids,
        request_id=getattr(request.state, "request_id", ""),
    )
    accounts: Accounts = request.app.state.accounts
    try:
        await accounts.store.add_audit(entry)
    except Exception:
        # The change is done (or refused) already; failing its answer now would only hide that.
        log.exception("audit entry not recorded: %s", entry)
