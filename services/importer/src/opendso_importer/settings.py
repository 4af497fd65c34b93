from __future__ import annotations

from pathlib import Path

from opendso_bus import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPENDSO_IMPORTER_")

    database_url: str = "sqlite+aiosqlite:///var/importer.db"
    max_file_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    # The drop location: a local folder, or an S3 bucket (and prefix) when drop_s3_bucket is set.
    drop_dir: Path | None = Path("var/drop")
    drop_s3_bucket: str | None = None
    drop_s3_prefix: str = ""
    # For S3-compatible stores (MinIO, a local test server); empty: AWS.
    drop_s3_endpoint_url: str | None = None
    drop_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    # Worker processes that read large receivables files on PostgreSQL (none: as many as the machine has
    # cores; 0: read in the service's own process), and the size from which a file is handed to them.
    parse_workers: int | None = Field(default=None, ge=0, le=64)
    parallel_from_bytes: int = Field(default=4 * 1024 * 1024, ge=0)
