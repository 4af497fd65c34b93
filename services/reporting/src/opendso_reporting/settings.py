from __future__ import annotations

from opendso_bus import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_REPORTING_")

    database_url: str = "sqlite+aiosqlite:///var/reporting.db"
    # Reports in the group currency use the one the entities name; this one when none does.
    group_currency: str = ""
    # Item statuses the dispute report and the cash forecast treat as disputes.
    dispute_statuses: str = "dispute,litigation"
    fx_timeout_seconds: float = 2.0

    @property
    def dispute_codes(self) -> tuple[str, ...]:
        return tuple(sorted({code.strip() for code in self.dispute_statuses.split(",") if code.strip()}))
