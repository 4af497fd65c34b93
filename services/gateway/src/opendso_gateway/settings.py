from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
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

    # Provider webhooks (delivery reports, webhooks_api.py). The public base URL is the gateway as the
    # providers call it (scheme, host, any path prefix a proxy adds): X-Twilio-Signature signs the URL Twilio
    # called, which the application server behind a proxy does not see. Empty: the URL of the request.
    public_base_url: str = ""
    # Twilio's auth token, with which it signs status callbacks; empty: every Twilio callback is refused.
    twilio_auth_token: SecretStr = SecretStr("")
    # The SNS topics whose messages the SES webhook accepts (SES events of our configuration sets), and the
    # regions whose SNS hosts may sign them (empty: any, as long as it is the topic's own region).
    sns_topic_arns: tuple[str, ...] = ()
    sns_regions: tuple[str, ...] = ()

    @field_validator("public_base_url")
    @classmethod
    def _public_base_url_is_http(cls, value: str) -> str:
        if value and (urlsplit(value).scheme not in {"http", "https"} or not urlsplit(value).hostname):
            raise ValueError(f"public_base_url {value!r} is not an http(s) URL such as https://dso.example.com")
        return value.rstrip("/")

    @field_validator("twilio_auth_token")
    @classmethod
    def _twilio_auth_token_is_real(cls, value: SecretStr) -> SecretStr:
        # Twilio's tokens are 32 hex digits: anything else is a placeholder that would refuse every callback.
        token = value.get_secret_value()
        if token and not re.fullmatch(r"[0-9a-fA-F]{32}", token):
            raise ValueError("twilio_auth_token is not a Twilio auth token (32 hexadecimal digits)")
        return value
