from __future__ import annotations

from opendso_bus import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_REPORTING_")

    database_url: str = "sqlite+aiosqlite:///var/reporting.db"
