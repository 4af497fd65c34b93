"""Users, for administrators: created with a role and a data scope, changed, disabled (never deleted: the
audit log names them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from opendso_gateway.access import allow, audit_ids
from opendso_gateway.accounts import Accounts, LastAdmin, UserChanges
from opendso_gateway.auth_api import user_json
from opendso_gateway.domain.access import Action, Feature, Principal, Role
from opendso_gateway.domain.users import (
    EMAIL_PATTERN,
    MAX_PASSWORD_LENGTH,
    DuplicateEmail,
    UserRecord,
    normalise_email,
    password_problem,
)
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/users", tags=["access"])

EntityCode = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[^/\s]+$")]
Entities = Literal["all"] | list[EntityCode]
Password = Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]


def _password(value: str | None) -> str | None:
    if value is not None and (problem := password_problem(value)):
        raise ValueError(problem)
    return value


class NewUserBody(BaseModel):
    # A misspelt field silently dropped could give a user a wider scope than meant: refuse it.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "julia.schmidt@acme-industries.de",
                    "name": "Julia Schmidt",
                    "role": "collector",
                    "password": "Rhine-barge-41-Tulip",
                    "entities": ["DE01", "AT01"],
                    "portfolio": "j.schmidt",
                },
                {
                    "email": "claire.martin@acme-industries.fr",
                    "name": "Claire Martin",
                    "role": "credit_manager",
                    "password": "4-leaf-Clover-at-dawn",
                    "entities": "all",
                },
            ]
        },
    )

    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    name: str = Field(default="", max_length=200)
    role: Role
    password: Password = Field(description="At least 12 characters; stored as an argon2id hash")
    entities: Entities = Field(description='"all", or the entity codes whose data the user reaches')
    portfolio: str = Field(
        default="", max_length=200, description="A collector's name as in the ledger: only their customers"
    )

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str) -> str:
        return _password(value) or value


class UserChangesBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"role": "credit_manager", "entities": ["FR01", "BE01"], "portfolio": ""}, {"disabled": True}]
        },
    )

    name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    password: Password | None = None
    entities: Entities | None = None
    portfolio: str | None = Field(default=None, max_length=200)
    disabled: bool | None = None

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str | None) -> str | None:
        return _password(value)


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


async def _user(request: Request, user_id: str) -> UserRecord:
    user = await _accounts(request).store.user_by_id(user_id)
    if user is None:
        raise Problem(404, "Not found", f"no user {user_id!r}", code="not_found")
    return user


@router.get("", summary="Every user, by e-mail address")
async def list_users(request: Request, _: Annotated[Principal, allow(Feature.USERS, Action.READ)]) -> dict[str, Any]:
    return {"users": [user_json(u) for u in await _accounts(request).store.users()]}


@router.post("", status_code=201, summary="Create a user with a role and a data scope")
async def create_user(
    request: Request, body: NewUserBody, principal: Annotated[Principal, allow(Feature.USERS, Action.WRITE)]
) -> JSONResponse:
    try:
        user = await _accounts(request).create_user(
            email=body.email,
            name=body.name,
            role=body.role,
            password=body.password,
            entities=None if body.entities == "all" else frozenset(body.entities),
            portfolio=body.portfolio,
            by=principal.email,
        )
    except DuplicateEmail:
        raise Problem(409, "Conflict", f"a user has the address {normalise_email(body.email)!r}") from None
    audit_ids(request, user_id=user.user_id)
    return JSONResponse(user_json(user), status_code=201, headers={"Location": f"{router.prefix}/{user.user_id}"})


@router.get("/{user_id}", summary="One user")
async def get_user(
    request: Request, user_id: str, _: Annotated[Principal, allow(Feature.USERS, Action.READ)]
) -> dict[str, Any]:
    return user_json(await _user(request, user_id))


@router.patch(
    "/{user_id}",
    summary="Change a user: name, role, scope, password, or disable them (their tokens stop working at once)",
)
async def change_user(
    request: Request,
    user_id: str,
    body: UserChangesBody,
    _: Annotated[Principal, allow(Feature.USERS, Action.WRITE)],
) -> dict[str, Any]:
    user = await _user(request, user_id)
    entities = body.entities
    changes = UserChanges(
        name=body.name,
        role=body.role,
        password=body.password,
        all_entities=None if entities is None else entities == "all",
        entities=frozenset(entities) if isinstance(entities, list) else None,
        portfolio=body.portfolio,
        disabled=body.disabled,
    )
    try:
        changed = await _accounts(request).change_user(user, changes)
    except LastAdmin as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    return user_json(changed)
