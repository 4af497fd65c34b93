from __future__ import annotations

from decimal import Decimal

from opendso_bus import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_MATCHING_")

    database_url: str = "sqlite+aiosqlite:///var/matching.db"
    # A proposal at or above this confidence (0 to 1) is applied without a person.
    auto_apply_at: Decimal = Decimal("0.90")
    # A payment settles what it pays when short by at most the larger of these (fees, rounding, discount).
    tolerance_absolute: Decimal = Decimal("2.00")
    tolerance_percent: Decimal = Decimal("0")
    # Added to the percentage when the payment was converted from another currency.
    tolerance_fx_percent: Decimal = Decimal("1.5")
    # How often queued lines of entities whose ledger changed are matched again.
    rematch_interval_seconds: float = 2.0
    # Processes that decide a statement's lines, off the event loop; 0 decides them in the service's own
    # process. Each batch's index is copied to the worker, which costs more CPU than deciding a thousand
    # lines: worth it where the service must stay responsive while large ledgers are matched.
    workers: int = Field(default=0, ge=0)
    # With no workers: every item held indexed in the service's memory, loaded at start-up and updated from the
    # tables before each batch (a million items: about a gigabyte); false: each batch loads and indexes what
    # its lines can concern (slower, for a large ledger several times the matching itself).
    hold_items: bool = True
