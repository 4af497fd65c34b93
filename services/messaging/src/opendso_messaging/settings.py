from __future__ import annotations

from pathlib import Path

from opendso_bus import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_MESSAGING_")

    database_url: str = "sqlite+aiosqlite:///var/messaging.db"
    # Local mode: what would be sent is written here as .eml files a person can open.
    outbox_dir: Path = Path("var/outbox")
    sender: str = "OpenDSO Collections <collections@opendso.local>"
    company_name: str = "OpenDSO Demo Ltd"
    collector_name: str = "Accounts Receivable"
    collector_email: str = "ar@opendso.local"
    portal_base_url: str = "http://127.0.0.1:8000/portal"
