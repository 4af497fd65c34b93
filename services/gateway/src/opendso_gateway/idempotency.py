"""``Idempotency-Key`` on every POST: a request repeated with the same key gets the first answer again and
does nothing again.

Why at the gateway and not only in the services: many POSTs (a qualification, an escalation, a user, a
partner key) create something in a service that has no key of its own to dedupe on, and a client that lost
the answer to a timeout must be able to send the request again safely. Routes that pass the key on to their
service keep doing so; the answer the gateway keeps makes the repeat cheaper still.

The key belongs to whoever sent it: the signed-in user (the same after a token refresh), a partner's API key,
or a portal link (the path names it). A key used again with another request (another path or body) is a
client's mistake and answers 422; while the first request with a key is still running, a second waits for
nothing and answers 409. Answers of 500 and above are not kept, so a retry after a failure runs again.
Uploads (multipart bodies, up to gigabytes) are not buffered here: their routes pass the key to the
importer, which dedupes on it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from opendso_gateway.accounts import Accounts, NotSignedIn
from opendso_gateway.domain.idempotency import IdempotencyStore, MemoryIdempotencyStore
from opendso_gateway.store import SqlAccessStore, SqlIdempotencyStore

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
# Routes whose POST is not a creation: signing in and out, and providers' delivery reports (deduped by theirs).
EXEMPT_PREFIXES = ("/api/v1/auth/", "/webhooks/")
MAX_KEY_LENGTH = 200


def idempotency_store_of(state: Any) -> IdempotencyStore:
    """The app's store of kept answers: over the access store's database, or in memory beside one in memory."""
    store: IdempotencyStore | None = getattr(state, "idempotency", None)
    if store is None:
        accounts: Accounts = state.accounts
        if isinstance(accounts.store, SqlAccessStore):
            store = SqlIdempotencyStore(accounts.store)
        else:
            store = MemoryIdempotencyStore()
        state.idempotency = store
    return store


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(len(part).to_bytes(4, "big") + part)
    digest.update(body)
    return digest.hexdigest()


async def owner_of(request: Request) -> str | None:
    """Whose key it is, from credentials checked here (a forged token owns nothing); None: no credentials
    this layer can tell, and the request goes on as if it had no key (its route refuses it or dedupes)."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
        if token.count(".") != 2:
            # Not a signed-in user's token (three dot-separated parts): a partner's API key.
            return "key:" + hashlib.sha256(token.encode()).hexdigest()
        accounts: Accounts = request.app.state.accounts
        try:
            principal = await accounts.principal(token)
        except NotSignedIn:
            return None
        return "user:" + principal.user_id
    api_key = request.headers.get("x-api-key")
    if api_key:
        # A partner key is checked by its route; hashed here, a wrong key only owns answers of its own.
        return "key:" + hashlib.sha256(api_key.encode()).hexdigest()
    if request.url.path.startswith(("/portal/", "/portal-internal/")):
        # The signed link is in the path, which is part of the fingerprint: the link owns its keys.
        return "link:" + hashlib.sha256(request.url.path.encode()).hexdigest()
    return None


def problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


def idempotency_middleware(
    clock: Callable[[], dt.datetime],
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The HTTP middleware (``app.middleware("http")``) keeping POST answers by Idempotency-Key."""

    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        key = request.headers.get(HEADER)
        if (
            request.method != "POST"
            or not key
            or request.url.path.startswith(EXEMPT_PREFIXES)
            or request.headers.get("content-type", "").startswith("multipart/")
        ):
            return await call_next(request)
        if len(key) > MAX_KEY_LENGTH:
            return problem(422, "Unprocessable Content", f"{HEADER} is longer than {MAX_KEY_LENGTH} characters")
        owner = await owner_of(request)
        if owner is None:
            return await call_next(request)
        body = await request.body()
        mark = fingerprint(request.method, request.url.path, request.url.query, body)
        store = idempotency_store_of(request.app.state)
        kept = await store.claim(owner, key, mark, clock())
        if kept is not None:
            if kept.fingerprint != mark:
                return problem(
                    422,
                    "Unprocessable Content",
                    f"{HEADER} {key!r} was used for another request; use a new key for a new request",
                )
            if kept.status == 0:
                return problem(409, "Conflict", f"the request with {HEADER} {key!r} is still being processed")
            log.info("%s %s answered again for %s %r", request.method, request.url.path, HEADER, key)
            return Response(
                kept.body, status_code=kept.status, media_type=kept.media_type, headers={"Idempotent-Replayed": "true"}
            )
        try:
            response = await call_next(request)
            chunks = [chunk async for chunk in _body_of(response)]
        except BaseException:
            await store.release(owner, key)
            raise
        content = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
        if response.status_code >= 500:
            await store.release(owner, key)
        else:
            await store.keep(owner, key, response.status_code, response.headers.get("content-type", ""), content)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(content, status_code=response.status_code, headers=headers)

    return middleware


def _body_of(response: Response) -> Any:
    # call_next answers a streaming response whatever the route returned.
    iterator = getattr(response, "body_iterator", None)
    if iterator is not None:
        return iterator

    async def whole() -> Any:
        yield response.body

    return whole()
