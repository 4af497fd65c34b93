from __future__ import annotations

from opendso_bus import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_RISK_")

    database_url: str = "sqlite+aiosqlite:///var/risk.db"
