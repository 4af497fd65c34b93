from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from opendso_gateway.domain.users import email_problem, normalise_email, password_problem

# A token secret shorter than this is guessable offline from any token (HS256 signs with it).
MIN_TOKEN_SECRET_LENGTH = 32
# How the examples people copy begin (a random secret begins so once in billions).
_PLACEHOLDER_SECRETS = ("changeme", "secret", "example", "placeholder", "yoursecret", "insecure")


class Settings(BaseSettings):
    # populate_by_name: tests and code give the admin fields by name; the environment by their own variables.
    # hide_input_in_errors: a refused secret or password is never printed in the error.
    model_config = SettingsConfigDict(env_prefix="OPENDSO_GATEWAY_", populate_by_name=True, hide_input_in_errors=True)

    nats_url: str = "nats://127.0.0.1:4222"
    # Users, refresh tokens and the audit log.
    database_url: str = "sqlite+aiosqlite:///var/gateway.db"

    # Access tokens are JWTs signed (HS256) with this secret; every gateway instance needs the same one. Empty:
    # a random secret is generated once into dev_secret_file (fine for one instance on a laptop, not more).
    token_secret: SecretStr = SecretStr("")
    dev_secret_file: Path = Path("var/gateway-token-secret")
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    # The first administrator, created at start when there is no user at all (then ignored).
    admin_email: str = Field(default="", validation_alias="OPENDSO_ADMIN_EMAIL")
    admin_password: SecretStr = Field(default=SecretStr(""), validation_alias="OPENDSO_ADMIN_PASSWORD")
    # Argon2id cost of a password hash (time: passes; memory: KiB); the defaults are RFC 9106's second choice.
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=8, le=4 * 1024 * 1024)
    # Requests per signed-in user (per gateway instance): a burst, then a steady rate.
    rate_limit_burst: int = Field(default=120, ge=1)
    rate_limit_per_minute: int = Field(default=600, ge=1)
    # Failed sign-ins: this many per account and per client address, then one more per refill period.
    sign_in_failures_per_account: int = Field(default=5, ge=1)
    sign_in_failures_per_client: int = Field(default=20, ge=1)
    sign_in_failure_refill_seconds: float = Field(default=60.0, gt=0)
    # Behind a reverse proxy: the client address is the last one the proxy added to X-Forwarded-For.
    # Off, the header is ignored (anybody can write it).
    trust_proxy: bool = False
    # Development only: the HTML outbox page (/outbox) without signing in, so a browser opens it. Logged.
    dev_open_outbox_page: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    # Files up to this size travel inside the command; larger ones through the object store.
    inline_upload_bytes: int = Field(default=1024 * 1024, gt=0, le=4 * 1024 * 1024)
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    # How often the partner webhook worker looks for retries that came due (new deliveries wake it at once).
    webhook_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
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

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError(f"database_url must be a sqlite or postgresql URL, got {value!r}")
        return value

    @field_validator("token_secret")
    @classmethod
    def _token_secret_is_real(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if not secret:
            return value
        if len(secret) < MIN_TOKEN_SECRET_LENGTH:
            raise ValueError(f"token_secret has fewer than {MIN_TOKEN_SECRET_LENGTH} characters")
        letters = re.sub(r"[^a-z0-9]", "", secret.lower())
        if letters.startswith(_PLACEHOLDER_SECRETS) or len(set(secret)) < 8:
            raise ValueError(
                "token_secret is a placeholder; generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return value

    @model_validator(mode="after")
    def _admin_is_complete(self) -> Settings:
        password = self.admin_password.get_secret_value()
        if bool(self.admin_email) != bool(password):
            raise ValueError("OPENDSO_ADMIN_EMAIL and OPENDSO_ADMIN_PASSWORD go together")
        if self.admin_email:
            self.admin_email = normalise_email(self.admin_email)
            problem = email_problem(self.admin_email) or password_problem(password)
            if problem:
                raise ValueError(f"first administrator: {problem}")
        return self

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
