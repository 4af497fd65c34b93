from __future__ import annotations

from opendso_bus import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_IMPORTER_")

    database_url: str = "sqlite+aiosqlite:///var/importer.db"
    max_file_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
