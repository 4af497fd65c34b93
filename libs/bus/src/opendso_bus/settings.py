"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings


class ServiceSettings(BaseSettings):
    """Fields common to all services. Subclasses set ``env_prefix = "OPENDSO_<NAME>_"``."""

    nats_url: str = "nats://127.0.0.1:4222"
    database_url: str
    # A failing handler is retried this many deliveries in total, then dead-lettered.
    max_attempts: int = Field(default=5, ge=1, le=100)
    retry_delay_seconds: float = Field(default=1.0, gt=0, le=3600)
    trace_exporter: Literal["console", "otlp", "none"] = "console"
    otlp_endpoint: str | None = None
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=60)

    @field_validator("nats_url")
    @classmethod
    def _nats_scheme(cls, value: str) -> str:
        if not value.startswith(("nats://", "tls://", "ws://", "wss://")):
            raise ValueError(f"nats_url must start with nats://, tls://, ws:// or wss://, got {value!r}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError(f"database_url must be a sqlite or postgresql URL, got {value!r}")
        return value
