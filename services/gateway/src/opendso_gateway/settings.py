from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_GATEWAY_")

    nats_url: str = "nats://127.0.0.1:4222"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    # Files up to this size travel inside the command; larger ones through the object store.
    inline_upload_bytes: int = Field(default=1024 * 1024, gt=0, le=4 * 1024 * 1024)
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    trace_exporter: Literal["console", "otlp", "none"] = "console"
    otlp_endpoint: str | None = None
    # Services whose health GET /health reports.
    services: tuple[str, ...] = ("importer", "matching", "scenario", "messaging", "risk", "fx", "reporting")
