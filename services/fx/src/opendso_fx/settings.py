from __future__ import annotations

from opendso_bus import ServiceSettings
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

PROVIDERS = ("ecb", "forex_python")


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_FX_")

    database_url: str = "sqlite+aiosqlite:///var/fx.db"
    # On by default, so a local run or a test never reaches the network: nothing is fetched, and the rates
    # come from ECB files imported (POST /api/v1/fx/rates/import) and rates entered by hand. A deployment
    # that should fetch sets OPENDSO_FX_OFFLINE=false.
    offline: bool = True
    # The sources fetched when online, comma-separated, in order: "ecb", "forex_python".
    providers: str = "ecb"
    # How often the sources are asked; one that gave today's rates is not asked again that day, and until the ECB
    # publishes them each try costs its small daily file.
    fetch_interval_seconds: float = Field(default=3600.0, ge=10, le=7 * 24 * 3600)
    # How far back the last published rate may be when a date has none (weekends, holidays: at most 4 days
    # for the ECB); beyond it the rate is missing and the service says so.
    lookback_days: int = Field(default=10, ge=0, le=31)
    # How many days back a fetch reaches for a source with nothing stored (older history: import eurofxref-hist.xml).
    backfill_days: int = Field(default=30, ge=0, le=366)
    ecb_base_url: str = "https://www.ecb.europa.eu/stats/eurofxref/"
    # forex-python's own feed (its built-in default); it serves the ECB's rates as JSON.
    forex_python_url: str = "https://theratesapi.com/api/"
    http_timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    @field_validator("providers")
    @classmethod
    def _known_providers(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in PROVIDERS]
        if unknown:
            raise ValueError(f"unknown rate providers {unknown}; choose among {', '.join(PROVIDERS)}")
        if len(set(names)) != len(names):
            raise ValueError(f"a provider is named twice in {value!r}")
        return ",".join(names)

    @field_validator("ecb_base_url", "forex_python_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value

    @property
    def provider_names(self) -> tuple[str, ...]:
        return tuple(n for n in self.providers.split(",") if n)
