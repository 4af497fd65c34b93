from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opendso_bus import ServiceSettings
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_RISK_")

    database_url: str = "sqlite+aiosqlite:///var/risk.db"
    # Where "today" is: the day figures, overdue items and expiries are judged on.
    timezone: str = "Europe/Paris"
    # Item statuses that are disputes (comma-separated): a qualification in one opens a dispute, a later
    # qualification in another status or the item's closing resolves it.
    dispute_statuses: str = "dispute"
    # How long a customer's facts must stay unchanged before it is evaluated (a bulk import changes many
    # customers many times in a few seconds), and how often the evaluation looks for such customers.
    settle_seconds: float = Field(default=2.0, ge=0, le=3600)
    evaluation_interval_seconds: float = Field(default=1.0, gt=0, le=3600)
    # Customers evaluated per batch: one read, one round of rates, one write.
    batch_size: int = Field(default=200, ge=1, le=5000)
    # How often the daily pass checks whether the day changed (it runs once per day, and at start).
    daily_check_seconds: float = Field(default=300.0, gt=0, le=24 * 3600)
    # How long to wait for the FX service's conversion; no answer leaves the use unknown, saying so.
    fx_timeout_seconds: float = Field(default=2.0, gt=0, le=60)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("dispute_statuses")
    @classmethod
    def _statuses(cls, value: str) -> str:
        codes = [c.strip() for c in value.split(",") if c.strip()]
        if not codes:
            raise ValueError("name at least one dispute status")
        return ",".join(codes)

    @property
    def dispute_codes(self) -> frozenset[str]:
        return frozenset(self.dispute_statuses.split(","))
