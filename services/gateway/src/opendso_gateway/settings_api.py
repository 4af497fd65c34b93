"""Collection settings in the public API: the organisation's item statuses, and each entity's sending hours.

Both are replaced whole, naming the version they were read at (``version`` in the body, 0 for what was never
saved); a stale version is a 409 problem, so two admins editing at once never overwrite each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from opendso.collection.v1 import collection_pb2 as col
from pydantic import BaseModel, ConfigDict, Field

from opendso_gateway.access import allow, check_entity
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal

router = APIRouter(tags=["collection settings"])

Role = Literal["collector", "sales", "credit_manager", "legal"]


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def _at(message: Any, field: str) -> str | None:
    if not message.HasField(field):
        return None
    value: dt.datetime = getattr(message, field).ToDatetime(tzinfo=dt.UTC)
    return value.isoformat()


# -- item statuses -------------------------------------------------------------------------------------------------


class FollowUpBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(
        min_length=1,
        max_length=50,
        description='One of the engine\'s channels, e.g. "internal_task", "phone_call", "email"',
    )
    delay_days: int = Field(ge=0, le=3650, description="Days after the qualification date")


_DISPUTE_EXAMPLE: dict[str, Any] = {
    "code": "dispute",
    "labels": {"en": "Dispute", "fr": "Litige", "cs": "Reklamace"},
    "excludes_from_scenario": True,
    "follow_up": {"action": "internal_task", "delay_days": 7},
    "resolution_owner": "sales",
    "sends_confirmation": "dispute_acknowledgement",
    "is_dispute": True,
    "closes_on_payment": False,
    "requires_comment": True,
}
_CALL_BACK_EXAMPLE: dict[str, Any] = {
    "code": "call_back",
    "labels": {"en": "Call back", "fr": "Rappeler"},
    "excludes_from_scenario": True,
    "follow_up": {"action": "phone_call", "delay_days": 2},
}


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CALL_BACK_EXAMPLE]})

    code: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_]+$", description="Stable code, e.g. dispute")
    labels: dict[str, str] = Field(min_length=1, description='Label per language code: {"en": ..., "fr": ...}')
    excludes_from_scenario: bool = Field(default=False, description="Items in this status are not chased")
    follow_up: FollowUpBody | None = Field(default=None, description="The action the status creates, if any")
    resolution_owner: Role | None = Field(default=None, description="Who owns the resolution")
    sends_confirmation: str | None = Field(
        default=None, max_length=100, description="Template code of the confirmation message, if any"
    )
    is_dispute: bool = False
    closes_on_payment: bool = Field(default=False, description="The status ends by itself once the item is paid")
    requires_comment: bool = False


class CatalogueBody(BaseModel):
    """The whole catalogue, in the order it is shown: a status left out is removed (refused while items hold it,
    and for the statuses the service sets itself)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"version": 3, "statuses": [_DISPUTE_EXAMPLE, _CALL_BACK_EXAMPLE]}]},
    )

    version: int = Field(ge=0, le=2**31 - 1, description="The version read (0: the shipped one); stale: 409")
    statuses: list[StatusBody] = Field(min_length=1, max_length=200)


def status_json(s: col.StatusDefinition) -> dict[str, Any]:
    return {
        "code": s.code,
        "labels": dict(sorted(s.labels.items())),
        "excludes_from_scenario": s.excludes_from_scenario,
        "follow_up": {"action": s.follow_up.action, "delay_days": s.follow_up.delay_days}
        if s.HasField("follow_up")
        else None,
        "resolution_owner": s.resolution_owner or None,
        "sends_confirmation": s.sends_confirmation or None,
        "is_dispute": s.is_dispute,
        "closes_on_payment": s.closes_on_payment,
        "requires_comment": s.requires_comment,
        "built_in": s.built_in,
    }


def catalogue_json(c: col.StatusCatalogue) -> dict[str, Any]:
    return {
        "version": c.version,
        "updated_by": c.updated_by or None,
        "updated_at": _at(c, "updated_at"),
        "statuses": [status_json(s) for s in c.statuses],
    }


def _status_message(body: StatusBody) -> col.StatusDefinition:
    message = col.StatusDefinition(
        code=body.code,
        labels=body.labels,
        excludes_from_scenario=body.excludes_from_scenario,
        resolution_owner=body.resolution_owner or "",
        sends_confirmation=body.sends_confirmation or "",
        is_dispute=body.is_dispute,
        closes_on_payment=body.closes_on_payment,
        requires_comment=body.requires_comment,
    )
    if body.follow_up is not None:
        message.follow_up.action = body.follow_up.action
        message.follow_up.delay_days = body.follow_up.delay_days
    return message


@router.get("/api/v1/item-statuses", summary="The item statuses, with the version to replace them")
async def get_statuses(
    request: Request, _principal: Annotated[Principal, allow(Feature.STATUSES, Action.READ)]
) -> dict[str, Any]:
    return catalogue_json(await _bus(request).ask(col.GetStatusCatalogue(), col.StatusCatalogue))


@router.put(
    "/api/v1/item-statuses",
    summary="Replace the item statuses: every problem is named with its status and field; a stale version is a 409",
)
async def put_statuses(
    request: Request,
    body: CatalogueBody,
    principal: Annotated[Principal, allow(Feature.STATUSES, Action.WRITE)],
) -> dict[str, Any]:
    answer = await _bus(request).ask(
        col.ReplaceStatusCatalogue(
            statuses=[_status_message(s) for s in body.statuses],
            expected_version=body.version,
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        col.StatusCatalogueReplaced,
    )
    return {**catalogue_json(answer.catalogue), "replayed": answer.replayed}


# -- sending hours -------------------------------------------------------------------------------------------------

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class SlotBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"start": "08:30", "end": "12:00"}]})

    start: str = Field(pattern=HHMM, description="HH:MM in the entity's time zone")
    end: str = Field(pattern=HHMM, description="HH:MM, after start")


class SendingHoursBody(BaseModel):
    """The days and slots replace the entity's; slots may come in any order but must not overlap."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "version": 0,
                    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                    "slots": [{"start": "08:30", "end": "12:00"}, {"start": "14:00", "end": "18:00"}],
                }
            ]
        },
    )

    version: int = Field(ge=0, le=2**31 - 1, description="The version read (0: the entity has none of its own)")
    weekdays: list[Weekday] = Field(min_length=1, max_length=7, description="Days actions may go out on")
    slots: list[SlotBody] = Field(min_length=1, max_length=24)


def hours_json(h: col.SendingHours) -> dict[str, Any]:
    return {
        "entity": h.entity,
        "time_zone": h.time_zone or None,
        "weekdays": list(h.weekdays),
        "slots": [{"start": s.start, "end": s.end} for s in h.slots],
        "version": h.version,
        "updated_by": h.updated_by or None,
        "updated_at": _at(h, "updated_at"),
    }


@router.get(
    "/api/v1/entities/{entity}/sending-hours",
    summary="The days and time slots an entity's automatic actions go out in (the default when it has none)",
)
async def get_sending_hours(
    request: Request, entity: str, principal: Annotated[Principal, allow(Feature.SENDING_HOURS, Action.READ)]
) -> dict[str, Any]:
    check_entity(principal, entity)
    return hours_json(await _bus(request).ask(col.GetSendingHours(entity=entity), col.SendingHours))


@router.put(
    "/api/v1/entities/{entity}/sending-hours",
    summary="Replace an entity's sending days and time slots; a stale version is a 409",
)
async def put_sending_hours(
    request: Request,
    entity: str,
    body: SendingHoursBody,
    principal: Annotated[Principal, allow(Feature.SENDING_HOURS, Action.WRITE)],
) -> dict[str, Any]:
    check_entity(principal, entity)
    answer = await _bus(request).ask(
        col.SetSendingHours(
            entity=entity,
            weekdays=body.weekdays,
            slots=[col.TimeSlot(start=s.start, end=s.end) for s in body.slots],
            expected_version=body.version,
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        col.SendingHoursSet,
    )
    return {**hours_json(answer.hours), "replayed": answer.replayed}
