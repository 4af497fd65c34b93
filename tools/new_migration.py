"""Autogenerate a migration for one service: `uv run python tools/new_migration.py scenario "add x"`.

It compares the service's metadata with a scratch SQLite database brought to head.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from opendso_db.migrations import alembic_config

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    service, message = sys.argv[1], sys.argv[2]
    script = ROOT / "services" / service / "migrations"
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config(f"sqlite:///{tmp}/scratch.db", script)
        command.upgrade(cfg, "head")
        existing = len(list((script / "versions").glob("*.py")))
        command.revision(cfg, message=message, autogenerate=True, rev_id=f"{existing + 1:04d}")


if __name__ == "__main__":
    main()
