"""Collection scenarios in the public API: listed, read, created, edited, duplicated and deleted.

An edit names the version it was made on (``version`` in the body); a stale version is a 409 problem, so two
credit managers editing the same scenario never overwrite each other silently. What is wrong with a
definition comes back as a 422 problem naming the step and the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import RemoteError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, StringConstraints

from opendso_gateway.access import allow
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/scenarios", tags=["scenarios"])

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,49}$"
LANGUAGE_PATTERN = r"^([a-z]{2,3}(-[A-Za-z0-9]{2,4})?)?$"
AMOUNT_PATTERN = r"^\d{1,13}(\.\d{1,6})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN)

Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
Language = Annotated[str, StringConstraints(pattern=LANGUAGE_PATTERN)]


def _amount_string(value: object) -> object:
    # A JSON number has been through a binary float on the client's side: refuse it rather than keep its noise.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError('give the amount as a decimal string such as "50.00", not a JSON number (floats lose cents)')
    if isinstance(value, str) and not _AMOUNT.fullmatch(value):
        raise ValueError(f'{value!r} is not an amount such as "50.00" (zero or more, at most 6 decimals)')
    return value


AmountString = Annotated[str, StringConstraints(pattern=AMOUNT_PATTERN), BeforeValidator(_amount_string)]


# The example scenario's steps, shown on both the create and the edit body.
_EXAMPLE_STEPS: list[JsonValue] = [
    {
        "code": "friendly",
        "offset_days": -5,
        "channel": "email",
        "template": "friendly_reminder",
        "automatic": True,
    },
    {
        "code": "first",
        "offset_days": 3,
        "channel": "email",
        "template": "first_reminder",
        "automatic": True,
        "also": [{"channel": "sms", "template": "first_reminder"}],
    },
    {
        "code": "call",
        "offset_days": 20,
        "channel": "phone_call",
        "template": "phone_call",
        "automatic": False,
        "minimum_amount": "500.00",
    },
    {
        "code": "formal_notice",
        "offset_days": 10,
        "anchor": "last_action",
        "channel": "letter",
        "template": "formal_notice_letter",
        "automatic": True,
    },
]


class StepChannelBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"channel": "sms", "template": "first_reminder"}]}
    )

    channel: str = Field(pattern=r"^[a-z_]{1,30}$", description='"email", "letter", "sms"...')
    template: str = Field(min_length=1, max_length=100, description="Message template code for that channel")


class StepBody(BaseModel):
    # A misspelt field silently dropped would change who is chased and when: refuse it instead.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "first",
                    "offset_days": 3,
                    "channel": "email",
                    "template": "first_reminder",
                    "automatic": True,
                    "also": [{"channel": "sms", "template": "first_reminder"}],
                }
            ]
        },
    )

    code: Code = Field(description="Unique within the scenario")
    offset_days: int = Field(ge=-365, le=3650, description="Days from the anchor; negative before the due date")
    # Checked by the scenario service, which knows the channels and anchors its engine follows.
    anchor: str = Field(
        default="due_date",
        pattern=r"^[a-z_]{1,30}$",
        description='"due_date" (the leader invoice\'s due date) or "last_action" (the previous step\'s action)',
    )
    channel: str = Field(
        pattern=r"^[a-z_]{1,30}$", description='"email", "sms", "letter", "phone_call", "internal_task"...'
    )
    template: str = Field(min_length=1, max_length=100, description="Message template code, or the kind of task")
    automatic: bool = Field(description="Sent without a collector; false puts a task on a collector's agenda")
    also: list[StepChannelBody] = Field(
        default_factory=list, description="Other channels used at the same time, each with its template"
    )
    product_group: str | None = Field(
        default=None, min_length=1, max_length=200, description="Only this product group's items take part"
    )
    minimum_amount: AmountString | None = Field(
        default=None, description="The step's own minimum, a decimal string; null for the scenario's"
    )


class ScenarioBody(BaseModel):
    """A scenario's definition; on a create, ``code`` is required."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "smb_france",
                    "name": "Small businesses, France",
                    "language": "fr",
                    "minimum_amount": "50.00",
                    "steps": _EXAMPLE_STEPS,
                }
            ]
        },
    )

    code: Code | None = Field(default=None, description="Required on a create; on an edit, the path's code")
    name: str = Field(min_length=1, max_length=200)
    language: Language = Field(default="", description='The customers\' language it is for, e.g. "fr"; "" for any')
    minimum_amount: AmountString = Field(
        default="0", description='No action while every currency\'s total is below it, e.g. "50.00"'
    )
    steps: list[StepBody] = Field(min_length=1, max_length=50)


class EditBody(ScenarioBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Small businesses, France",
                    "language": "fr",
                    "minimum_amount": "100.00",
                    "steps": _EXAMPLE_STEPS,
                    "version": 4,
                }
            ]
        },
    )

    version: int = Field(
        ge=1, le=2**31 - 1, description="The version the edit was made on (from GET); a stale one is a 409"
    )


class DuplicateBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "smb_germany", "name": "Small businesses, Germany", "language": "de"}]
        },
    )

    code: Code = Field(description="The copy's code")
    name: str = Field(default="", max_length=200, description='"" names it after the original, with "(copy)"')
    language: Language = Field(default="", description='"" keeps the original\'s language')


Writer = Annotated[Principal, allow(Feature.SCENARIOS, Action.WRITE)]


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


async def _ask(request: Request, message: Any, reply_type: type[Any]) -> Any:
    try:
        return await _bus(request).ask(message, reply_type)
    except RemoteError as exc:
        if exc.code == "conflict":
            raise Problem(409, "Conflict", exc.detail, code=exc.code) from exc
        raise


def _definition(body: ScenarioBody, code: str) -> col.ScenarioDefinition:
    return col.ScenarioDefinition(
        code=code,
        name=body.name,
        language=body.language,
        minimum_amount=body.minimum_amount,
        steps=[
            col.ScenarioStepDefinition(
                code=s.code,
                offset_days=s.offset_days,
                anchor=s.anchor,
                channel=s.channel,
                template=s.template,
                automatic=s.automatic,
                also=[col.StepChannel(channel=a.channel, template=a.template) for a in s.also],
                product_group=s.product_group or "",
                minimum_amount=s.minimum_amount or "",
            )
            for s in body.steps
        ],
    )


def scenario_json(scenario: col.ScenarioDefinition) -> dict[str, Any]:
    return {
        "code": scenario.code,
        "name": scenario.name,
        "language": scenario.language,
        "minimum_amount": scenario.minimum_amount,
        "steps": [
            {
                "code": s.code,
                "offset_days": s.offset_days,
                "anchor": s.anchor,
                "channel": s.channel,
                "template": s.template,
                "automatic": s.automatic,
                "also": [{"channel": a.channel, "template": a.template} for a in s.also],
                "product_group": s.product_group or None,
                "minimum_amount": s.minimum_amount or None,
            }
            for s in scenario.steps
        ],
        "version": scenario.version,
        "builtin": scenario.builtin,
        "is_default": scenario.is_default,
        "used_by_rules": list(scenario.used_by_rules),
        "updated_at": scenario.updated_at.ToDatetime(tzinfo=dt.UTC).isoformat()
        if scenario.HasField("updated_at")
        else None,
        "updated_by": scenario.updated_by,
    }


def _saved(saved: col.ScenarioSaved, status: int) -> JSONResponse:
    body = {**scenario_json(saved.scenario), "replayed": saved.replayed}
    headers = {"ETag": f'"{saved.scenario.version}"', "Location": f"{router.prefix}/{saved.scenario.code}"}
    return JSONResponse(body, status_code=status, headers=headers)


@router.get(
    "",
    summary="The scenarios; for a language, its own and those for any language",
    dependencies=[allow(Feature.SCENARIOS, Action.READ)],
)
async def list_scenarios(
    request: Request,
    language: Annotated[str, Query(pattern=LANGUAGE_PATTERN, description='e.g. "fr"; empty for all')] = "",
) -> dict[str, Any]:
    answer = await _ask(request, col.ListScenarios(language=language), col.Scenarios)
    return {"scenarios": [scenario_json(s) for s in answer.scenarios]}


@router.post("", status_code=201, summary="Create a scenario")
async def create_scenario(
    request: Request,
    body: ScenarioBody,
    principal: Writer,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    if body.code is None:
        raise Problem(422, "Invalid request", "code: a new scenario needs a code")
    saved = await _ask(
        request,
        col.SaveScenario(
            scenario=_definition(body, body.code),
            expected_version=0,
            user=principal.email,
            correlation_id=request.state.request_id,
            idempotency_key=f"create:{idempotency_key}" if idempotency_key else "",
        ),
        col.ScenarioSaved,
    )
    # A retried create answers what the first one made, with the same status.
    return _saved(saved, 201)


@router.get(
    "/{code}",
    summary="One scenario, with its version for an edit",
    dependencies=[allow(Feature.SCENARIOS, Action.READ)],
)
async def get_scenario(request: Request, code: str) -> JSONResponse:
    answer = await _ask(request, col.GetScenario(code=code), col.ScenarioDefinition)
    return JSONResponse(scenario_json(answer), headers={"ETag": f'"{answer.version}"'})


@router.put("/{code}", summary="Edit a scenario; the body names the version it was made on")
async def edit_scenario(
    request: Request,
    code: str,
    body: EditBody,
    principal: Writer,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    if body.code is not None and body.code != code:
        raise Problem(
            422, "Invalid request", f"code: the body's {body.code!r} is not the path's {code!r} (duplicate to rename)"
        )
    saved = await _ask(
        request,
        col.SaveScenario(
            scenario=_definition(body, code),
            expected_version=body.version,
            user=principal.email,
            correlation_id=request.state.request_id,
            idempotency_key=f"edit:{idempotency_key}" if idempotency_key else "",
        ),
        col.ScenarioSaved,
    )
    return _saved(saved, 200)


@router.post("/{code}/duplicate", status_code=201, summary="Copy a scenario under a new code and name")
async def duplicate_scenario(request: Request, code: str, body: DuplicateBody, principal: Writer) -> JSONResponse:
    saved = await _ask(
        request,
        col.DuplicateScenario(
            code=code,
            new_code=body.code,
            new_name=body.name,
            new_language=body.language,
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        col.ScenarioSaved,
    )
    return _saved(saved, 201)


@router.delete(
    "/{code}",
    summary="Delete a scenario; refused for the default one and one the strategy rules pick",
)
async def delete_scenario(
    request: Request,
    code: str,
    principal: Writer,
    version: Annotated[
        int, Query(ge=0, le=2**31 - 1, description="The version read; 0 or absent: whatever the version")
    ] = 0,
) -> dict[str, Any]:
    answer = await _ask(
        request,
        col.DeleteScenario(
            code=code, expected_version=version, user=principal.email, correlation_id=request.state.request_id
        ),
        col.ScenarioDeleted,
    )
    return {"code": answer.code, "version": answer.version, "deleted": True}
