"""Database plumbing shared by services: engines (SQLite or PostgreSQL by URL),
session factories and the alembic runner. Each service owns its own database."""

from opendso_db.engine import create_engine, is_sqlite, normalise_url, session_factory
from opendso_db.migrations import ensure_database, upgrade

__all__ = ["create_engine", "ensure_database", "is_sqlite", "normalise_url", "session_factory", "upgrade"]
