"""Signing in and out: an access token (15 minutes by default) and a refresh token rotated on each use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opendso_gateway.access import Limits, allow, client_ip, too_many, unauthorized
from opendso_gateway.accounts import Accounts, NotSignedIn, TokenPair
from opendso_gateway.domain.access import PERMISSIONS, Action, Feature, Principal
from opendso_gateway.domain.users import MAX_PASSWORD_LENGTH, UserRecord, normalise_email
from opendso_gateway.problems import Problem
from opendso_gateway.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["access"])


class SignInBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "claire.martin@acme-industries.fr", "password": "4-leaf-Clover-at-dawn"}]
        },
    )

    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class RefreshBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"refresh_token": "q3Zs8Jx0VwP1uK7mR2nT5yB9cE4hL6aD0fG8iO3pW1s"}]},
    )

    refresh_token: str = Field(min_length=1, max_length=200)


_SIGN_IN_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": SignInBody.model_json_schema()},
            # What /docs' "Authorize" button sends (OAuth 2 password flow): the e-mail address as username.
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "username": {"type": "string", "description": "The user's e-mail address"},
                        "password": {"type": "string", "description": "The user's password"},
                    },
                },
                "example": {"username": "claire.martin@acme-industries.fr", "password": "4-leaf-Clover-at-dawn"},
            },
        },
    }
}


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def _tokens(pair: TokenPair) -> JSONResponse:
    return JSONResponse(
        {
            "access_token": pair.access_token,
            "token_type": "bearer",
            "expires_in": pair.expires_in,
            "refresh_token": pair.refresh_token,
            "refresh_expires_in": pair.refresh_expires_in,
        },
        headers={"Cache-Control": "no-store"},
    )


async def _credentials(request: Request) -> SignInBody:
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        raw: Any = {"email": form.get("username", ""), "password": form.get("password", "")}
    else:
        raw = await request.body()
    try:
        return SignInBody.model_validate(raw) if isinstance(raw, dict) else SignInBody.model_validate_json(raw)
    except ValidationError as exc:
        # Never echo the input: it holds a password.
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"]) or "body"
        raise Problem(422, "Invalid request", f"give an email and a password ({fields})") from None


@router.post("/auth/token", summary="Sign in with e-mail and password", openapi_extra=_SIGN_IN_SCHEMA)
async def sign_in(request: Request) -> JSONResponse:
    body = await _credentials(request)
    email = normalise_email(body.email)
    request.state.audit_email = email
    settings: Settings = request.app.state.settings
    limits: Limits = request.app.state.limits
    client = client_ip(request, settings.trust_proxy)
    now = limits.clock()
    # Checked before the password: once an account or an address has failed too often, even the right
    # password waits, so guessing gains nothing.
    wait = max(limits.sign_in_account.wait(email, now), limits.sign_in_client.wait(client, now))
    if wait:
        raise too_many(wait, "too many failed sign-ins")
    signed = await _accounts(request).sign_in(email, body.password)
    if signed is None:
        limits.sign_in_account.take(email, now)
        limits.sign_in_client.take(client, now)
        raise unauthorized("wrong e-mail or password, or the user is disabled")
    user, pair = signed
    request.state.principal = user.principal()
    return _tokens(pair)


@router.post("/auth/refresh", summary="New tokens for a refresh token, which is used up")
async def refresh(request: Request, body: RefreshBody) -> JSONResponse:
    try:
        user, pair = await _accounts(request).refresh(body.refresh_token)
    except NotSignedIn:
        raise unauthorized("the refresh token is invalid, expired or already used; sign in again") from None
    request.state.principal = user.principal()
    return _tokens(pair)


@router.post("/auth/logout", status_code=204, summary="Sign out: the refresh token and its successors stop working")
async def logout(request: Request, body: RefreshBody) -> Response:
    await _accounts(request).sign_out(body.refresh_token)
    return Response(status_code=204)


def user_json(user: UserRecord) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "email": user.email,
        "name": user.name or None,
        "role": user.role.value,
        "entities": "all" if user.entities is None else sorted(user.entities),
        "portfolio": user.portfolio or None,
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": user.updated_at.isoformat().replace("+00:00", "Z"),
        "created_by": user.created_by or None,
    }


@router.get("/me", summary="Who is signed in: role, data scope and what the role may do")
async def me(principal: Annotated[Principal, allow(Feature.PROFILE, Action.READ)]) -> dict[str, Any]:
    scope = principal.scope
    return {
        "user_id": principal.user_id,
        "email": principal.email,
        "name": principal.name or None,
        "role": principal.role.value,
        "entities": "all" if scope.entities is None else sorted(scope.entities),
        "portfolio": scope.portfolio or None,
        "permissions": {
            feature.value: [a.value for a in Action if principal.may(feature, a)]
            for feature in PERMISSIONS
            if any(principal.may(feature, a) for a in Action)
        },
    }
