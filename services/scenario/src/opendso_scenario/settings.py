from __future__ import annotations

from zoneinfo import ZoneInfo

from opendso_bus import ServiceSettings
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_SCENARIO_")

    database_url: str = "sqlite+aiosqlite:///var/scenario.db"
    # "Today" for the engine is the date in this zone (entities get their own zone later).
    timezone: str = "UTC"
    # The daily pass re-evaluates every customer; run it this often.
    evaluation_interval_seconds: float = Field(default=3600.0, gt=0)
    default_scenario: str = "standard"
    settle_seconds: float = Field(default=1.0, ge=0, le=3600)
    # Which scenario chases whom: "" (everyone on default_scenario), "builtin" (the shipped rules:
    # key accounts, firm for large or old debts, gentle for small ones) or the path of a JSON strategy.
    strategy: str = ""
    # When automatic actions of an entity with a record go out, in its time zone, Monday to Friday,
    # outside its public holidays, until an admin gives the entity days and slots of its own (sending_hours.py).
    # Entities without a record are not restricted.
    send_slots: str = "08:00-18:00"
    # How many days a payment a debtor declared through the portal keeps its items from being chased, while the
    # collector looks for the money.
    declared_payment_pause_days: int = Field(default=10, ge=0, le=90)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises on an unknown zone name
        return value
